import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { sleep } from '../../../cli/deps.js';
import { httpRequest, RETRY_IDEMPOTENT } from '../../../cli/http.js';
import { FaultInjector, routeMatches } from '../../../cli/sandbox/faults.js';
import { startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { applinkHeaders, fixtureKey, waitFor } from './helpers.js';

const a = fixtureKey('a');
let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ settleDelayMs: 0 });
  sandbox.registerCertificate(a.certificate);
});

afterEach(async () => {
  await sandbox.close();
});

function appUrl(): string {
  return `${sandbox.urls.platform}/apps/acme-app`;
}

function platformHeaders(): Record<string, string> {
  return { authorization: `Bearer ${sandbox.env().HEROKU_API_KEY}`, accept: 'application/vnd.heroku+json; version=3' };
}

function createRequest(developerName = 'my_org'): RequestInit {
  const env = sandbox.env();
  return {
    method: 'POST',
    headers: { ...applinkHeaders(sandbox), 'content-type': 'application/json' },
    body: JSON.stringify({ alias: `applink:${developerName}`, client_id: env.SF_CLIENT_ID, developer_name: developerName, jwt_private_key: a.pem, login_url: sandbox.urls.login, username: env.SF_USERNAME }),
  };
}

function createUrl(): string {
  return `${sandbox.env().HEROKU_APPLINK_API_URL}/authorizations/salesforce/jwt`;
}

/** What a client sees: a status and body, or a network error. */
async function observe(url: string, init: RequestInit = {}): Promise<{ status: number; retryAfter: string | null; body: string } | { error: string }> {
  try {
    const response = await fetch(url, init);
    const body = await response.text();
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('fault kinds, each observed by a client', () => {
  it('fails the next N requests with a status, then answers normally', async () => {
    sandbox.faults.fail('platform.app', 503, 2);
    const seen = [];
    for (let i = 0; i < 3; i += 1) seen.push(await observe(appUrl(), { headers: platformHeaders() }));
    expect(seen.map((s) => ('status' in s ? s.status : s.error))).toEqual([503, 503, 200]);
    expect((seen[0] as { body: string }).body).toBe(JSON.stringify({ id: 'service_unavailable', message: 'Service unavailable' }));
    expect(sandbox.faults.counts).toMatchObject({ status: 2, byStatus: { 503: 2 }, total: 2 });
    expect(sandbox.requestLog.map((entry) => [entry.status, entry.faults])).toEqual([[503, ['status']], [503, ['status']], [200, []]]);
  });

  it('answers 429 with Retry-After', async () => {
    sandbox.faults.rateLimit('platform.*', 7);
    const seen = await observe(appUrl(), { headers: platformHeaders() });
    expect(seen).toEqual({ status: 429, retryAfter: '7', body: JSON.stringify({ id: 'rate_limit', message: 'Your account reached the API rate limit. Please wait a few minutes before making new requests' }) });
    expect(sandbox.faults.counts).toMatchObject({ rateLimit: 1, byStatus: { 429: 1 } });
  });

  it('adds latency (a client with a short timeout gives up)', async () => {
    // Generous on both sides: under CPU load the request must still reach the server before the client gives up.
    sandbox.faults.latency('platform.app', 3000, 1);
    const seen = await observe(appUrl(), { headers: platformHeaders(), signal: AbortSignal.timeout(1000) });
    expect(seen).toEqual({ error: expect.stringMatching(/aborted|timeout/i) });
    expect(sandbox.faults.counts.latency).toBe(1);
    await waitFor(() => sandbox.requestLog.length === 1);
    expect(sandbox.requestLog[0]!.faults).toEqual(['latency']);
  });

  it('resets the connection before handling: the client gets a network error and nothing changed', async () => {
    sandbox.faults.reset('applink.create', 1, 'before');
    const seen = await observe(createUrl(), createRequest());
    expect(seen).toEqual({ error: 'fetch failed' });
    expect(sandbox.state.authorizations).toEqual([]);
    expect(sandbox.requestLog[0]).toMatchObject({ route: 'applink.create', status: 0, faults: ['reset'] });
  });

  it('resets the connection mid-response: the client loses the answer but the authorization exists', async () => {
    sandbox.faults.reset('applink.create');
    const seen = await observe(createUrl(), createRequest());
    expect(seen).toEqual({ error: expect.stringMatching(/terminated|fetch failed/) });
    expect(sandbox.state.authorizations.map((x) => x.developerName)).toEqual(['my_org']);
    expect(sandbox.requestLog[0]).toMatchObject({ route: 'applink.create', status: 202, faults: ['reset'] });
    expect(sandbox.faults.counts.reset).toBe(1);
  });

  it('answers a 5xx after handling: the effect happened, a retry gets 409', async () => {
    sandbox.faults.fail('applink.create', 500, 1, 'after');
    const first = await observe(createUrl(), createRequest());
    expect(first).toMatchObject({ status: 500 });
    expect(sandbox.state.authorizations).toHaveLength(1);
    const retry = await observe(createUrl(), createRequest());
    expect(retry).toMatchObject({ status: 409 });
  });

  it('the shared HTTP client retries through injected 502 and 429', async () => {
    sandbox.faults.fail('platform.app', 502, 1).rateLimit('platform.app', 0, 1);
    const response = await httpRequest(
      { method: 'GET', url: appUrl(), headers: platformHeaders(), timeoutMs: 5000, retry: { ...RETRY_IDEMPOTENT, baseDelayMs: 1 }, service: 'the Heroku Platform API' },
      { fetch: globalThis.fetch, sleep, signal: new AbortController().signal, now: Date.now },
    );
    expect(response).toMatchObject({ status: 200, attempts: 3 });
  });

  it('never strikes the control routes, even with "*"', async () => {
    sandbox.faults.fail('*', 500, Infinity);
    expect(await observe(`${sandbox.urls.login}/__sandbox/health`)).toMatchObject({ status: 200 });
    expect(await observe(appUrl(), { headers: platformHeaders() })).toMatchObject({ status: 500 });
  });

  it("leaves the double's own exchange alone unless a rule says internal", async () => {
    sandbox.faults.fail('salesforce.token', 503, Infinity);
    await observe(createUrl(), createRequest('first_org'));
    await waitFor(() => sandbox.state.authorizations[0]?.status !== 'authorizing');
    expect(sandbox.state.authorizations[0]!.status).toBe('authorized');
    sandbox.faults.clear().add({ route: 'salesforce.token', kind: 'status', status: 503, count: 1, internal: true });
    await observe(createUrl(), createRequest('second_org'));
    await waitFor(() => sandbox.state.authorizations[1]?.status !== 'authorizing');
    // The double retries a 5xx the way a service would, so the second one still ends authorized.
    expect(sandbox.state.authorizations[1]!.status).toBe('authorized');
    expect(sandbox.requestLog.filter((entry) => entry.internal).map((entry) => entry.status)).toEqual([200, 503, 200]);
  });
});

describe('random mode', () => {
  it('is deterministic for a seed', () => {
    const plans = (seed: number) => {
      const injector = new FaultInjector().random({ seed, probability: 0.5, latencyMs: [0, 20] });
      return Array.from({ length: 50 }, (_, i) => injector.plan(i % 2 ? 'applink.get' : 'platform.app', false));
    };
    expect(plans(42)).toEqual(plans(42));
    expect(plans(42)).not.toEqual(plans(43));
  });

  it('injects every kind over many requests, and the counters match what clients saw', async () => {
    sandbox.faults.random({ seed: 7, probability: 0.6, latencyMs: [0, 3], statuses: [500, 502, 503], retryAfterSeconds: 1 });
    const seen = { status: new Set<number>(), retryAfter: new Set<string>(), errors: 0 };
    for (let i = 0; i < 120; i += 1) {
      const result = await observe(appUrl(), { headers: platformHeaders() });
      if ('error' in result) seen.errors += 1;
      else {
        seen.status.add(result.status);
        if (result.retryAfter) seen.retryAfter.add(result.retryAfter);
      }
    }
    expect([...seen.status].sort()).toEqual([200, 429, 500, 502, 503]);
    expect([...seen.retryAfter]).toEqual(['1']);
    expect(seen.errors).toBe(sandbox.faults.counts.reset);
    const counts = sandbox.faults.counts;
    expect(counts.reset).toBeGreaterThan(0);
    expect(counts.total).toBe(counts.status + counts.rateLimit + counts.reset);
    expect(sandbox.requestLog.filter((entry) => entry.faults.some((kind) => kind !== 'latency'))).toHaveLength(counts.total);
  });

  it('stops after clear()', async () => {
    sandbox.faults.random({ seed: 1, probability: 1 });
    sandbox.faults.clear();
    expect(await observe(appUrl(), { headers: platformHeaders() })).toMatchObject({ status: 200 });
  });
});

describe('routeMatches', () => {
  it.each([
    ['*', 'applink.create', true],
    ['applink.*', 'applink.create', true],
    ['applink.*', 'platform.app', false],
    ['platform.app', 'platform.app', true],
    ['platform.app', 'platform.addons', false],
    ['*', 'control.health', false],
    ['control.health', 'control.health', true],
  ])('%s matches %s: %s', (pattern, route, expected) => {
    expect(routeMatches(pattern, route)).toBe(expected);
  });
});
