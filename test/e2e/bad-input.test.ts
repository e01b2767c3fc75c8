/**
 * The bad-input corpus (test/fixtures/bad-input/cases.ts) run end to end: most cases through the
 * built binary, some in-process (createProgram with a fetch that records every call). Each case
 * runs twice: as a user would (no DEBUG) and as a pipeline would (`--json`, DEBUG=1). Each asserts
 * the error code, the documented exit code, the whole message (naming the input) and the whole
 * hint (the fix), no stack trace without DEBUG, no secret in any output or in the sandbox's
 * request log, the sandbox's state unchanged, and for local input no request at all.
 *
 * Service answers come from a proxy on loopback that forwards to the sandbox, except for the one
 * route the case tampers with.
 */
import * as http from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox, SandboxUrls } from '../../cli/sandbox/server.js';
import { BAD_INPUT_CASES, HUGE_FILE_BYTES, type BadInputCase, type CannedAnswer, type Category, type CorpusContext } from '../fixtures/bad-input/cases.js';
import { makeKeyFixtures, privateKeysOf, removeKeyFixtures, type KeyFixtures } from '../fixtures/keys/key-fixtures.js';
import { directEnv, makeKeys, platformEnv, sandboxForTest, sandboxSecrets, type TestKey } from '../support/applink-e2e.js';
import { runBin, runProgram } from '../support/harness.js';
import { findSecrets } from '../support/leak-guard.js';
import { jsonError } from '../support/envelope.js';

let fx: KeyFixtures;
let keys: TestKey[];
let cleanupKeys: () => Promise<void>;
let proxy: TamperProxy;

/** A loopback proxy to the current sandbox (each path to its service's host) that answers one route itself. */
interface TamperProxy {
  url: string;
  target: SandboxUrls | undefined;
  answer?: CannedAnswer;
  /** Requests the proxy answered itself. */
  tampered: number;
  close(): Promise<void>;
}

async function startProxy(): Promise<TamperProxy> {
  const state = { target: undefined as SandboxUrls | undefined, answer: undefined as CannedAnswer | undefined, tampered: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://proxy.invalid').pathname;
      const answer = state.answer;
      if (answer && answer.method === req.method && new RegExp(answer.path).test(path)) {
        state.tampered += 1;
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
        res.end(answer.body);
        return;
      }
      const { host: _host, ...headers } = req.headers;
      const service = path.startsWith('/apps') ? 'platform' : path.startsWith('/addons') ? 'applink' : 'login';
      const upstream = http.request(`${state.target?.[service]}${req.url}`, { method: req.method, headers, agent: false }, (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    get target() {
      return state.target;
    },
    set target(value: SandboxUrls | undefined) {
      state.target = value;
    },
    get answer() {
      return state.answer;
    },
    set answer(value: CannedAnswer | undefined) {
      state.answer = value;
    },
    get tampered() {
      return state.tampered;
    },
    set tampered(value: number) {
      state.tampered = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  fx = await makeKeyFixtures();
  ({ keys, cleanup: cleanupKeys } = await makeKeys(1));
  // Files some cases point at: a huge file, and the key saved as UTF-16 with a byte order mark.
  await writeFile(join(fx.dir, 'huge.pem'), 'x'.repeat(HUGE_FILE_BYTES), { mode: 0o600 });
  await writeFile(join(fx.dir, 'utf16.pem'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(fx.pkcs8, 'utf16le')]), { mode: 0o600 });
  proxy = await startProxy();
}, 60_000);

afterAll(async () => {
  await proxy.close();
  await cleanupKeys();
  await removeKeyFixtures(fx);
  console.log(summary());
});

const ran: Record<Category, { bin: number; inProcess: number }> = {
  keys: { bin: 0, inProcess: 0 },
  urls: { bin: 0, inProcess: 0 },
  names: { bin: 0, inProcess: 0 },
  usernames: { bin: 0, inProcess: 0 },
  apps: { bin: 0, inProcess: 0 },
  env: { bin: 0, inProcess: 0 },
  service: { bin: 0, inProcess: 0 },
};

function summary(): string {
  const rows = Object.entries(ran).map(([category, count]) => `${category} ${count.bin + count.inProcess}`);
  const bin = Object.values(ran).reduce((sum, count) => sum + count.bin, 0);
  const inProcess = Object.values(ran).reduce((sum, count) => sum + count.inProcess, 0);
  return `bad-input corpus: ${bin + inProcess} cases (${rows.join(', ')}); ${bin} on the built binary, ${inProcess} in-process; each run twice (plain, and --json with DEBUG=1)`;
}

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a case once; `fetches` counts the requests an in-process run made. */
async function runCase(testCase: BadInputCase, c: CorpusContext, extraArgs: string[], extraEnv: Record<string, string>): Promise<Run & { fetches: number }> {
  const args = [...testCase.args(c), ...extraArgs];
  const env = { ...testCase.env(c), ...extraEnv };
  const stdin = testCase.stdin?.(c);
  if (!testCase.inProcess) return { ...(await runBin(args, { env, ...(stdin === undefined ? {} : { input: stdin }) })), fetches: 0 };
  let fetches = 0;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    fetches += 1;
    return globalThis.fetch(input, init);
  };
  const result = await runProgram(args, { env, fetch, now: () => Date.now(), readStdin: async () => stdin ?? '' });
  return { ...result, fetches };
}

/** The three lines of an error report on stderr. */
function errorReport(stderr: string): { message?: string; hint?: string; code?: string; exitCode?: number } {
  const match = /^Error: ([^\n]*)\nFix: ([^\n]*)\n\((\w+), exit (\d+)\)$/m.exec(stderr);
  return match ? { message: match[1], hint: match[2], code: match[3], exitCode: Number(match[4]) } : {};
}

describe('bad-input corpus', () => {
  it('has at least 60 cases in every category the issue lists, each with a distinct name', () => {
    expect(BAD_INPUT_CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(BAD_INPUT_CASES.map((testCase) => testCase.name)).size).toBe(BAD_INPUT_CASES.length);
    const categories = new Set(BAD_INPUT_CASES.map((testCase) => testCase.category));
    expect([...categories].sort()).toEqual(['apps', 'env', 'keys', 'names', 'service', 'urls', 'usernames']);
    expect(BAD_INPUT_CASES.filter((testCase) => !testCase.inProcess).length).toBeGreaterThan(BAD_INPUT_CASES.length * 0.75);
  });

  it.each(BAD_INPUT_CASES.map((testCase) => [`${testCase.category}: ${testCase.name}`, testCase] as const))('%s', async (_title, testCase) => {
    const sandbox: Sandbox = await sandboxForTest();
    try {
      sandbox.registerCertificate(keys[0]!.certificatePem);
      proxy.target = sandbox.urls;
      proxy.answer = testCase.answer;
      proxy.tampered = 0;
      const c: CorpusContext = {
        sandbox,
        proxyUrl: proxy.url,
        addonId: sandbox.state.addons[0]!.id,
        fx,
        key: keys[0]!,
        platform: platformEnv(sandbox),
        direct: directEnv(sandbox),
      };
      const before = sandbox.snapshot();

      const plain = await runCase(testCase, c, [], {});
      expect({ exitCode: plain.exitCode, ...errorReport(plain.stderr) }).toEqual({
        exitCode: testCase.exitCode,
        message: testCase.message(c),
        hint: testCase.hint(c),
        code: testCase.code,
      });
      expect(testCase.message(c)).toContain(testCase.input(c));
      expect(plain.stderr).not.toMatch(/^\s+at \S.*:\d+:\d+\)?$/m); // no stack trace without DEBUG
      expect(plain.stdout).toBe('');

      const json = await runCase(testCase, c, ['--json'], { DEBUG: '1' });
      expect(json.exitCode).toBe(testCase.exitCode);
      expect(jsonError(json.stdout)).toMatchObject({ code: testCase.code, exitCode: testCase.exitCode, message: testCase.message(c), hint: testCase.hint(c) });

      // Nothing lost, nothing half-created; and local input never reaches the network.
      expect(sandbox.snapshot()).toEqual(before);
      if (!testCase.network) {
        expect({ requests: sandbox.requestLog.length, fetches: plain.fetches + json.fetches, tampered: proxy.tampered }).toEqual({ requests: 0, fetches: 0, tampered: 0 });
      } else if (testCase.answer) {
        expect(proxy.tampered).toBeGreaterThan(0);
      }

      const secrets = sandboxSecrets(sandbox, keys);
      const leaks = findSecrets([plain.stdout, plain.stderr, json.stdout, json.stderr, JSON.stringify(sandbox.requestLog)], {
        privateKeys: [...(secrets.privateKeys ?? []), ...privateKeysOf(fx)],
        tokens: [...(secrets.tokens ?? []), fx.passphrase, 'hunter2-secret', 'secret-password-1234', 'HRKU-AAbCdEf0123456789_abcdefGHIJKLmnopQRSTuvwxYZ'],
      });
      expect(leaks).toEqual([]);
      ran[testCase.category][testCase.inProcess ? 'inProcess' : 'bin'] += 1;
    } finally {
      proxy.answer = undefined;
      await sandbox.close();
    }
  });
});
