/**
 * `rotate` in-process over in-memory services (test/unit/rotate/fake-services.ts): the order of the
 * steps, what each changes, `--plan`, the resume from `--state-dir` after a failure at each step,
 * and the failure report (what is in effect, how to roll back). The end-to-end tests run the built
 * binary against the sandbox.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { runRotate, type RotateOptions } from '../../../cli/commands/rotate.js';
import { AppError, SalesforceError, HerokuError } from '../../../cli/errors.js';
import type { RotationReport } from '../../../cli/rotate/report.js';
import { testDeps } from '../../support/harness.js';
import { createWorld, fakeServices, type World } from './fake-services.js';

let clock = Date.UTC(2026, 11, 1, 12, 0, 0);
let world: World;
let dir: string;

beforeEach(async () => {
  clock = Date.UTC(2026, 11, 1, 12, 0, 0);
  world = createWorld(() => clock);
  dir = await mkdtemp(join(tmpdir(), 'rotate-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ENV = { HEROKU_API_KEY: 'heroku-token-0123456789', SF_USERNAME: 'ci@acme.example', SF_ADMIN_ACCESS_TOKEN: '00Dadmin!token-0123456789', SF_ADMIN_INSTANCE_URL: 'https://acme.my.salesforce.com', CIRCLE_TOKEN: 'circle-token-0123456789' };

function options(extra: Partial<RotateOptions> = {}): RotateOptions {
  return {
    app: 'acme-app',
    baseName: 'my_org',
    ecaA: 'AppLink_A',
    ecaB: 'AppLink_B',
    configVar: 'APPLINK_AUTH_NAME',
    allowLoginHosts: [],
    adminTokenEnv: 'SF_ADMIN_ACCESS_TOKEN',
    circleciContext: 'applink',
    circleciOwnerSlug: 'gh/acme',
    circleciKeyVariable: 'JWT_PRIVATE_KEY',
    circleciClientIdVariable: 'SF_CLIENT_ID',
    circleciTokenEnv: 'CIRCLE_TOKEN',
    plan: false,
    singleSlot: false,
    yes: false,
    keepOld: false,
    graceMs: 0,
    keyBits: 2048,
    keyDays: 30,
    deployTimeoutMs: 60_000,
    propagationTimeoutMs: 60_000,
    pollIntervalMs: 1000,
    timeoutMs: 60_000,
    json: false,
    ...extra,
  };
}

/** Deps whose sleep moves the clock instead of waiting. */
function deps(env: Record<string, string> = ENV) {
  return testDeps({ env, now: () => clock, sleep: async (ms) => void (clock += ms) });
}

async function rotate(extra: Partial<RotateOptions> = {}) {
  return runRotate(options(extra), deps(), () => fakeServices(world));
}

async function failing(extra: Partial<RotateOptions> = {}): Promise<AppError> {
  const error = await rotate(extra).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const statuses = (report: RotationReport) => report.steps.map((step) => `${step.number} ${step.status}`);

describe('rotate (blue/green over fake services)', () => {
  it('rotates A to B: deploys to B, waits, creates my_org_b, switches, updates CircleCI, removes my_org_a', async () => {
    world.authorizations.set('my_org_a', { id: 'old', status: 'authorized', org: {}, clientId: 'CK_A', keyPem: 'old' } as never);
    const result = await rotate();
    expect(statuses(result.json)).toEqual(['1 done', '2 done', '3 done', '4 done', '5 done', '6 done', '7 done']);
    expect(world.writes).toEqual(['deploy AppLink_B', 'create my_org_b', 'config {"APPLINK_AUTH_NAME":"my_org_b"}', 'circleci JWT_PRIVATE_KEY', 'circleci SF_CLIENT_ID', 'remove my_org_a']);
    // Validate-only before the real deploy; the login is polled until the certificate has propagated.
    expect(world.calls.filter((call) => call.startsWith('metadata.'))).toEqual(['metadata.read', 'metadata.validate', 'metadata.deploy', 'metadata.read']);
    expect(world.calls.filter((call) => call === 'login.probe')).toHaveLength(3);
    const created = world.authorizations.get('my_org_b')!;
    expect(created.clientId).toBe('CK_B');
    expect(world.contexts[0]!.variables.JWT_PRIVATE_KEY!.value).toBe(created.keyPem);
    expect(world.contexts[0]!.variables.SF_CLIENT_ID!.value).toBe('CK_B');
    expect(result.json).toMatchObject({ app: 'acme-app', mode: 'blue-green', complete: true, resumed: false, from: { slot: 'A', authorization: 'my_org_a', eca: 'AppLink_A' }, to: { slot: 'B', authorization: 'my_org_b', eca: 'AppLink_B' } });
    expect(result.text.split('\n')[0]).toBe('Rotated app acme-app from slot A (my_org_a) to slot B (my_org_b): APPLINK_AUTH_NAME=my_org_b.');
    expect(result.text).toContain('3. Wait until Salesforce accepts the new key: done (accepted for org 00D000000000001AAA after 3 attempts)');
    expect(result.json.rollback).toEqual(['the old authorization my_org_a is gone: going back to it means another rotation']);
    expect(JSON.stringify(result.json)).not.toContain('PRIVATE KEY');
  });

  it('rotates back from B to A on the next run', async () => {
    await rotate();
    world.writes.length = 0;
    const back = await rotate();
    expect(back.json.to).toEqual({ slot: 'A', authorization: 'my_org_a', eca: 'AppLink_A' });
    expect(world.writes).toEqual(['deploy AppLink_A', 'create my_org_a', 'config {"APPLINK_AUTH_NAME":"my_org_a"}', 'circleci JWT_PRIVATE_KEY', 'circleci SF_CLIENT_ID', 'remove my_org_b']);
  });

  it('--plan reads and changes nothing, and says what each step would change', async () => {
    const before = JSON.stringify({ ...world, failOnce: undefined, calls: undefined });
    const result = await rotate({ plan: true, stateDir: join(dir, 'state') });
    expect(world.writes).toEqual([]);
    expect(JSON.stringify({ ...world, failOnce: undefined, calls: undefined })).toBe(before);
    expect(world.calls).not.toContain('login.probe');
    await expect(stat(join(dir, 'state'))).rejects.toThrow();
    expect(statuses(result.json)).toEqual(['1 planned', '2 planned', '3 planned', '4 planned', '5 planned', '6 planned', '7 planned']);
    expect(result.text).toContain('Plan: rotate app acme-app from slot A (my_org_a) to slot B (my_org_b), blue-green. Nothing was changed.');
    expect(result.text).toContain('   - validate, then deploy the new certificate to ECA AppLink_B (consumer key CK_B kept)');
    expect(result.text).toContain('   - set APPLINK_AUTH_NAME=my_org_b on app acme-app (now my_org_a): a new release restarts the app');
    expect(result.text).toContain('   - set SF_CLIENT_ID=CK_B in CircleCI context applink');
  });

  it('stops when the config var names neither slot, before any change', async () => {
    world.configVars.APPLINK_AUTH_NAME = 'something_else';
    const error = await failing();
    expect(error.code).toBe('ERR_ROTATE_NO_ACTIVE_SLOT');
    expect(error.message).toBe('Config var APPLINK_AUTH_NAME of app acme-app is "something_else", which names neither slot (my_org_a or my_org_b); which slot is active is read from it.');
    expect(world.writes).toEqual([]);
  });

  it('collects every input problem at once, with no service call', async () => {
    const error = await runRotate(options({ baseName: undefined, ecaB: undefined, circleciOwnerSlug: undefined }), deps({ SF_USERNAME: 'ci@acme.example', HEROKU_API_KEY: 'heroku-token-0123456789' }), () => fakeServices(world)).catch((caught: AppError) => caught);
    expect((error as AppError).code).toBe('ERR_INPUT_PROBLEMS');
    const codes = ((error as AppError).details?.problems as Array<{ code: string }>).map((problem) => problem.code);
    expect(codes).toEqual(['ERR_ROTATE_SLOTS', 'ERR_ROTATE_SLOTS', 'ERR_ROTATE_SLOTS', 'ERR_ROTATE_ADMIN_CREDENTIAL', 'ERR_ROTATE_CIRCLECI_INPUT', 'ERR_ROTATE_CIRCLECI_INPUT']);
    expect(world.calls).toEqual([]);
  });

  it('--single-slot needs --yes, states the downtime, and swaps the one ECA in place', async () => {
    const refused = await failing({ singleSlot: true, ecaA: undefined, ecaB: undefined, eca: 'AppLink_A' });
    expect(refused.code).toBe('ERR_ROTATE_CONFIRM_REQUIRED');
    const d = deps();
    const notes: string[] = [];
    d.progress = { ...d.progress, note: (line: string) => void notes.push(line) };
    const result = await runRotate(options({ singleSlot: true, yes: true, ecaA: undefined, ecaB: undefined, eca: 'AppLink_A' }), d, () => fakeServices(world));
    expect(notes[0]).toMatch(/^Downtime: with one ECA, the current authorization stops working once the new certificate reaches the login servers/);
    expect(result.json.mode).toBe('single-slot');
    expect(world.writes.slice(0, 3)).toEqual(['deploy AppLink_A', 'create my_org_b', 'config {"APPLINK_AUTH_NAME":"my_org_b"}']);
  });
});

describe('rotate: failures and resume from --state-dir', () => {
  const cases: Array<{ method: string; error: () => Error; step: string; code: string; inEffect: string[] }> = [
    { method: 'metadata.deploy', error: () => new SalesforceError('ERR_TEST_DEPLOY_REFUSED', 'The deploy was refused: bad certificate.'), step: 'deploy-certificate', code: 'ERR_TEST_DEPLOY_REFUSED', inEffect: [] },
    { method: 'applink.create', error: () => new AppError('ERR_AUTHORIZATION_FAILED', 'Authorization my_org_b ended failed.', 6), step: 'create-authorization', code: 'ERR_AUTHORIZATION_FAILED', inEffect: ['ECA AppLink_B holds the new certificate'] },
    { method: 'config.set', error: () => new HerokuError('ERR_TEST_FORBIDDEN', 'The Platform API answered 403.'), step: 'switch-app', code: 'ERR_TEST_FORBIDDEN', inEffect: ['ECA AppLink_B holds the new certificate', 'authorization my_org_b exists, made with the new key'] },
    { method: 'circleci.set', error: () => new HerokuError('ERR_TEST_CIRCLE_401', 'CircleCI answered 401.'), step: 'update-ci', code: 'ERR_TEST_CIRCLE_401', inEffect: ['ECA AppLink_B holds the new certificate', 'authorization my_org_b exists, made with the new key', 'app acme-app reads APPLINK_AUTH_NAME=my_org_b'] },
    { method: 'applink.remove', error: () => new HerokuError('ERR_TEST_REMOVE', 'The AppLink API answered 500.'), step: 'remove-old-authorization', code: 'ERR_TEST_REMOVE', inEffect: ['ECA AppLink_B holds the new certificate', 'authorization my_org_b exists, made with the new key', 'app acme-app reads APPLINK_AUTH_NAME=my_org_b', 'CircleCI context applink holds the new key in JWT_PRIVATE_KEY'] },
  ];
  for (const testCase of cases) {
    it(`a failure at ${testCase.step} stops there, reports what is in effect, and a second run resumes with the same key`, async () => {
      world.authorizations.set('my_org_a', { id: 'old', status: 'authorized', org: {}, clientId: 'CK_A', keyPem: 'old' } as never);
      world.failOnce.set(testCase.method, testCase.error());
      const stateDir = join(dir, 'state');
      const error = await failing({ stateDir });
      expect(error.code).toBe(testCase.code);
      const rotation = error.details!.rotation as RotationReport;
      expect(error.details!.failedStep).toBe(testCase.step);
      expect(rotation.inEffect).toEqual(testCase.inEffect);
      expect(rotation.steps.find((step) => step.id === testCase.step)!.status).toBe('failed');
      expect(error.message).toContain(`Stopped at step ${STEPS.indexOf(testCase.step) + 1}`);
      if (testCase.step === 'update-ci') expect(error.message).toContain('Roll back: switch the app back: heroku config:set APPLINK_AUTH_NAME=my_org_a -a acme-app (my_org_a is untouched until step 7).');
      if (testCase.step === 'deploy-certificate') expect(error.message).toContain('Nothing was changed outside this machine.');
      // The key waits in the state dir, 0600.
      expect((await stat(join(stateDir, 'new.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(stateDir, 'rotation.json'))).mode & 0o777).toBe(0o600);
      const keyPem = await readFile(join(stateDir, 'new.key'), 'utf8');

      const resumed = await rotate({ stateDir });
      expect(resumed.json.resumed).toBe(true);
      expect(resumed.json.complete).toBe(true);
      expect(world.configVars.APPLINK_AUTH_NAME).toBe('my_org_b');
      expect(world.authorizations.get('my_org_b')!.keyPem).toBe(keyPem);
      expect(world.authorizations.has('my_org_a')).toBe(false);
      expect(world.contexts[0]!.variables.JWT_PRIVATE_KEY!.value).toBe(keyPem);
      const index = STEPS.indexOf(testCase.step);
      for (const step of resumed.json.steps.slice(0, index)) if (step.id !== 'wait-for-login') expect([step.id, step.status]).toEqual([step.id, 'already-done']);
      expect(resumed.json.steps[index]!.status).toBe('done');
      // Complete: the key is gone from the state dir.
      await expect(stat(join(stateDir, 'new.key'))).rejects.toThrow();
      expect(world.writes.filter((write) => write.startsWith('deploy'))).toHaveLength(1);
    });
  }

  it('a propagation that never comes ends in ERR_ROTATE_PROPAGATION_TIMEOUT (exit 7) with the app untouched', async () => {
    world.propagationProbes = 1_000_000;
    const error = await failing({ propagationTimeoutMs: 5000 });
    expect([error.code, error.exitCode]).toEqual(['ERR_ROTATE_PROPAGATION_TIMEOUT', 7]);
    expect(error.message).toMatch(/^Salesforce still refuses the new key for ci@acme.example with consumer key CK_B after 5 s \(6 attempts; last answer: invalid_grant: invalid assertion\)\. Stopped at step 3 \(wait until Salesforce accepts the new key\)\./);
    expect(error.message).toContain('Roll back: nothing to roll back: the app still reads my_org_a, and only the idle slot changed;');
    expect(world.configVars.APPLINK_AUTH_NAME).toBe('my_org_a');
  });
});

const STEPS = ['generate-key', 'deploy-certificate', 'wait-for-login', 'create-authorization', 'switch-app', 'update-ci', 'remove-old-authorization'];
