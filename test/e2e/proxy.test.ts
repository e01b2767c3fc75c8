/**
 * Proxies end to end: the built binary, a real tinyproxy process, the sandbox, and an https front
 * (a throwaway CA made with openssl, trusted through NODE_EXTRA_CA_CERTS). What went through the
 * proxy is read from the proxy's own log.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';
import { startTinyproxy, type Tinyproxy } from '../support/tinyproxy.js';
import { startTlsFront, type TlsFront } from '../support/tls-front.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));

let dir: string;
let proxy: Tinyproxy;
let guarded: Tinyproxy;
let front: TlsFront;
const PROXY_USER = 'ci-proxy-user';
const PROXY_PASSWORD = 'Pr0xy-pass-not-for-output';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-proxy-'));
  [proxy, guarded, front] = await Promise.all([
    startTinyproxy(),
    startTinyproxy({ basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD } }),
    // The Platform API's paths to its host, the rest (the token endpoint) to the login host.
    startTlsFront(dir, (path) => (path.startsWith('/apps') ? sandbox.urls.platform : sandbox.urls.login)),
  ]);
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), guarded?.stop(), front?.close()]);
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await Promise.all([proxy.mark(), guarded.mark()]);
  front.seen.length = 0;
});

const external = () => sandbox.requestLog.filter((entry) => !entry.internal);
const authorizeArgs = (loginUrl: string) => ['authorize', 'my_org', '-a', 'acme-app', '--login-url', loginUrl, '--audience', 'https://login.salesforce.com', '--jwt-key-file', keys[0]!.path];

describe('through a proxy', () => {
  it('every request of every service goes through HTTP_PROXY (absolute form) and HTTPS_PROXY (CONNECT to TLS)', async () => {
    // The Platform API over https (the front); Salesforce (the login URL) and AppLink (its _API_URL)
    // over http: the sandbox's AppLink double logs in at the same login URL, and it does not trust the test CA.
    const env = { ...platformEnv(sandbox), HEROKU_API_URL: front.url, HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: front.caFile };
    const result = await bin.run(authorizeArgs(sandbox.urls.login), env);
    expect([result.exitCode, result.stdout.split('\n')[0]]).toEqual([0, expect.stringMatching(/^Authorized my_org \(Salesforce\) on add-on .* of app acme-app\.$/)]);

    const logged = await proxy.requests();
    const tunnels = logged.filter((line) => line.startsWith('CONNECT '));
    const forwarded = logged.filter((line) => !line.startsWith('CONNECT '));
    // One tunnel per https request (no keep-alive), all to the front; the proxy never saw their paths.
    expect(new Set(tunnels)).toEqual(new Set([`CONNECT ${new URL(front.url).host}`]));
    expect(tunnels).toHaveLength(front.seen.length);
    expect(front.seen.length).toBeGreaterThanOrEqual(5);
    expect(front.seen.every((path) => path.startsWith('/apps/acme-app'))).toBe(true);
    // The preflight and the AppLink calls in absolute form, each one the proxy forwarded.
    const direct = external().filter((entry) => entry.route === 'salesforce.token' || entry.route.startsWith('applink.'));
    expect(direct.filter((entry) => entry.route === 'salesforce.token')).toHaveLength(1);
    expect(direct.filter((entry) => entry.route.startsWith('applink.')).length).toBeGreaterThanOrEqual(2);
    expect(forwarded).toEqual(direct.map((entry) => `${entry.method} ${entry.host}${entry.path}`));
    // Nothing reached the sandbox except through the proxy (front requests + forwarded ones).
    expect(external()).toHaveLength(front.seen.length + forwarded.length);
  });

  it('NO_PROXY bypasses it (host:port, suffix, *); the requests still succeed', async () => {
    // list calls the Platform API and the AppLink API, each on its own host.
    const [platform, applink] = [sandbox.urls.platform, sandbox.urls.applink].map((url) => new URL(url).host);
    for (const noProxy of [`${platform},${applink}`, '.0.0.1,.0.0.2', 'example.com, 127.0.0.1, 127.0.0.2', '*']) {
      const env = { ...platformEnv(sandbox), HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: noProxy };
      const result = await bin.run(['list', '-a', 'acme-app'], env);
      expect([noProxy, result.exitCode]).toEqual([noProxy, 0]);
    }
    expect(await proxy.requests()).toEqual([]);
    // A NO_PROXY for another port does not bypass it.
    const other = await bin.run(['list', '-a', 'acme-app'], { ...platformEnv(sandbox), HTTP_PROXY: proxy.url, no_proxy: '127.0.0.1:1' });
    expect(other.exitCode).toBe(0);
    expect((await proxy.requests()).length).toBeGreaterThanOrEqual(4);
  });

  it('credentials in the proxy URL are sent, never printed; a refusal is a clear error naming the proxy', async () => {
    const withCredentials = (password: string) => `http://${PROXY_USER}:${password}@127.0.0.1:${guarded.port}`;
    const env = (proxyUrl: string) => ({ ...platformEnv(sandbox), HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl, NODE_EXTRA_CA_CERTS: front.caFile });

    const ok = await bin.run(['verify', '--login-url', front.url, '--audience', 'https://login.salesforce.com', '--jwt-key-file', keys[0]!.path], env(withCredentials(PROXY_PASSWORD)));
    expect(ok.exitCode).toBe(0);
    expect(await guarded.requests()).toEqual([`CONNECT ${new URL(front.url).host}`]);

    const tunnel = await bin.run(['verify', '--login-url', front.url, '--audience', 'https://login.salesforce.com', '--jwt-key-file', keys[0]!.path], env(withCredentials('wrong-password')));
    expect([tunnel.exitCode, tunnel.stderr.split('\n').slice(-3)]).toEqual([
      8,
      [
        `Error: Salesforce was not reached (POST ${front.url}/services/oauth2/token): the proxy http://***@127.0.0.1:${guarded.port} (from HTTPS_PROXY) refused to open a tunnel to ${new URL(front.url).host}: HTTP 401 Unauthorized.`,
        'Fix: Check the credentials in the proxy URL (http://user:password@proxy:port) and that the proxy allows the host and port; or list the host in NO_PROXY to connect directly.',
        '(ERR_PROXY_REFUSED, exit 8)',
      ],
    ]);

    // In absolute form (http targets) only a 407 is surely the proxy's: no credentials at all here.
    // (tinyproxy answers wrong credentials with 401, which an http service could send as well.)
    const plain = await bin.run(['list', '-a', 'acme-app'], env(guarded.url));
    expect([plain.exitCode, plain.stderr.split('\n')[0]]).toEqual([
      8,
      `Error: The Heroku Platform API was not reached (GET ${sandbox.urls.platform}/apps/acme-app): the proxy http://127.0.0.1:${guarded.port} (from HTTP_PROXY) refused to forward the request to ${new URL(sandbox.urls.platform).host}: HTTP 407 Proxy Authentication Required.`,
    ]);
    for (const output of [ok, tunnel, plain]) {
      expect(output.stdout + output.stderr).not.toContain(PROXY_PASSWORD);
      expect(output.stdout + output.stderr).not.toContain('wrong-password');
      expect(output.stdout + output.stderr).not.toContain(PROXY_USER);
    }
    expect(external().filter((entry) => entry.route === 'platform.app')).toEqual([]);
  });

  it('a proxy that is down is named in the network error', async () => {
    const closed = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:9`;
    const result = await bin.run(['list', '-a', 'acme-app'], { ...platformEnv(sandbox), HTTP_PROXY: closed });
    expect(result.exitCode).toBe(8);
    expect(result.stderr).toContain(`(GET ${sandbox.urls.platform}/apps/acme-app): ECONNREFUSED (proxy http://***@127.0.0.1:9 from HTTP_PROXY: connect ECONNREFUSED 127.0.0.1:9)`);
    expect(result.stderr).not.toContain(PROXY_PASSWORD);
  });
});
