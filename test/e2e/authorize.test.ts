/**
 * `authorize` end to end: the built binary against the sandbox, in platform mode (`-a acme-app`,
 * HEROKU_API_KEY, the Platform API), checked against the plugin's documented call sequence and
 * the sandbox's state, with every output and the request log scanned for secrets.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { keyFingerprint, type Sandbox } from '../../cli/sandbox/server.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';
import { BIN } from '../support/harness.js';
import { jsonError, jsonResult } from '../support/envelope.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(3, (current) => ({ keys, sandbox, bin } = current));

const authorize = (name: string, key: TestKey, ...extra: string[]) => ['authorize', name, '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', key.path, ...extra];
const external = () => sandbox.requestLog.filter((entry) => !entry.internal);
const routes = () => external().map((entry) => entry.route);

describe('authorize (platform mode)', () => {
  it('creates a Salesforce authorization with exactly the plugin sequence plus the preflight and the polls', async () => {
    const result = await bin.run(authorize('my_org', keys[0]!), platformEnv(sandbox));
    expect(result.exitCode).toBe(0);
    const app = sandbox.state.findApp('acme-app')!;
    const addon = sandbox.state.addonsOfApp(app.id)[0]!;
    const stored = sandbox.state.listAuthorizations(addon.id);
    expect(stored.map((a) => [a.developerName, a.status, a.type, a.keyFingerprint])).toEqual([['my_org', 'authorized', 'salesforce', keyFingerprint(keys[0]!.pem)]]);
    expect(result.stdout.split('\n').slice(0, 3)).toEqual([
      `Authorized my_org (Salesforce) on add-on ${addon.name} of app acme-app.`,
      `Preflight: Salesforce accepted the key for ${sandbox.env().SF_USERNAME} (org ${stored[0]!.org!.id}).`,
      '',
    ]);
    expect(result.stdout).toContain('Status:            authorized');
    expect(result.stderr).toContain(`Adding credentials for ${sandbox.env().SF_USERNAME} to acme-app as my_org...`);

    // The sequence: preflight, the four Platform API GETs (any order), SSO, a read of the name (so
    // ownership never depends on clocks), one POST, then polls.
    const seen = routes();
    expect(seen[0]).toBe('salesforce.token');
    expect(seen.slice(1, 5).sort()).toEqual(['platform.addons', 'platform.app', 'platform.attachments', 'platform.config-vars']);
    expect(seen.slice(5, 8)).toEqual(['platform.sso', 'applink.get', 'applink.create']);
    expect(external()[6]!.path).toBe(`/addons/${addon.id}/authorizations/my_org`);
    const polls = external().slice(8);
    for (const poll of polls) expect([poll.method, poll.path]).toEqual(['GET', `/addons/${addon.id}/authorizations/${stored[0]!.id}`]);

    for (const entry of external().slice(1, 6)) {
      expect(entry.method).toBe('GET');
      expect(entry.path.startsWith('/apps/acme-app')).toBe(true);
      expect(entry.headers.authorization).toBe('[REDACTED]');
      expect(entry.headers.accept).toBe(entry.route === 'platform.sso' ? 'application/vnd.heroku+json; version=3.sdk' : 'application/vnd.heroku+json; version=3');
      expect(entry.headers['user-agent']).toMatch(/^applink-jwt\/\d+\.\d+\.\d+/);
      expect(entry.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(entry.headers['content-type']).toBeUndefined();
      expect(entry.headers['x-addon-sso']).toBeUndefined();
    }
    for (const entry of external().slice(6)) {
      expect(entry.headers.accept).toBe('application/json');
      expect(entry.headers.authorization).toBe('[REDACTED]');
      expect(entry.headers['x-addon-sso']).toBe('[REDACTED]');
      expect(entry.headers['x-app-uuid']).toBe(app.id);
      expect(entry.headers['user-agent']).toMatch(/^applink-jwt\//);
      expect(entry.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(entry.headers['content-type']).toBe(entry.method === 'POST' ? 'application/json' : undefined);
    }
    const create = external()[7]!;
    expect([create.method, create.path]).toEqual(['POST', `/addons/${addon.id}/authorizations/salesforce/jwt`]);
    expect(create.bodyFields).toEqual({
      alias: 'applink:my_org',
      client_id: sandbox.env().SF_CLIENT_ID,
      developer_name: 'my_org',
      jwt_private_key: '[REDACTED]',
      login_url: sandbox.urls.login,
      username: sandbox.env().SF_USERNAME,
    });
  });

  it('creates a Data Cloud authorization; --json prints it without any token', async () => {
    const result = await bin.run(authorize('dc_org', keys[0]!, '--type', 'datacloud', '--json'), platformEnv(sandbox));
    expect(result.exitCode).toBe(0);
    const json = jsonResult(result.stdout).authorization as Record<string, any>;
    expect([json.status, json.org.type, json.org.developer_name, json.alias]).toEqual(['authorized', 'DataCloudOrg', 'dc_org', 'applink:dc_org']);
    expect(json.org.user_auth?.access_token).toBeUndefined();
    expect(result.stdout).not.toMatch(/token/i);
    expect(routes()).toContain('applink.create');
    expect(external().find((entry) => entry.route === 'applink.create')!.path).toMatch(/\/authorizations\/datacloud\/jwt$/);
    expect(result.stderr).toBe(''); // --json: no progress noise
  });

  it('--replace rotates to a new key: exactly one authorization, with the new key', async () => {
    expect((await bin.run(authorize('my_org', keys[0]!), platformEnv(sandbox))).exitCode).toBe(0);
    const firstId = sandbox.state.authorizations[0]!.id;
    sandbox.registerCertificate(keys[1]!.certificatePem); // the new certificate is uploaded to the app first
    const result = await bin.run(authorize('my_org', keys[1]!, '--replace'), platformEnv(sandbox));
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^Rotated my_org \(Salesforce\) on add-on \S+ of app acme-app: the previous authorization was replaced with one using the new key\.$/);
    expect(sandbox.state.authorizations.map((a) => [a.developerName, a.status, a.keyFingerprint])).toEqual([['my_org', 'authorized', keyFingerprint(keys[1]!.pem)]]);
    expect(sandbox.state.authorizations[0]!.id).not.toBe(firstId);
    // The rotation reads the name, deletes the id it read, then creates: no 409 round trip.
    expect(routes().filter((route) => route.startsWith('applink.') && route !== 'applink.get')).toEqual(['applink.create', 'applink.delete', 'applink.create']);
    expect(sandbox.requestLog.find((entry) => entry.route === 'applink.delete')!.path).toBe(`/addons/${sandbox.state.addons[0]!.id}/authorizations/${firstId}`);
  });

  it('409 without --replace: exit 5 with the --replace hint, state untouched', async () => {
    expect((await bin.run(authorize('my_org', keys[0]!), platformEnv(sandbox))).exitCode).toBe(0);
    const before = sandbox.snapshot();
    const result = await bin.run(authorize('my_org', keys[0]!), platformEnv(sandbox));
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toContain('Error: An authorization named my_org already exists on add-on applink-sandbox-1 of app acme-app. Nothing was created or changed.\nFix: Rerun with --replace to replace it (key rotation), or choose another developer name.\n(ERR_AUTHORIZATION_EXISTS, exit 5)');
    expect(sandbox.snapshot()).toEqual(before);
    const json = await bin.run(authorize('my_org', keys[0]!, '--json'), platformEnv(sandbox));
    expect(jsonError(json.stdout)).toMatchObject({ code: 'ERR_AUTHORIZATION_EXISTS', exitCode: 5, details: { state: 'unchanged' } });
  });

  describe('the four add-on resolution errors', () => {
    beforeEach(() => {
      sandbox.state.addApp({ name: 'bare-app' });
      sandbox.state.addApp({ name: 'multi-app', addons: [{ name: 'applink-one' }, { name: 'applink-two', attachments: [{ name: 'HEROKU_APPLINK_COBALT' }] }] });
      sandbox.state.addApp({ name: 'new-app', addons: [{ name: 'applink-new', state: 'provisioning' }] });
    });
    it.each([
      ['none', 'bare-app', [], 'ERR_ADDON_NONE', "AppLink add-on isn't present on bare-app.", 'Install the add-on using heroku addons:create heroku-applink -a bare-app.'],
      ['named one missing', 'acme-app', ['--addon', 'applink-nope'], 'ERR_ADDON_NOT_FOUND', "AppLink add-on applink-nope doesn't exist on acme-app.", 'Use heroku addons --app acme-app to list the add-ons on the app (AppLink add-ons: applink-sandbox-1), and pass one of them to --addon.'],
      ['several without --addon', 'multi-app', [], 'ERR_ADDON_AMBIGUOUS', 'Your app multi-app has multiple AppLink add-ons: applink-one, applink-two.', 'Rerun the command with the --addon flag to specify which one to use.'],
      ['not provisioned', 'new-app', [], 'ERR_ADDON_NOT_PROVISIONED', "AppLink add-on applink-new isn't fully provisioned on new-app (HEROKU_APPLINK_API_URL and HEROKU_APPLINK_TOKEN missing from the config vars).", 'Wait for the add-on to finish provisioning with heroku addons:wait applink-new -a new-app, then run the command again.'],
    ])('%s', async (_case, app, extra, code, message, hint) => {
      const before = sandbox.snapshot();
      const args = ['authorize', 'my_org', '-a', app, '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--no-preflight', ...extra];
      const result = await bin.run(args, platformEnv(sandbox));
      expect(result.exitCode).toBe(5);
      expect(result.stderr).toContain(`Error: ${message}\nFix: ${hint}\n(${code}, exit 5)`);
      expect(routes().some((route) => route.startsWith('applink.'))).toBe(false);
      expect(sandbox.snapshot()).toEqual(before);
      const json = await bin.run([...args, '--json'], platformEnv(sandbox));
      expect(jsonError(json.stdout)).toMatchObject({ code, message, hint, exitCode: 5 });
    });
    it('--addon picks one of several', async () => {
      const args = ['authorize', 'my_org', '-a', 'multi-app', '--addon', 'applink-two', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path];
      const result = await bin.run(args, platformEnv(sandbox));
      expect(result.exitCode).toBe(0);
      expect(sandbox.state.authorizations[0]!.addonId).toBe(sandbox.state.findAddon('applink-two')!.id);
    });
  });

  it('a bad HEROKU_API_KEY: 401, exit 5, the token itself never printed', async () => {
    const badKey = 'HRKU-not-the-right-token-0123456789';
    const result = await bin.run(authorize('my_org', keys[0]!), { ...platformEnv(sandbox), HEROKU_API_KEY: badKey });
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toContain(`Error: The token in HEROKU_API_KEY was refused by the Heroku Platform API (${sandbox.urls.platform}): HTTP 401. The server said: "Invalid credentials provided.".\nFix: Create a new long-lived token with heroku authorizations:create (or print yours with heroku auth:token) and set HEROKU_API_KEY to it.\n(ERR_HEROKU_AUTH, exit 5)`);
    expect(routes().some((route) => route.startsWith('applink.'))).toBe(false);
    expect(bin.leaks([badKey])).toEqual([]);
  });

  it('a key whose certificate Salesforce does not have: preflight fails, nothing sent to Heroku', async () => {
    const result = await bin.run(authorize('my_org', keys[2]!), platformEnv(sandbox));
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/\(ERR_SF_INVALID_ASSERTION, exit 4\)/);
    expect(routes()).toEqual(['salesforce.token']);
    expect(sandbox.state.authorizations).toEqual([]);
  });

  it('--no-preflight with that key: the AppLink API ends failed; exit 6 with its message, nothing left behind', async () => {
    const before = sandbox.snapshot();
    const result = await bin.run(authorize('my_org', keys[2]!, '--no-preflight'), platformEnv(sandbox));
    expect(result.exitCode).toBe(6);
    expect(result.stderr).toMatch(/^Error: Authorization my_org ended failed: JWT authentication failed: .*invalid assertion.*\. The failed authorization was removed again, so the add-on is as it was\.$/m);
    expect(result.stderr).toMatch(/^Fix: Salesforce refused the key \(.+\): .+$/m);
    expect(result.stderr).toContain('(ERR_AUTHORIZATION_FAILED, exit 6)');
    expect(routes()[0]).not.toBe('salesforce.token');
    expect(sandbox.snapshot()).toEqual(before);
  });

  it('sends no login_url when --login-url is not given (the server default applies)', async () => {
    const result = await bin.run(['authorize', 'my_org', '-a', 'acme-app', '--jwt-key-file', keys[0]!.path, '--no-preflight', '--json'], platformEnv(sandbox));
    const create = external().find((entry) => entry.route === 'applink.create')!;
    expect(Object.keys(create.bodyFields).sort()).toEqual(['alias', 'client_id', 'developer_name', 'jwt_private_key', 'username']);
    // The sandbox only reaches loopback, so the default https://login.salesforce.com fails there.
    expect(result.exitCode).toBe(6);
    expect(jsonError(result.stdout)).toMatchObject({ code: 'ERR_AUTHORIZATION_FAILED', details: { state: 'unchanged', status: 'failed' } });
  });

  it('times out while authorizing: exit 7, says the state it was left in', async () => {
    sandbox.state.configure({ settleDelayMs: 'never' });
    const result = await bin.run(authorize('my_org', keys[0]!, '--timeout', '1'), platformEnv(sandbox));
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('Error: Authorization my_org was still authorizing after 1 s (--timeout); it was left authorizing on the add-on.\nFix: It may still finish: check it with applink-jwt info my_org -a acme-app; raise --timeout, or remove it with applink-jwt remove my_org -a acme-app --yes.\n(ERR_AUTHORIZATION_TIMEOUT, exit 7)');
    expect(sandbox.state.authorizations.map((a) => a.status)).toEqual(['authorizing']);
  });

  it('SIGINT while waiting: exit 130, says the authorization was created and not settled', async () => {
    sandbox.state.configure({ settleDelayMs: 'never' });
    const child = execa(process.execPath, [BIN, ...authorize('my_org', keys[0]!)], { env: { PATH: process.env.PATH, COLUMNS: '10000', ...platformEnv(sandbox) }, extendEnv: false, reject: false });
    // Without a terminal nothing is printed while it waits (heartbeats come after 10 s): watch the
    // sandbox for the first poll, a GET after the create (so the run has the POST's answer).
    const polled = () => {
      const created = sandbox.requestLog.findIndex((entry) => entry.route === 'applink.create');
      return created !== -1 && sandbox.requestLog.slice(created + 1).some((entry) => entry.route === 'applink.get');
    };
    while (!polled()) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const result = await child;
    bin.record(String(result.stdout), String(result.stderr));
    expect(result.exitCode).toBe(130);
    const id = sandbox.state.authorizations[0]!.id;
    expect(String(result.stderr)).toContain(`Error: Interrupted (SIGINT) while authorizing. Authorization my_org was created (id ${id}) and had not settled; check it with applink-jwt info my_org -a acme-app.\n`);
    expect(String(result.stderr)).toContain('(ERR_INTERRUPTED, exit 130)');
  });

  it('bad local input makes no network call at all', async () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [authorize('my-org', keys[0]!), platformEnv(sandbox), 'ERR_DEVELOPER_NAME'],
      [authorize('my_org', keys[0]!, '--alias', 'has space'), platformEnv(sandbox), 'ERR_ALIAS'],
      [['authorize', 'my_org', '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', '/nonexistent/key.pem'], platformEnv(sandbox), 'ERR_KEY_'],
      [authorize('my_org', keys[0]!), { ...platformEnv(sandbox), HEROKU_API_KEY: '' }, 'ERR_HEROKU_API_KEY_MISSING'],
      [authorize('my_org', keys[0]!), { ...platformEnv(sandbox), HEROKU_API_URL: 'https://api.evil.example.com' }, 'ERR_HOST_NOT_ALLOWED'],
      [['authorize', 'my_org', '-a', 'acme-app', '--login-url', 'http://login.example.com', '--jwt-key-file', keys[0]!.path], platformEnv(sandbox), 'ERR_LOGIN_URL_'],
      [['authorize', 'my_org', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path], platformEnv(sandbox), 'ERR_APP_MISSING'],
      [authorize('my_org', keys[0]!, '--append-env', tmpdir()), platformEnv(sandbox), 'ERR_APPEND_ENV'],
    ];
    for (const [args, env, code] of cases) {
      const result = await bin.run(args, env);
      expect([args.join(' '), result.exitCode]).toEqual([args.join(' '), 3]);
      expect(result.stderr).toContain(`(${code}`);
    }
    expect(sandbox.requestLog).toEqual([]);
  });

  it('--append-env appends the developer name, alias, org id and instance URL as export lines a later bash step reads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'applink-append-env-'));
    try {
      const bashEnv = join(dir, 'bash_env');
      await writeFile(bashEnv, 'export PATH="/opt/applink/bin:${PATH}"\n');
      const result = await bin.run(authorize('handoff_org', keys[0]!, '--alias', 'prod', '--append-env', bashEnv), platformEnv(sandbox));
      expect([result.exitCode, result.stderr.includes('Warning')]).toEqual([0, false]);
      expect(result.stdout.split('\n')[2]).toBe(`Appended APPLINK_DEVELOPER_NAME, APPLINK_ALIAS, APPLINK_ORG_ID, APPLINK_INSTANCE_URL to ${bashEnv} for later steps.`);
      const stored = sandbox.state.authorizations.find((authorization) => authorization.developerName === 'handoff_org')!;
      expect(await readFile(bashEnv, 'utf8')).toBe(
        [
          'export PATH="/opt/applink/bin:${PATH}"',
          "export APPLINK_DEVELOPER_NAME='handoff_org'",
          "export APPLINK_ALIAS='prod'",
          `export APPLINK_ORG_ID='${stored.org!.id}'`,
          `export APPLINK_INSTANCE_URL='${stored.org!.instanceUrl}'`,
          '',
        ].join('\n'),
      );
      // A later step: bash sourcing the file (as CircleCI sources BASH_ENV) and a child process of it.
      const later = await execa('bash', ['-c', `. "${bashEnv}"; node -e 'console.log(process.env.APPLINK_ORG_ID)'`], { env: { PATH: process.env.PATH }, extendEnv: false });
      expect(later.stdout).toBe(stored.org!.id);

      // Run again with --if-exists skip (the fix ERR_APPEND_ENV names): the authorization is left as
      // it is and the file gets the lines again.
      const skipFile = join(dir, 'skip.env');
      const again = await bin.run(authorize('handoff_org', keys[0]!, '--alias', 'prod', '--if-exists', 'skip', '--append-env', skipFile), platformEnv(sandbox));
      expect([again.exitCode, again.stdout.split('\n')[0]]).toEqual([0, expect.stringMatching(/^Left handoff_org .* as it was \(--if-exists skip\)/)]);
      expect(await readFile(skipFile, 'utf8')).toContain(`export APPLINK_ORG_ID='${stored.org!.id}'\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
