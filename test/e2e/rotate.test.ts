/**
 * `rotate` end to end: the built binary against the sandbox's doubles of the Metadata API (ECA
 * settings read and deploy, propagation), the login servers, the Platform API's config vars, the
 * AppLink API and the CircleCI contexts API. A rotation A -> B -> A with the official SDK reading
 * the whole time (zero failed reads), a resume after a kill at every step, `--plan` changing
 * nothing (request log), and each step's failure with its report. Every output and the request log
 * are scanned for the keys and tokens, the rotated keys included.
 */
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { init } from '@heroku/applink';
import { startSandbox, type Sandbox } from '../../cli/sandbox/server.js';
import type { SandboxStateInput } from '../../cli/sandbox/state.js';
import { jsonError, jsonResult } from '../support/envelope.js';
import { BIN } from '../support/harness.js';
import { findSecrets } from '../support/leak-guard.js';
import { makeKeys, type TestKey } from '../support/applink-e2e.js';

const ADMIN = 'admin@acme.example';
const USER = 'ci@acme.example';
const APP = 'acme-app';

let keys: TestKey[];
let cleanupKeys: () => Promise<void>;
let sandbox: Sandbox;
let dir: string;
const outputs: string[] = [];

beforeAll(async () => {
  ({ keys, cleanup: cleanupKeys } = await makeKeys(1));
});
afterAll(async () => {
  await cleanupKeys();
});

/** Two ECAs pre-authorizing the same user, an admin who may deploy, the app reading slot A. */
function state(settings: Record<string, unknown> = {}): SandboxStateInput {
  return {
    settings: { propagationDelayMs: 300, deployDelayMs: 50, ...settings } as SandboxStateInput['settings'],
    orgs: [
      {
        name: 'acme',
        type: 'production',
        myDomain: 'https://acme.my.salesforce.com',
        users: [{ username: USER, active: true }, { username: ADMIN, active: true, permissions: ['ModifyAllData'] } as never],
        externalClientApps: [
          { name: 'AppLink A', developerName: 'AppLink_A', consumerKey: '3MVG9sandbox.SlotA.ConsumerKey', preAuthorized: [USER], certificate: keys[0]!.certificatePem } as never,
          { name: 'AppLink B', developerName: 'AppLink_B', consumerKey: '3MVG9sandbox.SlotB.ConsumerKey', preAuthorized: [USER] } as never,
        ],
      },
    ],
    apps: [{ name: APP, configVars: { APPLINK_AUTH_NAME: 'my_org_a' }, addons: [{ name: 'applink-sandbox-1', attachments: [{ name: 'HEROKU_APPLINK' }] }] }],
    circleci: { organizations: [{ slug: 'gh/acme', contexts: [{ name: 'applink' }] }] },
  } as SandboxStateInput;
}

beforeEach(async () => {
  outputs.length = 0;
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-rotate-'));
  sandbox = await startSandbox({ settleDelayMs: 0, state: state() });
  // Slot A is in use: its authorization exists, made with the key its ECA holds.
  const env = sandbox.env();
  const created = await fetch(`${env.HEROKU_APPLINK_API_URL}/authorizations/salesforce/jwt`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.HEROKU_APPLINK_TOKEN}`, 'x-app-uuid': env.HEROKU_APP_ID!, 'content-type': 'application/json' },
    body: JSON.stringify({ alias: 'applink:my_org_a', client_id: '3MVG9sandbox.SlotA.ConsumerKey', developer_name: 'my_org_a', jwt_private_key: keys[0]!.pem, login_url: sandbox.urls.login, username: USER }),
  });
  expect(created.status).toBe(202);
  await waitFor(() => sandbox.state.authorizations.some((authorization) => authorization.developerName === 'my_org_a' && authorization.status === 'authorized'));
});

afterEach(async () => {
  // The leak guard: no key (the first, and every key a rotation made) and no token in any output.
  const rotated = ['JWT_PRIVATE_KEY'].map((name) => sandbox.state.circleci.variableValue('applink', name)).filter((value): value is string => value !== undefined);
  const env = sandbox.env();
  const tokens = [env.HEROKU_API_KEY!, env.CIRCLE_TOKEN!, ...sandbox.state.addons.flatMap((addon) => addon.attachments.map((attachment) => attachment.token)), ...sandbox.state.tokens.keys()];
  expect(findSecrets([...outputs, JSON.stringify(sandbox.requestLog)], { privateKeys: [keys[0]!.pem, ...rotated], tokens })).toEqual([]);
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

async function waitFor(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await delay(10);
  }
}

/** The command line of a rotation of this sandbox (fast polls, 2048-bit keys), plus `extra`. */
function rotateArgs(...extra: string[]): string[] {
  return [
    'rotate',
    '-a',
    APP,
    '--base-name',
    'my_org',
    '--eca-a',
    'AppLink_A',
    '--eca-b',
    'AppLink_B',
    '--login-url',
    sandbox.urls.login,
    '--admin-instance-url',
    sandbox.urls.instance,
    '--circleci-context',
    'applink',
    '--circleci-owner-slug',
    'gh/acme',
    '--key-bits',
    '2048',
    '--poll-interval',
    '0.1',
    '--grace',
    '1',
    ...extra,
  ];
}

/** The environment: the Platform API, the integration user, an admin session, CircleCI. */
function rotateEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = sandbox.env();
  const { token } = sandbox.state.issueSession(ADMIN, () => `00D${Math.random().toString(36).slice(2)}!AdminSessionToken`);
  return { HEROKU_API_KEY: env.HEROKU_API_KEY!, HEROKU_API_URL: env.HEROKU_API_URL!, SF_USERNAME: USER, SF_ADMIN_ACCESS_TOKEN: token, CIRCLE_TOKEN: env.CIRCLE_TOKEN!, CIRCLECI_API_URL: env.CIRCLECI_API_URL!, ...extra };
}

function spawnRotate(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, COLUMNS: '10000', ...env }, extendEnv: false, reject: false, timeout: 120_000 });
}

async function rotate(args: string[], env: Record<string, string> = rotateEnv()) {
  const result = await spawnRotate(args, env);
  outputs.push(String(result.stdout), String(result.stderr));
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const configVar = () => sandbox.state.findApp(APP)!.configVars.APPLINK_AUTH_NAME;
const names = () => sandbox.state.authorizations.map((authorization) => `${authorization.developerName}:${authorization.status}`).sort();

/**
 * The app: reads the config var (as a restarted dyno would), then the authorization through the
 * official SDK, again and again until stopped; returns the reads and the failures.
 */
function startReader() {
  const env = sandbox.env();
  const saved = { ...process.env };
  process.env.HEROKU_APPLINK_API_URL = env.HEROKU_APPLINK_API_URL;
  process.env.HEROKU_APPLINK_TOKEN = env.HEROKU_APPLINK_TOKEN;
  process.env.HEROKU_APP_ID = env.HEROKU_APP_ID;
  let running = true;
  const failures: string[] = [];
  const seen = new Set<string>();
  let reads = 0;
  const loop = (async () => {
    const applink = init().addons.applink;
    while (running) {
      const name = configVar()!;
      try {
        const org = await applink.getAuthorization(name);
        if (org.user.username !== USER) failures.push(`${name}: user ${org.user.username}`);
        seen.add(name);
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
      }
      reads += 1;
      await delay(20);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      process.env = saved;
      return { reads, failures, seen: [...seen].sort() };
    },
  };
}

describe('rotate (end to end against the sandbox)', () => {
  it('rotates A -> B -> A with the SDK reading the whole time: zero failed reads, CI updated, old slot removed', async () => {
    const reader = startReader();
    const first = await rotate(rotateArgs('--json'));
    if (first.exitCode !== 0) await reader.stop();
    expect([first.exitCode, first.stderr, first.exitCode === 0 ? '' : first.stdout]).toEqual([0, '', '']);
    const report = jsonResult(first.stdout);
    expect(report.steps.map((step: { status: string }) => step.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done', 'done']);
    expect(configVar()).toBe('my_org_b');
    expect(names()).toEqual(['my_org_b:authorized']);
    const keyB = sandbox.state.circleci.variableValue('applink', 'JWT_PRIVATE_KEY')!;
    expect(keyB).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(sandbox.state.circleci.variableValue('applink', 'SF_CLIENT_ID')).toBe('3MVG9sandbox.SlotB.ConsumerKey');

    const second = await rotate(rotateArgs());
    expect(second.exitCode).toBe(0);
    expect(second.stdout.split('\n')[0]).toBe('Rotated app acme-app from slot B (my_org_b) to slot A (my_org_a): APPLINK_AUTH_NAME=my_org_a.');
    expect(second.stderr).toContain('Step 3/7: waiting until Salesforce accepts the new key');
    expect(configVar()).toBe('my_org_a');
    expect(names()).toEqual(['my_org_a:authorized']);
    expect(sandbox.state.circleci.variableValue('applink', 'JWT_PRIVATE_KEY')).not.toBe(keyB);
    expect(sandbox.state.circleci.variableValue('applink', 'SF_CLIENT_ID')).toBe('3MVG9sandbox.SlotA.ConsumerKey');

    const read = await reader.stop();
    expect(read.failures).toEqual([]);
    expect(read.seen).toEqual(['my_org_a', 'my_org_b']);
    expect(read.reads).toBeGreaterThan(10);
  }, 120_000);

  it('--plan changes nothing: only reads in the request log, and the state as it was', async () => {
    const before = JSON.stringify(sandbox.state.snapshot());
    const from = sandbox.requestLog.length;
    const result = await rotate(rotateArgs('--plan', '--state-dir', join(dir, 'state')));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Plan: rotate app acme-app from slot A (my_org_a) to slot B (my_org_b), blue-green. Nothing was changed.');
    // Only reads: GETs, and the SOAP readMetadata of the idle ECA's settings.
    const writes = sandbox.requestLog.slice(from).filter((entry) => !entry.internal && entry.method !== 'GET');
    expect([...new Set(writes.map((entry) => `${entry.method} ${entry.route}`))]).toEqual(['POST metadata.soap']);
    expect(writes.map((entry) => [entry.bodyFields.operation, entry.bodyFields.fullNames])).toEqual(writes.map(() => ['readMetadata', 'AppLink_B']));
    expect(JSON.stringify(sandbox.state.snapshot())).toBe(before);
  });

  it('resumes after a kill at each step (--state-dir): one rotation, finished by the last run', async () => {
    const stateDir = join(dir, 'state');
    for (const step of [2, 3, 4, 5, 6, 7]) {
      const child = spawnRotate(rotateArgs('--state-dir', stateDir, '--grace', '2'), rotateEnv());
      let stderr = '';
      await new Promise<void>((resolve) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes(`Step ${step}/7:`)) resolve();
        });
        void child.then(() => resolve());
      });
      child.kill('SIGKILL');
      const killed = await child;
      outputs.push(String(killed.stdout), stderr);
      expect(killed.signal ?? `exit ${killed.exitCode}: ${stderr}`).toBe('SIGKILL');
    }
    const last = await rotate(rotateArgs('--state-dir', stateDir, '--json'));
    expect(last.exitCode).toBe(0);
    const report = jsonResult(last.stdout);
    expect(report.resumed).toBe(true);
    expect(report.complete).toBe(true);
    expect(configVar()).toBe('my_org_b');
    expect(names()).toEqual(['my_org_b:authorized']);
    // One key all along: the certificate on ECA B, the key in CircleCI and AppLink's authorization match.
    expect(sandbox.requestLog.filter((entry) => entry.route === 'salesforce.metadata.deploy' || /deployRequest/.test(entry.path)).filter((entry) => entry.method === 'POST').length).toBeGreaterThanOrEqual(2);
  }, 180_000);
});

describe('rotate: each step\'s failure stops with the state report, nothing lost', () => {
  async function expectOldSlotWorks() {
    expect(configVar()).toBe('my_org_a');
    expect(names()).toContain('my_org_a:authorized');
  }

  it('deploy refused (the admin may not deploy): exit 4, nothing changed', async () => {
    const result = await rotate(rotateArgs('--json'), rotateEnv({ SF_ADMIN_ACCESS_TOKEN: sandbox.state.issueSession(USER, () => `00D${Math.random().toString(36).slice(2)}!UserSessionToken`).token }));
    const error = jsonError(result.stdout);
    expect([error.exitCode, error.code]).toEqual([4, 'ERR_SF_METADATA_ACCESS']);
    expect(error.details.failedStep).toBe('deploy-certificate');
    expect(sandbox.requestLog.filter((entry) => entry.route === 'metadata.deploy')).toEqual([]);
    expect(error.details.rotation.inEffect).toEqual([]);
    expect(error.message).toContain('Nothing was changed outside this machine.');
    await expectOldSlotWorks();
  });

  it('propagation never comes: exit 7 after --propagation-timeout, the app untouched', async () => {
    sandbox.state.configure({ propagationDelayMs: 'never' } as never);
    const result = await rotate(rotateArgs('--propagation-timeout', '2', '--json'));
    const error = jsonError(result.stdout);
    expect([error.exitCode, error.code]).toEqual([7, 'ERR_ROTATE_PROPAGATION_TIMEOUT']);
    expect(error.details.rotation.inEffect).toEqual(['ECA AppLink_B holds the new certificate']);
    await expectOldSlotWorks();
  });

  it('AppLink ends failed: exit 6, the app untouched', async () => {
    sandbox.state.configure({ settleDelayMs: 'never' });
    const settle = (async () => {
      await waitFor(() => sandbox.state.authorizations.some((authorization) => authorization.developerName === 'my_org_b'), 60_000);
      const stored = sandbox.state.authorizations.find((authorization) => authorization.developerName === 'my_org_b')!;
      stored.status = 'failed';
      stored.error = { id: 'authentication_failed', message: 'JWT authentication failed' };
    })();
    const [result] = await Promise.all([rotate(rotateArgs('--json')), settle]);
    const error = jsonError(result.stdout);
    expect([error.exitCode, error.code, error.details.failedStep]).toEqual([6, 'ERR_AUTHORIZATION_FAILED', 'create-authorization']);
    expect(error.details.rotation.rollback[0]).toMatch(/^nothing to roll back: the app still reads my_org_a, and only the idle slot changed/);
    await expectOldSlotWorks();
  });

  it('config var change refused (403): exit 5, my_org_b ready, the app still on A', async () => {
    sandbox.state.findApp(APP)!.permissions = ['view'] as never;
    const result = await rotate(rotateArgs('--json'));
    const error = jsonError(result.stdout);
    expect([error.exitCode, error.code, error.details.failedStep]).toEqual([5, 'ERR_HEROKU_FORBIDDEN', 'switch-app']);
    expect(error.details.rotation.inEffect).toEqual(['ECA AppLink_B holds the new certificate', 'authorization my_org_b exists, made with the new key']);
    await expectOldSlotWorks();
  });

  it('CircleCI refuses the token (401): the app is on B, the report says how to switch back', async () => {
    const result = await rotate(rotateArgs('--json'), rotateEnv({ CIRCLE_TOKEN: 'CCIPAT_wrong_0123456789abcdef' }));
    const error = jsonError(result.stdout);
    expect([error.exitCode, error.code, error.details.failedStep]).toEqual([5, 'ERR_CIRCLECI_AUTH', 'update-ci']);
    expect(error.details.rotation.rollback).toEqual(['switch the app back: heroku config:set APPLINK_AUTH_NAME=my_org_a -a acme-app (my_org_a is untouched until step 7)']);
    expect(configVar()).toBe('my_org_b');
    expect(names()).toEqual(['my_org_a:authorized', 'my_org_b:authorized']);
  });
});
