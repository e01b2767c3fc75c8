/**
 * `authorize --append-env <file>`: the authorization handed to later steps of a CI job as shell
 * lines, the way CircleCI jobs pass values on (`export NAME=value` appended to `$BASH_ENV`, which
 * bash sources at the start of every later step):
 *
 *   export APPLINK_DEVELOPER_NAME='production_org'
 *   export APPLINK_ALIAS='applink:production_org'
 *   export APPLINK_ORG_ID='00DSB00000000012AA'
 *   export APPLINK_INSTANCE_URL='https://acme.my.salesforce.com'
 *
 * Values are single-quoted (bash reads them literally, `$` and backquotes included), and a value
 * from the AppLink API that is not a plain line of text is left out with a warning rather than
 * written, so a hostile answer cannot inject commands into later steps. The file is checked in the
 * input phase (before any request) and appended to in one write once the authorization is in place.
 */
import { dirname, resolve } from 'node:path';
import { constants } from 'node:fs';
import type { Deps } from '../deps.js';
import { AppError, ExitCode, InputError } from '../errors.js';

/** The variables written, in order. */
export const HANDOFF_VARIABLES = ['APPLINK_DEVELOPER_NAME', 'APPLINK_ALIAS', 'APPLINK_ORG_ID', 'APPLINK_INSTANCE_URL'] as const;
export type HandoffVariable = (typeof HANDOFF_VARIABLES)[number];

/** What a later step can rely on: each value in the form it is checked against. */
const SHAPES: Record<HandoffVariable, RegExp> = {
  APPLINK_DEVELOPER_NAME: /^[A-Za-z][A-Za-z0-9_]{0,79}$/,
  APPLINK_ALIAS: /^[\x21-\x7e]{1,80}$/,
  // Salesforce ids: 15 or 18 letters and digits.
  APPLINK_ORG_ID: /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/,
  APPLINK_INSTANCE_URL: /^https?:\/\/[\x21-\x7e]{1,2000}$/,
};

/** `'value'` for bash: everything literal; a `'` becomes `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface Handoff {
  /** The lines to append (each `export NAME='value'`). */
  text: string;
  /** The variables written. */
  written: HandoffVariable[];
  /** One warning per value left out. */
  warnings: string[];
}

/** The export lines for `values`; an absent value is left out, a malformed one too with a warning. */
export function handoffLines(values: Partial<Record<HandoffVariable, string | undefined>>): Handoff {
  const lines: string[] = [];
  const written: HandoffVariable[] = [];
  const warnings: string[] = [];
  for (const name of HANDOFF_VARIABLES) {
    const value = values[name];
    if (value === undefined || value === '') continue;
    if (!SHAPES[name].test(value)) {
      warnings.push(`${name} was not written to --append-env: the AppLink API's value ${JSON.stringify(value.slice(0, 80))} does not have the form of one.`);
      continue;
    }
    lines.push(`export ${name}=${shellQuote(value)}\n`);
    written.push(name);
  }
  return { text: lines.join(''), written, warnings };
}

/**
 * Checks, before anything is sent, that `file` can be appended to: an existing file that is not a
 * folder and is writable, or a new file in a writable folder. Returns the absolute path.
 */
export async function checkAppendable(file: string, deps: Pick<Deps, 'fs' | 'cwd'>): Promise<string> {
  const path = resolve(deps.cwd, file);
  const fail = (why: string) =>
    new InputError('ERR_APPEND_ENV', `Cannot append to --append-env ${file}: ${why}.`, {
      hint: 'Give a file this user can write, for example --append-env "$BASH_ENV" in a CircleCI step (it is created when missing).',
      details: { inputs: ['--append-env'] },
    });
  if (file === '') throw fail('the value is empty');
  let isDirectory = false;
  try {
    isDirectory = (await deps.fs.stat(path)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(`${(error as NodeJS.ErrnoException).code ?? 'it cannot be read'}`);
    try {
      await deps.fs.access(dirname(path), constants.W_OK);
    } catch (inner) {
      throw fail(`it does not exist and its folder cannot be written (${(inner as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return path;
  }
  if (isDirectory) throw fail('it is a folder');
  try {
    await deps.fs.access(path, constants.W_OK);
  } catch (error) {
    throw fail(`it is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return path;
}

/** Appends `text` to `path` in one write (created with mode 0600 when missing). */
export async function appendHandoff(path: string, text: string, deps: Pick<Deps, 'fs'>): Promise<void> {
  try {
    const handle = await deps.fs.open(path, 'a', 0o600);
    try {
      await handle.write(text);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new AppError('ERR_APPEND_ENV', `The authorization is in place, but --append-env ${path} could not be written (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, ExitCode.input, {
      hint: 'Later steps will not see APPLINK_ORG_ID and the rest: make the file writable and run the same command with --if-exists skip (it leaves the authorization as it is and writes the file).',
      details: { state: 'authorized' },
      cause: error,
    });
  }
}
