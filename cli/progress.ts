/**
 * Progress on stderr. On a terminal: one live line per step (a spinner with the elapsed and
 * remaining time during long waits), replaced in place by the step's result. Elsewhere (CI logs,
 * pipes, `--no-color`, `NO_COLOR`, `TERM=dumb`, `CI`): one line per step when it ends, nothing when
 * it starts, and during a wait longer than the heartbeat interval a heartbeat line with the elapsed
 * and remaining time, at most once per interval, so a log never looks hung. Retries and warnings
 * are notes: lines that stay.
 */
import type { HttpExchange, HttpLog, HttpRetry, Progress, WaitOptions } from './deps.js';
import { silentProgress } from './deps.js';
import { describeDuration } from './text.js';

export interface ProgressOptions {
  write: (text: string) => void;
  /** The clock of `deps.now` (deadlines are on it). */
  now: () => number;
  /** At most one heartbeat line per this many milliseconds (default 10 s). */
  heartbeatMs?: number;
  /** Terminal width (the live line is cut to fit it, so it can be redrawn in place). */
  columns?: number;
}

/** Default interval of heartbeat lines. */
export const HEARTBEAT_MS = 10_000;
/** A wait this long shows its elapsed time on the live line. */
const SHOW_ELAPSED_MS = 3_000;

function seconds(ms: number): string {
  return describeDuration(ms);
}

function timing(startedAt: number, now: number, deadline: number | undefined): string {
  const elapsed = `${seconds(now - startedAt)} elapsed`;
  return deadline === undefined ? elapsed : `${elapsed}, ${seconds(Math.max(0, deadline - now))} left`;
}

/** Progress for a log: one line per step when it ends, heartbeats during long waits. */
export function createLineProgress(options: ProgressOptions): Progress {
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  let title = '';
  let text = '';
  let active = false;
  let startedAt = 0;
  let lastLineAt = 0;
  let deadline: number | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const heartbeat = () => {
    if (!active) return;
    const now = options.now();
    if (now - lastLineAt < heartbeatMs) return;
    lastLineAt = now;
    options.write(`${text}... (${timing(startedAt, now, deadline)})\n`);
  };
  const halt = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    active = false;
  };
  const track = (next: string, wait?: WaitOptions) => {
    text = next;
    if (wait?.deadline !== undefined) deadline = wait.deadline;
  };
  return {
    start(next, wait) {
      halt();
      active = true;
      startedAt = lastLineAt = options.now();
      deadline = undefined;
      title = next;
      track(next, wait);
      // A check on a timer for the waits with no update (a slow request); updates check too.
      timer = setInterval(heartbeat, Math.min(1000, heartbeatMs));
      timer.unref?.();
    },
    update(next, wait) {
      if (!active) {
        this.start(next, wait);
        return;
      }
      track(next, wait);
      heartbeat();
    },
    stop(result) {
      // The step's line: its title (not the last sub-status) and how it ended.
      const was = title || text;
      halt();
      options.write(`${was ? `${was}... ` : ''}${result}\n`);
      title = text = '';
    },
    note(line) {
      options.write(`${line}\n`);
      if (active) lastLineAt = options.now();
    },
  };
}

/** Progress for a terminal: a spinner line redrawn in place, replaced by the result. */
export function createSpinnerProgress(options: ProgressOptions): Progress {
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let title = '';
  let text = '';
  let frame = 0;
  let startedAt = 0;
  let deadline: number | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const width = Math.max(20, (options.columns ?? 80) - 1);
  const draw = () => {
    const now = options.now();
    const long = now - startedAt >= SHOW_ELAPSED_MS ? ` (${timing(startedAt, now, deadline)})` : '';
    const line = `${frames[frame++ % frames.length]} ${text}${long}`;
    options.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
  };
  const halt = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    options.write('\r\x1b[2K');
  };
  return {
    start(next, wait) {
      title = text = next;
      startedAt = options.now();
      deadline = wait?.deadline;
      if (!timer) {
        timer = setInterval(draw, 80);
        timer.unref?.();
      }
      draw();
    },
    update(next, wait) {
      if (!timer) {
        this.start(next, wait);
        return;
      }
      text = next;
      if (wait?.deadline !== undefined) deadline = wait.deadline;
      draw();
    },
    stop(result) {
      halt();
      const was = title || text;
      options.write(`${was ? `${was}... ` : ''}${result}\n`);
      title = text = '';
    },
    note(line) {
      const running = timer !== undefined;
      if (running) options.write('\r\x1b[2K');
      options.write(`${line}\n`);
      if (running) draw();
    },
  };
}

export interface OutputChoice {
  /** stderr is a terminal. */
  tty: boolean;
  /** Plain lines even on a terminal (`--no-color`, `NO_COLOR`, `TERM=dumb`, `CI`). */
  plain: boolean;
  /** No progress at all (`--json`, `--quiet`). */
  silent: boolean;
}

/** The progress this run shows. */
export function createProgress(choice: OutputChoice, options: ProgressOptions): Progress {
  if (choice.silent) return silentProgress;
  return choice.tty && !choice.plain ? createSpinnerProgress(options) : createLineProgress(options);
}

/** "The AppLink API" from "the AppLink API". */
function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** `AppLink answered 429, retrying in 2 s (2/4)`: one progress line per retry. */
export function formatRetry(event: HttpRetry): string {
  const what = typeof event.reason === 'number' ? `answered ${event.reason}` : `could not be reached (${event.reason})`;
  return `${capitalized(event.service)} ${what}, retrying in ${seconds(event.delayMs)} (${event.attempt}/${event.attempts})`;
}

/** `HTTP POST https://host/path -> 201 in 85 ms (attempt 1/3)`: one --verbose trace line. */
export function formatExchange(event: HttpExchange): string {
  const attempt = event.attempts > 1 ? ` (attempt ${event.attempt}/${event.attempts})` : '';
  return `[applink-jwt] HTTP ${event.method} ${event.url} -> ${event.outcome} in ${event.durationMs} ms${attempt}`;
}

/** The HTTP log of a run: retries as progress notes, every exchange as a trace line when verbose. */
export function createHttpLog(progress: Progress, trace: ((line: string) => void) | undefined): HttpLog {
  return {
    retry: (event) => progress.note(formatRetry(event)),
    exchange: (event) => trace?.(`${formatExchange(event)}\n`),
  };
}
