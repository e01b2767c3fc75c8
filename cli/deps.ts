/**
 * The I/O a command may use, passed in as one `deps` object. `cli/main.ts` builds the production
 * one from `process`; tests build their own (a fake `fetch`, a frozen clock, captured output).
 */
import type * as fsPromises from 'node:fs/promises';

/** Result of running an external program (git, openssl). */
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never throws for a non-zero exit. */
export type Runner = (
  file: string,
  args: readonly string[],
  options?: { cwd?: string; input?: string; env?: Record<string, string | undefined> },
) => Promise<RunResult>;

/** What a step waits for: the deadline (on `deps.now`'s clock) makes heartbeats show the time left. */
export interface WaitOptions {
  deadline?: number;
}

/**
 * Progress on stderr, one step at a time: on a terminal a live line (spinner, then the result in
 * place); otherwise one line per step when it ends, and heartbeats during long waits. See
 * cli/progress.ts.
 */
export interface Progress {
  /** Starts a step. */
  start(text: string, wait?: WaitOptions): void;
  /** Changes the text of the current step (shown live on a terminal, in heartbeats otherwise). */
  update(text: string, wait?: WaitOptions): void;
  /** Ends the current step with a final word (`done`, `failed`, `authorized`). */
  stop(result: string): void;
  /** A line that stays (a retry, a warning), printed above the live line. */
  note(text: string): void;
}

export type FileSystem = Pick<
  typeof fsPromises,
  'readFile' | 'writeFile' | 'stat' | 'rename' | 'open' | 'mkdir' | 'unlink' | 'access' | 'rm' | 'mkdtemp'
>;

export interface Deps {
  /** Environment variables (read-only view). */
  env: Readonly<Record<string, string | undefined>>;
  /** Working directory for relative paths (and the git checkout whose remotes name the app). */
  cwd: string;
  /** `process.platform` (default `linux`): where the netrc file is, and whether its mode bits mean anything. */
  platform?: string;
  fetch: typeof globalThis.fetch;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  fs: FileSystem;
  /**
   * Reads standard input as UTF-8 (for `--jwt-key-file -`), stopping once more than `maxBytes`
   * arrived: the caller sees a text longer than `maxBytes` and refuses it, and nothing beyond is read.
   */
  readStdin: (maxBytes: number) => Promise<string>;
  run: Runner;
  /** Writes to standard output (results). */
  stdout: (text: string) => void;
  /** Writes to standard error (progress, warnings, errors). */
  stderr: (text: string) => void;
  progress: Progress;
  /** Terminal width for wrapping human lines (undefined: not a terminal; 100 is used). */
  columns?: number;
  /** HTTP events: retries (a progress line) and, with --verbose, every request (a trace line). */
  httpLog?: HttpLog;
  /** Whether standard input is a terminal (prompts and `remove` confirmation). */
  stdinIsTTY: boolean;
  /** Aborted on SIGINT/SIGTERM; long waits watch it. `reason` is the signal name. */
  signal: AbortSignal;
  /**
   * Where the code registers every secret value it learns (key, tokens, assertion, SSO payload):
   * everything printed through `stdout`/`stderr` is redacted against it (cli/redact.ts).
   */
  secrets?: SecretSink;
  /** Asks a question on the terminal and resolves with the answer (only used when `stdinIsTTY`). */
  prompt?: (question: string) => Promise<string>;
}

/** Takes secret values to redact from all output (a `SecretRegistry` in production). */
export interface SecretSink {
  add(value: string | undefined | null): void;
}

/** One HTTP request and its answer, for the --verbose trace (never a header value or a body). */
export interface HttpExchange {
  service: string;
  method: string;
  /** Without query string or fragment. */
  url: string;
  /** The status, or the network error's short text. */
  outcome: number | string;
  durationMs: number;
  attempt: number;
  attempts: number;
}

/** A retry about to happen. */
export interface HttpRetry {
  service: string;
  /** The status that is retried, or the network error's short text. */
  reason: number | string;
  delayMs: number;
  /** The attempt about to be made and the most there will be. */
  attempt: number;
  attempts: number;
}

export interface HttpLog {
  exchange(event: HttpExchange): void;
  retry(event: HttpRetry): void;
}

/** `sleep` that honours an AbortSignal. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A Progress that prints nothing (for `--json`, `--quiet` and tests). */
export const silentProgress: Progress = {
  start() {},
  update() {},
  stop() {},
  note() {},
};
