/**
 * Where the two Heroku secrets may go (issue 7), checked before any connection is opened:
 * - `HEROKU_API_KEY` only to `https://api.heroku.com` or another `https://*.heroku.com` host (the
 *   official CLI's rule), or to a loopback address (the sandbox);
 * - the add-on token only to the add-on's own `_API_URL`, over `https` or to loopback.
 */
import { InputError } from '../errors.js';
import { printable } from './developer-name.js';

export const DEFAULT_PLATFORM_API_URL = 'https://api.heroku.com';

const LOOPBACK_NAMES = new Set(['localhost', '[::1]', '::1']);

/** Whether a URL hostname is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
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

/**
 * The Platform API base URL (`HEROKU_API_URL` or the default), checked against the host rule for
 * `HEROKU_API_KEY`. Throws `ERR_HOST_NOT_ALLOWED` for any other destination.
 */
export function checkPlatformApiUrl(raw: string | undefined): URL {
  const source = raw === undefined || raw === '' ? 'the default Platform API URL' : 'HEROKU_API_URL';
  const url = parseServiceUrl(raw === undefined || raw === '' ? DEFAULT_PLATFORM_API_URL : raw, source);
  if (isLoopbackHost(url.hostname)) return url;
  if (url.protocol === 'https:' && isHerokuHost(url.hostname)) return url;
  throw new InputError(
    'ERR_HOST_NOT_ALLOWED',
    `HEROKU_API_URL points at ${url.origin}: HEROKU_API_KEY is only sent to https://api.heroku.com, another https://*.heroku.com host, or a loopback address. Nothing was sent.`,
    { hint: 'Unset HEROKU_API_URL to use https://api.heroku.com, or point it at a loopback sandbox (http://127.0.0.1:<port>).' },
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
    { hint: `Check ${source}: the AppLink add-on sets an https:// URL; plain http is accepted only for 127.0.0.1, ::1 and localhost.` },
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
  return `${apiUrl.origin}${prefix}/addons/${encodeURIComponent(addonId)}`;
}

/** The add-on id of a direct-mode `_API_URL`: its last path segment. */
export function addonIdOfApiUrl(apiUrl: URL): string | undefined {
  const segments = apiUrl.pathname.split('/').filter(Boolean);
  const last = segments.at(-1);
  return last === undefined ? undefined : decodeURIComponent(last);
}
