/**
 * Where secrets may go, proven "refused before any connection":
 * - HEROKU_API_KEY only to https://api.heroku.com, another https://*.heroku.com host, or loopback;
 * - the add-on token only to its _API_URL over https, or to loopback;
 * - the assertion (and the access token of the Data Cloud exchange) only to https Salesforce hosts
 *   or loopback; another host only with --allow-login-host.
 *
 * Non-loopback hosts cannot be reached from here, so those cases run in-process with a fetch that
 * records every call: a refused destination gets no call at all, an allowed one gets the first
 * call. The loopback-versus-http cases use a real server on 127.0.0.1 addressed as 0.0.0.0 (which
 * Linux connects to 127.0.0.1): a refused run must not open a single connection to it, and the
 * same server addressed as 127.0.0.1 does see the connection (so the check can fail).
 */
import * as http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { directEnv, platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';
import { runProgram } from '../support/harness.js';
import { findSecrets } from '../support/leak-guard.js';
import { jsonError } from '../support/envelope.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
let listener: { port: number; connections: number; close: () => Promise<void> };

sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));
beforeEach(async () => {
  const server = http.createServer((_req, res) => res.end('{}'));
  const state = { connections: 0 };
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listener = {
    port: (server.address() as { port: number }).port,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
afterEach(async () => {
  await listener.close();
});

/** Runs in-process with a fetch that records each destination and answers nothing useful. */
async function recorded(args: string[], env: Record<string, string>) {
  const calls: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    calls.push(new URL(String(input)).origin);
    throw new TypeError('fetch failed', { cause: Object.assign(new Error('recorded, not sent'), { code: 'ENOTFOUND' }) });
  }) as typeof globalThis.fetch;
  const result = await runProgram([...args, '--json'], { env, fetch, now: () => Date.now(), sleep: async () => {} });
  const error = result.exitCode === 0 ? undefined : (jsonError(result.stdout) as { code: string; message: string });
  bin.record(result.stdout, result.stderr);
  return { calls, code: error?.code, message: error?.message ?? '' };
}

describe('HEROKU_API_KEY goes only to https://*.heroku.com or loopback', () => {
  const list = ['list', '-a', 'acme-app'];
  it.each([
    ['https://api.heroku.com', 'https://api.heroku.com'],
    ['https://api.staging.heroku.com', 'https://api.staging.heroku.com'],
    ['https://API.Heroku.com.', 'https://api.heroku.com.'],
  ])('allowed: %s', async (url, origin) => {
    const run = await recorded(list, { ...platformEnv(sandbox), HEROKU_API_URL: url });
    expect(run.calls[0]).toBe(origin);
    expect(run.code).toBe('ERR_NETWORK');
  });
  it.each([
    ['http://api.heroku.com'],
    ['https://api.heroku.com.evil.example'],
    ['https://evilheroku.com'],
    ['https://api.example.com'],
    ['https://127.0.0.1.nip.io'],
  ])('refused before any call: %s', async (url) => {
    const run = await recorded(list, { ...platformEnv(sandbox), HEROKU_API_URL: url });
    expect({ calls: run.calls, code: run.code }).toEqual({ calls: [], code: 'ERR_HOST_NOT_ALLOWED' });
    expect(run.message).toMatch(/the Heroku token is only sent to https:\/\/api\.heroku\.com, another https:\/\/\*\.heroku\.com host, or a loopback address\. Nothing was sent\.$/);
  });
  it('http to 0.0.0.0 (which reaches 127.0.0.1) is refused: the listening server sees no connection; 127.0.0.1 is allowed', async () => {
    const refused = await bin.run(list, { ...platformEnv(sandbox), HEROKU_API_URL: `http://0.0.0.0:${listener.port}` });
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toContain(`Error: HEROKU_API_URL points at http://0.0.0.0:${listener.port}: the Heroku token is only sent to`);
    expect(listener.connections).toBe(0);
    // The premise: 0.0.0.0 does reach the server (a plain request does connect).
    await (await fetch(`http://0.0.0.0:${listener.port}/`)).text();
    expect(listener.connections).toBe(1);
    const allowed = await bin.run(list, { ...platformEnv(sandbox), HEROKU_API_URL: `http://127.0.0.1:${listener.port}` });
    expect(allowed.exitCode).not.toBe(3);
    expect(listener.connections).toBeGreaterThan(1);
  });
});

describe('the add-on token goes only to its _API_URL over https, or to loopback', () => {
  it.each([
    ['https', (id: string) => `https://applink.example.com/addons/${id}`, 'https://applink.example.com'],
    ['https on a port, under a path', (id: string) => `https://proxy.example.com:8443/applink/addons/${id}`, 'https://proxy.example.com:8443'],
  ])('direct mode, allowed: %s', async (_name, url, origin) => {
    const env = directEnv(sandbox);
    const run = await recorded(['list'], { ...env, HEROKU_APPLINK_API_URL: url(sandbox.state.addons[0]!.id) });
    expect(run.calls).toEqual([origin, origin, origin, origin]); // the GET and its three retries
  });
  it('direct mode, refused before any call: http to another host', async () => {
    const run = await recorded(['list'], { ...directEnv(sandbox), HEROKU_APPLINK_API_URL: `http://applink.example.com/addons/${sandbox.state.addons[0]!.id}` });
    expect({ calls: run.calls, code: run.code }).toEqual({ calls: [], code: 'ERR_HOST_NOT_ALLOWED' });
  });
  it('direct mode, http to 0.0.0.0: no connection', async () => {
    const result = await bin.run(['list'], { ...directEnv(sandbox), HEROKU_APPLINK_API_URL: `http://0.0.0.0:${listener.port}/addons/${sandbox.state.addons[0]!.id}` });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('(ERR_HOST_NOT_ALLOWED, exit 3)');
    expect(listener.connections).toBe(0);
  });
  it('platform mode: a config var _API_URL over http to 0.0.0.0 is refused after the Platform API, before any AppLink call', async () => {
    const addonToken = 'applink-token-of-a-bad-config-var-0123';
    sandbox.state.addApp({
      name: 'odd-app',
      configVars: { HEROKU_APPLINK_API_URL: `http://0.0.0.0:${listener.port}/addons/x`, HEROKU_APPLINK_TOKEN: addonToken },
      addons: [{ name: 'applink-odd', state: 'provisioning' }],
    });
    const result = await bin.run(['list', '-a', 'odd-app'], platformEnv(sandbox));
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`Error: Config var HEROKU_APPLINK_API_URL of odd-app is http://0.0.0.0:${listener.port}/addons/x: the add-on token is only sent over https (or to a loopback address). Nothing was sent.`);
    expect(listener.connections).toBe(0);
    expect(sandbox.requestLog.every((entry) => entry.route.startsWith('platform.'))).toBe(true);
    expect(bin.leaks([addonToken])).toEqual([]);
  });
});

describe('the assertion goes only to https Salesforce hosts or loopback', () => {
  const verify = (loginUrl: string, ...extra: string[]) => ['verify', '--login-url', loginUrl, '--jwt-key-file', keys[0]!.path, ...extra];
  it.each(['https://login.salesforce.com', 'https://acme.my.salesforce.com', 'https://acme.force.com', 'https://login.salesforce.mil', 'https://acme.cloudforce.com', 'https://login.sfcrmproducts.cn', 'https://acme.my.site.com'])(
    'allowed: %s',
    async (url) => {
      const run = await recorded(verify(url), platformEnv(sandbox));
      expect(run.calls[0]).toBe(url);
    },
  );
  it('allowed with --allow-login-host only: a custom domain', async () => {
    const refused = await recorded(verify('https://login.acme.example'), platformEnv(sandbox));
    expect({ calls: refused.calls, code: refused.code }).toEqual({ calls: [], code: 'ERR_LOGIN_URL_HOST' });
    const allowed = await recorded(verify('https://login.acme.example', '--allow-login-host', 'login.acme.example'), platformEnv(sandbox));
    expect(allowed.calls[0]).toBe('https://login.acme.example');
    const wildcard = await recorded(verify('https://sso.acme.example', '--allow-login-host', '*.acme.example'), platformEnv(sandbox));
    expect(wildcard.calls[0]).toBe('https://sso.acme.example');
  });
  it.each([
    ['http to a Salesforce host', 'http://login.salesforce.com', 'ERR_LOGIN_URL_INSECURE'],
    ['a look-alike', 'https://login.salesforce.com.evil.example', 'ERR_LOGIN_URL_HOST'],
    ['a suffix without a dot', 'https://evilsalesforce.com', 'ERR_LOGIN_URL_HOST'],
    ['http even with --allow-login-host', 'http://login.acme.example', 'ERR_LOGIN_URL_INSECURE'],
  ])('refused before any call: %s', async (_name, url, code) => {
    const run = await recorded(verify(url, '--allow-login-host', 'login.acme.example'), platformEnv(sandbox));
    expect({ calls: run.calls, code: run.code }).toEqual({ calls: [], code });
  });
  it('http to 0.0.0.0: refused, and the listening server sees no connection (authorize sends nothing to Heroku either)', async () => {
    const result = await bin.run(['authorize', 'my_org', '-a', 'acme-app', '--login-url', `http://0.0.0.0:${listener.port}`, '--jwt-key-file', keys[0]!.path], platformEnv(sandbox));
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`Error: --login-url http://0.0.0.0:${listener.port} uses http; the assertion may only be sent over https (http is allowed for loopback hosts only).`);
    expect(listener.connections).toBe(0);
    expect(sandbox.requestLog).toEqual([]);
  });
  it('Data Cloud: an instance_url outside Salesforce never gets the access token', async () => {
    const calls: string[] = [];
    const accessToken = '00D000000000001!AQ-access-token-for-the-host-rule';
    const fetch = (async (input: string | URL | Request) => {
      calls.push(String(input));
      return new Response(JSON.stringify({ access_token: accessToken, instance_url: 'https://collector.evil.example', id: 'https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA', scope: 'api cdp_query_api' }), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    const result = await runProgram([...verify('https://login.salesforce.com'), '--type', 'datacloud', '--json'], { env: platformEnv(sandbox), fetch, now: () => Date.now() });
    expect(result.exitCode).toBe(4);
    expect(jsonError(result.stdout).code).toBe('ERR_SF_INSTANCE_URL_HOST');
    expect(calls).toEqual(['https://login.salesforce.com/services/oauth2/token']);
    expect(findSecrets([result.stdout, result.stderr], { tokens: [accessToken] })).toEqual([]);
  });
});
