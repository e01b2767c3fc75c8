import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runAuthorize, salesforceHint, type AuthorizeOptions } from '../../../cli/commands/authorize.js';
import type { Progress } from '../../../cli/deps.js';
import { failure } from '../../support/app-error.js';
import { testDeps } from '../../support/harness.js';
import { ADDON_ID, fakeService } from '../applink/fake-service.js';

let dir: string;
let keyFile: string;
let pem: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-authorize-unit-'));
  pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  keyFile = join(dir, 'server.key');
  await writeFile(keyFile, pem, { mode: 0o600 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const directEnv = {
  HEROKU_APPLINK_API_URL: `http://127.0.0.1:4010/addons/${ADDON_ID}`,
  HEROKU_APPLINK_TOKEN: 'addon-token-0123456789',
  HEROKU_APP_ID: '11111111-2222-3333-4444-555555555555',
};
const options = (overrides: Partial<AuthorizeOptions> = {}): AuthorizeOptions => ({
  developerName: 'my_org',
  clientId: '3MVG9client',
  username: 'ci@example.com',
  loginUrl: 'https://test.salesforce.com',
  allowLoginHosts: [],
  type: 'salesforce',
  jwtKeyFile: undefined,
  jwtKeyEnv: 'JWT_PRIVATE_KEY',
  replace: false,
  preflight: false,
  timeoutMs: 10_000,
  json: false,
  ...overrides,
});

function recordingProgress(): Progress & { events: string[] } {
  const events: string[] = [];
  return { events, start: (t) => events.push(`start ${t}`), update: (t) => events.push(`update ${t}`), stop: (t) => events.push(`stop ${t}`), note: (t) => events.push(`note ${t}`) };
}

describe('runAuthorize', () => {
  it.each([
    [{ developerName: 'my-org' }, {}, 'ERR_DEVELOPER_NAME'],
    [{ alias: 'has space' }, {}, 'ERR_ALIAS'],
    [{}, { HEROKU_APPLINK_TOKEN: '', HEROKU_API_KEY: 'key-0123456789' }, 'ERR_APP_MISSING'],
    [{ clientId: undefined }, {}, 'ERR_CLIENT_ID_MISSING'],
    [{ username: 'not an email' }, {}, 'ERR_USERNAME_INVALID'],
    [{ loginUrl: 'https://acme.lightning.force.com' }, {}, 'ERR_LOGIN_URL_LIGHTNING'],
    [{ jwtKeyFile: '/nonexistent/server.key' }, {}, 'ERR_KEY_FILE_NOT_FOUND'],
    [{ jwtKeyFile: undefined }, {}, 'ERR_KEY_ENV_MISSING'],
  ])('bad local input %j %j: %s, and no request at all', async (overrides, envOverrides, code) => {
    let requests = 0;
    const deps = testDeps({
      env: { ...directEnv, ...envOverrides },
      fetch: async () => {
        requests += 1;
        throw new Error('no request expected');
      },
    });
    const error = await failure(runAuthorize(options({ jwtKeyFile: keyFile, ...overrides }), deps));
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(3);
    expect(requests).toBe(0);
  });

  it('direct mode: POSTs the key file text, polls, returns the authorization without tokens', async () => {
    const service = fakeService();
    const created = { id: 'a1', status: 'authorizing', org: { developer_name: 'my_org', type: 'SalesforceOrg' }, created_at: '2026-11-28T12:00:00.000000Z' };
    service.on(`GET /addons/${ADDON_ID}/authorizations/my_org`, { status: 404, json: { id: 'record_not_found', message: 'record not found' } });
    service.on(`POST /addons/${ADDON_ID}/authorizations/salesforce/jwt`, { status: 202, json: created });
    service.on(`GET /addons/${ADDON_ID}/authorizations/a1`, {
      status: 200,
      json: { ...created, status: 'authorized', org: { ...created.org, id: '00D000000000001AAA', user_auth: { access_token: '00D!tok', username: 'ci@example.com' } } },
    });
    const progress = recordingProgress();
    const deps = testDeps({ env: directEnv, fetch: service.fetch, progress, sleep: async () => {} });
    const result = await runAuthorize(options({ jwtKeyFile: keyFile }), deps);
    expect(service.calls().slice(0, 2)).toEqual([`GET /addons/${ADDON_ID}/authorizations/my_org`, `POST /addons/${ADDON_ID}/authorizations/salesforce/jwt`]);
    const body = JSON.parse(service.requests[1]!.body!) as Record<string, string>;
    expect(body.jwt_private_key).toBe(pem.trim());
    expect(body.login_url).toBe('https://test.salesforce.com');
    expect(service.requests[1]!.headers['x-addon-sso']).toBeUndefined();
    expect(result.json.authorization).toEqual({ ...created, status: 'authorized', org: { ...created.org, id: '00D000000000001AAA', user_auth: { username: 'ci@example.com' } } });
    expect(result.text.split('\n').slice(0, 2)).toEqual([`Authorized my_org (Salesforce) on add-on ${ADDON_ID} (direct mode).`, 'Preflight: skipped (--no-preflight).']);
    expect(progress.events).toEqual([
      'start Adding credentials for ci@example.com to the add-on in HEROKU_APPLINK_API_URL as my_org',
      'update Waiting for my_org: authorizing',
      'stop Authorized',
    ]);
  });

  it('sends no login_url when --login-url was not given', async () => {
    const service = fakeService();
    service.on(`GET /addons/${ADDON_ID}/authorizations/my_org`, { status: 404, json: { id: 'record_not_found', message: 'record not found' } });
    service.on(`POST /addons/${ADDON_ID}/authorizations/salesforce/jwt`, { status: 202, json: { id: 'a1', status: 'authorized', org: {} } });
    await runAuthorize(options({ jwtKeyFile: keyFile, loginUrl: undefined }), testDeps({ env: directEnv, fetch: service.fetch }));
    expect(Object.keys(JSON.parse(service.requests[1]!.body!))).toEqual(['alias', 'client_id', 'developer_name', 'jwt_private_key', 'username']);
  });
});

describe('salesforceHint', () => {
  it('finds the catalogue entry for a Salesforce error quoted by the AppLink API', () => {
    expect(salesforceHint("JWT authentication failed: user hasn't approved this consumer (invalid_grant)")).toMatch(/^Salesforce refused the key \(.+\): .*pre-?authoriz/i);
    expect(salesforceHint('JWT authentication failed: invalid assertion (invalid_grant)')).toMatch(/^Salesforce refused the key \(.+\): .*certificate/i);
    expect(salesforceHint('Something else entirely')).toBeUndefined();
  });
});
