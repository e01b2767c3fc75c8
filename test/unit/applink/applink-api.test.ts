import { describe, expect, it } from '@jest/globals';
import {
  deleteAuthorization,
  findAuthorization,
  getAuthorization,
  jwtRequestBody,
  listAuthorizations,
  pathSegment,
  postJwtAuthorization,
  type JwtAuthorizationRequest,
} from '../../../cli/applink/applink-api.js';
import type { AppLinkTarget } from '../../../cli/applink/platform-api.js';
import { VERSION } from '../../../cli/version.js';
import { failure } from '../../support/app-error.js';
import { ADDON_ID, ADDON_TOKEN, APP_ID, clientDeps, fakeService, PLATFORM_TARGET, SSO } from './fake-service.js';

const BASE = `/addons/${ADDON_ID}`;
const sso = Buffer.from(JSON.stringify(SSO)).toString('base64');
const platformTarget = PLATFORM_TARGET;
const directTarget: AppLinkTarget = { ...platformTarget, mode: 'direct', appName: undefined, addonName: ADDON_ID, tokenSource: 'HEROKU_APPLINK_TOKEN', sso: undefined };
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----';
const request: JwtAuthorizationRequest = {
  type: 'salesforce',
  developerName: 'my_org',
  alias: 'applink:my_org',
  clientId: '3MVG9client',
  username: 'ci@example.com',
  privateKeyPem: PEM,
};
const authorization = { id: 'b8bc7bcb-0000-4000-8000-000000000001', status: 'authorizing', org: { developer_name: 'my_org', type: 'SalesforceOrg' } };

describe('the AppLink API client', () => {
  it('POSTs the JWT authorization with the plugin headers and body', async () => {
    const service = fakeService();
    service.on(`POST ${BASE}/authorizations/datacloud/jwt`, { status: 202, json: authorization });
    const response = await postJwtAuthorization(platformTarget, { ...request, type: 'datacloud', loginUrl: 'https://test.salesforce.com' }, clientDeps(service).deps);
    expect(response.status).toBe(202);
    const [sent] = service.requests;
    expect(sent!.url).toBe(`https://applink-api.heroku.com${BASE}/authorizations/datacloud/jwt`);
    expect(Object.keys(sent!.headers).sort()).toEqual(['accept', 'authorization', 'content-type', 'request-id', 'user-agent', 'x-addon-sso', 'x-app-uuid']);
    expect(sent!.headers).toMatchObject({
      accept: 'application/json',
      authorization: `Bearer ${ADDON_TOKEN}`,
      'content-type': 'application/json',
      'user-agent': `applink-jwt/${VERSION}`,
      'x-addon-sso': sso,
      'x-app-uuid': APP_ID,
    });
    expect(JSON.parse(Buffer.from(sent!.headers['x-addon-sso']!, 'base64').toString('utf8'))).toEqual(SSO);
    expect(sent!.body).toBe(
      JSON.stringify({ alias: 'applink:my_org', client_id: '3MVG9client', developer_name: 'my_org', jwt_private_key: PEM, login_url: 'https://test.salesforce.com', username: 'ci@example.com' }),
    );
  });

  it('leaves login_url out of the body when not given, and x-addon-sso out in direct mode', async () => {
    expect(Object.keys(JSON.parse(jwtRequestBody(request)))).toEqual(['alias', 'client_id', 'developer_name', 'jwt_private_key', 'username']);
    const service = fakeService();
    service.on(`GET ${BASE}/authorizations`, { status: 200, json: [authorization] });
    await listAuthorizations(directTarget, clientDeps(service).deps);
    expect(Object.keys(service.requests[0]!.headers).sort()).toEqual(['accept', 'authorization', 'request-id', 'user-agent', 'x-app-uuid']);
  });

  it('GET, list and DELETE use the plugin paths; GETs carry no content-type', async () => {
    const service = fakeService();
    service.on(`GET ${BASE}/authorizations/my_org`, { status: 200, json: authorization });
    service.on(`GET ${BASE}/authorizations`, { status: 200, json: [authorization] });
    service.on(`DELETE ${BASE}/authorizations/my_org`, { status: 200, json: {} });
    const { deps } = clientDeps(service);
    expect(await getAuthorization(platformTarget, 'my_org', deps)).toEqual(authorization);
    expect(await listAuthorizations(platformTarget, deps)).toEqual([authorization]);
    expect(await deleteAuthorization(platformTarget, 'my_org', deps)).toBe('deleted');
    expect(service.calls()).toEqual([`GET ${BASE}/authorizations/my_org`, `GET ${BASE}/authorizations`, `DELETE ${BASE}/authorizations/my_org`]);
    for (const sent of service.requests) {
      expect(sent.headers['content-type']).toBeUndefined();
      expect(sent.headers['x-addon-sso']).toBe(sso);
      expect(sent.body).toBeUndefined();
    }
  });

  it('keeps ":" readable in an alias path segment and escapes the rest', () => {
    expect(pathSegment('applink:my_org')).toBe('applink:my_org');
    expect(pathSegment('a/b?c')).toBe('a%2Fb%3Fc');
  });

  it('retries GET and DELETE on 5xx, 429 and network errors; never the POST', async () => {
    const service = fakeService();
    service.on(`GET ${BASE}/authorizations`, { status: 503, text: '' }, { status: 429, text: '', headers: { 'retry-after': '2' } }, { networkError: 'ECONNRESET' }, { status: 200, json: [] });
    service.on(`DELETE ${BASE}/authorizations/my_org`, { status: 500, text: '' }, { status: 404, json: { id: 'record_not_found', message: 'record not found' } });
    service.on(`POST ${BASE}/authorizations/salesforce/jwt`, { status: 503, text: '' }, { status: 202, json: authorization });
    const { deps, sleeps } = clientDeps(service);
    expect(await listAuthorizations(platformTarget, deps)).toEqual([]);
    expect(sleeps[1]).toBe(2000);
    // A retried DELETE that finds nothing: an earlier attempt removed it.
    expect(await deleteAuthorization(platformTarget, 'my_org', deps)).toBe('absent');
    expect((await postJwtAuthorization(platformTarget, request, deps)).status).toBe(503);
    expect(service.calls().filter((call) => call.startsWith('POST'))).toHaveLength(1);
  });

  it('findAuthorization returns undefined on 404; getAuthorization says so and how to list', async () => {
    const service = fakeService();
    service.on(`GET ${BASE}/authorizations/nope_org`, { status: 404, json: { id: 'record_not_found', message: 'record not found' } });
    const { deps } = clientDeps(service);
    expect(await findAuthorization(platformTarget, 'nope_org', deps)).toBeUndefined();
    const error = await failure(getAuthorization(platformTarget, 'nope_org', deps));
    expect([error.code, error.exitCode, error.message, error.hint]).toEqual([
      'ERR_AUTHORIZATION_NOT_FOUND',
      5,
      "Developer name nope_org doesn't exist on add-on applink-rigid-12345 of app my-app.",
      'Run applink-jwt list -a my-app to list the authorizations.',
    ]);
    const direct = await failure(getAuthorization(directTarget, 'nope_org', deps));
    expect([direct.message, direct.hint]).toEqual([`Developer name nope_org doesn't exist on add-on ${ADDON_ID} (direct mode, HEROKU_APP_ID ${APP_ID}).`, 'Run applink-jwt list to list the authorizations.']);
  });

  it.each([
    [401, { id: 'unauthorized', message: 'Authentication failed' }, 'ERR_APPLINK_AUTH', 'The AppLink API (https://applink-api.heroku.com) refused the add-on token (config var HEROKU_APPLINK_TOKEN of my-app): HTTP 401. The server said: "Authentication failed".'],
    [403, { id: 'forbidden', message: 'nope' }, 'ERR_APPLINK_FORBIDDEN', 'The AppLink API refused access to add-on applink-rigid-12345 of app my-app: HTTP 403. The server said: "nope".'],
    [409, { id: 'conflict', message: 'Authorization already exists' }, 'ERR_AUTHORIZATION_EXISTS', 'An authorization named my_org already exists on add-on applink-rigid-12345 of app my-app. The server said: "Authorization already exists".'],
    [422, { id: 'validation_failed', message: 'Invalid developer name format' }, 'ERR_AUTHORIZATION_INVALID', 'The AppLink API rejected the request for my_org: HTTP 422. The server said: "Invalid developer name format".'],
  ])('maps %i to %s', async (status, body, code, message) => {
    const service = fakeService();
    service.on(`GET ${BASE}/authorizations/my_org`, { status, json: body });
    const error = await failure(getAuthorization(platformTarget, 'my_org', clientDeps(service).deps));
    expect([error.code, error.message, error.exitCode]).toEqual([code, message, 5]);
    if (status === 409) expect(error.hint).toBe('Rerun with --replace to replace it (key rotation), or choose another developer name.');
  });

  it('a 5xx that persists after the retries is ERR_SERVICE_UNAVAILABLE (exit 8) with the server message', async () => {
    const service = fakeService();
    service.on(`GET ${BASE}/authorizations`, { status: 500, json: { id: 'server_error', message: 'Internal server error' } });
    const error = await failure(listAuthorizations(platformTarget, clientDeps(service).deps));
    expect([error.code, error.exitCode, error.message]).toEqual([
      'ERR_SERVICE_UNAVAILABLE',
      8,
      `The AppLink API kept failing after 4 attempts: GET https://applink-api.heroku.com${BASE}/authorizations answered HTTP 500. The server said: "Internal server error".`,
    ]);
  });

  it.each([
    ['an HTML page', '<html><body>502</body></html>', 'instead of JSON'],
    ['an empty body', '', 'instead of JSON'],
    ['truncated or invalid JSON', '[{"id":', 'instead of JSON'],
  ])('a 200 with %s is ERR_BAD_RESPONSE', async (kind, text) => {
    const service = fakeService();
    service.on(`GET ${BASE}/authorizations`, { status: 200, text });
    const error = await failure(listAuthorizations(platformTarget, clientDeps(service).deps));
    expect([error.code, error.message]).toEqual(['ERR_BAD_RESPONSE', `The AppLink API answered GET https://applink-api.heroku.com${BASE}/authorizations with HTTP 200 and ${kind} instead of JSON.`]);
  });

  it('a 200 with an unexpected shape, and an unknown status, are typed errors', async () => {
    const service = fakeService();
    service.on(`GET ${BASE}/authorizations`, { status: 200, json: [{ name: 'not an authorization' }] });
    service.on(`GET ${BASE}/authorizations/my_org`, { status: 302, text: '', headers: { location: 'https://elsewhere.example.com' } });
    const { deps } = clientDeps(service);
    const shape = await failure(listAuthorizations(platformTarget, deps));
    expect([shape.code, shape.message]).toEqual(['ERR_BAD_RESPONSE', `The AppLink API answered GET https://applink-api.heroku.com${BASE}/authorizations with HTTP 200 but not a list of authorizations.`]);
    const odd = await failure(getAuthorization(platformTarget, 'my_org', deps));
    expect([odd.code, odd.message]).toEqual(['ERR_UNEXPECTED_STATUS', `The AppLink API answered GET https://applink-api.heroku.com${BASE}/authorizations/my_org with an unexpected HTTP 302 with an empty body.`]);
  });

  it('never puts the add-on token or the key in an error', async () => {
    const service = fakeService();
    service.on(`POST ${BASE}/authorizations/salesforce/jwt`, { networkError: 'ECONNREFUSED' });
    const error = await failure(postJwtAuthorization(platformTarget, request, clientDeps(service).deps));
    expect(error.code).toBe('ERR_NETWORK');
    expect(JSON.stringify({ message: error.message, hint: error.hint, details: error.details })).not.toMatch(/addon-token|MIIfake/);
  });
});

describe('paths and answers the client does not trust', () => {
  it.each(['.', '..', ''])('refuses %p as a path segment before any request', async (name) => {
    const service = fakeService();
    await expect(findAuthorization(platformTarget, name, clientDeps(service).deps)).rejects.toMatchObject({ code: 'ERR_PATH_SEGMENT' });
    await expect(deleteAuthorization(platformTarget, name, clientDeps(service).deps)).rejects.toMatchObject({ code: 'ERR_PATH_SEGMENT' });
    expect(service.requests).toEqual([]);
    expect(() => pathSegment(name)).toThrow();
  });

  it('escapes what could change the path', () => {
    expect(pathSegment('a/../b')).toBe('a%2F..%2Fb');
    expect(pathSegment('...')).toBe('...');
    expect(pathSegment('x?y#z')).toBe('x%3Fy%23z');
  });

  it.each([
    ['a numeric alias', { ...authorization, alias: 5 }],
    ['a numeric developer name', { ...authorization, org: { ...authorization.org, developer_name: 7 } }],
    ['an object username', { ...authorization, org: { ...authorization.org, username: { a: 1 } } }],
    ['a numeric created_at', { ...authorization, created_at: 1700000000 }],
    ['a numeric error message', { ...authorization, error: { id: 'x', message: 42 } }],
  ])('answers %s with a bad-response error, not an internal one', async (_what, item) => {
    const service = fakeService();
    service.on(`GET ${BASE}/authorizations`, { status: 200, json: [item] });
    service.on(`GET ${BASE}/authorizations/my_org`, { status: 200, json: item });
    await expect(listAuthorizations(platformTarget, clientDeps(service).deps)).rejects.toMatchObject({ code: 'ERR_BAD_RESPONSE', exitCode: 5 });
    await expect(findAuthorization(platformTarget, 'my_org', clientDeps(service).deps)).rejects.toMatchObject({ code: 'ERR_BAD_RESPONSE', exitCode: 5 });
  });
});
