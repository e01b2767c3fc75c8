/**
 * The error hierarchy of applink-jwt. Every failure the CLI reports is an {@link AppError} with a
 * stable `code`, a documented `exitCode`, a `hint` that says how to fix it, and the `cause`.
 * Messages name the input they concern (a file path, a variable name, a flag) and never a secret.
 */
import { wrapText } from './text.js';

/** Exit codes, documented in README.md ("Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** An unexpected failure: a bug, or an error no other code describes. */
  internal: 1,
  /** The command line is wrong: unknown flag, missing argument, bad choice. */
  usage: 2,
  /** Local input is invalid: key, certificate, URL, developer name, missing variable. */
  input: 3,
  /** Salesforce refused the JWT bearer exchange (or the Data Cloud exchange). */
  salesforce: 4,
  /** The Heroku Platform API, the AppLink API or the CircleCI API refused a request, or the add-on could not be resolved. */
  heroku: 5,
  /** The authorization ended `failed` or `disconnected`. */
  authorizationFailed: 6,
  /** A wait ran out of time (`--timeout`). */
  timeout: 7,
  /** A service could not be reached, or kept failing after retries. */
  network: 8,
  /** A check failed: `keys check` found an expired or too old certificate, a mismatch, a tracked key. */
  checkFailed: 9,
  /** Interrupted by SIGINT. */
  interrupted: 130,
  /** Stopped by SIGTERM. */
  terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface AppErrorOptions {
  /** How to fix it, in one or two sentences. */
  hint?: string;
  cause?: unknown;
  /** Extra facts for `--json` output (never a secret). */
  details?: Record<string, unknown>;
}

/** Base of every error the CLI reports on purpose. */
export class AppError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, exitCode: number, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** The command line itself is wrong. */
export class UsageError extends AppError {
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, message, ExitCode.usage, options);
  }
}

/** A key, certificate, URL, name or environment variable given to the CLI is invalid. */
export class InputError extends AppError {
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, message, ExitCode.input, options);
  }
}

/** Salesforce refused the exchange; `code` comes from the error catalogue. */
export class SalesforceError extends AppError {
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, message, ExitCode.salesforce, options);
  }
}

/** The Heroku Platform API or the AppLink API refused a request. */
export class HerokuError extends AppError {
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, message, ExitCode.heroku, options);
  }
}

/** The authorization reached `failed` or `disconnected`. */
export class AuthorizationFailedError extends AppError {
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, message, ExitCode.authorizationFailed, options);
  }
}

/** A wait ran out of time. */
export class TimeoutError extends AppError {
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, message, ExitCode.timeout, options);
  }
}

/** A service could not be reached or kept answering 5xx/429 after the retries. */
export class NetworkError extends AppError {
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, message, ExitCode.network, options);
  }
}

/** A check the user asked for failed (`keys check`). */
export class CheckFailedError extends AppError {
  constructor(code: string, message: string, options?: AppErrorOptions) {
    super(code, message, ExitCode.checkFailed, options);
  }
}

/** The wait was interrupted by a signal. */
export class InterruptedError extends AppError {
  constructor(signal: 'SIGINT' | 'SIGTERM', message: string, options?: AppErrorOptions) {
    super(
      signal === 'SIGINT' ? 'ERR_INTERRUPTED' : 'ERR_TERMINATED',
      message,
      signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated,
      options,
    );
  }
}

/** What `main` prints for an error: the message, the hint, and with DEBUG the stack. */
export interface ErrorReport {
  code: string;
  exitCode: number;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/** Maps anything thrown to the report printed and the exit status. The one place that does this. */
export function toErrorReport(error: unknown): ErrorReport {
  if (error instanceof AppError) {
    return {
      code: error.code,
      exitCode: error.exitCode,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'ERR_INTERNAL',
    exitCode: ExitCode.internal,
    message: `Unexpected error: ${message}`,
    hint: 'Run again with DEBUG=applink-jwt for the stack trace, and report it if it persists.',
  };
}

/** Renders an error report as the lines printed on stderr, wrapped at `columns`. */
export function formatErrorReport(report: ErrorReport, columns?: number): string {
  const lines = [`Error: ${report.message}`];
  if (report.hint) lines.push(`Fix: ${report.hint}`);
  lines.push(`(${report.code}, exit ${report.exitCode})`);
  return wrapText(lines.join('\n'), columns, 5);
}
