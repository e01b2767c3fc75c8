/**
 * What a command returns, and how it is printed: human text on stdout (warnings on stderr), or
 * one JSON document on stdout with `--json`.
 */
import type { Deps } from './deps.js';
import { formatErrorReport, toErrorReport } from './errors.js';

export interface CommandResult<T = unknown> {
  /** The `--json` document. Never holds a secret. */
  json: T;
  /** Human-readable result for stdout (without a trailing newline; empty for none). */
  text: string;
  /** Warnings: on stderr in human mode, as `warnings` in the JSON document. */
  warnings?: string[];
  /** Set when the command ran to the end but its verdict is a failure (a check that failed). */
  exitCode?: number;
  /** Print the JSON document on one line (for commands whose `--json` output is JSON Lines). */
  jsonLines?: boolean;
}

/** Prints a command's result and returns the exit code it asks for. */
export function printResult(result: CommandResult, json: boolean, deps: Pick<Deps, 'stdout' | 'stderr'>): number {
  const warnings = result.warnings ?? [];
  if (json) {
    const document =
      warnings.length > 0 && isPlainObject(result.json) ? { ...result.json, warnings } : result.json;
    deps.stdout(`${result.jsonLines ? JSON.stringify(document) : JSON.stringify(document, null, 2)}\n`);
  } else {
    for (const warning of warnings) deps.stderr(`Warning: ${warning}\n`);
    if (result.text) deps.stdout(`${result.text}\n`);
  }
  return result.exitCode ?? 0;
}

/**
 * Prints an error: always the human lines on stderr; with `--json` also `{"error": {...}}` on
 * stdout so a pipeline can parse it. With `debug`, the stack (and causes) follow on stderr.
 */
export function printError(error: unknown, json: boolean, debug: boolean, deps: Pick<Deps, 'stdout' | 'stderr'>): number {
  const report = toErrorReport(error);
  deps.stderr(`${formatErrorReport(report)}\n`);
  if (debug) {
    let current: unknown = error;
    for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
      deps.stderr(`${current.stack ?? current.message}\n`);
      current = current.cause;
    }
  }
  if (json) {
    const { exitCode, ...rest } = report;
    deps.stdout(`${JSON.stringify({ error: { ...rest, exitCode } }, null, 2)}\n`);
  }
  return report.exitCode;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
