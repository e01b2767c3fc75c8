/**
 * Test helpers: a `Deps` with captured output and no real I/O unless asked for, and a runner for
 * the built binary (`dist/main.js`) as a real process.
 */
import * as fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { silentProgress, sleep, type Deps, type Runner } from '../../cli/deps.js';
import { runCli } from '../../cli/program.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A runner double that answers from a table and throws on any command it does not know. */
export function tableRunner(table: Record<string, { exitCode: number; stdout?: string; stderr?: string }>): Runner {
  return async (file, args) => {
    const key = [file, ...args].join(' ');
    const answer = table[key];
    if (!answer) throw new Error(`tableRunner: unexpected command: ${key}`);
    return { exitCode: answer.exitCode, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
  };
}

/** What git says in a directory without remotes: the default of {@link testDeps} (no app from git). */
export const NO_GIT_REMOTES: Record<string, { exitCode: number }> = {
  'git config --get-regexp ^remote\\..+\\.url$': { exitCode: 1 },
  'git config --get heroku.remote': { exitCode: 1 },
};

/** The real runner (execa), for tests that call git/openssl for real. */
export const realRunner: Runner = async (file, args, options = {}) => {
  const result = await execa(file, [...args], { cwd: options.cwd, input: options.input, env: options.env, reject: false, stripFinalNewline: false });
  return { exitCode: result.exitCode ?? 127, stdout: String(result.stdout), stderr: String(result.stderr) };
};

export interface CapturedDeps extends Deps {
  out: () => string;
  err: () => string;
}

/** A Deps for in-process tests: captured stdout/stderr, real fs, fetch that fails unless given. */
export function testDeps(overrides: Partial<Deps> = {}): CapturedDeps {
  let out = '';
  let err = '';
  const deps: Deps = {
    env: {},
    cwd: process.cwd(),
    fetch: async () => {
      throw new Error('testDeps: no fetch given');
    },
    now: () => Date.UTC(2026, 10, 28, 12, 0, 0),
    sleep,
    fs,
    readStdin: async () => '',
    run: tableRunner(NO_GIT_REMOTES),
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    progress: silentProgress,
    columns: 10_000,
    stdinIsTTY: false,
    signal: new AbortController().signal,
    ...overrides,
  };
  return { ...deps, out: () => out, err: () => err };
}

/** Runs argv with `runCli` in-process and returns the exit code and output. */
export async function runProgram(argv: string[], overrides: Partial<Deps> = {}) {
  const deps = testDeps(overrides);
  const code = await runCli(argv, deps);
  return { exitCode: code, stdout: deps.out(), stderr: deps.err() };
}

/** Runs the built binary as a real process; never rejects on a non-zero exit. */
export async function runBin(args: string[], options: { env?: Record<string, string | undefined>; input?: string; cwd?: string; timeoutMs?: number } = {}) {
  const result = await execa(process.execPath, [BIN, ...args], {
    // A wide COLUMNS keeps human lines unwrapped, so tests can compare whole messages; the output
    // tests (test/e2e/output.test.ts) check the wrapping at the default width.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, COLUMNS: '10000', ...options.env },
    extendEnv: false,
    input: options.input ?? '',
    cwd: options.cwd,
    reject: false,
    timeout: options.timeoutMs ?? 60000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}
