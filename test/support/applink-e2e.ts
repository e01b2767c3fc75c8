/**
 * Helpers for the AppLink end-to-end tests: a sandbox in the test process, key pairs whose
 * certificates it knows (or not), the built binary pointed at it, and the secrets to scan for.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals';
import { generateKeyMaterial } from '../../cli/keys/generate.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../cli/sandbox/server.js';
import { findSecrets, type Secrets } from './leak-guard.js';
import { runBin } from './harness.js';

export interface TestKey {
  pem: string;
  certificatePem: string;
  path: string;
}

/** A temp dir with RSA key pairs (2048 bits: fast), removed by `cleanup`. */
export async function makeKeys(count: number): Promise<{ keys: TestKey[]; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'applink-jwt-e2e-'));
  const keys: TestKey[] = [];
  for (let index = 0; index < count; index += 1) {
    const material = await generateKeyMaterial({ bits: 2048, days: 30, subject: `CN=e2e-${index}`, nowMs: Date.now() });
    const path = join(dir, `key-${index}.pem`);
    await writeFile(path, material.privateKeyPem, { mode: 0o600 });
    keys.push({ pem: material.privateKeyPem, certificatePem: material.certificatePem, path });
  }
  return { keys, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts a sandbox with no settle delay unless asked. */
export function sandboxForTest(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ settleDelayMs: 0, ...options });
}

/** The sandbox's environment for platform mode (`-a <app>` is passed on the command line). */
export function platformEnv(sandbox: Sandbox): Record<string, string> {
  const env = sandbox.env();
  return { HEROKU_API_KEY: env.HEROKU_API_KEY!, HEROKU_API_URL: env.HEROKU_API_URL!, SF_CLIENT_ID: env.SF_CLIENT_ID!, SF_USERNAME: env.SF_USERNAME! };
}

/** The sandbox's environment for direct mode (no Platform API, no HEROKU_API_KEY). */
export function directEnv(sandbox: Sandbox): Record<string, string> {
  const env = sandbox.env();
  return {
    HEROKU_APPLINK_API_URL: env.HEROKU_APPLINK_API_URL!,
    HEROKU_APPLINK_TOKEN: env.HEROKU_APPLINK_TOKEN!,
    HEROKU_APP_ID: env.HEROKU_APP_ID!,
    SF_CLIENT_ID: env.SF_CLIENT_ID!,
    SF_USERNAME: env.SF_USERNAME!,
  };
}

/** Every secret the sandbox knows about, plus the test keys. */
export function sandboxSecrets(sandbox: Sandbox, keys: readonly TestKey[]): Secrets {
  const env = sandbox.env();
  const addonTokens = sandbox.state.addons.flatMap((addon) => addon.attachments.map((attachment) => attachment.token));
  return {
    privateKeys: keys.map((key) => key.pem),
    tokens: [env.HEROKU_API_KEY!, ...addonTokens, ...sandbox.state.tokens.keys()],
  };
}

export interface BinResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built binary against the sandbox and records its output, so that `leaks()` can scan
 * every output of the test and the sandbox's request log at the end.
 */
export function binRunner(sandbox: () => Sandbox, keys: () => readonly TestKey[]) {
  const outputs: string[] = [];
  return {
    async run(args: string[], env: Record<string, string | undefined>, options: { input?: string; cwd?: string } = {}): Promise<BinResult> {
      const result = await runBin(args, { env: { ...env }, input: options.input, cwd: options.cwd });
      outputs.push(result.stdout, result.stderr);
      return result;
    },
    /** Secrets found in every output so far and in the request log (should be none). */
    leaks(extraTokens: string[] = []): string[] {
      const secrets = sandboxSecrets(sandbox(), keys());
      return findSecrets([...outputs, JSON.stringify(sandbox().requestLog)], { ...secrets, tokens: [...(secrets.tokens ?? []), ...extraTokens] });
    },
    record(...texts: string[]) {
      outputs.push(...texts);
    },
  };
}

export type BinRunner = ReturnType<typeof binRunner>;

/** What one test of a sandbox end-to-end file works with. */
export interface SandboxTest {
  keys: TestKey[];
  sandbox: Sandbox;
  bin: BinRunner;
}

/**
 * Registers the hooks the sandbox end-to-end files share: `keyCount` keys for the whole file;
 * before each test a fresh sandbox that knows the first key's certificate, and a binary runner;
 * after each test, no secret in any output or in the request log, and the sandbox closed. `use`
 * gets each test's set before the test runs (assign it to the file's variables).
 */
export function sandboxPerTest(keyCount: number, use: (current: SandboxTest) => void): void {
  let keys: TestKey[];
  let cleanupKeys: () => Promise<void>;
  let sandbox: Sandbox;
  let bin: BinRunner;
  beforeAll(async () => {
    ({ keys, cleanup: cleanupKeys } = await makeKeys(keyCount));
  });
  afterAll(async () => {
    await cleanupKeys();
  });
  beforeEach(async () => {
    sandbox = await sandboxForTest();
    sandbox.registerCertificate(keys[0]!.certificatePem);
    bin = binRunner(() => sandbox, () => keys);
    use({ keys, sandbox, bin });
  });
  afterEach(async () => {
    expect(bin.leaks()).toEqual([]);
    await sandbox.close();
  });
}
