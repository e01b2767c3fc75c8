/**
 * The packed orb's `rotate` command and job: the argv and environment its script hands the CLI
 * (with a fake CLI that records them; secrets only by variable name), its fail-fast messages, and
 * its defaults equal to the script's own fallbacks; and the scheduled_rotation example's weekly
 * check: check_key with the certificate from a context variable, run with the real CLI, failing a
 * certificate past the example's 60-day policy (which is what starts rotate).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { generateKeyMaterial } from '../../cli/keys/generate.js';
import { ROOT } from '../support/harness.js';
import { expandCommand, expandJob, jobSettings, runSteps } from './expand.js';
import { createJob, type Job } from './job.js';

let orb: Record<string, unknown>;
let version: string;
const jobs: Job[] = [];
const ADMIN_TOKEN = '00DSB0000000001!admin-access-token-never-in-argv';
const HEROKU_KEY = 'HRKU-rotate-orb-0123456789abcdef0123456789';
const CIRCLE_TOKEN = 'CCIPAT_rotate_orb_token_0123456789';

beforeAll(async () => {
  version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  // The text npm run orb:pack writes to dist/orb.yml, read back as CircleCI reads it (YAML 1.1).
  orb = YAML.parse((await packOrb(join(ROOT, 'orb/src'), { version })).yaml, { version: '1.1' }) as Record<string, unknown>;
});

afterEach(async () => {
  await Promise.all(jobs.splice(0).map((job) => job.cleanup()));
});

/** A fake applink-jwt: its argv, then the variables it was given, and the lengths of the secrets its flags name. */
const FAKE_CLI = `#!/bin/bash
if [ "$1" = "--version" ]; then echo "${'$'}{APPLINK_FAKE_VERSION}"; exit 0; fi
printf 'argv:'; printf ' [%s]' "$@"; printf '\\n'
for name in SF_USERNAME HEROKU_API_KEY SF_ADMIN_INSTANCE_URL; do printf '%s=%s\\n' "$name" "\${!name:-<unset>}"; done
prev=""; for arg in "$@"; do
  case "$prev" in --admin-token-env | --circleci-token-env) printf '%s names a variable of %s characters\\n' "$prev" "$(printf '%s' "\${!arg}" | wc -c | tr -d ' ')" ;; esac
  prev="$arg"
done
`;

/** The context a team would attach to the scheduled rotation. */
const CONTEXT: Record<string, string> = {
  HEROKU_API_KEY: HEROKU_KEY,
  HEROKU_APP_NAME: 'acme-app',
  SF_USERNAME: 'ci@acme.example',
  SF_ADMIN_ACCESS_TOKEN: ADMIN_TOKEN,
  SF_ADMIN_INSTANCE_URL: 'https://acme.my.salesforce.com',
  CIRCLE_TOKEN,
  APPLINK_BASE_NAME: 'production_org',
  APPLINK_ECA_A: 'AppLink_A',
  APPLINK_ECA_B: 'AppLink_B',
};

async function job(context: Record<string, string>) {
  const created = await createJob({ ...context, APPLINK_FAKE_VERSION: version }, { shim: FAKE_CLI });
  jobs.push(created);
  return created;
}

async function run(context: Record<string, string>, args: Record<string, unknown> = {}) {
  const current = await job(context);
  const steps = expandCommand(orb, 'rotate', args);
  const [result] = await runSteps(steps, { env: current.env, cwd: current.cwd });
  return result!;
}

describe('rotate.sh hands the CLI names and environment, never secret values', () => {
  it('builds argv from the defaults: slot names from the context, secrets by variable name', async () => {
    const result = await run(CONTEXT);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'argv: [rotate] [--base-name] [production_org] [--eca-a] [AppLink_A] [--eca-b] [AppLink_B] [--admin-token-env] [SF_ADMIN_ACCESS_TOKEN] [--key-bits] [4096] [--grace] [60] [--timeout] [120] [--propagation-timeout] [900] [--poll-interval] [10] [--app] [acme-app] [--config-var] [APPLINK_AUTH_NAME] [--login-url] [https://login.salesforce.com]',
      'SF_USERNAME=ci@acme.example',
      `HEROKU_API_KEY=${HEROKU_KEY}`,
      'SF_ADMIN_INSTANCE_URL=https://acme.my.salesforce.com',
      `--admin-token-env names a variable of ${ADMIN_TOKEN.length} characters`,
    ]);
    expect(result.stdout).not.toContain(ADMIN_TOKEN);
    expect(result.stdout).not.toContain(CIRCLE_TOKEN);
  });

  it('passes the CircleCI context, the other variable names and the switches; secrets from the variables the parameters name', async () => {
    const context = { ...CONTEXT, PROD_ADMIN: ADMIN_TOKEN, PROD_URL: 'https://prod.my.salesforce.com', PROD_CIRCLE: CIRCLE_TOKEN, PROD_HEROKU: HEROKU_KEY, PROD_USER: 'int@acme.example', SLOT: 'uat' };
    const result = await run(context, {
      app: 'acme-$SLOT', addon: 'applink-blue', base_name: '${SLOT}_org', eca_a: 'UAT_A', eca_b: 'UAT_B', config_var: 'ORG_AUTH', login_url: 'https://test.salesforce.com',
      username: 'PROD_USER', heroku_api_key: 'PROD_HEROKU', admin_access_token: 'PROD_ADMIN', admin_instance_url: 'PROD_URL',
      circleci_context: 'applink-uat', circleci_owner_slug: 'gh/acme', circleci_key_variable: 'UAT_KEY', circleci_client_id_variable: 'none', circleci_token: 'PROD_CIRCLE',
      keep_old: true, grace: 0, key_bits: '2048', propagation_timeout: 60, poll_interval: 1, timeout: 30, plan: true,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'argv: [rotate] [--base-name] [uat_org] [--eca-a] [UAT_A] [--eca-b] [UAT_B] [--admin-token-env] [PROD_ADMIN] [--key-bits] [2048] [--grace] [0] [--timeout] [30] [--propagation-timeout] [60] [--poll-interval] [1] [--app] [acme-uat] [--addon] [applink-blue] [--config-var] [ORG_AUTH] [--login-url] [https://test.salesforce.com] [--keep-old] [--plan] [--circleci-context] [applink-uat] [--circleci-owner-slug] [gh/acme] [--circleci-token-env] [PROD_CIRCLE] [--circleci-key-variable] [UAT_KEY] [--circleci-client-id-variable] [none]',
      'SF_USERNAME=int@acme.example',
      `HEROKU_API_KEY=${HEROKU_KEY}`,
      'SF_ADMIN_INSTANCE_URL=https://prod.my.salesforce.com',
      `--admin-token-env names a variable of ${ADMIN_TOKEN.length} characters`,
      `--circleci-token-env names a variable of ${CIRCLE_TOKEN.length} characters`,
    ]);
  });

  it('has script fallbacks equal to the command defaults (a step that sets no optional variable)', async () => {
    const current = await job(CONTEXT);
    const argv = async (unset: boolean) => {
      const steps = expandCommand(orb, 'rotate');
      const step = steps.find((candidate) => candidate.kind === 'run')!;
      if (unset && step.kind === 'run') for (const name of Object.keys(step.environment).filter((key) => /^APPLINK_(INT|BOOL|ENUM)_/.test(key))) delete step.environment[name];
      const [result] = await runSteps(steps, { env: current.env, cwd: current.cwd });
      return result!.stdout.split('\n')[0];
    };
    expect(await argv(true)).toBe(await argv(false));
  });
});

describe('rotate.sh fails fast, naming the parameter and the fix', () => {
  it.each([
    ['the base name is missing from the context', { APPLINK_BASE_NAME: undefined }, {}, 'applink: parameter base_name is $APPLINK_BASE_NAME, which expands to nothing: the variable it names is empty or not set. Add it to the context this job uses, or set base_name to the value itself.'],
    ['a slot is missing from the context', { APPLINK_ECA_B: undefined }, {}, 'applink: parameter eca_b is $APPLINK_ECA_B, which expands to nothing: the variable it names is empty or not set. Add it to the context this job uses, or set eca_b to the value itself.'],
    ['the base name is given empty', {}, { base_name: '' }, 'applink: parameter base_name is empty. Set it (or APPLINK_BASE_NAME in the context) to the base of the slots\' developer names, for example production_org for production_org_a and production_org_b.'],
    ['a slot is given empty', {}, { eca_a: '' }, 'applink: parameters eca_a and eca_b name the two external client apps (slots A and B); set them, or APPLINK_ECA_A and APPLINK_ECA_B in the context.'],
    ['the admin token is not in the context', { SF_ADMIN_ACCESS_TOKEN: undefined }, {}, 'applink: SF_ADMIN_ACCESS_TOKEN is empty or not set (parameter admin_access_token). Add SF_ADMIN_ACCESS_TOKEN to the context this job uses (or the project\'s environment variables), or set admin_access_token to the name of the variable that holds it.'],
    ['a CircleCI context without its owner', {}, { circleci_context: 'applink' }, 'applink: parameter circleci_owner_slug is empty but circleci_context is applink. Set it to the context\'s owner, for example gh/acme.'],
    ['a CircleCI context without a token', { CIRCLE_TOKEN: undefined }, { circleci_context: 'applink', circleci_owner_slug: 'gh/acme' }, 'applink: CIRCLE_TOKEN is empty or not set (parameter circleci_token). Add CIRCLE_TOKEN to the context this job uses (or the project\'s environment variables), or set circleci_token to the name of the variable that holds it.'],
    ['a base name that looks like an option', {}, { base_name: '--plan' }, 'applink: parameter base_name is not a developer name: it must start with a letter or digit and hold only letters, digits and _ : . @ - (for example production_org).'],
  ])('when %s', async (_name, without: Record<string, undefined>, args, message) => {
    const context = Object.fromEntries(Object.entries({ ...CONTEXT, ...without }).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const result = await run(context, args);
    expect([result.exitCode, result.stdout, result.stderr]).toEqual([1, '', message]);
  });
});

describe('the rotate job', () => {
  it('installs the CLI, then rotates, on the default executor', async () => {
    expect(jobSettings(orb, 'rotate', {})).toEqual({ executor: { name: 'default' }, resource_class: 'medium', circleci_ip_ranges: false });
    const current = await job(CONTEXT);
    const steps = expandJob(orb, 'rotate', { key_bits: '2048' });
    expect(steps.flatMap((step) => (step.kind === 'run' ? [step.name] : []))).toEqual([`Install applink-jwt ${version}`, 'Rotate the key of $APPLINK_BASE_NAME on $HEROKU_APP_NAME']);
    const results = await runSteps(steps, { env: current.env, cwd: current.cwd });
    expect(results.map((result) => result.exitCode)).toEqual([0, 0]);
    expect(results[1]!.stdout).toContain('[--key-bits] [2048]');
  });
});

describe('the scheduled_rotation example\'s weekly check', () => {
  it('check_key reads the certificate from the variable certificate_variable names: passes a new one, fails one past max_age_days', async () => {
    const examples = orb.examples as Record<string, { usage: { workflows: Record<string, { jobs: Array<Record<string, Record<string, unknown>>> }> } }>;
    const weekly = examples.scheduled_rotation!.usage.workflows['weekly-key-check']!.jobs;
    const { name: _name, context: _context, ...args } = weekly[0]!['applink/check_key']!;
    expect(args).toEqual({ certificate_variable: 'JWT_CERTIFICATE', max_age_days: 60 });
    expect(weekly[1]!['applink/rotate']!.requires).toEqual([{ 'key-age': 'failed' }]);
    const day = 86_400_000;
    const [fresh, old] = await Promise.all([
      generateKeyMaterial({ bits: 2048, days: 365, subject: 'CN=orb-rotate-fresh', nowMs: Date.now() - day }),
      generateKeyMaterial({ bits: 2048, days: 365, subject: 'CN=orb-rotate-old', nowMs: Date.now() - 61 * day }),
    ]);
    const check = async (material: typeof fresh) => {
      const current = await createJob({ JWT_PRIVATE_KEY: material.privateKeyPem, JWT_CERTIFICATE: material.certificatePem });
      jobs.push(current);
      const [result] = await runSteps(expandCommand(orb, 'check_key', args), { env: current.env, cwd: current.cwd });
      return result!;
    };
    const passed = await check(fresh);
    expect([passed.exitCode, passed.stdout]).toEqual([0, expect.stringContaining('Certificate  /dev/stdin')]);
    expect(passed.stdout).toContain('OK    private key matches the certificate');
    const failed = await check(old);
    expect(failed.exitCode).toBe(9);
    expect(failed.stdout).toContain('FAIL  The certificate is 61 days old, more than --max-age-days 60.');
  });

  it('check_key fails naming certificate_variable when that variable is not set', async () => {
    const current = await createJob({ JWT_PRIVATE_KEY: 'unused' });
    jobs.push(current);
    const [result] = await runSteps(expandCommand(orb, 'check_key', { certificate_variable: 'JWT_CERTIFICATE' }), { env: current.env, cwd: current.cwd });
    expect([result!.exitCode, result!.stderr]).toEqual([1, "applink: JWT_CERTIFICATE is empty or not set (parameter certificate_variable). Add JWT_CERTIFICATE to the context this job uses (or the project's environment variables), or set certificate_variable to the name of the variable that holds it."]);
  });
});
