/**
 * The netrc file `heroku login` writes (`NETRC`, else `~/.netrc`): where the Heroku token comes
 * from when `HEROKU_API_KEY` is not set, as the Heroku CLI finds it. Only the entry of the
 * Platform API host (`machine api.heroku.com`) is used; a `default` entry is not (its password is
 * meant for other hosts). A file other users may read or write is refused, as Python's and Ruby's
 * netrc readers refuse it: the token in it is no longer a secret.
 */
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';

/** One `machine` (or `default`) entry. */
export interface NetrcEntry {
  /** The host name; `undefined` for the `default` entry. */
  machine?: string;
  login?: string;
  password?: string;
  account?: string;
}

/**
 * The tokens of one line: runs of non-blank characters, or double-quoted strings with backslash
 * escapes; `#` at the start of a token comments out the rest of the line.
 */
function tokensOfLine(line: string): string[] {
  const tokens: string[] = [];
  let index = 0;
  while (index < line.length) {
    const char = line[index]!;
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    if (char === '#') break;
    const quoted = char === '"';
    if (quoted) index += 1;
    let value = '';
    while (index < line.length && (quoted ? line[index] !== '"' : !/\s/.test(line[index]!))) {
      if (line[index] === '\\' && index + 1 < line.length) index += 1;
      value += line[index];
      index += 1;
    }
    if (quoted) index += 1;
    tokens.push(value);
  }
  return tokens;
}

/**
 * Parses a netrc text into its entries. A `macdef` body (up to the next empty line) is skipped,
 * and so is any unknown keyword with its value, as curl does.
 */
export function parseNetrc(text: string): NetrcEntry[] {
  const entries: NetrcEntry[] = [];
  let current: NetrcEntry | undefined;
  let pending: string | undefined;
  let inMacro = false;
  for (const line of text.split(/\r?\n/)) {
    if (inMacro) {
      if (line.trim() === '') inMacro = false;
      continue;
    }
    for (const token of tokensOfLine(line)) {
      if (pending !== undefined) {
        if (pending === 'machine') {
          current = { machine: token };
          entries.push(current);
        } else if (current !== undefined && (pending === 'login' || pending === 'password' || pending === 'account')) {
          current[pending] = token;
        }
        pending = undefined;
      } else if (token === 'macdef') {
        inMacro = true;
        break;
      } else if (token === 'default') {
        current = {};
        entries.push(current);
      } else {
        pending = token;
      }
    }
  }
  return entries;
}

/** The first entry of `host` (case-insensitive, a trailing dot ignored), as curl picks it. */
export function netrcEntryFor(entries: readonly NetrcEntry[], host: string): NetrcEntry | undefined {
  const wanted = host.toLowerCase().replace(/\.$/, '');
  return entries.find((entry) => entry.machine?.toLowerCase().replace(/\.$/, '') === wanted);
}

/** Where the netrc file is: `NETRC`, else `_netrc` (Windows) or `.netrc` in the home directory. */
export function netrcPath(env: Deps['env'], platform: string = 'linux'): string | undefined {
  if (env.NETRC !== undefined && env.NETRC !== '') return env.NETRC;
  const home = platform === 'win32' ? env.USERPROFILE || env.HOME : env.HOME || env.USERPROFILE;
  if (home === undefined || home === '') return undefined;
  const separator = platform === 'win32' ? '\\' : '/';
  return `${home.replace(/[\\/]+$/, '')}${separator}${platform === 'win32' ? '_netrc' : '.netrc'}`;
}

export interface NetrcToken {
  token: string;
  /** For messages: `the api.heroku.com entry of /home/me/.netrc`. */
  source: string;
  path: string;
}

/** What {@link readNetrcToken} found: a token, or why there is none (for the "no token" error). */
export type NetrcLookup = { found: true; token: NetrcToken } | { found: false; path?: string; reason: string };

/**
 * Reads the password of `machine <host>` from the netrc file. A missing file or entry is not an
 * error (the caller says what is missing); a file other users can read is.
 *
 * @throws InputError `ERR_NETRC_PERMISSIONS` (group/world access), `ERR_NETRC_READ` (unreadable).
 */
export async function readNetrcToken(
  host: string,
  deps: Pick<Deps, 'env' | 'fs'> & { platform?: string },
): Promise<NetrcLookup> {
  const path = netrcPath(deps.env, deps.platform);
  if (path === undefined) return { found: false, reason: 'no netrc file was looked for (neither NETRC nor HOME is set)' };
  let mode: number;
  let text: string;
  try {
    mode = (await deps.fs.stat(path)).mode;
    text = await deps.fs.readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { found: false, path, reason: `${path} does not exist` };
    throw new InputError('ERR_NETRC_READ', `Could not read the netrc file ${path}: ${code ?? String(error)}.`, {
      hint: `Check that ${path} is a file you can read, or set HEROKU_API_KEY instead.`,
      cause: error,
    });
  }
  const entry = netrcEntryFor(parseNetrc(text), host);
  if (entry?.password === undefined || entry.password === '') {
    return { found: false, path, reason: `${path} has no machine ${host} entry with a password` };
  }
  // POSIX permission bits mean nothing on Windows (stat reports 0666 there).
  if (deps.platform !== 'win32' && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    throw new InputError(
      'ERR_NETRC_PERMISSIONS',
      `${path} holds the Heroku token but other users may read or change it (mode ${octal}); the token in it was not used.`,
      { hint: `Run chmod 600 ${path} (heroku login creates it that way), or set HEROKU_API_KEY instead.` },
    );
  }
  return { found: true, token: { token: entry.password, source: `the machine ${host} entry of ${path}`, path } };
}
