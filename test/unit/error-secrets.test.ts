/**
 * Error objects never carry a secret: errors raised by the HTTP layer, the Salesforce token
 * exchange, the Platform API lookup and the AppLink calls are inspected whole (message, hint,
 * details, stack and the full cause chain, as `util.inspect` and `JSON.stringify` show them) for the
 * private key, the assertion, the access token, HEROKU_API_KEY and the add-on token.
 */
import { generateKeyPairSync } from 'node:crypto';
import * as http from 'node:http';
import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { addJwtAuthorization } from '../../cli/applink/jwt-authorization.js';
import { resolveAddon, type AppLinkTarget } from '../../cli/applink/platform-api.js';
import { silentProgress, sleep } from '../../cli/deps.js';
import { httpRequest, RETRY_IDEMPOTENT } from '../../cli/http.js';
import { signAssertion } from '../../cli/salesforce/assertion.js';
import { exchangeAssertion, exchangeDataCloudToken } from '../../cli/salesforce/token.js';
import { findSecrets } from '../support/leak-guard.js';
import { ADDON_ID, APP_ID, clientDeps, fakeService, HEROKU_API_KEY, type Answer } from './applink/fake-service.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const ADDON_TOKEN = 'addon-token-SECRET-0123456789';
const ACCESS_TOKEN = '00D000000000001!AQ-access-token-SECRET-abcdefghij';
let assertion: string;

/** Everything an error object holds, its causes included, as text. */
function everything(error: unknown): string {
  const parts = [inspect(error, { depth: 20, showHidden: true })];
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 10; depth += 1) {
    parts.push(JSON.stringify(current, Object.getOwnPropertyNames(current as object)));
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

function expectClean(errors: unknown[]): void {
  expect(errors.length).toBeGreaterThan(0);
  const texts = errors.map(everything);
  expect(findSecrets(texts, { privateKeys: [pem], tokens: [assertion, ACCESS_TOKEN, HEROKU_API_KEY, ADDON_TOKEN] })).toEqual([]);
  // The guard itself would see them: the inspected text is complete.
  expect(texts.every((text) => text.includes('stack'))).toBe(true);
}

const target: AppLinkTarget = { mode: 'direct', appId: APP_ID, addonId: ADDON_ID, addonName: ADDON_ID, baseUrl: `https://applink.example.heroku.com/addons/${ADDON_ID}`, token: ADDON_TOKEN, tokenSource: 'HEROKU_APPLINK_TOKEN' };
const request = { type: 'salesforce' as const, developerName: 'my_org', alias: 'applink:my_org', clientId: '3MVG9.client', username: 'ci@acme.example', privateKeyPem: pem };
const failures: Array<[string, Answer]> = [
  ['422 echoing the request', { status: 422, json: { id: 'validation_failed', message: 'bad request' } }],
  ['500', { status: 500, text: '' }],
  ['a connection reset', { networkError: 'ECONNRESET' }],
  ['an HTML page', { status: 200, text: '<html>oops</html>' }],
];

/** A loopback server that resets every connection, or never answers. */
async function brokenServer(kind: 'reset' | 'silent'): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req) => {
    req.resume();
    if (kind === 'reset') req.on('end', () => req.socket.resetAndDestroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('errors carry no secret', () => {
  it('http, with the real fetch: a reset and a timeout while sending the assertion with a bearer token', async () => {
    assertion = await signAssertion(privateKey, { clientId: '3MVG9.client', username: 'ci@acme.example', audience: 'https://login.salesforce.com' }, Date.now());
    const errors: unknown[] = [];
    for (const kind of ['reset', 'silent'] as const) {
      const server = await brokenServer(kind);
      try {
        const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
        errors.push(await caught(httpRequest({ method: 'POST', url: `${server.url}/services/oauth2/token?token=${ACCESS_TOKEN}`, body, headers: { authorization: `Bearer ${ACCESS_TOKEN}` }, timeoutMs: 200, retry: { ...RETRY_IDEMPOTENT, baseDelayMs: 1 }, service: 'Salesforce' }, { fetch: globalThis.fetch, now: Date.now, sleep, signal: new AbortController().signal })));
      } finally {
        await server.close();
      }
    }
    expect(errors.map((error) => (error as { code?: string }).code)).toEqual(['ERR_NETWORK', 'ERR_HTTP_TIMEOUT']);
    expectClean(errors);
  });

  it('the token exchanges: refusals, 5xx, resets and unreadable answers', async () => {
    const errors: unknown[] = [];
    const answers: Answer[] = [{ status: 400, json: { error: 'invalid_grant', error_description: 'invalid assertion' } }, ...failures.map(([, answer]) => answer), { status: 200, json: { access_token: ACCESS_TOKEN } }];
    for (const answer of answers) {
      const service = fakeService();
      service.on('POST /services/oauth2/token', answer);
      service.on('POST /services/a360/token', answer);
      const { deps } = clientDeps(service);
      errors.push(await caught(exchangeAssertion({ loginUrl: new URL('https://login.salesforce.com'), assertion, timeoutMs: 1000, username: 'ci@acme.example' }, deps)));
      errors.push(await caught(exchangeDataCloudToken({ instanceUrl: 'https://acme.my.salesforce.com', accessToken: ACCESS_TOKEN, timeoutMs: 1000 }, deps)));
      // The requests did carry the secrets: the check below is not vacuous.
      expect(service.requests.some((sent) => sent.body?.includes(encodeURIComponent(assertion).slice(0, 40)) || sent.body?.includes(assertion.slice(0, 40)))).toBe(true);
    }
    expectClean(errors);
  });

  it('the Platform API lookup: 401, 5xx, resets and unreadable answers', async () => {
    const errors: unknown[] = [];
    for (const [, answer] of [['401', { status: 401, json: { id: 'unauthorized', message: 'Invalid credentials provided.' } }] as [string, Answer], ...failures]) {
      const service = fakeService();
      for (const path of ['', '/addons', '/addon-attachments', '/config-vars']) service.on(`GET /apps/acme-app${path}`, answer);
      errors.push(await caught(resolveAddon({ platformUrl: new URL('https://api.heroku.com'), apiKey: HEROKU_API_KEY, app: 'acme-app' }, clientDeps(service).deps)));
      expect(service.requests[0]!.headers.authorization).toBe(`Bearer ${HEROKU_API_KEY}`);
    }
    expectClean(errors);
  });

  it('the AppLink create, rotation and poll: every failure of the POST, the DELETE and the GET', async () => {
    const errors: unknown[] = [];
    const created = { status: 202, json: { id: 'auth-1', status: 'authorizing', org: { developer_name: 'my_org' }, created_at: new Date(Date.UTC(2026, 10, 28, 13)).toISOString() } };
    for (const [, answer] of failures) {
      for (const replace of [false, true]) {
        const service = fakeService();
        // The name is read first: absent (then the POST fails), or held by old-1 (replaced: its DELETE by id, then the POST fails).
        service.on(`POST /addons/${ADDON_ID}/authorizations/salesforce/jwt`, answer);
        service.on(`GET /addons/${ADDON_ID}/authorizations/my_org`, replace ? { status: 200, json: { id: 'old-1', status: 'authorized', org: { developer_name: 'my_org' } } } : { status: 404, json: {} }, answer);
        service.on(`DELETE /addons/${ADDON_ID}/authorizations/old-1`, { status: 200, json: {} });
        service.on(`GET /addons/${ADDON_ID}/authorizations/auth-1`, answer);
        errors.push(await caught(addJwtAuthorization({ target, request, replace, timeoutMs: 2000, postAttempts: 2 }, { ...clientDeps(service).deps, progress: silentProgress })));
        expect(service.requests.find((sent) => sent.method === 'POST')!.body).toContain('PRIVATE KEY');
      }
    }
    // A created authorization whose poll keeps failing, then ends failed with a message.
    const polled = fakeService();
    polled.on(`GET /addons/${ADDON_ID}/authorizations/my_org`, { status: 404, json: {} });
    polled.on(`POST /addons/${ADDON_ID}/authorizations/salesforce/jwt`, created);
    polled.on(`GET /addons/${ADDON_ID}/authorizations/auth-1`, { status: 200, json: { id: 'auth-1', status: 'failed', org: {}, error: { id: 'authentication_failed', message: 'JWT authentication failed' } } });
    polled.on(`DELETE /addons/${ADDON_ID}/authorizations/auth-1`, { networkError: 'ECONNRESET' });
    errors.push(await caught(addJwtAuthorization({ target, request, replace: false, timeoutMs: 2000 }, { ...clientDeps(polled).deps, progress: silentProgress })));
    expect(errors.every((error) => typeof (error as { details?: { state?: unknown } }).details?.state === 'string')).toBe(true);
    expectClean(errors);
  });
});
