/**
 * Where the two Heroku secrets may go (issue 7), checked before any connection is opened:
 * - `HEROKU_API_KEY` only to `https://api.heroku.com` or another `https://*.heroku.com` host (the
 *   official CLI's rule), or to a loopback address (the sandbox);
 * - the add-on token only to the add-on's own `_API_URL`, over `https` or to loopback.
 */
import { InputError } from '../errors.js';
import { printable } from './developer-name.js';
import { pathSegment } from './path-segment.js';

export const DEFAULT_PLATFORM_API_URL = 'https://api.heroku.com';

const LOOPBACK_NAMES = new Set(['localhost', '[::1]', '::1']);

/**
 * Whether a URL hostname is a loopback address: an address literal (127.0.0.0/8, ::1) or the name
 * `localhost`, which the CLI resolves itself (cli/node-fetch.ts). `localhost.` (trailing dot) is a
 * fully qualified DNS name that any DNS server may answer for, so it is not loopback.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return LOOPBACK_NAMES.has(host) || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function isHerokuHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'heroku.com' || host.endsWith('.heroku.com');
}

/** Parses a URL given in `source` (a variable or flag name), refusing non-http(s) and userinfo. */
function parseServiceUrl(raw: string, source: string): URL {
  // The URL parser silently drops line breaks and tabs; a value split by a secret store is refused instead.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw.trim())) {
    throw new InputError('ERR_URL', `${source} holds a line break or another control character: "${printable(raw.trim())}".`, {
      hint: `Set ${source} to one URL on one line; the secret store or the shell may have split the value.`,
    });
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new InputError('ERR_URL', `${source} is not a URL: "${printable(raw)}".`, {
      hint: `Set ${source} to an absolute URL such as https://api.heroku.com.`,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError('ERR_URL', `${source} has the scheme "${url.protocol}"; only https (or http to a loopback address) is used.`, {
      hint: `Set ${source} to an https:// URL.`,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new InputError('ERR_URL', `${source} carries a user name or password in the URL; credentials are never sent that way.`, {
      hint: `Remove the "user:password@" part from ${source}.`,
    });
  }
  return url;
}

/** Where the Platform API URL came from: the value, and the variable it was read from (for messages). */
export interface PlatformApiSource {
  raw: string;
  /** `HEROKU_API_URL`, `HEROKU_HOST`, or `the default Platform API URL`. */
  source: string;
}

/**
 * The Platform API URL from the environment: `HEROKU_API_URL` as given; else `HEROKU_HOST` as the
 * Heroku CLI reads it (a URL is used as is, a bare host `example.com` means
 * `https://api.example.com`; a bare loopback host, `127.0.0.1:4010`, means `http://127.0.0.1:4010`
 * so the sandbox's value works without its scheme); else `https://api.heroku.com`.
 */
export function platformApiSource(env: Readonly<Record<string, string | undefined>>): PlatformApiSource {
  const apiUrl = env.HEROKU_API_URL;
  if (apiUrl !== undefined && apiUrl.trim() !== '') return { raw: apiUrl, source: 'HEROKU_API_URL' };
  const host = env.HEROKU_HOST?.trim();
  if (host !== undefined && host !== '') {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return { raw: host, source: 'HEROKU_HOST' };
    return { raw: isLoopbackHost(host.replace(/:\d+$/, '')) ? `http://${host}` : `https://api.${host}`, source: 'HEROKU_HOST' };
  }
  return { raw: DEFAULT_PLATFORM_API_URL, source: 'the default Platform API URL' };
}

/**
 * The Platform API base URL, checked against the host rule for the Heroku token. `raw` is the
 * value of `source` (`HEROKU_API_URL` when only a string is given; the default when empty). Throws
 * `ERR_HOST_NOT_ALLOWED` for any other destination.
 */
export function checkPlatformApiUrl(raw: string | undefined, source: string = 'HEROKU_API_URL'): URL {
  const fallback = raw === undefined || raw === '';
  // Stryker disable next-line StringLiteral: the default URL always parses and passes the host rule, so this name never reaches a message.
  const named = fallback ? 'the default Platform API URL' : source;
  const url = parseServiceUrl(fallback ? DEFAULT_PLATFORM_API_URL : raw, named);
  if (isLoopbackHost(url.hostname)) return url;
  if (url.protocol === 'https:' && isHerokuHost(url.hostname)) return url;
  throw new InputError(
    'ERR_HOST_NOT_ALLOWED',
    `${named} points at ${url.origin}: the Heroku token is only sent to https://api.heroku.com, another https://*.heroku.com host, or a loopback address. Nothing was sent.`,
    { hint: `Unset ${named} to use https://api.heroku.com, or point it at a loopback sandbox (http://127.0.0.1:<port>).` },
  );
}

/**
 * The add-on's `_API_URL` (from the app's config vars or `HEROKU_APPLINK_API_URL`), checked
 * against the host rule for the add-on token: `https`, or any scheme to loopback.
 */
export function checkAddonApiUrl(raw: string, source: string): URL {
  const url = parseServiceUrl(raw, source);
  if (url.protocol === 'https:' || isLoopbackHost(url.hostname)) return url;
  throw new InputError(
    'ERR_HOST_NOT_ALLOWED',
    `${source} is ${url.origin}${url.pathname}: the add-on token is only sent over https (or to a loopback address). Nothing was sent.`,
    { hint: `Check ${source}: the AppLink add-on sets an https:// URL; plain http is accepted only for loopback (127.0.0.0/8, ::1, localhost).` },
  );
}

/**
 * The base of the add-on's authorizations: the whole `_API_URL` (scheme, host, port and any path
 * prefix) with its trailing `/addons/<id>` replaced by `/addons/{addonId}`, or `/addons/{addonId}`
 * appended when the path has none. (The plugin keeps only the hostname; we keep the rest so a
 * sandbox on a port, or a proxy under a path, works.)
 */
export function addonBaseUrl(apiUrl: URL, addonId: string): string {
  const path = apiUrl.pathname.replace(/\/+$/, '');
  const prefix = path.replace(/\/addons\/[^/]+$/, '');
  return `${apiUrl.origin}${prefix}/addons/${pathSegment(addonId, 'The add-on id')}`;
}

/** The add-on id of a direct-mode `_API_URL`: its last path segment. */
export function addonIdOfApiUrl(apiUrl: URL): string | undefined {
  const segments = apiUrl.pathname.split('/').filter(Boolean);
  const last = segments.at(-1);
  return last === undefined ? undefined : decodeURIComponent(last);
}
