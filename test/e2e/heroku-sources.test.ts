/**
 * Where the Heroku token, the app and the login URL come from, end to end with the built binary
 * against the sandbox: the netrc file `heroku login` writes, the git remotes (real git), `-r`,
 * `HEROKU_HOST`, `SF_LOGIN_URL` and `--instance-url`.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';
import { realRunner } from '../support/harness.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-sources-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const external = () => sandbox.requestLog.filter((entry) => !entry.internal);

/** The sandbox's environment without the token; HOME is an empty dir (no ~/.netrc of the machine). */
function envWithoutToken(extra: Record<string, string> = {}): Record<string, string> {
  const { HEROKU_API_KEY: _key, ...env } = platformEnv(sandbox);
  return { ...env, HOME: dir, ...extra };
}

async function writeNetrc(mode: number): Promise<string> {
  const path = join(dir, 'netrc');
  const host = new URL(sandbox.urls.platform).host;
  await writeFile(path, `machine ${host}\n  login ci@example.com\n  password ${sandbox.env().HEROKU_API_KEY}\n`);
  await chmod(path, mode);
  return path;
}

describe('the Heroku token from netrc', () => {
  it('authorize works with only the netrc entry heroku login writes (no HEROKU_API_KEY)', async () => {
    const netrc = await writeNetrc(0o600);
    const result = await bin.run(['authorize', 'my_org', '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path], envWithoutToken({ NETRC: netrc }));
    expect([result.exitCode, result.stderr]).toEqual([0, expect.any(String)]);
    expect(result.stdout.split('\n')[0]).toMatch(/^Authorized my_org \(Salesforce\) on add-on .* of app acme-app\.$/);
  });

  it('~/.netrc is read when NETRC is not set', async () => {
    await writeFile(join(dir, '.netrc'), `machine ${new URL(sandbox.urls.platform).host} password ${sandbox.env().HEROKU_API_KEY}\n`, { mode: 0o600 });
    const result = await bin.run(['list', '-a', 'acme-app'], envWithoutToken());
    expect([result.exitCode, result.stdout]).toEqual([0, expect.stringContaining('There are no Heroku AppLink authorizations')]);
  });

  it('a 0644 netrc is refused, naming the file and the fix; nothing is sent', async () => {
    const netrc = await writeNetrc(0o644);
    const result = await bin.run(['list', '-a', 'acme-app'], envWithoutToken({ NETRC: netrc }));
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      `Error: ${netrc} holds the Heroku token but other users may read or change it (mode 0644); the token in it was not used.\n` +
        `Fix: Run chmod 600 ${netrc} (heroku login creates it that way), or set HEROKU_API_KEY instead.\n(ERR_NETRC_PERMISSIONS, exit 3)`,
    );
    expect(external()).toEqual([]);
  });

  it('neither HEROKU_API_KEY nor netrc: one error naming both and the commands that create them', async () => {
    const result = await bin.run(['list', '-a', 'acme-app'], envWithoutToken());
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      `Error: No Heroku token: HEROKU_API_KEY is not set and ${join(dir, '.netrc')} does not exist.\n` +
        'Fix: Run heroku login (it writes ~/.netrc), or create a long-lived token with heroku authorizations:create --short -d "applink-jwt CI" and export HEROKU_API_KEY=<token> (in CI: a secret variable).\n' +
        '(ERR_HEROKU_API_KEY_MISSING, exit 3)',
    );
  });
});

describe('the app from the git remotes', () => {
  const git = (...args: string[]) => realRunner('git', args, { cwd: dir });
  const env = () => {
    const { HEROKU_APP: _app, HEROKU_APP_NAME: _name, ...rest } = { ...platformEnv(sandbox), HOME: dir } as Record<string, string>;
    return rest;
  };
  beforeEach(async () => {
    expect((await git('init', '-q')).exitCode).toBe(0);
    await git('remote', 'add', 'origin', 'https://github.com/acme/acme.git');
  });

  it('one remote named heroku', async () => {
    await git('remote', 'add', 'heroku', 'https://git.heroku.com/acme-app.git');
    await git('remote', 'add', 'staging', 'git@heroku.com:acme-staging.git');
    const result = await bin.run(['authorize', 'my_org', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path], env(), { cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('Using app acme-app from git remote heroku (pass -a/--app to choose another).');
    expect(result.stdout.split('\n')[0]).toMatch(/ of app acme-app\.$/);
  });

  it('the only git.heroku.com remote, under another name (ssh form)', async () => {
    await git('remote', 'add', 'production', 'git@heroku.com:acme-app.git');
    const result = await bin.run(['list'], env(), { cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('Using app acme-app from git remote production (pass -a/--app to choose another).');
  });

  it('two candidates: an error listing them; -r picks one', async () => {
    await git('remote', 'add', 'prod', 'https://git.heroku.com/acme-app.git');
    await git('remote', 'add', 'staging', 'https://git.heroku.com/acme-staging.git');
    const ambiguous = await bin.run(['list'], env(), { cwd: dir });
    expect([ambiguous.exitCode, ambiguous.stderr]).toEqual([
      3,
      'Error: No app given, and several git remotes point at Heroku apps: prod (acme-app), staging (acme-staging).\n' +
        'Fix: Pick one with -r/--remote <remote> (for example -r prod) or -a/--app <app>.\n(ERR_APP_AMBIGUOUS, exit 3)',
    ]);
    const picked = await bin.run(['list', '-r', 'prod'], env(), { cwd: dir });
    expect([picked.exitCode, picked.stdout]).toEqual([0, expect.stringContaining('on app acme-app')]);
    expect(external().filter((entry) => entry.route === 'platform.app').map((entry) => entry.path)).toEqual(['/apps/acme-app']);
  });

  it('-a wins over the remotes, and -r over HEROKU_APP', async () => {
    await git('remote', 'add', 'heroku', 'https://git.heroku.com/acme-staging.git');
    await git('remote', 'add', 'prod', 'https://git.heroku.com/acme-app.git');
    expect((await bin.run(['list', '-a', 'acme-app'], env(), { cwd: dir })).exitCode).toBe(0);
    expect((await bin.run(['list', '-r', 'prod'], { ...env(), HEROKU_APP: 'acme-staging' }, { cwd: dir })).exitCode).toBe(0);
    expect(external().filter((entry) => entry.route === 'platform.app').map((entry) => entry.path)).toEqual(['/apps/acme-app', '/apps/acme-app']);
  });
});

describe('the environment the neighbours use', () => {
  it('HEROKU_HOST points at the Platform API, with or without its scheme', async () => {
    const { HEROKU_API_URL: _url, ...env } = platformEnv(sandbox);
    for (const host of [sandbox.urls.platform, new URL(sandbox.urls.platform).host]) {
      const result = await bin.run(['list', '-a', 'acme-app'], { ...env, HEROKU_HOST: host });
      expect([result.exitCode, result.stdout]).toEqual([0, expect.stringContaining('on app acme-app')]);
    }
    const refused = await bin.run(['list', '-a', 'acme-app'], { ...env, HEROKU_HOST: 'example.com' });
    expect([refused.exitCode, refused.stderr.split('\n')[0]]).toEqual([
      3,
      'Error: HEROKU_HOST points at https://api.example.com: the Heroku token is only sent to https://api.heroku.com, another https://*.heroku.com host, or a loopback address. Nothing was sent.',
    ]);
  });

  it('SF_LOGIN_URL is the fallback of --login-url; --login-url and --instance-url win over it', async () => {
    const env = { ...platformEnv(sandbox), SF_LOGIN_URL: sandbox.urls.login };
    const verify = ['verify', '--jwt-key-file', keys[0]!.path];
    const fromEnv = await bin.run(verify, env);
    expect(fromEnv.exitCode).toBe(0);
    const closed = 'http://127.0.0.1:9';
    for (const flag of ['--login-url', '--instance-url']) {
      const result = await bin.run([...verify, flag, closed], env);
      expect([result.exitCode, result.stderr]).toEqual([8, expect.stringContaining(`(POST ${closed}/services/oauth2/token)`)]);
    }
    expect(external().filter((entry) => entry.route === 'salesforce.token')).toHaveLength(1);
  });
});
