/**
 * One host per service on one port: each service's address answers only its own routes (any other
 * route gets that host's own 404), Platform API and AppLink API answers carry `Request-Id` and
 * `RateLimit-Remaining`, the Platform API checks the version in `Accept`, and a system without
 * the extra loopback addresses falls back to one shared host.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_SERVICES, startSandbox, type Sandbox, type SandboxService } from '../../../cli/sandbox/server.js';
import { applinkHeaders, call, fixtureKey, platformHeaders, waitFor } from './helpers.js';

const a = fixtureKey('a');
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ settleDelayMs: 0 });
  sandbox.registerCertificate(a.certificate);
});

afterAll(async () => {
  await sandbox.close();
});

/** What each host answers for a route it does not serve. */
const HOST_404: Record<SandboxService, unknown> = {
  platform: {
    id: 'not_found',
    message: 'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?',
  },
  applink: { id: 'not_found', message: 'Not found' },
  login: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }],
  instance: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }],
  datacloud: { error: 'NOT_FOUND', message: 'The requested resource does not exist' },
  circleci: { message: 'Not found' },
};

/** A concrete path for a route template (the version segment `v62.0`, the type `salesforce`, every other parameter `x`). */
function samplePath(template: string): string {
  return template.replace(':version', 'v62.0').replace(':type', 'salesforce').replace(/:[a-z]+/g, 'x');
}

describe('one host per service', () => {
  it('puts each service on its own loopback address, all on one port', () => {
    expect(sandbox.separateHosts).toBe(true);
    expect(sandbox.urls).toEqual({
      platform: `http://127.0.0.1:${sandbox.port}`,
      applink: `http://127.0.0.2:${sandbox.port}`,
      login: `http://127.0.0.3:${sandbox.port}`,
      instance: `http://127.0.0.4:${sandbox.port}`,
      datacloud: `http://127.0.0.5:${sandbox.port}`,
      circleci: `http://127.0.0.6:${sandbox.port}`,
    });
    const env = sandbox.env();
    expect([env.HEROKU_API_URL, env.HEROKU_HOST, new URL(env.HEROKU_APPLINK_API_URL!).origin, env.SF_LOGIN_URL, env.CIRCLECI_API_URL]).toEqual([sandbox.urls.platform, sandbox.urls.platform, sandbox.urls.applink, sandbox.urls.login, `${sandbox.urls.circleci}/api/v2`]);
  });

  it("answers every route on every wrong host with that host's 404", async () => {
    const served = sandbox.routes.filter((route) => !route.name.startsWith('control.'));
    expect(served.map((route) => route.name).sort()).toEqual([
      'applink.create', 'applink.delete', 'applink.get', 'applink.list',
      'circleci.context', 'circleci.contexts', 'circleci.variable.put', 'circleci.variables',
      'datacloud.query',
      'metadata.deploy', 'metadata.deployStatus', 'metadata.soap',
      'platform.addons', 'platform.app', 'platform.attachments', 'platform.config-vars', 'platform.config-vars.update', 'platform.releases', 'platform.sso',
      'salesforce.a360', 'salesforce.identity', 'salesforce.query', 'salesforce.token', 'salesforce.userinfo',
    ]);
    const send = (method: string, url: string) => call(method, url, { headers: platformHeaders(sandbox), ...(method === 'GET' ? {} : { json: {} }) });
    let checked = 0;
    for (const route of served) {
      for (const host of SANDBOX_SERVICES.filter((service) => !route.services.includes(service))) {
        const answer = await send(route.method, `${sandbox.urls[host]}${samplePath(route.template)}`);
        expect({ route: route.name, host, status: answer.status, body: answer.body }).toEqual({ route: route.name, host, status: 404, body: HOST_404[host] });
        checked += 1;
      }
      // On its own host the route is served: whatever it answers, it is not the host's "no such endpoint".
      const own = await send(route.method, `${sandbox.urls[route.services[0]!]}${samplePath(route.template)}`);
      expect({ route: route.name, body: own.body }).not.toEqual({ route: route.name, body: HOST_404[route.services[0]!] });
    }
    expect(checked).toBe(served.reduce((sum, route) => sum + SANDBOX_SERVICES.length - route.services.length, 0));
    expect(sandbox.requestLog.filter((entry) => entry.route === 'unknown')).toHaveLength(checked);
  });

  it("sends the AppLink double's own JWT login to the login host and its Data Cloud exchange to the instance host", async () => {
    const env = sandbox.env();
    for (const [type, name] of [['salesforce', 'host_sf'], ['datacloud', 'host_dc']] as const) {
      const created = await call('POST', `${env.HEROKU_APPLINK_API_URL}/authorizations/${type}/jwt`, {
        headers: applinkHeaders(sandbox),
        json: { client_id: env.SF_CLIENT_ID, developer_name: name, jwt_private_key: a.pem, login_url: env.SF_LOGIN_URL, username: env.SF_USERNAME },
      });
      expect(created.status).toBe(202);
    }
    await waitFor(() => sandbox.state.authorizations.length === 2 && sandbox.state.authorizations.every((item) => item.status === 'authorized'));
    const internal = sandbox.requestLog.filter((entry) => entry.internal).map((entry) => [entry.route, entry.host]);
    expect(internal).toEqual(
      expect.arrayContaining([
        ['salesforce.token', sandbox.urls.login],
        ['salesforce.a360', sandbox.urls.instance],
      ]),
    );
    expect(new Set(internal.map(([route, host]) => `${route} ${host}`))).toEqual(new Set([`salesforce.token ${sandbox.urls.login}`, `salesforce.a360 ${sandbox.urls.instance}`]));
    const [sf, dc] = sandbox.state.authorizations;
    expect(sf!.org!.instanceUrl).toBe(sandbox.urls.instance);
    expect(dc!.org!.instanceUrl).toBe(sandbox.urls.datacloud);
  });
});

describe('Request-Id and RateLimit-Remaining', () => {
  it('come on every Platform API and AppLink API answer (errors too), counting down per token, and not on Salesforce answers', async () => {
    const app = `${sandbox.urls.platform}/apps/acme-app`;
    const first = await call('GET', app, { headers: platformHeaders(sandbox) });
    const second = await call('GET', app, { headers: platformHeaders(sandbox) });
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(first.headers.get('request-id')).toMatch(uuid);
    expect(second.headers.get('request-id')).toMatch(uuid);
    expect(second.headers.get('request-id')).not.toBe(first.headers.get('request-id'));
    expect(Number(first.headers.get('ratelimit-remaining')) - Number(second.headers.get('ratelimit-remaining'))).toBe(1);
    expect(Number(first.headers.get('ratelimit-remaining'))).toBeLessThan(4500);

    const refused = await call('GET', app, { headers: { ...platformHeaders(sandbox), authorization: 'Bearer another-token' } });
    expect([refused.status, refused.headers.get('ratelimit-remaining')]).toEqual([401, '4499']);
    expect(refused.headers.get('request-id')).toMatch(uuid);

    const list = () => call('GET', `${sandbox.env().HEROKU_APPLINK_API_URL}/authorizations`, { headers: applinkHeaders(sandbox) });
    const [one, two] = [await list(), await list()];
    expect([one.status, Number(one.headers.get('ratelimit-remaining')) - Number(two.headers.get('ratelimit-remaining'))]).toEqual([200, 1]);
    expect(one.headers.get('request-id')).toMatch(uuid);

    const token = await call('POST', `${sandbox.urls.login}/services/oauth2/token`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=x' });
    expect(token.status).toBe(400);
    expect([token.headers.get('request-id'), token.headers.get('ratelimit-remaining')]).toEqual([null, null]);
  });

  it('report 0 remaining on an injected 429', async () => {
    sandbox.faults.rateLimit('platform.app', 3, 1);
    const limited = await call('GET', `${sandbox.urls.platform}/apps/acme-app`, { headers: platformHeaders(sandbox) });
    expect([limited.status, limited.headers.get('retry-after'), limited.headers.get('ratelimit-remaining')]).toEqual([429, '3', '0']);
  });
});

describe('Accept: the Platform API version', () => {
  const NOT_ACCEPTABLE = { id: 'not_acceptable', message: "Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`." };

  it.each([
    ['no Accept header', undefined],
    ['application/json', 'application/json'],
    ['the media type without a version', 'application/vnd.heroku+json'],
    ['version 2', 'application/vnd.heroku+json; version=2'],
  ])('answers 406 not_acceptable for %s, before checking the token', async (_title, accept) => {
    const headers: Record<string, string> = { authorization: 'Bearer not-even-the-right-key' };
    if (accept) headers.accept = accept;
    const answer = await call('GET', `${sandbox.urls.platform}/apps/acme-app`, { headers });
    expect([answer.status, answer.body]).toEqual([406, NOT_ACCEPTABLE]);
  });

  it('accepts version=3 among other media types, and the SSO call only with its variant (3.sdk or 3.add-ons-sso)', async () => {
    const auth = { authorization: `Bearer ${sandbox.env().HEROKU_API_KEY}` };
    const app = await call('GET', `${sandbox.urls.platform}/apps/acme-app`, { headers: { ...auth, accept: 'application/json, application/vnd.heroku+json; version=3' } });
    expect(app.status).toBe(200);
    const sso = `${sandbox.urls.platform}/apps/acme-app/addons/${sandbox.state.addons[0]!.id}/sso`;
    const statuses = [];
    for (const version of ['3.sdk', '3.add-ons-sso', '3']) {
      statuses.push((await call('GET', sso, { headers: { ...auth, accept: `application/vnd.heroku+json; version=${version}` } })).status);
    }
    expect(statuses).toEqual([200, 200, 406]);
  });
});

describe('one shared host', () => {
  it('falls back to the first address when another cannot be bound (EADDRNOTAVAIL), and says why', async () => {
    // 192.0.2.1 (TEST-NET-1) is on no interface here: binding it fails the way 127.0.0.2 does on macOS.
    const shared = await startSandbox({ addresses: ['127.0.0.1', '192.0.2.1', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'] });
    try {
      expect(shared.separateHosts).toBe(false);
      expect(shared.sharedReason).toBe('this system has no loopback address beside 127.0.0.1 (192.0.2.1: EADDRNOTAVAIL)');
      expect(new Set(Object.values(shared.urls))).toEqual(new Set([`http://127.0.0.1:${shared.port}`]));
      // Every service answers on the one address.
      const app = await call('GET', `${shared.urls.platform}/apps/acme-app`, { headers: platformHeaders(shared) });
      const token = await call('POST', `${shared.urls.login}/services/oauth2/token`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=x' });
      expect([app.status, token.status]).toEqual([200, 400]);
      await expect(fetch(`http://127.0.0.3:${shared.port}/__sandbox/health`)).rejects.toThrow();
    } finally {
      await shared.close();
    }
  });
});
