/**
 * The Salesforce login URL: where the assertion goes, and where its audience comes from.
 *
 * The assertion (and, for Data Cloud, the core access token) opens the org, so it only ever goes to
 * an https Salesforce host, to loopback (the sandbox), or to a host the user allowed explicitly with
 * `--allow-login-host`. Everything else is refused here, before any connection.
 */
import { InputError } from '../errors.js';
import { HIDDEN_SECRET, looksLikeSecret } from '../shown-input.js';

/** Domains Salesforce serves login and My Domain hosts from (any sub-domain of these). */
export const SALESFORCE_DOMAINS = [
  'salesforce.com',
  'force.com',
  'salesforce.mil',
  'cloudforce.com',
  'sfcrmproducts.cn',
  'my.site.com',
] as const;

const LOOPBACK_NAMES = new Set(['[::1]', '::1', 'localhost']);

/** Lightning Experience and Setup hosts of a My Domain: Salesforce issues no tokens there. */
const LIGHTNING_SUFFIX = '.lightning.force.com';
const SETUP_SUFFIX = '.my.salesforce-setup.com';

export interface LoginUrlOptions {
  /** Hosts outside Salesforce's domains the user allowed (`--allow-login-host`), exact or `*.example.com`. */
  allowLoginHosts?: string[];
  /** The flag the URL came from, for messages (default `--login-url`). */
  flag?: string;
}

export interface ParsedLoginUrl {
  /** The origin only (scheme, host, port). */
  url: URL;
  warnings: string[];
}

/**
 * Whether `hostname` (as `URL.hostname` gives it) is a loopback host the sandbox may use: any of
 * 127.0.0.0/8 (the sandbox gives each service its own), `::1`, `localhost`.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return LOOPBACK_NAMES.has(host) || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Whether `hostname` is a sub-domain of one of {@link SALESFORCE_DOMAINS}. */
export function isSalesforceHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return SALESFORCE_DOMAINS.some((domain) => host.endsWith(`.${domain}`));
}

/** Whether `hostname` matches an `--allow-login-host` entry (exact, or `*.domain` for sub-domains). */
export function isAllowedHost(hostname: string, allowLoginHosts: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return allowLoginHosts.some((entry) => {
    const allowed = entry.trim().toLowerCase().replace(/\.$/, '');
    if (allowed.startsWith('*.')) return host.endsWith(allowed.slice(1));
    // A URL's host is never empty, so an empty entry matches nothing.
    return host === allowed;
  });
}

/**
 * Checks one `--allow-login-host` value: a host name (or `*.domain`), not a URL or a pattern.
 *
 * @throws InputError `ERR_ALLOW_LOGIN_HOST_INVALID`.
 */
export function checkAllowedHostEntry(entry: string): void {
  const text = entry.trim();
  if (/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+\.?$/i.test(text)) return;
  const host = parseUrl(text)?.hostname;
  throw new InputError('ERR_ALLOW_LOGIN_HOST_INVALID', `--allow-login-host ${showInput(entry)} is not a host name.`, {
    hint: host ? `Give the host alone: --allow-login-host ${host}` : 'Give a host name such as login.example.com, or *.example.com for its sub-domains.',
  });
}

/**
 * Where a secret may be sent: the reason it may not, or `undefined` when it may. Loopback may use
 * http; any other host needs https and must be a Salesforce host or an allowed one.
 */
export function refusalReason(url: URL, allowLoginHosts: readonly string[]): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `it uses ${url.protocol.slice(0, -1)}, not https`;
  if (isLoopbackHost(url.hostname)) return undefined;
  if (url.protocol !== 'https:') return 'it uses http, and only loopback hosts may (the assertion and tokens must not travel in clear text)';
  if (isSalesforceHost(url.hostname) || isAllowedHost(url.hostname, allowLoginHosts)) return undefined;
  return `${url.hostname} is not a Salesforce host (${SALESFORCE_DOMAINS.map((d) => `*.${d}`).join(', ')})`;
}

/** The text with the user name and password of any URL in it removed, for messages. */
function redactUserinfo(raw: string): string {
  return raw.replace(/:\/\/[^/?#@]*@/g, '://');
}

/** The URL `text` holds, or `undefined`. */
function parseUrl(text: string): URL | undefined {
  return URL.canParse(text) ? new URL(text) : undefined;
}

/** Input text shown in a message: trimmed to a reasonable length, control characters escaped. */
function showInput(raw: string): string {
  if (looksLikeSecret(raw)) return HIDDEN_SECRET;
  const shown = JSON.stringify(redactUserinfo(raw).slice(0, 120));
  return raw.length > 120 ? `${shown.slice(0, -1)}..."` : shown;
}

/**
 * Parses and checks a login URL. Returns its origin; a path, query or fragment is dropped with a
 * warning (the token endpoint is always `/services/oauth2/token` on that origin).
 *
 * @throws InputError `ERR_LOGIN_URL_INVALID` (not an http(s) URL), `ERR_LOGIN_URL_USERINFO`,
 *   `ERR_LOGIN_URL_INSECURE` (http to a non-loopback host), `ERR_LOGIN_URL_LIGHTNING`
 *   (a `*.lightning.force.com` host), `ERR_LOGIN_URL_HOST` (not a Salesforce host).
 */
export function parseLoginUrl(raw: string, options: LoginUrlOptions = {}): ParsedLoginUrl {
  const flag = options.flag ?? '--login-url';
  const allowLoginHosts = options.allowLoginHosts ?? [];
  allowLoginHosts.forEach(checkAllowedHostEntry);
  const text = raw.trim();
  const example = 'https://login.salesforce.com, https://test.salesforce.com or https://<my-domain>.my.salesforce.com';
  const url = parseUrl(text);
  // An http(s) URL always has a host name (the URL parser refuses one without).
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    const bareHost = /^([a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?)\/?$/i.exec(text)?.[1];
    throw new InputError('ERR_LOGIN_URL_INVALID', `${flag} ${showInput(raw)} is not an https URL.`, {
      hint: bareHost ? `Add the scheme: ${flag} https://${bareHost}` : `Give the login URL with its scheme, such as ${example}.`,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new InputError('ERR_LOGIN_URL_USERINFO', `${flag} ${showInput(raw)} holds a user name or password; a login URL carries neither.`, {
      hint: `Remove the "user:password@" part; the username goes in --username (or SF_USERNAME), and no password is needed for the JWT bearer flow.`,
    });
  }
  const host = url.hostname.toLowerCase();
  if (host.endsWith(LIGHTNING_SUFFIX)) {
    const myDomain = `https://${host.slice(0, -LIGHTNING_SUFFIX.length)}.my.salesforce.com`;
    throw new InputError('ERR_LOGIN_URL_LIGHTNING', `${flag} ${url.origin} is a Lightning Experience host; Salesforce does not issue tokens there.`, {
      hint: `Use the My Domain login URL: ${flag} ${myDomain}`,
    });
  }
  if (host.endsWith(SETUP_SUFFIX)) {
    const myDomain = `https://${host.slice(0, -SETUP_SUFFIX.length)}.my.salesforce.com`;
    throw new InputError('ERR_LOGIN_URL_HOST', `${flag} ${url.origin} is a Salesforce Setup host; Salesforce does not issue tokens there.`, {
      hint: `Use the My Domain login URL: ${flag} ${myDomain}`,
    });
  }
  if (url.protocol === 'http:' && !isLoopbackHost(host)) {
    throw new InputError('ERR_LOGIN_URL_INSECURE', `${flag} ${url.origin} uses http; the assertion may only be sent over https (http is allowed for loopback hosts only).`, {
      hint: `Use ${flag} https://${url.host}`,
    });
  }
  if (!isLoopbackHost(host) && !isSalesforceHost(host) && !isAllowedHost(host, allowLoginHosts)) {
    throw new InputError('ERR_LOGIN_URL_HOST', `${flag} ${url.origin} is not a Salesforce host, so the assertion will not be sent there.`, {
      hint: `Use a Salesforce login URL (${example}); for a custom domain that serves your org's login, allow it explicitly with --allow-login-host ${host}`,
    });
  }
  const warnings: string[] = [];
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    warnings.push(`${flag}: ignoring "${url.pathname}${url.search ? '?…' : ''}${url.hash ? '#…' : ''}" after the host; using ${url.origin}.`);
  }
  return { url: new URL(url.origin), warnings };
}

/**
 * The audience (`aud`) of the assertion: the override (`--audience` / `SF_AUDIENCE_URL`) when
 * given, else the login URL's origin, which is what Salesforce expects for
 * `https://login.salesforce.com`, `https://test.salesforce.com` and a My Domain login URL.
 * A lone trailing slash is removed (Salesforce documents the values without one); a path is kept
 * because an Experience Cloud site's audience has one (`https://site.force.com/customers`).
 *
 * @throws InputError `ERR_AUDIENCE_INVALID` when the override is not an http(s) URL.
 */
export function audienceFor(loginUrl: URL, override?: string): string {
  if (override === undefined || override.trim() === '') return loginUrl.origin;
  const text = override.trim();
  // The URL parser silently drops line breaks and tabs; a value split by a secret store is refused instead.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) {
    throw new InputError('ERR_AUDIENCE_INVALID', `--audience (or SF_AUDIENCE_URL) ${showInput(override)} holds a line break or another control character.`, {
      hint: 'Set it to one URL on one line, such as https://login.salesforce.com; the secret store or the shell may have split the value.',
    });
  }
  const url = parseUrl(text);
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
    throw new InputError('ERR_AUDIENCE_INVALID', `--audience (or SF_AUDIENCE_URL) ${showInput(override)} is not an https URL.`, {
      hint: 'Use the authorization server URL, such as https://login.salesforce.com, https://test.salesforce.com or your My Domain URL; or leave it out to use the login URL.',
    });
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InputError('ERR_AUDIENCE_INVALID', `--audience (or SF_AUDIENCE_URL) ${showInput(override)} has a query or fragment; an audience has neither.`, {
      hint: 'Use the authorization server URL alone, such as https://login.salesforce.com.',
    });
  }
  return `${url.origin}${url.pathname.replace(/\/$/, '')}`;
}
