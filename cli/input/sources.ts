/**
 * Where an input's value comes from. Each input (the app, the client id, the Heroku token, ...) is
 * resolved from an ordered list of sources: its flag, then environment variables, then whatever
 * else the input accepts (a netrc entry, a git remote, a default). The first source that has a
 * value wins and is reported with it, so messages can say where a bad value came from.
 *
 * An explicitly empty flag (`-a ""`, `--client-id ""`) is an error naming it: only an absent flag
 * falls back to the later sources. (In CI an unset variable expands to "", and falling back then
 * would act on whatever the environment names instead.)
 */
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';

/** What a source may read. */
export type SourceDeps = Pick<Deps, 'env' | 'fs' | 'cwd' | 'run' | 'platform' | 'secrets'>;

/** A value and where it came from. */
export interface Found {
  value: string;
  /** The flag or variable (or other source) it came from: `--app`, `HEROKU_APP`, `~/.netrc`. */
  source: string;
}

/** One place an input's value may come from. */
export interface Source {
  /** The names this source is known by in messages and `details.inputs`: `--client-id`, `SF_CLIENT_ID`. */
  names: string[];
  /** What to say when it has no value: "--client-id is not given", "SF_CLIENT_ID is not set". */
  absent: string;
  /**
   * Whether the source was given explicitly with an empty value (a flag `--x ""`): an error, never
   * a fall-back to the next source.
   */
  explicitlyEmpty?: boolean;
  /** The value, or `undefined` when this source has none. May throw an InputError about itself. */
  read(deps: SourceDeps): Found | undefined | Promise<Found | undefined>;
}

/** An input and its sources, in order of precedence. */
export interface InputSpec {
  /** What the input is, for "No <what>: ...": `client id`, `app`. */
  what: string;
  sources: Source[];
}

/** A command-line flag: its value as parsed (`undefined` when absent; `""` when given empty). */
export function flagSource(flag: string, value: string | undefined): Source {
  return {
    names: [flag],
    absent: `${flag} is not given`,
    explicitlyEmpty: value !== undefined && value.trim() === '',
    read: () => (value === undefined ? undefined : { value, source: flag }),
  };
}

/** Environment variables, the first non-empty one wins (an empty variable counts as unset). */
export function envSource(...names: string[]): Source {
  return {
    names,
    absent: names.length === 1 ? `${names[0]} is not set` : `${joinWords(names)} are not set`,
    read: (deps) => {
      for (const name of names) {
        const value = deps.env[name];
        if (value !== undefined && value !== '') return { value, source: name };
      }
      return undefined;
    },
  };
}

/** A built-in default, used when no other source has a value. */
export function defaultSource(value: string): Source {
  return { names: [], absent: 'there is no default', read: () => ({ value, source: 'default' }) };
}

/** All names of an input's sources (flags and variables), for `details.inputs`. */
export function inputNames(spec: InputSpec): string[] {
  return spec.sources.flatMap((source) => source.names);
}

/**
 * Resolves an input from its sources: the first value found, or `undefined` when no source has
 * one. Throws `ERR_EMPTY_VALUE` for an explicitly empty flag (it never falls back).
 */
export async function resolveInput(spec: InputSpec, deps: SourceDeps): Promise<Found | undefined> {
  for (const [index, source] of spec.sources.entries()) {
    if (source.explicitlyEmpty) {
      throw emptyValueError(source.names[0] ?? spec.what, spec.sources.slice(index + 1).flatMap((fallback) => fallback.names), inputNames(spec));
    }
    const found = await source.read(deps);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Resolves an input that must have a value: `ERR_<CODE>_MISSING`-style error (code given) naming
 * every source when none has one.
 */
export async function requireInput(spec: InputSpec, deps: SourceDeps, missing: { code: string; hint: string }): Promise<Found> {
  const found = await resolveInput(spec, deps);
  if (found !== undefined) return found;
  throw new InputError(missing.code, missingMessage(spec), { hint: missing.hint, details: { inputs: inputNames(spec) } });
}

/** "No client id: --client-id is not given and SF_CLIENT_ID is not set." */
export function missingMessage(spec: InputSpec): string {
  return `No ${spec.what}: ${joinWords(spec.sources.map((source) => source.absent))}.`;
}

/**
 * `ERR_EMPTY_VALUE`: a flag given explicitly with an empty value, which never falls back to
 * `others` (the sources it would otherwise have fallen back to).
 */
export function emptyValueError(name: string, others: string[], inputs: string[] = [name, ...others]): InputError {
  const fallback = others.length > 0 ? `; an empty value does not fall back to ${joinWords(others, 'or')}` : '';
  return new InputError('ERR_EMPTY_VALUE', `${name} was given an empty value${fallback}.`, {
    hint: `Give ${name} a value${others.length > 0 ? `, or leave ${name} out to use ${joinWords(others, 'or')}` : ''}. (In CI, check that the variable used in the command line is set.)`,
    details: { inputs },
  });
}

/** "a", "a and b", "a, b and c". */
export function joinWords(words: string[], conjunction = 'and'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words.at(-1)}`;
}
