/**
 * Structural start-up facts of the bundle (issue 8): which modules a command really loads. The
 * built binary runs with a module hook (test/support/trace-loads.mjs) that records every file it
 * loads; dist/meta.json (esbuild's metafile) says which sources each file holds.
 * `--version`, `--help`, `verify` and `authorize` must not load the sandbox, certificate
 * generation, the orb tooling, the YAML parser, the JSON-schema validator or execa.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { makeKeys, platformEnv, sandboxForTest, sandboxSecrets, type TestKey } from '../support/applink-e2e.js';
import { BIN, ROOT } from '../support/harness.js';
import { findSecrets } from '../support/leak-guard.js';

const TRACER = join(ROOT, 'test/support/trace-loads.mjs');

/** Sources that only `keys generate`, `sandbox`, `demo` and the orb tooling may load. */
const HEAVY = [
  /^cli\/sandbox\//,
  /^cli\/orb\//,
  /^node_modules\/@peculiar\//,
  /^node_modules\/reflect-metadata\//,
  /^node_modules\/yaml\//,
  /^node_modules\/ajv\//,
  /^node_modules\/execa\//,
];

let meta: { outputs: Record<string, { inputs: Record<string, unknown> }> };
let dir: string;
let keys: TestKey[];
let cleanupKeys: () => Promise<void>;

beforeAll(async () => {
  meta = JSON.parse(await readFile(join(ROOT, 'dist/meta.json'), 'utf8'));
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-loads-'));
  ({ keys, cleanup: cleanupKeys } = await makeKeys(1));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await cleanupKeys();
});

/** Runs the binary with the tracer; returns its exit code, output, and the sources it loaded. */
async function traced(args: string[], env: Record<string, string> = {}) {
  const file = join(dir, `loads-${Math.random().toString(36).slice(2)}.txt`);
  const result = await execa(process.execPath, ['--import', TRACER, BIN, ...args], {
    env: { PATH: process.env.PATH, TRACE_LOADS_FILE: file, ...env },
    extendEnv: false,
    reject: false,
  });
  const urls = (await readFile(file, 'utf8')).split('\n').filter((url) => url.startsWith('file:'));
  const outputs = urls.map((url) => relative(ROOT, fileURLToPath(url)));
  expect(outputs.length).toBeGreaterThan(0);
  const sources = outputs.flatMap((output) => {
    const entry = meta.outputs[output];
    if (!entry) throw new Error(`${output} is not in dist/meta.json: rebuild`);
    return Object.keys(entry.inputs);
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), outputs, sources };
}

const heavy = (sources: string[]) => sources.filter((source) => HEAVY.some((pattern) => pattern.test(source)));

describe('lazy loading', () => {
  it('--version loads the entry and its few shared chunks, nothing heavy', async () => {
    const run = await traced(['--version']);
    expect(run.exitCode).toBe(0);
    expect(run.outputs[0]).toBe('dist/main.js');
    expect(heavy(run.sources)).toEqual([]);
    expect(run.sources.some((source) => source.startsWith('cli/commands/'))).toBe(false);
  });

  it('--help loads no command module and nothing heavy', async () => {
    const run = await traced(['--help']);
    expect(run.exitCode).toBe(0);
    expect(heavy(run.sources)).toEqual([]);
    expect(run.sources.some((source) => source.startsWith('cli/commands/'))).toBe(false);
  });

  describe('against the sandbox', () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await sandboxForTest();
      sandbox.registerCertificate(keys[0]!.certificatePem);
    });
    afterAll(async () => {
      await sandbox.close();
    });

    it('verify loads its command and the Salesforce client, nothing heavy', async () => {
      const run = await traced(['verify', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path], platformEnv(sandbox));
      expect(run.exitCode).toBe(0);
      expect(run.sources).toContain('cli/commands/verify.ts');
      expect(run.sources).toContain('cli/salesforce/token.ts');
      expect(heavy(run.sources)).toEqual([]);
      expect(findSecrets([run.stdout, run.stderr], sandboxSecrets(sandbox, keys))).toEqual([]);
    });

    it('authorize loads its command, the Salesforce and AppLink clients, nothing heavy', async () => {
      const run = await traced(['authorize', 'lazy_org', '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path], platformEnv(sandbox));
      expect(run.exitCode).toBe(0);
      expect(run.sources).toContain('cli/commands/authorize.ts');
      expect(run.sources).toContain('cli/applink/applink-api.ts');
      expect(heavy(run.sources)).toEqual([]);
      // No proxy variable: the proxy code (cli/proxy.ts, its own chunk) is not loaded.
      expect(run.sources).not.toContain('cli/proxy.ts');
      expect(findSecrets([run.stdout, run.stderr, JSON.stringify(sandbox.requestLog)], sandboxSecrets(sandbox, keys))).toEqual([]);
    });

    it('a proxy variable loads the proxy code (here NO_PROXY=* sends every request direct)', async () => {
      const run = await traced(['list', '-a', 'acme-app'], { ...platformEnv(sandbox), HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '*' });
      expect(run.exitCode).toBe(0);
      expect(run.sources).toContain('cli/proxy.ts');
      expect(heavy(run.sources)).toEqual([]);
    });
  });

  it('keys generate does load the certificate library (the check can see it)', async () => {
    const run = await traced(['keys', 'generate', '--dir', join(dir, 'generated'), '--bits', '2048']);
    expect(run.exitCode).toBe(0);
    expect(heavy(run.sources).some((source) => source.startsWith('node_modules/@peculiar/'))).toBe(true);
  });
});
