/**
 * Reading the `--json` envelope in tests: `jsonResult` checks it is a success envelope and returns
 * `result`; `jsonError` checks it is a failure envelope and returns `error` with the exit code
 * (`status`) as `exitCode`.
 */
import { expect } from '@jest/globals';

interface Envelope {
  schemaVersion: number;
  status: number;
  result?: any;
  error?: Record<string, any>;
  warnings: string[];
}

function parse(stdout: string): Envelope {
  const document = JSON.parse(stdout) as Envelope;
  expect(document.schemaVersion).toBe(1);
  return document;
}

/** The `result` of a success envelope. */
export function jsonResult(stdout: string): any {
  const document = parse(stdout);
  expect(document.error).toBeUndefined();
  return document.result;
}

/** The `error` of a failure envelope, with `exitCode` (the envelope's `status`). */
export function jsonError(stdout: string): any {
  const document = parse(stdout);
  expect(document.result).toBeUndefined();
  return { ...document.error, exitCode: document.status };
}
