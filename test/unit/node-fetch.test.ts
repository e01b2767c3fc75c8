/**
 * The CLI's production fetch over node:http, against a real loopback server: what cli/http.ts
 * relies on (status, headers, body reader, text, string bodies, abort, socket errors).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { httpRequest, RETRY_IDEMPOTENT } from '../../cli/http.js';
import { localhostLookup, nodeHttpFetch } from '../../cli/node-fetch.js';
import { sleep } from '../../cli/deps.js';

let server: http.Server;
let base: string;
const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string; bytes: Buffer }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: bytes.toString('utf8'), bytes });
      if (req.url === '/json') {
        res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'retry-after': '3' });
        res.end(JSON.stringify({ ok: true }));
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: '/json' });
        res.end();
      } else if (req.url === '/reset') {
        req.socket.destroy();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000).unref();
      } else if (req.url === '/big') {
        res.write('x'.repeat(1000));
        res.end('y'.repeat(1000));
      } else {
        res.end('plain');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('nodeHttpFetch', () => {
  it('sends method, headers and a string body; reads status, headers and text', async () => {
    const response = await nodeHttpFetch(`${base}/json`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{"a":1}' });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.get('Content-Type')).toBe('application/json');
    expect(response.headers.get('retry-after')).toBe('3');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(response.headers.get('x-missing')).toBeNull();
    expect(await response.text()).toBe('{"ok":true}');
    const request = seen.at(-1)!;
    expect([request.method, request.url, request.body]).toEqual(['POST', '/json', '{"a":1}']);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['content-length']).toBe('7');
  });

  it('sends a byte body (a multipart deploy with a zip) unchanged, with its length', async () => {
    const bytes = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0xc3, 0x28, 0x0d, 0x0a]);
    const response = await nodeHttpFetch(`${base}/bytes`, { method: 'POST', headers: { 'content-type': 'application/zip' }, body: bytes });
    expect(await response.text()).toBe('plain');
    const request = seen.at(-1)!;
    expect(request.bytes.equals(Buffer.from(bytes))).toBe(true);
    expect(request.headers['content-length']).toBe('10');
  });

  it('does not follow redirects', async () => {
    const response = await nodeHttpFetch(`${base}/redirect`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/json');
  });

  it('reads the body chunk by chunk through getReader()', async () => {
    const response = await nodeHttpFetch(`${base}/big`);
    const reader = response.body!.getReader();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    expect(text).toBe('x'.repeat(1000) + 'y'.repeat(1000));
  });

  it('fails like fetch when the connection is refused or reset', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(nodeHttpFetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
    await expect(nodeHttpFetch(`${base}/reset`)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNRESET' } });
  });

  it('rejects with the signal reason when aborted', async () => {
    const controller = new AbortController();
    const pending = nodeHttpFetch(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('timeout')), 50);
    await expect(pending).rejects.toThrow('timeout');
    const aborted = new AbortController();
    aborted.abort(new Error('already'));
    await expect(nodeHttpFetch(`${base}/json`, { signal: aborted.signal })).rejects.toThrow('already');
  });

  it('serves httpRequest: timeouts, retries and network errors map to the typed errors', async () => {
    const deps = { fetch: nodeHttpFetch as typeof fetch, sleep, signal: new AbortController().signal, now: () => Date.now() };
    await expect(httpRequest({ method: 'GET', url: `${base}/slow`, timeoutMs: 100, service: 'the test server' }, deps)).rejects.toMatchObject({
      code: 'ERR_HTTP_TIMEOUT',
      message: `the test server did not answer GET ${base}/slow within 0.1 s.`,
    });
    await expect(httpRequest({ method: 'GET', url: `${base}/reset`, timeoutMs: 1000, service: 'the test server', retry: { ...RETRY_IDEMPOTENT, baseDelayMs: 1 } }, deps)).rejects.toMatchObject({
      code: 'ERR_NETWORK',
      message: `Could not reach the test server (GET ${base}/reset): ECONNRESET (socket hang up).`,
    });
    const response = await httpRequest({ method: 'GET', url: `${base}/json`, timeoutMs: 1000, service: 'the test server' }, deps);
    expect([response.status, response.text, response.headers.get('retry-after')]).toEqual([201, '{"ok":true}', '3']);
  });
});

describe('localhostLookup', () => {
  it('answers localhost with the loopback addresses, without asking a resolver', () => {
    const answers: unknown[] = [];
    localhostLookup('localhost', { all: true }, (error, address) => answers.push([error, address]));
    localhostLookup('localhost', { family: 6 }, (error, address, family) => answers.push([error, address, family]));
    localhostLookup('localhost', (error, address, family) => answers.push([error, address, family]));
    expect(answers).toEqual([
      [null, [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]],
      [null, '::1', 6],
      [null, '127.0.0.1', 4],
    ]);
  });
});
