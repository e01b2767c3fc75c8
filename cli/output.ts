/**
 * What a command returns, and how it is printed: human text on stdout (warnings on stderr), or
 * with `--json` one JSON envelope on stdout and nothing on stderr. The envelope is the same for
 * every command (JSON Schemas in docs/schemas/, one per command):
 *
 *   success: {"schemaVersion": 1, "status": 0, "result": {...}, "warnings": [...]}
 *   failure: {"schemaVersion": 1, "status": N, "error": {"code", "message", "hint"?, "details"?}, "warnings": []}
 *
 * `status` is the exit code. Keys are camelCase; objects of the AppLink API are nested unchanged
 * (snake_case) under a named field (`authorization`, `authorizations`).
 */
import type { Deps } from './deps.js';
import { formatErrorReport, toErrorReport, type ErrorReport } from './errors.js';
import { wrapText } from './text.js';

/** Version of the JSON envelope: changing it (or a result's shape incompatibly) is a breaking change. */
export const JSON_SCHEMA_VERSION = 1;

export interface CommandResult<T = unknown> {
  /** The `result` of the `--json` envelope. Never holds a secret. */
  json: T;
  /** Human-readable result for stdout (without a trailing newline; empty for none). */
  text: string;
  /** Warnings: on stderr in human mode, as `warnings` in the JSON envelope. */
  warnings?: string[];
  /** Set when the command ran to the end but its verdict is a failure (a check that failed). */
  exitCode?: number;
  /** Print the JSON envelope on one line (for commands whose `--json` output is JSON Lines). */
  jsonLines?: boolean;
}

export interface SuccessEnvelope<T = unknown> {
  schemaVersion: typeof JSON_SCHEMA_VERSION;
  status: number;
  result: T;
  warnings: string[];
}

export interface ErrorEnvelope {
  schemaVersion: typeof JSON_SCHEMA_VERSION;
  status: number;
  error: Omit<ErrorReport, 'exitCode'>;
  warnings: string[];
}

/** The success envelope of a result. */
export function successEnvelope<T>(result: T, warnings: string[] = [], status = 0): SuccessEnvelope<T> {
  return { schemaVersion: JSON_SCHEMA_VERSION, status, result, warnings };
}

/** The failure envelope of an error. */
export function errorEnvelope(error: unknown): ErrorEnvelope {
  const { exitCode, ...rest } = toErrorReport(error);
  return { schemaVersion: JSON_SCHEMA_VERSION, status: exitCode, error: rest, warnings: [] };
}

/** How results are printed: `--json`, `--quiet`, and the width human lines wrap at. */
export interface OutputMode {
  json: boolean;
  /** `-q/--quiet`: only the result and errors (no progress, no warnings). */
  quiet?: boolean;
  /** Columns human messages wrap at (default 100). */
  columns?: number;
}

/** Prints a command's result and returns the exit code it asks for. */
export function printResult(result: CommandResult, mode: OutputMode, deps: Pick<Deps, 'stdout' | 'stderr'>): number {
  const warnings = result.warnings ?? [];
  const status = result.exitCode ?? 0;
  if (mode.json) {
    const envelope = successEnvelope(result.json, warnings, status);
    deps.stdout(`${result.jsonLines ? JSON.stringify(envelope) : JSON.stringify(envelope, null, 2)}\n`);
  } else {
    if (!mode.quiet) for (const warning of warnings) deps.stderr(`${wrapText(`Warning: ${warning}`, mode.columns, 2)}\n`);
    if (result.text) deps.stdout(`${result.text}\n`);
  }
  return status;
}

/**
 * Prints an error: the human lines on stderr, or with `--json` only the envelope on stdout. With
 * `debug` (DEBUG=applink-jwt), the stack (and causes) follow on stderr.
 */
export function printError(error: unknown, mode: OutputMode, debug: boolean, deps: Pick<Deps, 'stdout' | 'stderr'>): number {
  const envelope = errorEnvelope(error);
  if (mode.json) deps.stdout(`${JSON.stringify(envelope, null, 2)}\n`);
  else deps.stderr(`${formatErrorReport({ ...envelope.error, exitCode: envelope.status }, mode.columns)}\n`);
  if (debug) {
    let current: unknown = error;
    for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
      deps.stderr(`${current.stack ?? current.message}\n`);
      current = current.cause;
    }
  }
  return envelope.status;
}
