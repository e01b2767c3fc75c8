/**
 * The packed orb's `authorize` job, expanded as CircleCI does and run with bash against the
 * sandbox, with the CLI built from this repository on the PATH.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { generateKeyMaterial } from '../../cli/keys/generate.js';
import { startSandbox, type Sandbox } from '../../cli/sandbox/server.js';
import { expectNoSecrets } from '../support/leak-guard.js';
import { BIN, ROOT } from '../support/harness.js';
import { expandCommand, expandJob, jobSettings, runSteps, type BooleanStyle, type ExpandedStep, type StepResult } from './expand.js';
import { createJob, type Job } from './job.js';

let orb: Record<string, unknown>;
let version: string;
let sandbox: Sandbox;
let registeredKey: string;
let unknownKey: string;
/** Human error lines wrap at 100 columns; continuation lines are indented by 5. */
const unwrap = (text: string) => text.replace(/\n {5}(?=\S)/g, ' ');

const jobs: Job[] = [];

beforeAll(async () => {
  version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  // The text npm run orb:pack writes to dist/orb.yml, read back as CircleCI reads it (YAML 1.1).
  orb = YAML.parse((await packOrb(join(ROOT, 'orb/src'), { version })).yaml, { version: '1.1' }) as Record<string, unknown>;
  const nowMs = Date.now();
  const [registered, unknown] = await Promise.all([
    generateKeyMaterial({ bits: 2048, days: 30, subject: 'CN=orb-test', nowMs }),
    generateKeyMaterial({ bits: 2048, days: 30, subject: 'CN=orb-test-unknown', nowMs }),
  ]);
  registeredKey = registered.privateKeyPem;
  unknownKey = unknown.privateKeyPem;
  sandbox = await startSandbox({ settleDelayMs: 50 });
  sandbox.registerCertificate(registered.certificatePem);
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(async () => {
  await Promise.all(jobs.splice(0).map((job) => job.cleanup()));
});

/** The context a team would attach: the sandbox's Heroku and Salesforce identities plus the key. */
function context(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env = sandbox.env();
  const base: Record<string, string | undefined> = {
    HEROKU_API_KEY: env.HEROKU_API_KEY,
    HEROKU_API_URL: env.HEROKU_API_URL,
    HEROKU_APP_NAME: env.HEROKU_APP_NAME,
    SF_CLIENT_ID: env.SF_CLIENT_ID,
    SF_USERNAME: env.SF_USERNAME,
    JWT_PRIVATE_KEY: registeredKey,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

async function runAuthorizeJob(args: Record<string, unknown>, contextEnv: Record<string, string>, booleans: BooleanStyle = 'true-false') {
  const job = await createJob(contextEnv);
  jobs.push(job);
  const steps = expandJob(orb, 'authorize', { login_url: sandbox.urls.login, timeout: 30, ...args }, { booleans });
  const results = await runSteps(steps, { env: job.env, cwd: job.cwd });
  return { job, results, last: results[results.length - 1]! };
}

/** No key, Heroku API key or sandbox token in any output, any file the job left, or the request log. */
async function expectNothingLeaked(job: Job, results: StepResult[]) {
  const files = await job.files();
  expectNoSecrets(
    [...results.flatMap((result) => [result.stdout, result.stderr]), ...files.map((file) => file.text), JSON.stringify(sandbox.requestLog)],
    { privateKeys: [registeredKey, unknownKey], tokens: [sandbox.env().HEROKU_API_KEY!, sandbox.env().HEROKU_APPLINK_TOKEN!] },
  );
}

function authorizationOf(developerName: string) {
  return sandbox.state.authorizations.find((authorization) => authorization.developerName === developerName);
}

function requestsSince(seq: number) {
  return sandbox.requestLog.filter((request) => request.seq > seq).map((request) => request.route);
}

const lastSeq = () => sandbox.requestLog.at(-1)?.seq ?? 0;

describe('the authorize job of the packed orb', () => {
  it('installs nothing (the pinned version is on the PATH) and ends with an authorization', async () => {
    const { job, results, last } = await runAuthorizeJob({ developer_name: 'ci_orb' }, context());
    expect(results.map((result) => [result.name, result.exitCode])).toEqual([
      [`Install applink-jwt ${version}`, 0],
      ['Authorize ci_orb with Heroku AppLink', 0],
    ]);
    expect(results[0]!.stdout).toMatch(new RegExp(`^applink-jwt ${version.replaceAll('.', '\\.')} is already installed at .*/bin/applink-jwt; skipping the install\\.$`));
    expect(last.stdout).toContain('Authorized ci_orb (Salesforce) on add-on applink-sandbox-1 of app acme-app.');
    expect(authorizationOf('ci_orb')).toMatchObject({ status: 'authorized', alias: 'applink:ci_orb' });
    await expectNothingLeaked(job, results);
  });

  it('rotates with replace: true given as 1 (booleans as some images export them), reading renamed variables', async () => {
    const first = await runAuthorizeJob({ developer_name: 'ci_rotate' }, context());
    expect(first.last.exitCode).toBe(0);
    const renamed = context({ JWT_PRIVATE_KEY: undefined, HEROKU_API_KEY: undefined, NEXT_KEY: registeredKey, TEAM_HEROKU_KEY: sandbox.env().HEROKU_API_KEY });
    const { job, results, last } = await runAuthorizeJob(
      { developer_name: 'ci_rotate', replace: true, jwt_private_key: 'NEXT_KEY', heroku_api_key: 'TEAM_HEROKU_KEY', alias: 'rotated' },
      renamed,
      '1-0',
    );
    expect(last.exitCode).toBe(0);
    expect(authorizationOf('ci_rotate')).toMatchObject({ status: 'authorized', alias: 'rotated' });
    await expectNothingLeaked(job, results);
  });

  it('fails the step naming JWT_PRIVATE_KEY when the variable is missing, before any request', async () => {
    const before = lastSeq();
    const { job, results, last } = await runAuthorizeJob({ developer_name: 'ci_missing' }, context({ JWT_PRIVATE_KEY: undefined }));
    expect(last).toEqual({
      name: 'Authorize ci_missing with Heroku AppLink',
      exitCode: 1,
      status: 'failed',
      stdout: '',
      stderr:
        'applink: JWT_PRIVATE_KEY is empty or not set (parameter jwt_private_key). Add JWT_PRIVATE_KEY to the context this job uses (or the project\'s environment variables), or set jwt_private_key to the name of the variable that holds it.',
    });
    expect(requestsSince(before)).toEqual([]);
    await expectNothingLeaked(job, results);
  });

  it('fails the step with the CLI\'s message naming the variable and the fix when the key is not a key', async () => {
    const before = lastSeq();
    const { job, results, last } = await runAuthorizeJob({ developer_name: 'ci_bad_key' }, context({ JWT_PRIVATE_KEY: 'this is not a private key' }));
    expect(last.exitCode).toBe(3);
    const lines = unwrap(last.stderr).split('\n');
    expect(lines).toContain('Error: The environment variable JWT_PRIVATE_KEY does not hold a private key in a known form (neither PEM, base64 nor DER).');
    expect(lines.find((line) => line.startsWith('Fix: '))).toContain('Generate a key with `applink-jwt keys generate`.');
    expect(lines.at(-1)).toBe('(ERR_KEY_FORMAT, exit 3)');
    expect(requestsSince(before)).toEqual([]);
    expect(authorizationOf('ci_bad_key')).toBeUndefined();
    await expectNothingLeaked(job, results);
  });

  it('fails the step with Salesforce\'s reason and the fix when Salesforce rejects the key, sending nothing to Heroku', async () => {
    const before = lastSeq();
    const { job, results, last } = await runAuthorizeJob({ developer_name: 'ci_rejected' }, context({ JWT_PRIVATE_KEY: unknownKey }));
    expect(last.exitCode).toBe(4);
    const lines = unwrap(last.stderr).split('\n');
    expect(lines.at(-1)).toBe('(ERR_SF_INVALID_ASSERTION, exit 4)');
    expect(lines.some((line) => line.startsWith('Error: ') && line.includes('invalid assertion'))).toBe(true);
    expect(lines.some((line) => line.startsWith('Fix: ') && /certificate/i.test(line))).toBe(true);
    expect(requestsSince(before)).toEqual(['salesforce.token']);
    expect(authorizationOf('ci_rejected')).toBeUndefined();
    await expectNothingLeaked(job, results);
  });
});

describe('the orb interface additions, executed against the sandbox', () => {
  const names = (results: StepResult[]) => results.map((result) => [result.name, result.status]);

  it('when: always on remove cleans up a temporary authorization after a failed step; on_success steps are skipped', async () => {
    const job = await createJob(context());
    jobs.push(job);
    const steps: ExpandedStep[] = [
      ...expandCommand(orb, 'authorize', { developer_name: 'tmp_review', login_url: sandbox.urls.login, timeout: 30 }),
      { kind: 'run', name: 'Tests that fail', command: 'exit 1', environment: {}, background: false, when: 'on_success' },
      ...expandCommand(orb, 'verify', { login_url: sandbox.urls.login }),
      ...expandCommand(orb, 'remove', { developer_name: 'tmp_review', when: 'always' }),
    ];
    const results = await runSteps(steps, { env: job.env, cwd: job.cwd });
    expect(names(results)).toEqual([
      ['Authorize tmp_review with Heroku AppLink', 'success'],
      ['Tests that fail', 'failed'],
      ['Remove the AppLink authorization tmp_review', 'success'],
    ]);
    expect(authorizationOf('tmp_review')).toBeUndefined();
    const onFail = await runSteps([{ kind: 'run', name: 'fails', command: 'exit 1', environment: {}, background: false, when: 'on_success' }, ...expandCommand(orb, 'verify', { login_url: sandbox.urls.login, when: 'on_fail' })], { env: job.env, cwd: job.cwd });
    expect(names(onFail)).toEqual([['fails', 'failed'], ['Verify the Salesforce JWT bearer login', 'success']]);
    await expectNothingLeaked(job, results);
  });

  it('takes executor, resource_class, circleci_ip_ranges and cache_version, and the job still authorizes', async () => {
    const args = { developer_name: 'ci_arm', executor: { name: 'default', tag: '24.11' }, resource_class: 'arm.medium', circleci_ip_ranges: true, login_url: sandbox.urls.login, timeout: 30 };
    expect(jobSettings(orb, 'authorize', args)).toEqual({ executor: { name: 'default', tag: '24.11' }, resource_class: 'arm.medium', circleci_ip_ranges: true });
    expect(jobSettings(orb, 'check_key', {})).toEqual({ executor: { name: 'default' }, resource_class: 'medium', circleci_ip_ranges: false });
    expect(() => jobSettings(orb, 'authorize', { ...args, executor: 'missing' })).toThrow('job authorize: unknown executor "missing"');
    const job = await createJob(context());
    jobs.push(job);
    const steps = [...expandCommand(orb, 'install', { cache_version: 'v7' }), ...expandJob(orb, 'authorize', args).slice(3)];
    const caches = steps.filter((step) => step.kind === 'other').map((step) => (step as { args: Record<string, unknown> }).args);
    expect(caches).toEqual([
      expect.objectContaining({ keys: [`applink-jwt-v7-{{ arch }}-${version}`] }),
      expect.objectContaining({ key: `applink-jwt-v7-{{ arch }}-${version}` }),
    ]);
    const results = await runSteps(steps, { env: job.env, cwd: job.cwd });
    expect(results.map((result) => result.exitCode)).toEqual([0, 0]);
    expect(authorizationOf('ci_arm')).toMatchObject({ status: 'authorized' });
  });

  it('runs the use_authorization_in_later_steps example: its deploy step sees APPLINK_ORG_ID, the alias and the rest through BASH_ENV', async () => {
    const job = await createJob(context());
    jobs.push(job);
    // `checkout` (not modelled): the project, whose deploy script reads what the authorize step handed on.
    await writeFile(join(job.cwd, 'package.json'), JSON.stringify({ name: 'deploy-project', private: true, scripts: { deploy: 'node deploy.mjs' } }));
    await writeFile(
      join(job.cwd, 'deploy.mjs'),
      "const { APPLINK_ORG_ID, APPLINK_ALIAS, APPLINK_DEVELOPER_NAME, APPLINK_INSTANCE_URL } = process.env;\nconsole.log(`deploy.mjs: org ${APPLINK_ORG_ID} at ${APPLINK_INSTANCE_URL}, authorization ${APPLINK_ALIAS} (${APPLINK_DEVELOPER_NAME})`);\n",
    );
    const examples = orb.examples as Record<string, { usage: { jobs: Record<string, { steps: Array<string | Record<string, Record<string, unknown>>> }> } }>;
    const steps = examples.use_authorization_in_later_steps!.usage.jobs.deploy!.steps.flatMap((step) => {
      const [name, args] = typeof step === 'string' ? [step, {}] : Object.entries(step)[0]!;
      // The sandbox stands in for Salesforce: its login URL instead of https://login.salesforce.com.
      const values = name === 'applink/authorize' ? { ...args, login_url: sandbox.urls.login, timeout: 30 } : args;
      return expandCommand(orb, name.replace(/^applink\//, ''), values as Record<string, string>);
    });
    const results = await runSteps(steps, { env: job.env, cwd: job.cwd });
    expect(results.map((result) => [result.name, result.exitCode])).toEqual([
      [`Install applink-jwt ${version}`, 0],
      ['Authorize production_org with Heroku AppLink', 0],
      ['Deploy to the authorized org', 0],
    ]);
    const stored = authorizationOf('production_org')!;
    expect(stored).toMatchObject({ status: 'authorized', alias: 'production' });
    const orgId = stored.org!.id;
    expect(orgId).toMatch(/^00D\w{15}$/);
    const deploy = results[2]!.stdout.split('\n');
    expect(deploy[0]).toBe(`Deploying to org ${orgId} (${sandbox.urls.instance}) with AppLink authorization production (production_org)`);
    // Exported, not only set: the npm script (a child process of the step) has them too.
    expect(deploy.at(-1)).toBe(`deploy.mjs: org ${orgId} at ${sandbox.urls.instance}, authorization production (production_org)`);
    expect(await readFile(job.env.BASH_ENV!, 'utf8')).toContain(`export APPLINK_ORG_ID='${orgId}'\n`);
    await expectNothingLeaked(job, results);
  });

  it('install fails with a clear message on Node.js older than 20.19, and without npm', async () => {
    const job = await createJob(context(), { shim: false });
    jobs.push(job);
    const bin = job.env.PATH!.split(':')[0]!;
    await writeFile(join(bin, 'node'), '#!/bin/sh\necho v20.18.3\n');
    await chmod(join(bin, 'node'), 0o755);
    const [old] = await runSteps(expandCommand(orb, 'install', { cache: false }), { env: job.env, cwd: job.cwd });
    expect(old).toMatchObject({ exitCode: 1, stderr: 'applink: Node.js 20.18.3 is too old: applink-jwt needs Node.js 20.19 or newer. Use the applink/default executor (cimg/node:lts), or install a newer Node.js before this step.' });
    await writeFile(join(bin, 'node'), `#!/bin/sh\nexec "${process.execPath}" "$@"\n`);
    const noNpm = { ...job.env, PATH: bin };
    const [missing] = await runSteps(expandCommand(orb, 'install', { cache: false }), { env: noNpm, cwd: job.cwd });
    expect(missing!.exitCode).toBe(1);
    expect(missing!.stderr).toBe(`applink: npm is not installed (Node.js ${process.versions.node} is, without npm): applink-jwt is installed with npm. Use the applink/default executor (cimg/node), or install npm before this step.`);
  });

  it('check_key refuses max_age_days 0 as the CLI does, naming the parameter, before running the CLI', async () => {
    const job = await createJob(context());
    jobs.push(job);
    const [result] = await runSteps(expandCommand(orb, 'check_key', { max_age_days: 0, match_key: false }), { env: job.env, cwd: job.cwd });
    expect(result).toMatchObject({
      exitCode: 1,
      stdout: '',
      stderr: "applink: parameter max_age_days must be a whole number of days from 1 to 36500 (the CLI's --max-age-days), got 0. Set it to the rotation policy's age limit, for example 90.",
    });
    const cli = await execa('node', [BIN, 'keys', 'check', '--cert-file', 'x.crt', '--max-age-days', '0'], { reject: false });
    expect(cli.exitCode).toBe(2);
  });
});
