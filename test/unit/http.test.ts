import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep as realSleep } from '../../cli/deps.js';
import { InterruptedError, NetworkError, TimeoutError } from '../../cli/errors.js';
import { describeUrl, httpRequest, NO_RETRY, parseJson, RETRY_IDEMPOTENT, retryDelayMs, type HttpRequest } from '../../cli/http.js';
import { failure } from '../support/app-error.js';
import { fakeFetchDeps, NOW_MS } from '../support/fake-fetch.js';

const REQUEST: HttpRequest = { method: 'POST', url: 'https://api.example.test/v1/things?secret=s3cr3t', body: 'a=1', timeoutMs: 1000, retry: RETRY_IDEMPOTENT, service: 'the Example API' };

describe('httpRequest (fake fetch)', () => {
  it('returns status, headers, text and attempts, sending method, headers and body as given', async () => {
    const { fake, deps } = fakeFetchDeps([{ status: 201, json: { ok: true }, headers: { 'x-request-id': 'r1' } }]);
    const response = await httpRequest({ ...REQUEST, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, deps);
    expect(response.status).toBe(201);
    expect(response.text).toBe('{"ok":true}');
    expect(response.headers.get('x-request-id')).toBe('r1');
    expect(response.attempts).toBe(1);
    expect(fake.requests).toEqual([{ url: REQUEST.url, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }]);
  });

  it('retries 5xx with growing backoff, then returns the success', async () => {
    const { fake, sleeps, deps } = fakeFetchDeps([{ status: 500 }, { status: 503 }, { status: 200, body: 'ok' }]);
    const response = await httpRequest(REQUEST, deps);
    expect(response).toMatchObject({ status: 200, text: 'ok', attempts: 3 });
    expect(fake.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(125);
    expect(sleeps[0]).toBeLessThanOrEqual(250);
    expect(sleeps[1]).toBeGreaterThanOrEqual(250);
    expect(sleeps[1]).toBeLessThanOrEqual(500);
  });

  it('returns the last 5xx after the attempts run out (the caller decides what it means)', async () => {
    const { fake, deps } = fakeFetchDeps([{ status: 502 }, { status: 502 }, { status: 504, body: 'gateway' }]);
    expect(await httpRequest(REQUEST, deps)).toMatchObject({ status: 504, text: 'gateway', attempts: 3 });
    expect(fake.requests).toHaveLength(3);
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    const { sleeps, deps } = fakeFetchDeps([
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 503, headers: { 'retry-after': new Date(NOW_MS + 5000).toUTCString() } },
      { status: 200 },
    ]);
    await httpRequest(REQUEST, deps);
    expect(sleeps).toEqual([3000, 5000]);
  });

  it('never retries a 4xx', async () => {
    const { fake, sleeps, deps } = fakeFetchDeps([{ status: 400, json: { error: 'invalid_grant' } }]);
    expect(await httpRequest(REQUEST, deps)).toMatchObject({ status: 400, attempts: 1 });
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry with NO_RETRY (the default)', async () => {
    const { fake, deps } = fakeFetchDeps([{ status: 503 }]);
    const { retry: _retry, ...once } = REQUEST;
    expect(await httpRequest(once, deps)).toMatchObject({ status: 503, attempts: 1 });
    expect(await httpRequest({ ...REQUEST, retry: NO_RETRY }, fakeFetchDeps([{ status: 503 }]).deps)).toMatchObject({ attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a network error and reports the last one as ERR_NETWORK without the query string', async () => {
    const reset = () => new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
    const { fake, deps } = fakeFetchDeps([{ error: reset() }, { error: reset() }, { error: reset() }]);
    const error = await failure(httpRequest(REQUEST, deps));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.code).toBe('ERR_NETWORK');
    expect(error.message).toBe('Could not reach the Example API (POST https://api.example.test/v1/things): ECONNRESET (read ECONNRESET).');
    expect(error.hint).toBe('Check the URL, DNS and proxy settings, and that the service is up; then run the command again.');
    expect(error.exitCode).toBe(8);
    expect(fake.requests).toHaveLength(3);
  });

  it('times out each attempt and throws ERR_HTTP_TIMEOUT', async () => {
    const { fake, deps } = fakeFetchDeps([{ hang: true }, { hang: true }, { hang: true }]);
    const error = await failure(httpRequest({ ...REQUEST, timeoutMs: 25 }, deps));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.code).toBe('ERR_HTTP_TIMEOUT');
    expect(error.message).toBe('the Example API did not answer POST https://api.example.test/v1/things within 0.025 s.');
    expect(error.exitCode).toBe(7);
    expect(fake.requests).toHaveLength(3);
  });

  it('recovers when a timed-out attempt is followed by an answer', async () => {
    const { deps } = fakeFetchDeps([{ hang: true }, { status: 200, body: 'late but fine' }]);
    expect(await httpRequest({ ...REQUEST, timeoutMs: 25 }, deps)).toMatchObject({ status: 200, attempts: 2 });
  });

  it('stops with InterruptedError when the signal aborts during a request', async () => {
    const controller = new AbortController();
    const { deps } = fakeFetchDeps([{ hang: true }], controller.signal);
    setTimeout(() => controller.abort('SIGTERM'), 10);
    const error = await failure(httpRequest({ ...REQUEST, timeoutMs: 5000 }, deps));
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error.code).toBe('ERR_TERMINATED');
    expect(error.message).toBe('Interrupted (SIGTERM) while talking to the Example API.');
    expect(error.exitCode).toBe(143);
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort('SIGINT');
    const { fake, deps } = fakeFetchDeps([], controller.signal);
    const error = await failure(httpRequest(REQUEST, deps));
    expect(error.code).toBe('ERR_INTERRUPTED');
    expect(error.exitCode).toBe(130);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a body larger than maxResponseBytes (declared or streamed), without retrying', async () => {
    const { fake, deps } = fakeFetchDeps([{ status: 200, body: 'x'.repeat(2048) }]);
    const error = await failure(httpRequest({ ...REQUEST, maxResponseBytes: 1024 }, deps));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.code).toBe('ERR_HTTP_BODY_TOO_LARGE');
    expect(error.message).toBe('The Example API answered POST https://api.example.test/v1/things with a body larger than 1024 bytes; it was not read.');
    expect(error.hint).toBe('Check that the URL points at the real service and not at a proxy or another server.');
    expect(fake.requests).toHaveLength(1);
    const declared = fakeFetchDeps([{ status: 200, body: 'small', headers: { 'content-length': '99999999' } }]);
    expect((await failure(httpRequest(REQUEST, declared.deps))).code).toBe('ERR_HTTP_BODY_TOO_LARGE');
    expect(await httpRequest({ ...REQUEST, maxResponseBytes: 2048 }, fakeFetchDeps([{ status: 200, body: 'x'.repeat(2048) }]).deps)).toMatchObject({ status: 200 });
  });

  it('never puts the request body in an error', async () => {
    const { deps } = fakeFetchDeps([{ error: new TypeError('fetch failed') }]);
    const error = await failure(httpRequest({ ...REQUEST, retry: NO_RETRY, body: 'assertion=eyJhbGciOiJSUzI1NiJ9.secret' }, deps));
    expect(`${error.message}${error.hint}${JSON.stringify(error.details ?? {})}`).not.toContain('eyJhbGciOiJSUzI1NiJ9');
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base with jitter between 50% and 100%, capped', () => {
    expect(retryDelayMs(1, null, RETRY_IDEMPOTENT, NOW_MS, 0)).toBe(125);
    expect(retryDelayMs(1, null, RETRY_IDEMPOTENT, NOW_MS, 1)).toBe(250);
    expect(retryDelayMs(3, null, RETRY_IDEMPOTENT, NOW_MS, 1)).toBe(1000);
    expect(retryDelayMs(20, null, RETRY_IDEMPOTENT, NOW_MS, 1)).toBe(30000);
    expect(retryDelayMs(1, null, { ...RETRY_IDEMPOTENT, baseDelayMs: 10, maxDelayMs: 15 }, NOW_MS, 1)).toBe(10);
  });

  it('takes Retry-After (seconds or date), capped, never negative; ignores garbage', () => {
    expect(retryDelayMs(1, '0', RETRY_IDEMPOTENT, NOW_MS)).toBe(0);
    expect(retryDelayMs(1, '120', RETRY_IDEMPOTENT, NOW_MS)).toBe(30000);
    expect(retryDelayMs(1, new Date(NOW_MS - 5000).toUTCString(), RETRY_IDEMPOTENT, NOW_MS)).toBe(0);
    expect(retryDelayMs(1, 'soon', RETRY_IDEMPOTENT, NOW_MS, 1)).toBe(250);
  });
});

describe('describeUrl and parseJson', () => {
  it('shows a URL without query or fragment', () => {
    expect(describeUrl('https://x.example/a/b?token=1#f')).toBe('https://x.example/a/b');
    expect(describeUrl('nope')).toBe('(invalid URL)');
  });

  it('parses JSON, and gives undefined for empty or non-JSON text', () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    expect(parseJson('  ')).toBeUndefined();
    expect(parseJson('<html>')).toBeUndefined();
    expect(parseJson('{"a":')).toBeUndefined();
  });
});

describe('httpRequest (real HTTP on loopback)', () => {
  let server: Server;
  let base: string;
  let hits: Record<string, number>;
  beforeAll(async () => {
    hits = {};
    server = createServer((request, response) => {
      const path = request.url ?? '/';
      hits[path] = (hits[path] ?? 0) + 1;
      if (path === '/flaky' && hits[path]! < 2) {
        request.socket.destroy();
        return;
      }
      if (path === '/slow') return void setTimeout(() => response.end('slow'), 2000).unref();
      if (path === '/redirect') {
        response.writeHead(302, { location: 'https://elsewhere.example/' });
        return void response.end();
      }
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`hello ${request.method}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const deps = () => ({ fetch: globalThis.fetch, now: Date.now, sleep: realSleep, signal: new AbortController().signal });

  it('retries a connection reset and gets the answer', async () => {
    const response = await httpRequest({ ...REQUEST, url: `${base}/flaky`, retry: { ...RETRY_IDEMPOTENT, baseDelayMs: 1 } }, deps());
    expect(response).toMatchObject({ status: 200, text: 'hello POST', attempts: 2 });
  });

  it('does not follow a redirect (a secret goes only where it was sent)', async () => {
    const response = await httpRequest({ ...REQUEST, url: `${base}/redirect` }, deps());
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://elsewhere.example/');
  });

  it('times out a slow server', async () => {
    const error = await failure(httpRequest({ ...REQUEST, method: 'GET', body: undefined, url: `${base}/slow`, timeoutMs: 50, retry: NO_RETRY }, deps()));
    expect(error.code).toBe('ERR_HTTP_TIMEOUT');
    expect(error.message).toBe(`the Example API did not answer GET ${base}/slow within 0.05 s.`);
  });

  it('reports a refused connection as ERR_NETWORK', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(httpRequest({ ...REQUEST, url: `http://127.0.0.1:${port}/x`, retry: NO_RETRY }, deps()));
    expect(error.code).toBe('ERR_NETWORK');
    expect(error.message).toMatch(new RegExp(`^Could not reach the Example API \\(POST http://127\\.0\\.0\\.1:${port}/x\\): ECONNREFUSED`));
  });
});

describe('retryDelayMs with a Retry-After that is not a delay', () => {
  it.each(['-5', '-1', ' -30 ', '1.5e400', 'soon', ''])('backs off for Retry-After %p instead of reading it as a date', (value) => {
    expect(retryDelayMs(2, value, RETRY_IDEMPOTENT, NOW_MS, 1)).toBe(500);
  });

  it('still honours seconds and an HTTP date', () => {
    expect(retryDelayMs(1, '3', RETRY_IDEMPOTENT, NOW_MS, 1)).toBe(3000);
    expect(retryDelayMs(1, new Date(NOW_MS + 2000).toUTCString(), RETRY_IDEMPOTENT, NOW_MS, 1)).toBe(2000);
  });
});

describe('timeouts and the --timeout hint', () => {
  const hanging: HttpRequest = { method: 'GET', url: 'https://example.test/x', timeoutMs: 10, service: 'the AppLink API' };
  const neverAnswers = (async (_url: unknown, init?: RequestInit) =>
    new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as typeof fetch;
  const base = { fetch: neverAnswers, sleep: realSleep, signal: new AbortController().signal, now: () => Date.now() };

  it('names --timeout only for a command that has it', async () => {
    const without = await failure(httpRequest(hanging, base));
    expect([without.code, without.hint]).toEqual(['ERR_HTTP_TIMEOUT', 'Check the network path to the service, and run the command again.']);
    const withOption = await failure(httpRequest(hanging, { ...base, timeoutOption: true }));
    expect(withOption.hint).toBe('Check the network path to the service, or raise --timeout.');
  });

  it('ends every attempt and pause by the deadline', async () => {
    const error = await failure(httpRequest({ ...hanging, timeoutMs: 60_000, retry: { ...RETRY_IDEMPOTENT, attempts: 5 } }, { ...base, deadlineAt: Date.now() + 50, timeoutOption: true }));
    expect(error.code).toBe('ERR_DEADLINE');
  });
});
