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

/** Progress on stderr: a spinner on a TTY, one line per change otherwise. */
export interface Progress {
  /** Starts (or replaces) the current activity. */
  start(text: string): void;
  /** Changes the text of the current activity (printed once per distinct text off a TTY). */
  update(text: string): void;
  /** Ends the current activity with a final word (`done`, `failed`, `authorized`). */
  stop(result: string): void;
  /** A line that stays (a warning or a note), printed above the spinner. */
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

/** A Progress that prints nothing (for `--json` and tests). */
export const silentProgress: Progress = {
  start() {},
  update() {},
  stop() {},
  note() {},
};

/** Progress for a non-TTY stream: one line per start, distinct update, and stop. */
export function createLineProgress(write: (text: string) => void): Progress {
  let current = '';
  return {
    start(text) {
      current = text;
      write(`${text}...\n`);
    },
    update(text) {
      if (text === current) return;
      current = text;
      write(`${text}...\n`);
    },
    stop(result) {
      write(`${current ? `${current}... ` : ''}${result}\n`);
      current = '';
    },
    note(text) {
      write(`${text}\n`);
    },
  };
}

/** Progress for a TTY: a spinner redrawn in place, cleared by `stop`. */
export function createSpinnerProgress(write: (text: string) => void): Progress {
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let current = '';
  let frame = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = () => write(`\r\x1b[2K${frames[frame++ % frames.length]} ${current}`);
  const halt = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    write('\r\x1b[2K');
  };
  return {
    start(text) {
      current = text;
      if (!timer) {
        timer = setInterval(draw, 80);
        timer.unref();
      }
      draw();
    },
    update(text) {
      current = text;
      draw();
    },
    stop(result) {
      halt();
      write(`${current ? `${current}... ` : ''}${result}\n`);
      current = '';
    },
    note(text) {
      const running = timer !== undefined;
      if (running) write('\r\x1b[2K');
      write(`${text}\n`);
      if (running) draw();
    },
  };
}
