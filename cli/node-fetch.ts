/**
 * The production `fetch` of the CLI: the part of the WHATWG fetch API that cli/http.ts uses, built
 * on `node:http`/`node:https`. Node's own fetch loads undici on first use (about 30 ms) and keeps
 * the process alive after the last response; a CLI that makes a handful of requests pays both on
 * every run. Tests inject their own fetch; this one is used by the built binary.
 *
 * Supported: method, headers, a string or byte (`Uint8Array`) body, `signal`, and `redirect: 'manual'` (redirects are
 * never followed: the answer is returned as it is). Errors look like fetch's: a `TypeError`
 * "fetch failed" whose `cause` is the socket error (`ECONNREFUSED`, `ECONNRESET`, ...), or the
 * signal's reason when it aborts.
 *
 * Proxies (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`: see proxy.ts, loaded only when one of these is
 * set): an http URL is requested from the proxy in absolute form; an https URL goes through a
 * CONNECT tunnel, with TLS to the target inside it (the proxy sees only the host and port). A
 * proxy that refuses (a CONNECT answer other than 200, or 407) gives a `cause` with the code
 * `ERR_PROXY_REFUSED` naming the proxy, its credentials replaced by `***`.
 *
 * Why not a package: https-proxy-agent replays a refused CONNECT to the caller as if the target had
 * answered (a 407 would look like Salesforce's), and proxy-from-env reads `process.env` itself;
 * what is needed here is a few lines of node:http.
 */
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { ProxyChoice } from './proxy.js';
import { PROXY_VARIABLES } from './proxy-variables.js';

type FetchInit = NonNullable<Parameters<typeof globalThis.fetch>[1]>;

/** The headers of a response, read-only, with fetch's case-insensitive `get`. */
class ResponseHeaders {
  constructor(private readonly raw: IncomingMessage['headers']) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const name of Object.keys(this.raw)) callback(this.get(name)!, name);
  }
}

/** The body as the `getReader()`/`cancel()` subset of a ReadableStream over the message. */
function bodyOf(message: IncomingMessage) {
  const iterator = message[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const cancel = async () => {
    message.destroy();
  };
  return {
    cancel,
    getReader: () => ({
      read: async (): Promise<{ done: true; value: undefined } | { done: false; value: Uint8Array }> => {
        const next = await iterator.next();
        return next.done ? { done: true, value: undefined } : { done: false, value: next.value };
      },
      cancel,
      releaseLock: () => {},
    }),
  };
}

function toHeaderRecord(headers: FetchInit['headers']): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  if (Array.isArray(headers)) {
    for (const [name, value] of headers) record[name!.toLowerCase()] = value!;
  } else if (typeof (headers as { forEach?: unknown }).forEach === 'function') {
    (headers as { forEach(callback: (value: string, name: string) => void): void }).forEach((value, name) => {
      record[name.toLowerCase()] = value;
    });
  } else {
    for (const [name, value] of Object.entries(headers as Record<string, string>)) record[name.toLowerCase()] = value;
  }
  return record;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | Array<{ address: string; family: number }>, family?: number) => void;

/**
 * The name `localhost` resolved here, never by a resolver: it counts as loopback for the host rules
 * (cli/applink/hosts.ts), so the token it may receive over plain http must stay on this machine.
 */
export function localhostLookup(_hostname: string, options: { all?: boolean; family?: number | string } | LookupCallback, callback?: LookupCallback): void {
  const done = (typeof options === 'function' ? options : callback)!;
  const all = typeof options === 'object' && options.all === true;
  const family = typeof options === 'object' ? Number(String(options.family ?? 0).replace('IPv', '')) : 0;
  const addresses = [
    { address: '127.0.0.1', family: 4 },
    { address: '::1', family: 6 },
  ].filter((entry) => family === 0 || entry.family === family);
  if (all) done(null, addresses);
  else done(null, addresses[0]!.address, addresses[0]!.family);
}


export interface NodeFetchOptions {
  /** The environment to read proxy variables from (main.ts passes `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A socket-level error on the way to the proxy, re-worded to name the proxy (code kept). */
function proxyConnectionError(error: NodeJS.ErrnoException, proxy: ProxyChoice, describe: (url: URL) => string): Error {
  return Object.assign(new Error(`proxy ${describe(proxy.url)} from ${proxy.variable}: ${error.message}`), { code: error.code });
}

/** The `cause` of a fetch failure when the proxy refused the request. */
function proxyRefusal(proxy: ProxyChoice, describe: (url: URL) => string, what: string, message: IncomingMessage): Error {
  return Object.assign(new Error(`the proxy ${describe(proxy.url)} (from ${proxy.variable}) refused ${what}: HTTP ${message.statusCode} ${message.statusMessage ?? ''}`.trimEnd()), {
    code: 'ERR_PROXY_REFUSED',
  });
}

/**
 * Opens the request: directly, through the proxy in absolute form (http), or through a CONNECT
 * tunnel (https). Resolves once the request can take its body.
 */
async function openRequest(url: URL, method: string, headers: Record<string, string>, env: NodeFetchOptions['env'], signal: AbortSignal | undefined): Promise<{ outgoing: ClientRequest; proxied?: { proxy: ProxyChoice; describe: (url: URL) => string } }> {
  const wantsProxy = env !== undefined && PROXY_VARIABLES.some((name) => (env[name] ?? '').trim() !== '');
  const proxyModule = wantsProxy ? await import('./proxy.js') : undefined;
  const proxy = proxyModule?.proxyFor(url, env!);
  if (proxy === undefined || proxyModule === undefined) {
    const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    // `localhost` counts as loopback for the host rules: resolve it here, never through DNS.
    const lookup = url.hostname.toLowerCase() === 'localhost' ? { lookup: localhostLookup as never } : {};
    return { outgoing: request(url, { method, headers, ...lookup }) };
  }
  const { describeProxy, proxyAuthorization } = proxyModule;
  const authorization = proxyAuthorization(proxy.url);
  const http = await import('node:http');
  const proxyTarget = { host: proxy.url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(proxy.url.port || 80) };
  const proxied = { proxy, describe: describeProxy };
  if (url.protocol === 'http:') {
    const outgoing = http.request({
      ...proxyTarget,
      method,
      path: url.href,
      headers: { ...headers, host: url.host, ...(authorization ? { 'proxy-authorization': authorization } : {}) } as OutgoingHttpHeaders,
    });
    return { outgoing, proxied };
  }
  const port = url.port || '443';
  const authority = `${url.hostname}:${port}`;
  const connect = http.request({ ...proxyTarget, method: 'CONNECT', path: authority, headers: { host: authority, ...(authorization ? { 'proxy-authorization': authorization } : {}) } });
  const socket = await new Promise<import('node:net').Socket>((resolve, reject) => {
    const onAbort = () => {
      connect.destroy();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    connect.once('connect', (answer: IncomingMessage, tunnel: import('node:net').Socket) => {
      signal?.removeEventListener('abort', onAbort);
      if (answer.statusCode === 200) {
        resolve(tunnel);
        return;
      }
      tunnel.destroy();
      reject(new TypeError('fetch failed', { cause: proxyRefusal(proxy, describeProxy, `to open a tunnel to ${authority}`, answer) }));
    });
    connect.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: proxyConnectionError(error, proxy, describeProxy) }));
    });
    connect.end();
  });
  const { connect: tlsConnect } = await import('node:tls');
  const { isIP } = await import('node:net');
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // `host` is what the certificate is checked against (tls.connect assumes localhost without it).
  const secure = tlsConnect({ socket, host: hostname, servername: isIP(hostname) ? undefined : hostname });
  const { request } = await import('node:https');
  // The tunnel carries this one request: no agent, the TLS socket is the connection.
  const outgoing = request(url, { method, headers, agent: false, createConnection: () => secure });
  // A TLS failure (certificate, handshake) is the request's failure, like fetch's.
  secure.once('error', (error) => outgoing.destroy(error));
  return { outgoing };
}

/** A fetch over `node:http`/`node:https` with the subset described above. */
export async function nodeHttpFetch(input: string | URL | Request, init: FetchInit = {}, options: NodeFetchOptions = {}): Promise<Response> {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('fetch failed', { cause: new Error(`unsupported protocol ${url.protocol}`) });
  const signal = init.signal ?? undefined;
  if (signal?.aborted) throw signal.reason;
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) throw new TypeError('nodeHttpFetch: only string and Uint8Array bodies are supported');
  const headers = toHeaderRecord(init.headers);
  if ((typeof body === 'string' || body instanceof Uint8Array) && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(body));

  const { outgoing, proxied } = await openRequest(url, init.method ?? 'GET', headers, options.env, signal);
  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    outgoing.once('response', (message: IncomingMessage) => {
      // Only a proxy answers 407: the request never reached the service.
      if (proxied !== undefined && message.statusCode === 407) {
        message.destroy();
        fail(new TypeError('fetch failed', { cause: proxyRefusal(proxied.proxy, proxied.describe, `to forward the request to ${url.host}`, message) }));
        return;
      }
      settled = true;
      const status = message.statusCode ?? 0;
      const responseBody = bodyOf(message);
      const response = {
        status,
        statusText: message.statusMessage ?? '',
        ok: status >= 200 && status <= 299,
        redirected: false,
        url: url.href,
        headers: new ResponseHeaders(message.headers),
        body: responseBody,
        text: async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of message) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks).toString('utf8');
        },
      };
      // An abort after the headers ends the body read the way fetch does: with the signal's reason.
      signal?.addEventListener('abort', () => message.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason))), { once: true });
      resolve(response as unknown as Response);
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (signal?.aborted) fail(signal.reason);
      else fail(new TypeError('fetch failed', { cause: proxied === undefined ? error : proxyConnectionError(error, proxied.proxy, proxied.describe) }));
    });
    signal?.addEventListener(
      'abort',
      () => {
        fail(signal.reason);
        outgoing.destroy();
      },
      { once: true },
    );
    outgoing.end(body ?? undefined);
  });
}
