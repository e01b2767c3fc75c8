/**
 * The orb's scripts as steps: argv and environment handed to the CLI (with a fake CLI that
 * records them), the fail-fast messages, `$VAR` expansion without `circleci`, the install skip,
 * the real `check_key` and `verify` steps, and shellcheck on every script.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { generateKeyMaterial } from '../../cli/keys/generate.js';
import { startSandbox } from '../../cli/sandbox/server.js';
import { ROOT } from '../support/harness.js';
import { expectNoSecrets } from '../support/leak-guard.js';
import { expandCommand, expandJob, runSteps } from './expand.js';
import { createJob, type Job } from './job.js';

let orb: Record<string, unknown>;
let version: string;
const jobs: Job[] = [];
const SECRET_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDfakefakefakefake\n-----END PRIVATE KEY-----\n';
const SECRET_HEROKU = 'HRKU-0123456789abcdef0123456789abcdef';

beforeAll(async () => {
  version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  // The text npm run orb:pack writes to dist/orb.yml, read back as CircleCI reads it (YAML 1.1).
  orb = YAML.parse((await packOrb(join(ROOT, 'orb/src'), { version })).yaml, { version: '1.1' }) as Record<string, unknown>;
});

afterEach(async () => {
  await Promise.all(jobs.splice(0).map((job) => job.cleanup()));
});

/** A fake applink-jwt: prints the pinned version, or its argv and the variables it was given. */
function fakeCli(printedVersion: string): string {
  return `#!/bin/bash
if [ "$1" = "--version" ]; then echo "${printedVersion}"; exit 0; fi
printf 'argv:'; printf ' [%s]' "$@"; printf '\\n'
for name in SF_CLIENT_ID SF_USERNAME HEROKU_API_KEY; do printf '%s=%s\\n' "$name" "\${!name:-<unset>}"; done
key_env=""; prev=""; for arg in "$@"; do [ "$prev" = "--jwt-key-env" ] && key_env="$arg"; prev="$arg"; done
[ -z "$key_env" ] || printf 'key from %s: %s characters\\n' "$key_env" "$(printf '%s' "\${!key_env}" | wc -c | tr -d ' ')"
`;
}

async function job(context: Record<string, string>, shim?: string) {
  const created = await createJob(context, { shim });
  jobs.push(created);
  return created;
}

const CONTEXT = { JWT_PRIVATE_KEY: SECRET_KEY, HEROKU_API_KEY: SECRET_HEROKU, SF_CLIENT_ID: '3MVG9.consumer', SF_USERNAME: 'ci@acme.example', HEROKU_APP_NAME: 'acme-app' };

describe('authorize.sh hands the CLI names and environment, never secret values', () => {
  it('builds argv from the parameters, exports the identities, and passes the key by variable name', async () => {
    const current = await job({ ...CONTEXT, UAT_KEY: SECRET_KEY, ORG_SUFFIX: 'uat' }, fakeCli(version));
    const steps = expandJob(orb, 'authorize', {
      developer_name: 'org_$ORG_SUFFIX', type: 'datacloud', addon: 'applink-blue', alias: '${ORG_SUFFIX}-alias',
      login_url: 'https://test.salesforce.com', preflight: false, replace: true, jwt_private_key: 'UAT_KEY', timeout: 45,
    });
    const results = await runSteps(steps, { env: current.env, cwd: current.cwd });
    expect(results.map((result) => result.exitCode)).toEqual([0, 0]);
    expect(results[1]!.stdout.split('\n')).toEqual([
      `argv: [authorize] [--type] [datacloud] [--jwt-key-env] [UAT_KEY] [--timeout] [45] [--app] [acme-app] [--addon] [applink-blue] [--login-url] [https://test.salesforce.com] [--alias] [uat-alias] [--replace] [--no-preflight] [--append-env] [${current.env.BASH_ENV}] [--] [org_uat]`,
      'SF_CLIENT_ID=3MVG9.consumer',
      'SF_USERNAME=ci@acme.example',
      `HEROKU_API_KEY=${SECRET_HEROKU}`,
      `key from UAT_KEY: ${SECRET_KEY.length} characters`,
    ]);
    expect(results[1]!.stdout.split('\n')[0]).not.toContain('PRIVATE KEY');
    expectNoSecrets([results[1]!.stdout.split('\n')[0]!, results[1]!.stderr, ...(await current.files()).map((file) => file.text)], { privateKeys: [SECRET_KEY], tokens: [SECRET_HEROKU] });
  });

  it('does not run a command hidden in a parameter value when it expands $VAR', async () => {
    const current = await job({ ...CONTEXT }, fakeCli(version));
    const steps = expandCommand(orb, 'authorize', { developer_name: '$(touch pwned)`touch pwned2`$HEROKU_APP_NAME' });
    const [result] = await runSteps(steps, { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({ exitCode: 1, stdout: '' });
    expect((await current.files()).map((file) => file.path).filter((path) => path.includes('pwned'))).toEqual([]);
  });

  it.each([
    ['client_id', 'SF_CLIENT_ID'],
    ['username', 'SF_USERNAME'],
    ['heroku_api_key', 'HEROKU_API_KEY'],
  ])('fails naming %s\'s variable %s when it is empty', async (parameter, variable) => {
    const current = await job({ ...CONTEXT, [variable]: '' }, fakeCli(version));
    const [result] = await runSteps(expandCommand(orb, 'authorize', { developer_name: 'x_org' }), { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({
      exitCode: 1,
      stdout: '',
      stderr: `applink: ${variable} is empty or not set (parameter ${parameter}). Add ${variable} to the context this job uses (or the project's environment variables), or set ${parameter} to the name of the variable that holds it.`,
    });
  });

  it.each(['9KEY', 'MY-KEY', 'MY KEY'])('refuses %s as the name of a variable', async (value) => {
    const current = await job({ ...CONTEXT, KEY: SECRET_KEY }, fakeCli(version));
    const steps = expandCommand(orb, 'authorize', { developer_name: 'x_org' });
    const run = steps.find((step) => step.kind === 'run')!;
    if (run.kind === 'run') run.environment.APPLINK_ENV_JWT_PRIVATE_KEY = value;
    const [result] = await runSteps(steps, { env: current.env, cwd: current.cwd });
    expect([result!.exitCode, result!.stderr]).toEqual([1, expect.stringMatching(/^applink: parameter jwt_private_key must be the NAME of an environment variable/)]);
  });

  it('fails without echoing it when an env_var_name parameter holds something that is not a name', async () => {
    const current = await job({ ...CONTEXT }, fakeCli(version));
    const steps = expandCommand(orb, 'authorize', { developer_name: 'x_org' });
    const run = steps.find((step) => step.kind === 'run')!;
    if (run.kind === 'run') run.environment.APPLINK_ENV_JWT_PRIVATE_KEY = SECRET_KEY;
    const [result] = await runSteps(steps, { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({
      exitCode: 1,
      stderr: 'applink: parameter jwt_private_key must be the NAME of an environment variable (letters, digits and _), not its value. Store the secret in a context or project environment variable and pass its name.',
    });
  });

  it.each([
    ['remove', { developer_name: 'x_org' }],
    ['authorize', { developer_name: 'x_org' }],
    ['verify', {}],
    ['check_key', {}],
  ])('%s fails when the CLI is not installed, saying which step to add', async (command, args: Record<string, string>) => {
    const current = await job({ ...CONTEXT, PATH: '/usr/bin:/bin' });
    await (await import('node:fs/promises')).writeFile(join(current.cwd, 'server.crt'), 'certificate');
    const [result] = await runSteps(expandCommand(orb, command, args), { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({ exitCode: 1, stderr: 'applink: applink-jwt is not installed. Add the applink/install step before this one (the applink/authorize job does it for you).' });
  });

  it('takes each secret from the variable its env_var_name parameter names, not from a same-named one', async () => {
    const context = { UAT_KEY: SECRET_KEY, UAT_HEROKU: SECRET_HEROKU, UAT_CLIENT: '3MVG9.uat', UAT_USER: 'ci@uat.example', HEROKU_APP_NAME: 'acme-app' };
    const current = await job(context, fakeCli(version));
    const names = { jwt_private_key: 'UAT_KEY', client_id: 'UAT_CLIENT', username: 'UAT_USER', heroku_api_key: 'UAT_HEROKU' };
    const [authorize] = await runSteps(expandCommand(orb, 'authorize', { developer_name: 'uat_org', ...names }), { env: current.env, cwd: current.cwd });
    expect(authorize!.stdout.split('\n').slice(1, 4)).toEqual(['SF_CLIENT_ID=3MVG9.uat', 'SF_USERNAME=ci@uat.example', `HEROKU_API_KEY=${SECRET_HEROKU}`]);
    const [remove] = await runSteps(expandCommand(orb, 'remove', { developer_name: 'uat_org', heroku_api_key: 'UAT_HEROKU' }), { env: current.env, cwd: current.cwd });
    expect(remove!.stdout.split('\n')[3]).toBe(`HEROKU_API_KEY=${SECRET_HEROKU}`);
  });

  it.each(['authorize', 'remove'])('%s fails naming developer_name when it expands to nothing', async (command) => {
    const current = await job({ ...CONTEXT }, fakeCli(version));
    const [result] = await runSteps(expandCommand(orb, command, { developer_name: '$UNSET_SUFFIX' }), { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({ exitCode: 1, stdout: '', stderr: expect.stringMatching(/^applink: parameter developer_name is empty\. Set it to the /) });
  });

  it('remove fails naming heroku_api_key\'s variable when it is empty', async () => {
    const current = await job({ ...CONTEXT, HEROKU_API_KEY: '' }, fakeCli(version));
    const [result] = await runSteps(expandCommand(orb, 'remove', { developer_name: 'old_org' }), { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({ exitCode: 1, stdout: '', stderr: expect.stringMatching(/^applink: HEROKU_API_KEY is empty or not set \(parameter heroku_api_key\)\./) });
  });

  it('remove passes --yes, the app and the add-on, with the Heroku key only in the environment', async () => {
    const current = await job({ ...CONTEXT }, fakeCli(version));
    const [result] = await runSteps(expandCommand(orb, 'remove', { developer_name: 'old_org', addon: 'applink-blue' }), { env: current.env, cwd: current.cwd });
    expect(result!.stdout.split('\n').slice(0, 4)).toEqual(['argv: [remove] [--yes] [--app] [acme-app] [--addon] [applink-blue] [--] [old_org]', 'SF_CLIENT_ID=3MVG9.consumer', 'SF_USERNAME=ci@acme.example', `HEROKU_API_KEY=${SECRET_HEROKU}`]);
  });
});

describe('parameters never become options, and a given value never expands to nothing', () => {
  it.each(['--help', '--version', '--no-preflight', '--jwt-key-file=/etc/passwd', '-a'])('authorize and remove refuse developer_name %p before running the CLI', async (name) => {
    const current = await job({ ...CONTEXT }, fakeCli(version));
    for (const command of ['authorize', 'remove']) {
      const [result] = await runSteps(expandCommand(orb, command, { developer_name: name }), { env: current.env, cwd: current.cwd });
      expect(result).toMatchObject({
        exitCode: 1,
        stdout: '',
        stderr: 'applink: parameter developer_name is not a developer name: it must start with a letter or digit and hold only letters, digits and _ : . @ - (for example production_org).',
      });
    }
  });

  it('fails naming app when app: $STAGING_APP expands to nothing (no fall-back to HEROKU_APP)', async () => {
    const current = await job({ ...CONTEXT, HEROKU_APP: 'prod-app' }, fakeCli(version));
    for (const command of ['authorize', 'remove']) {
      const [result] = await runSteps(expandCommand(orb, command, { developer_name: 'x_org', app: '$STAGING_APP' }), { env: current.env, cwd: current.cwd });
      expect(result).toMatchObject({
        exitCode: 1,
        stdout: '',
        stderr: 'applink: parameter app is $STAGING_APP, which expands to nothing: the variable it names is empty or not set. Add it to the context this job uses, or set app to the value itself.',
      });
    }
  });

  it('the default app ($HEROKU_APP_NAME) unset leaves the app to the CLI; if_exists and ignore_missing are passed on', async () => {
    const { HEROKU_APP_NAME: _unset, ...rest } = CONTEXT;
    const current = await job(rest, fakeCli(version));
    const [authorize] = await runSteps(expandCommand(orb, 'authorize', { developer_name: 'x_org', if_exists: 'skip' }), { env: current.env, cwd: current.cwd });
    expect(authorize!.stdout.split('\n')[0]).toBe(`argv: [authorize] [--type] [salesforce] [--jwt-key-env] [JWT_PRIVATE_KEY] [--timeout] [120] [--login-url] [https://login.salesforce.com] [--if-exists] [skip] [--append-env] [${current.env.BASH_ENV}] [--] [x_org]`);
    const [remove] = await runSteps(expandCommand(orb, 'remove', { developer_name: 'x_org', ignore_missing: true }), { env: current.env, cwd: current.cwd });
    expect(remove!.stdout.split('\n')[0]).toBe('argv: [remove] [--yes] [--ignore-missing] [--] [x_org]');
  });
});

describe("each script's own fallbacks (a step that sets no optional variable) are its command's defaults", () => {
  it.each([
    ['authorize', { developer_name: 'x_org' }, /^APPLINK_(INT|BOOL|ENUM)_/],
    ['check_key', {}, /^APPLINK_(INT|BOOL|ENUM)_/],
    ['verify', {}, /^APPLINK_(INT|BOOL|ENUM|STR)_/],
    ['remove', { developer_name: 'x_org' }, /^APPLINK_(BOOL|STR_ADDON)/],
  ])('%s', async (command, args: Record<string, string>, optional) => {
    const current = await job({ ...CONTEXT }, fakeCli(version));
    await (await import('node:fs/promises')).writeFile(join(current.cwd, 'server.crt'), 'certificate');
    const argv = async (unset: boolean) => {
      const steps = expandCommand(orb, command, args);
      const run = steps.find((step) => step.kind === 'run')!;
      if (unset && run.kind === 'run') for (const name of Object.keys(run.environment).filter((key) => optional.test(key))) delete run.environment[name];
      const [result] = await runSteps(steps, { env: current.env, cwd: current.cwd });
      expect(result!.exitCode).toBe(0);
      return result!.stdout.split('\n')[0];
    };
    expect(await argv(true)).toBe(await argv(false));
  });
});

describe('verify.sh', () => {
  it('builds argv from the parameters and exports the identities from the variables they name', async () => {
    const current = await job({ UAT_KEY: SECRET_KEY, UAT_CLIENT: '3MVG9.uat', UAT_USER: 'ci@uat.example' }, fakeCli(version));
    const steps = expandCommand(orb, 'verify', { type: 'datacloud', login_url: 'https://test.salesforce.com', timeout: 9, jwt_private_key: 'UAT_KEY', client_id: 'UAT_CLIENT', username: 'UAT_USER' });
    const [result] = await runSteps(steps, { env: current.env, cwd: current.cwd });
    expect(result!.stdout.split('\n')).toEqual([
      'argv: [verify] [--type] [datacloud] [--login-url] [https://test.salesforce.com] [--jwt-key-env] [UAT_KEY] [--timeout] [9]',
      'SF_CLIENT_ID=3MVG9.uat',
      'SF_USERNAME=ci@uat.example',
      'HEROKU_API_KEY=<unset>',
      `key from UAT_KEY: ${SECRET_KEY.length} characters`,
    ]);
  });

  it.each([
    ['jwt_private_key', 'JWT_PRIVATE_KEY'],
    ['client_id', 'SF_CLIENT_ID'],
    ['username', 'SF_USERNAME'],
  ])("fails naming %s's variable %s when it is empty", async (parameter, variable) => {
    const current = await job({ ...CONTEXT, [variable]: '' }, fakeCli(version));
    const [result] = await runSteps(expandCommand(orb, 'verify'), { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({ exitCode: 1, stdout: '', stderr: expect.stringMatching(new RegExp(`^applink: ${variable} is empty or not set \\(parameter ${parameter}\\)\\.`)) });
  });
});

describe('install.sh', () => {
  it('skips when applink-jwt --version prints the pinned version, and keeps it on the PATH for later steps', async () => {
    const current = await job({}, fakeCli(version));
    const results = await runSteps(expandCommand(orb, 'install'), { env: current.env, cwd: current.cwd });
    expect(results).toEqual([{ name: `Install applink-jwt ${version}`, exitCode: 0, stdout: `applink-jwt ${version} is already installed at ${current.env.PATH!.split(':')[0]}/applink-jwt; skipping the install.`, stderr: '', status: 'success' }]);
    expect(await readFile(current.env.BASH_ENV!, 'utf8')).toBe(`export PATH="${current.env.PATH!.split(':')[0]}:\${PATH}"\n`);
  });

  it('refuses a version that is not exact, and an orb packed without one', async () => {
    const current = await job({}, fakeCli(version));
    for (const wanted of ['latest', '@APPLINK_JWT_VERSION@', 'v1.2.3', '1.2.3x', '^1.2.3']) {
      const [result] = await runSteps(expandCommand(orb, 'install', { version: wanted, cache: false }), { env: current.env, cwd: current.cwd });
      expect(result).toMatchObject({
        exitCode: 1,
        stderr: `applink: version "${wanted}" is not an exact npm version (for example 1.2.3). Set the version parameter, or use an orb release packed by npm run orb:pack.`,
      });
    }
  });

  it('fails when npm installs another version than the one wanted, naming both', async () => {
    const current = await job({}, fakeCli('0.0.1'));
    const npm = `#!/bin/bash\nprefix="$4"; mkdir -p "$prefix/bin"\nprintf '#!/bin/bash\\necho 0.0.2\\n' > "$prefix/bin/applink-jwt"; chmod +x "$prefix/bin/applink-jwt"\n`;
    await (await import('node:fs/promises')).writeFile(join(current.env.PATH!.split(':')[0]!, 'npm'), npm, { mode: 0o755 });
    const [result] = await runSteps(expandCommand(orb, 'install', { cache: false }), { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({
      exitCode: 1,
      stdout: `applink-jwt 0.0.1 is on the PATH; installing ${version}.`,
      stderr: `applink: npm installed applink-jwt 0.0.2, expected ${version}. Check the npm registry configuration (.npmrc) of this job.`,
    });
  });

  it('installs through npm when another version is on the PATH (a fake npm records the call)', async () => {
    const current = await job({}, fakeCli('0.0.1'));
    const npm = `#!/bin/bash\nprintf 'npm'; printf ' %s' "$@"; printf '\\n'\nprefix="$4"; mkdir -p "$prefix/bin"\nprintf '#!/bin/bash\\necho ${version}\\n' > "$prefix/bin/applink-jwt"; chmod +x "$prefix/bin/applink-jwt"\n`;
    await (await import('node:fs/promises')).writeFile(join(current.env.PATH!.split(':')[0]!, 'npm'), npm, { mode: 0o755 });
    const [result] = await runSteps(expandCommand(orb, 'install', { cache: false }), { env: current.env, cwd: current.cwd });
    expect(result!.stdout.split('\n')).toEqual([
      `applink-jwt 0.0.1 is on the PATH; installing ${version}.`,
      `npm install --global --prefix ${current.home}/.applink-jwt/${version} --no-audit --no-fund applink-jwt@${version}`,
      `Installed applink-jwt ${version}.`,
    ]);
  });

  it('installs the package spec it is given (a tarball) even when the pinned version is on the PATH, and checks its version', async () => {
    const current = await job({}, fakeCli(version));
    const npm = (printed: string) => `#!/bin/bash\nprintf 'npm'; printf ' %s' "$@"; printf '\\n'\nprefix="$4"; mkdir -p "$prefix/bin"\nprintf '#!/bin/bash\\necho ${printed}\\n' > "$prefix/bin/applink-jwt"; chmod +x "$prefix/bin/applink-jwt"\n`;
    const { writeFile } = await import('node:fs/promises');
    const npmPath = join(current.env.PATH!.split(':')[0]!, 'npm');
    await writeFile(npmPath, npm(version), { mode: 0o755 });
    const tarball = '/tmp/workspace/applink-jwt.tgz';
    const [result] = await runSteps(expandCommand(orb, 'install', { package: tarball, cache: false }), { env: current.env, cwd: current.cwd });
    expect(result!.stdout.split('\n')).toEqual([
      `npm install --global --prefix ${current.home}/.applink-jwt/${version} --no-audit --no-fund ${tarball}`,
      `Installed applink-jwt ${version}.`,
    ]);
    await writeFile(npmPath, npm('9.9.9'), { mode: 0o755 });
    const [wrong] = await runSteps(expandCommand(orb, 'install', { package: tarball, cache: false }), { env: current.env, cwd: current.cwd });
    expect(wrong).toMatchObject({
      exitCode: 1,
      stderr: `applink: npm installed applink-jwt 9.9.9 from ${tarball}, expected ${version}. Check the npm registry configuration (.npmrc) of this job, or the package parameter.`,
    });
  });
});

describe('check_key.sh builds argv for keys check', () => {
  const checkKey = async (environment: (env: Record<string, string>) => void, context: Record<string, string> = { JWT_PRIVATE_KEY: SECRET_KEY }) => {
    const current = await job(context, fakeCli(version));
    await (await import('node:fs/promises')).writeFile(join(current.cwd, 'server.crt'), 'certificate');
    const steps = expandCommand(orb, 'check_key');
    const run = steps.find((step) => step.kind === 'run')!;
    if (run.kind === 'run') environment(run.environment);
    const [result] = await runSteps(steps, { env: current.env, cwd: current.cwd });
    return result!;
  };
  const WITHOUT_KEY = 'argv: [keys] [check] [--cert-file] [server.crt] [--max-age-days] [90] [--expiry-warning-days] [30]';
  const WITH_KEY = `${WITHOUT_KEY} [--jwt-key-env] [JWT_PRIVATE_KEY]`;

  it('fails naming cert_file when it expands to nothing', async () => {
    const current = await job({ JWT_PRIVATE_KEY: SECRET_KEY }, fakeCli(version));
    const [result] = await runSteps(expandCommand(orb, 'check_key', { cert_file: '$UNSET_DIR' }), { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({ exitCode: 1, stdout: '', stderr: 'applink: parameter cert_file is empty. Set it to the path of the certificate registered with the external client app.' });
  });

  it('matches the key by default when the step sets no APPLINK_BOOL_MATCH_KEY (the script\'s own fallback)', async () => {
    const result = await checkKey((env) => delete env.APPLINK_BOOL_MATCH_KEY);
    expect([result.exitCode, result.stdout.split('\n')[0]]).toEqual([0, WITH_KEY]);
  });

  it('the fallback still requires the key variable, naming it', async () => {
    const result = await checkKey((env) => delete env.APPLINK_BOOL_MATCH_KEY, {});
    expect(result).toMatchObject({ exitCode: 1, stdout: '', stderr: expect.stringMatching(/^applink: JWT_PRIVATE_KEY is empty or not set \(parameter jwt_private_key\)\./) });
  });

  it.each([
    ['true', { JWT_PRIVATE_KEY: SECRET_KEY }, WITH_KEY],
    ['1', { JWT_PRIVATE_KEY: SECRET_KEY }, WITH_KEY],
    ['false', {}, WITHOUT_KEY],
    ['0', {}, WITHOUT_KEY],
  ])('APPLINK_BOOL_MATCH_KEY=%s', async (value, context: Record<string, string>, argv) => {
    const result = await checkKey((env) => (env.APPLINK_BOOL_MATCH_KEY = value), context);
    expect([result.exitCode, result.stdout.split('\n')[0]]).toEqual([0, argv]);
  });
});

describe('the check_key and verify steps with the real CLI', () => {
  it('check_key passes a fresh certificate that matches the key in the context, and fails a mismatched key', async () => {
    const nowMs = Date.now();
    const [pair, other] = await Promise.all([
      generateKeyMaterial({ bits: 2048, days: 365, subject: 'CN=check', nowMs }),
      generateKeyMaterial({ bits: 2048, days: 365, subject: 'CN=other', nowMs }),
    ]);
    const current = await job({ JWT_PRIVATE_KEY: pair.privateKeyPem });
    await (await import('node:fs/promises')).writeFile(join(current.cwd, 'server.crt'), pair.certificatePem);
    const ok = await runSteps(expandJob(orb, 'check_key'), { env: current.env, cwd: current.cwd });
    expect(ok.map((result) => [result.name, result.exitCode])).toEqual([
      [`Install applink-jwt ${version}`, 0],
      ['Check the key and certificate against the rotation policy', 0],
    ]);
    current.env.JWT_PRIVATE_KEY = other.privateKeyPem;
    const mismatch = await runSteps(expandJob(orb, 'check_key'), { env: current.env, cwd: current.cwd });
    expect(mismatch[1]!.exitCode).toBe(9);
    expectNoSecrets([...ok, ...mismatch].flatMap((result) => [result.stdout, result.stderr]).concat((await current.files()).map((file) => file.text)), {
      privateKeys: [pair.privateKeyPem, other.privateKeyPem],
    });
  });

  it('check_key fails naming the certificate path when it is not there', async () => {
    const current = await job({ JWT_PRIVATE_KEY: SECRET_KEY });
    const [result] = await runSteps(expandCommand(orb, 'check_key', { cert_file: 'keys/missing.crt' }), { env: current.env, cwd: current.cwd });
    expect(result).toMatchObject({ exitCode: 1, stderr: `applink: certificate keys/missing.crt not found in ${current.cwd}. Check out the repository first (the check_key job does), or fix the cert_file parameter.` });
  });

  it('verify runs the preflight against the sandbox', async () => {
    const material = await generateKeyMaterial({ bits: 2048, days: 30, subject: 'CN=verify', nowMs: Date.now() });
    const sandbox = await startSandbox();
    try {
      sandbox.registerCertificate(material.certificatePem);
      const env = sandbox.env();
      const current = await job({ JWT_PRIVATE_KEY: material.privateKeyPem, SF_CLIENT_ID: env.SF_CLIENT_ID!, SF_USERNAME: env.SF_USERNAME! });
      const [result] = await runSteps(expandCommand(orb, 'verify', { login_url: sandbox.urls.login }), { env: current.env, cwd: current.cwd });
      expect(result!.exitCode).toBe(0);
      expect(result!.stdout).toContain(env.SF_USERNAME!);
      expectNoSecrets([result!.stdout, result!.stderr, JSON.stringify(sandbox.requestLog)], { privateKeys: [material.privateKeyPem] });
    } finally {
      await sandbox.close();
    }
  });
});

/**
 * shellcheck with nothing from outside the repository: without --norc it reads a .shellcheckrc
 * from every folder above the scripts (the temporary folder a CI copy or clone lives in, a
 * developer's home) and SHELLCHECK_OPTS, so a file some other process left in /tmp could flip the
 * result. A long timeout of its own: under load it must not be cut by the test's default.
 */
function shellcheck(folder: string, scripts: string[]) {
  return execa('shellcheck', ['--norc', '--shell=bash', '--severity=style', ...scripts], {
    cwd: folder,
    reject: false,
    timeout: 90_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
    extendEnv: false,
  });
}

describe('shellcheck', () => {
  it('passes on every orb script (shellcheck is installed by .ci/run; this fails when it is missing)', async () => {
    const folder = join(ROOT, 'orb/src/scripts');
    const scripts = (await readdir(folder)).filter((name) => name.endsWith('.sh')).sort();
    expect(scripts).toEqual(['authorize.sh', 'check_key.sh', 'install.sh', 'remove.sh', 'rotate.sh', 'sandbox_env.sh', 'sandbox_keys.sh', 'sandbox_start.sh', 'utils.sh', 'verify.sh']);
    const result = await shellcheck(folder, scripts);
    expect({ exitCode: result.exitCode, timedOut: result.timedOut, output: `${result.stdout}${result.stderr}` }).toEqual({ exitCode: 0, timedOut: false, output: '' });
  }, 120_000);

  it('gives the same result with a .shellcheckrc above the scripts and SHELLCHECK_OPTS set (nothing outside the repository counts)', async () => {
    const { cp, mkdir, mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const parent = await mkdtemp(join(tmpdir(), 'applink-shellcheck-'));
    try {
      await writeFile(join(parent, '.shellcheckrc'), 'enable=all\n');
      const folder = join(parent, 'clone/orb/src/scripts');
      await mkdir(folder, { recursive: true });
      await cp(join(ROOT, 'orb/src/scripts'), folder, { recursive: true });
      const scripts = ['authorize.sh', 'utils.sh'];
      // The rc file does change shellcheck's verdict when it is read (so the check below can fail).
      const reading = await execa('shellcheck', ['--shell=bash', '--severity=style', ...scripts], { cwd: folder, reject: false, timeout: 90_000 });
      expect(reading.stdout).toContain('(style)');
      process.env.SHELLCHECK_OPTS = '--enable=all';
      const result = await shellcheck(folder, scripts);
      expect({ exitCode: result.exitCode, output: `${result.stdout}${result.stderr}` }).toEqual({ exitCode: 0, output: '' });
    } finally {
      delete process.env.SHELLCHECK_OPTS;
      await rm(parent, { recursive: true, force: true });
    }
  }, 120_000);
});
