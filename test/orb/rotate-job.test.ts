/**
 * The packed orb's `rotate` job, as the scheduled_rotation example writes it, run as CircleCI runs
 * it (install skipped by the pinned CLI, then the rotate step with bash) against the sandbox with
 * the built CLI: a full blue/green rotation from slot A to slot B with the context's variables by
 * name, the app switched through its config var, the CircleCI context holding the new key, client
 * id and certificate (so the example's weekly check_key passes again), the requests as the
 * documented contracts say, and nothing secret in any output, file or log.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { generateKeyMaterial } from '../../cli/keys/generate.js';
import { startSandbox, type Sandbox } from '../../cli/sandbox/server.js';
import { keyFingerprint } from '../../cli/sandbox/state.js';
import { expectNoSecrets } from '../support/leak-guard.js';
import { ROOT, runBin } from '../support/harness.js';
import { expandCommand, expandJob, runSteps } from './expand.js';
import { createJob, type Job } from './job.js';

let orb: Record<string, unknown>;
let sandbox: Sandbox;
let job: Job;
let keyA: string;

const ECA_A = { name: 'AppLink_A', consumerKey: '3MVG9sandbox.Rotate.SlotA' };
const ECA_B = { name: 'AppLink_B', consumerKey: '3MVG9sandbox.Rotate.SlotB' };

beforeAll(async () => {
  const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  orb = YAML.parse((await packOrb(join(ROOT, 'orb/src'), { version })).yaml, { version: '1.1' }) as Record<string, unknown>;
  const a = await generateKeyMaterial({ bits: 2048, days: 365, subject: 'CN=slot-a', nowMs: Date.now() });
  keyA = a.privateKeyPem;
  sandbox = await startSandbox({
    settleDelayMs: 50,
    state: {
      settings: { propagationDelayMs: 300 },
      orgs: [
        {
          name: 'acme',
          users: [{ username: 'ci@acme.example' }, { username: 'admin@acme.example', permissions: ['ModifyMetadata', 'ManageExternalClientApps', 'ViewConsumerSecretsInMetadata'] }],
          externalClientApps: [
            { ...ECA_A, certificate: a.certificatePem, preAuthorized: ['ci@acme.example'] },
            { ...ECA_B, preAuthorized: ['ci@acme.example'] },
          ],
        },
      ],
      apps: [{ name: 'acme-app', configVars: { APPLINK_AUTH_NAME: 'prod_org_a' }, addons: [{ name: 'applink-rotate' }] }],
      circleci: { organizations: [{ slug: 'gh/acme', contexts: [{ name: 'applink-production', variables: { JWT_PRIVATE_KEY: keyA, SF_CLIENT_ID: ECA_A.consumerKey } }] }] },
    },
  });
  const env = sandbox.env();
  const authorized = await runBin(['authorize', 'prod_org_a', '-a', 'acme-app', '--client-id', ECA_A.consumerKey, '--login-url', env.SF_LOGIN_URL!, '--jwt-key-env', 'KEY_A'], { env: { ...env, KEY_A: keyA } });
  expect(authorized.exitCode).toBe(0);
  const display = (await (await fetch(`${sandbox.urls.login}/__sandbox/org-display?username=admin@acme.example`)).json()) as { result: { accessToken: string; instanceUrl: string } };
  job = await createJob({
    HEROKU_API_KEY: env.HEROKU_API_KEY!,
    HEROKU_API_URL: env.HEROKU_API_URL!,
    HEROKU_APP_NAME: 'acme-app',
    SF_USERNAME: 'ci@acme.example',
    SF_ADMIN_ACCESS_TOKEN: display.result.accessToken,
    SF_ADMIN_INSTANCE_URL: display.result.instanceUrl,
    CIRCLE_TOKEN: env.CIRCLE_TOKEN!,
    CIRCLECI_API_URL: env.CIRCLECI_API_URL!,
    APPLINK_BASE_NAME: 'prod_org',
    APPLINK_ECA_A: ECA_A.name,
    APPLINK_ECA_B: ECA_B.name,
  });
}, 60_000);

afterAll(async () => {
  await job?.cleanup();
  await sandbox?.close();
});

describe('applink/rotate against the sandbox', () => {
  it('rotates slot A to slot B: certificate, authorization, config var, context; the old authorization removed', async () => {
    // The scheduled_rotation example's rotate job as written, pointed at the sandbox and made quick.
    const examples = orb.examples as Record<string, { usage: { workflows: Record<string, { jobs: Array<Record<string, Record<string, unknown>>> }> } }>;
    const { requires: _requires, context: _context, ...written } = examples.scheduled_rotation!.usage.workflows['weekly-key-check']!.jobs[1]!['applink/rotate']!;
    expect(written).toEqual({ app: 'acme-app', circleci_context: 'applink-production', circleci_owner_slug: 'gh/acme', circleci_certificate_variable: 'JWT_CERTIFICATE' });
    const steps = expandJob(orb, 'rotate', { ...written, login_url: sandbox.urls.login, key_bits: '2048', grace: 0, poll_interval: 1, propagation_timeout: 60 });
    const results = await runSteps(steps, { env: job.env, cwd: job.cwd, timeoutMs: 120_000 });
    const rotate = results.at(-1)!;
    expect([rotate.exitCode, rotate.exitCode === 0 ? '' : `${rotate.stdout}\n${rotate.stderr}`]).toEqual([0, '']);
    expect(rotate.stdout.split('\n')[0]).toBe('Rotated app acme-app from slot A (prod_org_a) to slot B (prod_org_b): APPLINK_AUTH_NAME=prod_org_b.');

    // The app reads slot B now; B's authorization is authorized, A's is gone.
    const state = sandbox.state;
    expect(state.findApp('acme-app')!.configVars.APPLINK_AUTH_NAME).toBe('prod_org_b');
    expect(state.authorizations.map((authorization) => [authorization.developerName, authorization.status, authorization.clientId])).toEqual([['prod_org_b', 'authorized', ECA_B.consumerKey]]);
    // The context holds the key whose certificate slot B's ECA now has, and B's consumer key.
    const certificateB = sandbox.snapshot().externalClientApps.find((app) => app.consumerKey === ECA_B.consumerKey)!.certificateFingerprint;
    const newKey = state.circleci.variableValue('applink-production', 'JWT_PRIVATE_KEY')!;
    expect(keyFingerprint(newKey)).toBe(certificateB);
    expect(keyFingerprint(newKey)).not.toBe(keyFingerprint(keyA));
    expect(state.circleci.variableValue('applink-production', 'SF_CLIENT_ID')).toBe(ECA_B.consumerKey);
    const certificate = state.circleci.variableValue('applink-production', 'JWT_CERTIFICATE')!;
    expect(keyFingerprint(certificate)).toBe(certificateB);

    // The two platform calls as their documented contracts say (docs/reference/rotation-contracts.md).
    const patch = sandbox.requestLog.filter((entry) => entry.route === 'platform.config-vars.update');
    expect(patch.map((entry) => [entry.method, entry.path, entry.headers.accept, entry.headers['content-type'], entry.bodyFields, entry.status])).toEqual([
      ['PATCH', '/apps/acme-app/config-vars', 'application/vnd.heroku+json; version=3', 'application/json', { APPLINK_AUTH_NAME: 'prod_org_b' }, 200],
    ]);
    const puts = sandbox.requestLog.filter((entry) => entry.route === 'circleci.variable.put');
    expect(puts.map((entry) => [entry.path.replace(/context\/[0-9a-f-]{36}/, 'context/{id}'), entry.headers['circle-token'], entry.bodyFields, entry.status])).toEqual([
      ['/api/v2/context/{id}/environment-variable/JWT_PRIVATE_KEY', '[REDACTED]', { value: '[REDACTED]' }, 200],
      ['/api/v2/context/{id}/environment-variable/SF_CLIENT_ID', '[REDACTED]', { value: '[REDACTED]' }, 200],
      ['/api/v2/context/{id}/environment-variable/JWT_CERTIFICATE', '[REDACTED]', { value: '[REDACTED]' }, 200],
    ]);

    // The example's weekly check, with the context as the rotation left it, now passes.
    const { name: _name, context: _checkContext, ...check } = examples.scheduled_rotation!.usage.workflows['weekly-key-check']!.jobs[0]!['applink/check_key']!;
    const checkJob = await createJob({ JWT_PRIVATE_KEY: newKey, JWT_CERTIFICATE: certificate });
    try {
      const [checked] = await runSteps(expandCommand(orb, 'check_key', check), { env: checkJob.env, cwd: checkJob.cwd });
      expect([checked!.exitCode, checked!.stdout.split('\n').at(-1)]).toEqual([0, 'Result: OK']);
    } finally {
      await checkJob.cleanup();
    }

    // No key or token in any output, any file the job left, or the request log.
    const files = await job.files();
    expectNoSecrets([...results.flatMap((result) => [result.stdout, result.stderr]), ...files.map((file) => file.text), JSON.stringify(sandbox.requestLog)], {
      privateKeys: [keyA, newKey],
      tokens: [job.env.HEROKU_API_KEY!, job.env.SF_ADMIN_ACCESS_TOKEN!, job.env.CIRCLE_TOKEN!],
    });
  }, 150_000);

  it('stops at the CircleCI step when CIRCLE_TOKEN is refused (401), with the app already switched (steps 1-5 in effect) and no token in the output', async () => {
    const good = job.env.CIRCLE_TOKEN!;
    job.env.CIRCLE_TOKEN = 'CCIPAT_sandbox_refused_0123456789abcdef';
    const args = { app: 'acme-app', circleci_context: 'applink-production', circleci_owner_slug: 'gh/acme', login_url: sandbox.urls.login, key_bits: '2048', grace: 0, poll_interval: 1, propagation_timeout: 60 } as const;
    const failed = (await runSteps(expandJob(orb, 'rotate', args), { env: job.env, cwd: job.cwd, timeoutMs: 120_000 })).at(-1)!;
    expect(failed.exitCode).toBe(5);
    expect(failed.stderr).toContain('(ERR_CIRCLECI_AUTH, exit 5)');
    expect(failed.stderr).toContain('The token in CIRCLE_TOKEN was refused by the CircleCI API');
    // Steps 1-5 happened: the app reads slot A again; the context still holds slot B's key.
    expect(sandbox.state.findApp('acme-app')!.configVars.APPLINK_AUTH_NAME).toBe('prod_org_a');
    expect(sandbox.state.circleci.variableValue('applink-production', 'SF_CLIENT_ID')).toBe(ECA_B.consumerKey);
    expect(`${failed.stdout}\n${failed.stderr}`).not.toContain('CCIPAT_sandbox_refused');
    job.env.CIRCLE_TOKEN = good;
  }, 150_000);
});
