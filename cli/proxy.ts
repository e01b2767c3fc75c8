/**
 * Which proxy a request goes through, from the variables curl and most tools read:
 * `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy`/`HTTP_PROXY` for http URLs (the
 * lower-case name first), and `no_proxy`/`NO_PROXY` for the hosts that bypass it.
 *
 * `NO_PROXY` is a comma- (or space-) separated list; an entry is `*` (no proxy at all), a host name
 * (which also covers its sub-domains: `example.com` and `.example.com` both match
 * `api.example.com`), `*.example.com`, an IP address, or any of those with `:port` (then only that
 * port). Matching ignores case and a trailing dot. Loopback is proxied like any host unless listed.
 *
 * Plain data and string work only: node-fetch.ts loads this module only when a proxy variable is
 * set, so a run without a proxy never pays for it.
 */


export interface ProxyChoice {
  /** The proxy URL (http:), credentials included: never print it, use {@link describeProxy}. */
  url: URL;
  /** The variable it came from, for messages. */
  variable: string;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

function normalisedHost(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** Whether `NO_PROXY` (the raw value) exempts `url` from the proxy. */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (noProxy === undefined || noProxy.trim() === '') return false;
  const host = normalisedHost(url.hostname);
  const port = url.port || DEFAULT_PORTS[url.protocol] || '';
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((raw) => {
      if (raw === '*') return true;
      let entry = raw.toLowerCase();
      let entryPort: string | undefined;
      const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
      if (bracketed) {
        entry = bracketed[1]!;
        entryPort = bracketed[2];
      } else {
        const withPort = /^([^:]+):(\d+)$/.exec(entry);
        if (withPort) {
          entry = withPort[1]!;
          entryPort = withPort[2];
        }
      }
      if (entryPort !== undefined && entryPort !== port) return false;
      entry = entry.replace(/^\*?\./, '').replace(/\.$/, '');
      if (entry === '') return false;
      return host === entry || host.endsWith(`.${entry}`);
    });
}

/** The first non-empty value among `names`. */
function firstOf(env: Readonly<Record<string, string | undefined>>, ...names: string[]): { value: string; variable: string } | undefined {
  for (const variable of names) {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '') return { value, variable };
  }
  return undefined;
}

/**
 * The proxy for `url`, or `undefined` for a direct connection.
 *
 * @throws ProxyConfigError when the variable holds something that is not an http proxy URL.
 */
export function proxyFor(url: URL, env: Readonly<Record<string, string | undefined>>): ProxyChoice | undefined {
  const configured = url.protocol === 'https:' ? firstOf(env, 'https_proxy', 'HTTPS_PROXY') : firstOf(env, 'http_proxy', 'HTTP_PROXY');
  if (configured === undefined) return undefined;
  if (bypassesProxy(url, firstOf(env, 'no_proxy', 'NO_PROXY')?.value)) return undefined;
  // A proxy given as host:port (common in corporate settings) means http://host:port.
  const raw = /^[a-z][a-z0-9+.-]*:\/\//i.test(configured.value) ? configured.value : `http://${configured.value}`;
  let proxy: URL;
  try {
    proxy = new URL(raw);
  } catch {
    throw new ProxyConfigError(`${configured.variable} is not a proxy URL.`, configured.variable);
  }
  if (proxy.protocol !== 'http:') {
    throw new ProxyConfigError(
      `${configured.variable} is a ${proxy.protocol.replace(/:$/, '')} proxy (${describeProxy(proxy)}); only http:// proxies are supported (https targets go through them with CONNECT).`,
      configured.variable,
    );
  }
  return { url: proxy, variable: configured.variable };
}

/** A proxy URL as it may be printed: scheme, host and port, with any credentials replaced by `***`. */
export function describeProxy(proxy: URL): string {
  const credentials = proxy.username !== '' || proxy.password !== '' ? '***@' : '';
  return `${proxy.protocol}//${credentials}${proxy.host}`;
}

/** The `Proxy-Authorization` header for credentials in the proxy URL, if any. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

/** A proxy variable that cannot be used; `code` is what cli/http.ts reports. */
export class ProxyConfigError extends Error {
  readonly code = 'ERR_PROXY_URL';
  constructor(
    message: string,
    readonly variable: string,
  ) {
    super(message);
    this.name = 'ProxyConfigError';
  }
}
