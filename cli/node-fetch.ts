/**
 * The production `fetch` of the CLI: the part of the WHATWG fetch API that cli/http.ts uses, built
 * on `node:http`/`node:https`. Node's own fetch loads undici on first use (about 30 ms) and keeps
 * the process alive after the last response; a CLI that makes a handful of requests pays both on
 * every run. Tests inject their own fetch; this one is used by the built binary.
 *
 * Supported: method, headers, a string body, `signal`, and `redirect: 'manual'` (redirects are
 * never followed: the answer is returned as it is). Errors look like fetch's: a `TypeError`
 * "fetch failed" whose `cause` is the socket error (`ECONNREFUSED`, `ECONNRESET`, ...), or the
 * signal's reason when it aborts.
 */
import type { IncomingMessage } from 'node:http';

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

/** A fetch over `node:http`/`node:https` with the subset described above. */
export async function nodeHttpFetch(input: string | URL | Request, init: FetchInit = {}): Promise<Response> {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('fetch failed', { cause: new Error(`unsupported protocol ${url.protocol}`) });
  const signal = init.signal ?? undefined;
  if (signal?.aborted) throw signal.reason;
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string') throw new TypeError('nodeHttpFetch: only string bodies are supported');
  const headers = toHeaderRecord(init.headers);
  if (typeof body === 'string' && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(body));

  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise<Response>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    const outgoing = request(url, { method: init.method ?? 'GET', headers }, (message) => {
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
    outgoing.on('error', (error) => fail(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error })));
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
