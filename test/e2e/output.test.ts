/**
 * The human output, as a person and a CI log see it: snapshots of `authorize`, `verify`, `list`,
 * `demo` and three failures (Salesforce refusing the key, every input missing at once, AppLink
 * ending the authorization `failed`), from the built binary against the sandbox:
 *
 * - without a terminal (pipes: stdout and stderr apart);
 * - on a real pseudo-terminal (util-linux `script -qec`), 100 columns wide (`stty cols 100` inside
 *   the terminal, before the binary starts; no COLUMNS variable, so the width is the terminal's);
 * - on that terminal with `CI=true`, with `TERM=dumb` and with `NO_COLOR=1`: plain lines, so the
 *   three give the same bytes, with no escape sequence and no carriage return but the terminal's
 *   own `\r\n`.
 *
 * A terminal's bytes are rendered as its screen shows them (`\r` returns to the line start,
 * `ESC[2K` clears the line), which removes the spinner frames: how many frames are drawn depends
 * on the machine's speed. Whether a spinner was drawn at all is asserted separately.
 *
 * Normalised, because they vary from run to run: ports (and with them the sandbox URLs), the
 * temporary key paths, authorization ids (UUIDs), timestamps, durations (`850 ms`, `1.2 s`, and the
 * padding that right-aligns them), certificate fingerprints, and heartbeat lines (a step slower
 * than 10 s on a loaded machine gets one; test/e2e/waiting.test.ts tests them). Nothing else: org
 * and user ids are the sandbox's deterministic ones and stay.
 *
 * Why an earlier attempt failed: the demo's summary was one line per step of up to ~190
 * characters (it never fitted 100 columns), and its set-up authorized in-process with the test
 * clock (assertion expired, exit 4) outside the try/finally, so the sandbox stayed open and jest
 * hung. Nothing here depends on timing: no assertion counts frames or measures durations.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { makeKeys, platformEnv, sandboxForTest, sandboxSecrets, type TestKey } from '../support/applink-e2e.js';
import { BIN, ROOT, runBin } from '../support/harness.js';
import { expectNoSecrets, findSecretShapes } from '../support/leak-guard.js';

const WIDTH = 100;
/** Runs happen in a directory that is no git checkout, so no Heroku remote names an app. */
const CWD = tmpdir();
const NO_HOME = '/nonexistent/home';
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
/** The variables that ask for plain lines on a terminal. */
const PLAIN: Record<string, Record<string, string>> = { 'CI=true': { CI: 'true' }, 'TERM=dumb': { TERM: 'dumb' }, 'NO_COLOR=1': { NO_COLOR: '1' } };

let keys: TestKey[];
let cleanupKeys: () => Promise<void>;
beforeAll(async () => {
  ({ keys, cleanup: cleanupKeys } = await makeKeys(2));
});
afterAll(async () => cleanupKeys());

function quote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** What a terminal shows for `raw`: `\r` returns to the line start, `ESC[2K` clears the line, `ESC[K` its rest. */
export function screen(raw: string): string {
  return raw
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => {
      let cells: string[] = [];
      let cursor = 0;
      for (let index = 0; index < line.length; index += 1) {
        const char = line[index]!;
        if (char === '\r') cursor = 0;
        else if (char === '\x1b') {
          const match = /^\x1b\[(\d*)([A-Za-z])/.exec(line.slice(index));
          if (!match) throw new Error(`Unexpected escape sequence at ${JSON.stringify(line.slice(index, index + 8))}`);
          if (match[2] !== 'K') throw new Error(`Unexpected escape sequence ${JSON.stringify(match[0])}`);
          cells = match[1] === '2' ? [] : cells.slice(0, cursor);
          index += match[0].length - 1;
        } else {
          cells[cursor] = char;
          cursor += 1;
        }
      }
      return cells.join('').trimEnd();
    })
    .join('\n');
}

function normalise(text: string, sandbox?: Sandbox): string {
  let out = text;
  if (sandbox) for (const url of Object.values(sandbox.urls)) out = out.split(url).join('http://SANDBOX');
  for (const key of keys) out = out.split(key.path).join('KEY_FILE');
  return (
    out
      .replace(/http:\/\/127\.\d+\.\d+\.\d+:\d+/g, 'http://SANDBOX')
      .replace(/\bport \d+/g, 'port PORT')
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, 'UUID')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME')
      .replace(/[0-9A-F]{2}(:[0-9A-F]{2}){7,}/g, 'FINGERPRINT')
      .replace(/\/tmp\/[\w.-]+/g, '/tmp/TMP')
      // Heartbeats: only a step slower than the heartbeat interval has one.
      .replace(/^.*\.\.\. \(\d[^()]* elapsed[^()]*\)\n/gm, '')
      .replace(/\b\d+ min\b(?: \d+ s)?|\b\d+(?:\.\d+)? m?s\b/g, 'DURATION')
      // Right-aligned durations: the padding depends on the widest one.
      .replace(/ {2,}DURATION$/gm, '  DURATION')
  );
}

interface Shown {
  exitCode: number;
  /** Without a terminal: the two streams. On a terminal: empty (the terminal merges them into raw). */
  stdout: string;
  stderr: string;
  /** Every byte, as it arrived. */
  raw: string;
}

/** Runs the built binary without a terminal (pipes), at the default width (no COLUMNS). */
async function piped(args: string[], env: Record<string, string>, cwd = CWD): Promise<Shown> {
  const result = await runBin(args, { env: { ...env, COLUMNS: '' }, cwd, timeoutMs: 120_000 });
  return { ...result, raw: result.stdout + result.stderr };
}

/** Runs the built binary on a pseudo-terminal `columns` wide, with stdin from /dev/null. */
async function onTerminal(args: string[], env: Record<string, string>, columns = WIDTH, cwd = CWD): Promise<Shown> {
  const command = `stty cols ${columns} rows 50 && exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  const result = await execa('script', ['-qec', command, '/dev/null'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', ...env },
    extendEnv: false,
    cwd,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    timeout: 120_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: '', stderr: String(result.stderr), raw: String(result.stdout) };
}

/** Every line a person reads fits `columns`, but a single word longer than that (a URL) alone on its line. */
function expectLinesFit(text: string, columns: number): void {
  const over = text.split('\n').filter((line) => line.length > columns && /\S\s+\S/.test(line.trim()));
  expect(over).toEqual([]);
}

/** The spinner's live line is redrawn in place: each drawing must fit the terminal, or it would wrap and leave a line behind. */
function expectLiveLinesFit(raw: string, columns: number): void {
  const drawings = raw.split(/\r\n|\r/).map((part) => part.replace(/\x1b\[\d*K/g, ''));
  expect(drawings.filter((drawing) => drawing.length > columns - 1 && SPINNER.test(drawing))).toEqual([]);
}

type Case = {
  args: (sandbox: Sandbox) => string[];
  /** The environment (default: the sandbox's Platform API token and Salesforce settings). */
  env?: (sandbox: Sandbox) => Record<string, string>;
  exitCode: number;
  /** An authorization of this name exists before the command runs. */
  preauthorized?: string;
  /** Whether a step starts (and so a spinner is drawn on a terminal that allows one). */
  steps: boolean;
};

const CASES: Record<string, Case> = {
  authorize: { args: (s) => ['authorize', 'snap_org', '-a', 'acme-app', '--login-url', s.urls.login, '--jwt-key-file', keys[0]!.path], exitCode: 0, steps: true },
  verify: { args: (s) => ['verify', '--login-url', s.urls.login, '--jwt-key-file', keys[0]!.path], exitCode: 0, steps: true },
  list: { args: () => ['list', '-a', 'acme-app'], exitCode: 0, preauthorized: 'listed_org', steps: false },
  'Salesforce refuses the key, with its fix (exit 4)': { args: (s) => ['verify', '--login-url', s.urls.login, '--jwt-key-file', keys[1]!.path], exitCode: 4, steps: true },
  // No token, no netrc (a home without one), no app (no git checkout around /tmp).
  'every input missing, all reported at once (exit 3)': { args: () => ['authorize', 'snap_org'], env: () => ({ HOME: NO_HOME }), exitCode: 3, steps: false },
  'AppLink ends the authorization failed (exit 6)': {
    args: (s) => ['authorize', 'snap_org', '-a', 'acme-app', '--login-url', s.urls.login, '--jwt-key-file', keys[1]!.path, '--no-preflight'],
    exitCode: 6,
    steps: true,
  },
};

/** A fresh sandbox that knows key 0's certificate (not key 1's), with `preauthorized` authorized on acme-app. */
async function withSandbox<T>(preauthorized: string | undefined, use: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const sandbox = await sandboxForTest();
  try {
    sandbox.registerCertificate(keys[0]!.certificatePem);
    if (preauthorized) {
      const made = await runBin(['authorize', preauthorized, '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--no-preflight'], {
        env: platformEnv(sandbox),
        timeoutMs: 120_000,
      });
      expect(made).toMatchObject({ exitCode: 0 });
    }
    return await use(sandbox);
  } finally {
    await sandbox.close();
  }
}

describe('human output (snapshots)', () => {
  it.each(Object.keys(CASES))('%s', async (name) => {
    const testCase = CASES[name]!;
    const sections: string[] = [];
    const run = (mode: 'pipes' | 'terminal', extra: Record<string, string> = {}) =>
      withSandbox(testCase.preauthorized, async (sandbox) => {
        const env = { ...(testCase.env ? testCase.env(sandbox) : platformEnv(sandbox)), ...extra };
        const shown = mode === 'pipes' ? await piped(testCase.args(sandbox), env) : await onTerminal(testCase.args(sandbox), env);
        expect({ extra, exitCode: shown.exitCode }).toEqual({ extra, exitCode: testCase.exitCode });
        expectNoSecrets([shown.raw, shown.stderr], sandboxSecrets(sandbox, keys));
        return { ...shown, normalised: (text: string) => normalise(text, sandbox) };
      });

    const pipes = await run('pipes');
    expect(SPINNER.test(pipes.raw) || pipes.raw.includes('\r') || pipes.raw.includes('\x1b')).toBe(false);
    expectLinesFit(pipes.stdout, WIDTH);
    expectLinesFit(pipes.stderr, WIDTH);
    sections.push(`=== no terminal ===\n--- stdout ---\n${pipes.normalised(pipes.stdout).trimEnd()}\n--- stderr ---\n${pipes.normalised(pipes.stderr).trimEnd()}`);

    const terminal = await run('terminal');
    expect(SPINNER.test(terminal.raw)).toBe(testCase.steps);
    expectLiveLinesFit(terminal.raw, WIDTH);
    expectLinesFit(screen(terminal.raw), WIDTH);
    sections.push(`=== terminal, ${WIDTH} columns (the screen) ===\n${terminal.normalised(screen(terminal.raw)).trimEnd()}`);

    const plain: string[] = [];
    for (const [label, extra] of Object.entries(PLAIN)) {
      const shown = await run('terminal', extra);
      // Plain lines: nothing redrawn, no escape sequence, no carriage return but the terminal's own.
      expect({ label, spinner: SPINNER.test(shown.raw), escape: shown.raw.includes('\x1b'), carriageReturn: /\r(?!\n)/.test(shown.raw) }).toEqual({ label, spinner: false, escape: false, carriageReturn: false });
      expectLinesFit(screen(shown.raw), WIDTH);
      plain.push(shown.normalised(shown.raw.replace(/\r\n/g, '\n')).trimEnd());
    }
    expect(new Set(plain).size).toBe(1);
    sections.push(`=== terminal with ${Object.keys(PLAIN).join(', ')} (each the same) ===\n${plain[0]}`);

    expect(sections.join('\n\n')).toMatchSnapshot();
  }, 300_000);

  it('demo: the summary fits 100 columns, on a terminal and off it', async () => {
    // In the repository, where the SDK (a dev dependency) is installed, as a contributor runs it.
    const pipes = await piped(['demo'], {}, ROOT);
    const terminal = await onTerminal(['demo'], {}, WIDTH, ROOT);
    const plain = await onTerminal(['demo'], { CI: 'true' }, WIDTH, ROOT);
    expect([pipes.exitCode, terminal.exitCode, plain.exitCode]).toEqual([0, 0, 0]);
    // The demo makes its secrets in its own process: the guard looks for their shapes.
    expect(findSecretShapes([pipes.raw, terminal.raw, plain.raw])).toEqual([]);
    for (const text of [pipes.stdout, pipes.stderr, screen(terminal.raw), screen(plain.raw)]) {
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(WIDTH);
    }
    expectLiveLinesFit(terminal.raw, WIDTH);
    expect([SPINNER.test(pipes.raw), SPINNER.test(terminal.raw), SPINNER.test(plain.raw)]).toEqual([false, true, false]);
    // The summary is stdout, the same on a terminal as off it.
    const summary = normalise(pipes.stdout).trimEnd();
    expect(normalise(screen(terminal.raw))).toContain(summary);
    expect(normalise(screen(plain.raw))).toContain(summary);
    expect(`=== no terminal ===\n--- stdout ---\n${summary}\n--- stderr ---\n${normalise(pipes.stderr).trimEnd()}\n\n=== terminal (the screen) ===\n${normalise(screen(terminal.raw)).trimEnd()}`).toMatchSnapshot();
  }, 300_000);

  it('wraps at the width of a terminal narrower than 100 columns', async () => {
    const shown = await onTerminal(['authorize', 'snap_org'], { HOME: NO_HOME }, 60);
    expect(shown.exitCode).toBe(3);
    const lines = screen(shown.raw).split('\n');
    expect(lines.length).toBeGreaterThan(20);
    expectLinesFit(lines.join('\n'), 60);
  }, 120_000);
});
