import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { keyFingerprint, startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { applinkHeaders, call, fixtureKey, waitFor, type Answer } from './helpers.js';

const a = fixtureKey('a');
const b = fixtureKey('b');
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

let sandbox: Sandbox;
let base: string;

beforeEach(async () => {
  sandbox = await startSandbox({ settleDelayMs: 0 });
  sandbox.registerCertificate(a.certificate);
  base = sandbox.env().HEROKU_APPLINK_API_URL!;
});

afterEach(async () => {
  await sandbox.close();
});

function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const env = sandbox.env();
  return { alias: 'applink:my_org', client_id: env.SF_CLIENT_ID, developer_name: 'my_org', jwt_private_key: a.pem, login_url: sandbox.urls.login, username: env.SF_USERNAME, ...overrides };
}

function create(overrides: Record<string, unknown> = {}, type = 'salesforce', headers: Record<string, string> = applinkHeaders(sandbox)): Promise<Answer> {
  return call('POST', `${base}/authorizations/${type}/jwt`, { headers, json: body(overrides) });
}

async function settled(developerName = 'my_org'): Promise<Record<string, any>> {
  await waitFor(() => sandbox.state.authorizations.find((x) => x.developerName === developerName)?.status !== 'authorizing');
  return (await call('GET', `${base}/authorizations/${developerName}`, { headers: applinkHeaders(sandbox) })).body as Record<string, any>;
}

describe('POST /addons/{id}/authorizations/{type}/jwt', () => {
  it('answers 202 authorizing, then settles to authorized with an org whose token Salesforce accepts', async () => {
    const created = await create();
    expect(created.status).toBe(202);
    const env = sandbox.env();
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'authorizing',
      alias: 'applink:my_org',
      app_name: 'acme-app',
      client_id: env.SF_CLIENT_ID,
      login_url: sandbox.urls.login,
      connection_method: 'JWT',
      created_at: expect.stringMatching(TIMESTAMP),
      created_by: 'developer@example.com',
      created_via_app: 'acme-app',
      last_modified_at: expect.stringMatching(TIMESTAMP),
      last_modified_by: 'developer@example.com',
      org: { developer_name: 'my_org', type: 'SalesforceOrg' },
    });
    const final = await settled();
    const org = sandbox.state.orgs[0]!;
    const user = sandbox.state.findUser(env.SF_USERNAME!)!;
    expect(final).toMatchObject({ id: (created.body as { id: string }).id, status: 'authorized' });
    expect(final.org).toEqual({
      developer_name: 'my_org',
      type: 'SalesforceOrg',
      id: org.id,
      instance_url: sandbox.urls.instance,
      api_version: '62.0',
      user_id: user.id,
      username: user.username,
      user_auth: { access_token: expect.stringMatching(new RegExp(`^${org.id.slice(0, 15)}!`)), user_id: user.id, username: user.username },
    });
    const userinfo = await call('GET', `${sandbox.urls.instance}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${final.org.user_auth.access_token}` } });
    expect(userinfo.status).toBe(200);
    // The double ran the JWT bearer exchange itself, over HTTP, against the login URL it was given.
    const exchange = sandbox.requestLog.filter((entry) => entry.route === 'salesforce.token');
    expect(exchange).toEqual([expect.objectContaining({ internal: true, status: 200, bodyFields: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: '[REDACTED]' } })]);
  });

  it('records the fingerprint of the key each authorization was created with (in state, not in the API)', async () => {
    await create();
    expect(sandbox.state.authorizations.map((x) => x.keyFingerprint)).toEqual([keyFingerprint(a.key)]);
    expect(keyFingerprint(a.pem)).toBe(keyFingerprint(a.certificate));
    expect(keyFingerprint(b.pem)).not.toBe(keyFingerprint(a.certificate));
    expect(JSON.stringify((await call('GET', `${base}/authorizations`, { headers: applinkHeaders(sandbox) })).body)).not.toContain('SHA256:');
  });

  it('accepts a PKCS#1 key', async () => {
    sandbox.registerCertificate(b.certificate);
    expect((await create({ jwt_private_key: b.pem })).status).toBe(202);
    expect((await settled()).status).toBe('authorized');
  });

  it('defaults the alias to applink:<developer name>', async () => {
    const { alias: _omitted, ...rest } = body();
    const created = await call('POST', `${base}/authorizations/salesforce/jwt`, { headers: applinkHeaders(sandbox), json: rest });
    expect((created.body as { alias: string }).alias).toBe('applink:my_org');
  });

  it('runs the Data Cloud exchange for datacloud and stores the tenant URL and Data Cloud token', async () => {
    expect((await create({}, 'datacloud')).status).toBe(202);
    const final = await settled();
    expect(final.status).toBe('authorized');
    expect(final.org).toMatchObject({ type: 'DataCloudOrg', instance_url: sandbox.urls.datacloud });
    const query = await call('POST', `${final.org.instance_url}/api/v2/query`, { headers: { authorization: `Bearer ${final.org.user_auth.access_token}` }, json: { sql: 'SELECT 1' } });
    expect(query.status).toBe(200);
    expect(sandbox.requestLog.filter((entry) => entry.internal).map((entry) => entry.route)).toEqual(['salesforce.token', 'salesforce.a360']);
  });

  it('ends failed with Salesforce reason when the certificate does not match the key', async () => {
    sandbox.registerCertificate(b.certificate);
    await create();
    const final = await settled();
    expect(final.status).toBe('failed');
    expect(final.error).toEqual({ id: 'authentication_failed', message: 'JWT authentication failed: invalid assertion (invalid_grant)' });
    expect(final.org).toEqual({ developer_name: 'my_org', type: 'SalesforceOrg' });
  });

  it("ends failed with user hasn't approved this consumer for a user not pre-authorized", async () => {
    const clientId = sandbox.env().SF_CLIENT_ID!;
    sandbox.state.revokePreAuthorization(clientId, 'ci@acme.example');
    await create();
    expect((await settled()).error).toEqual({ id: 'authentication_failed', message: "JWT authentication failed: user hasn't approved this consumer (invalid_grant)" });
  });

  it('ends failed when the Data Cloud exchange is refused', async () => {
    sandbox.state.orgs[0]!.dataCloud = false;
    await create({}, 'datacloud');
    expect((await settled()).error).toEqual({ id: 'authentication_failed', message: 'Data Cloud token exchange failed: Data Cloud is not provisioned for this org (invalid_request)' });
  });

  it('ends failed without any request for the default login URL (the sandbox only contacts loopback)', async () => {
    const { login_url: _omitted, ...rest } = body();
    await call('POST', `${base}/authorizations/salesforce/jwt`, { headers: applinkHeaders(sandbox), json: rest });
    expect((await settled()).error).toEqual({
      id: 'connection_failed',
      message: `Could not reach https://login.salesforce.com: the sandbox only contacts loopback hosts. Use the sandbox's login URL (${sandbox.urls.login}) as the login URL.`,
    });
    expect(sandbox.requestLog.filter((entry) => entry.internal)).toEqual([]);
  });

  it('ends failed when the loopback login URL does not answer', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    await create({ login_url: `http://127.0.0.1:${closedPort}` });
    expect((await settled()).error).toEqual({ id: 'connection_failed', message: `Could not reach http://127.0.0.1:${closedPort}/services/oauth2/token: ECONNREFUSED.` });
  });

  it('stays authorizing while the settle delay is "never"', async () => {
    sandbox.state.configure({ settleDelayMs: 'never' });
    await create();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await call('GET', `${base}/authorizations/my_org`, { headers: applinkHeaders(sandbox) })).body).toMatchObject({ status: 'authorizing' });
  });

  it('stays authorizing after the exchange finished until the settle delay is over', async () => {
    sandbox.state.configure({ settleDelayMs: 1000 });
    await create();
    await waitFor(() => sandbox.requestLog.some((entry) => entry.internal && entry.route === 'salesforce.token'));
    expect((await call('GET', `${base}/authorizations/my_org`, { headers: applinkHeaders(sandbox) })).body).toMatchObject({ status: 'authorizing' });
    expect((await settled()).status).toBe('authorized');
  });

  it('accepts a valid x-addon-sso header', async () => {
    const sso = Buffer.from(JSON.stringify({ action: 'x', method: 'post', params: {} })).toString('base64');
    expect((await create({}, 'salesforce', applinkHeaders(sandbox, { 'x-addon-sso': sso }))).status).toBe(202);
  });
});

describe('AppLink API errors', () => {
  it('answers 404 not_found for an unknown add-on', async () => {
    const result = await call('GET', `${sandbox.urls.applink}/addons/00000000-0000-4000-8000-000000000000/authorizations`, { headers: applinkHeaders(sandbox) });
    expect(result.status).toBe(404);
    expect(result.body).toEqual({ id: 'not_found', message: 'Add-on not found' });
  });

  it('answers 404 not_found for an unknown provider', async () => {
    const result = await create({}, 'tableau');
    expect(result.status).toBe(404);
    expect(result.body).toEqual({ id: 'not_found', message: 'Not found' });
  });

  it.each([
    ['no bearer', {}],
    ['a wrong bearer', { authorization: 'Bearer nope' }],
  ])('answers 401 unauthorized with %s on every route', async (_name, auth) => {
    const headers = { ...applinkHeaders(sandbox), ...auth };
    if (!('authorization' in auth)) delete (headers as Record<string, string>).authorization;
    for (const [method, path] of [['POST', '/authorizations/salesforce/jwt'], ['GET', '/authorizations'], ['GET', '/authorizations/my_org'], ['DELETE', '/authorizations/my_org']] as const) {
      const result = await call(method, `${base}${path}`, { headers, ...(method === 'POST' ? { json: body() } : {}) });
      expect(result.status).toBe(401);
      expect(result.body).toEqual({ id: 'unauthorized', message: 'Authentication failed' });
    }
  });

  it('refuses the Heroku API key as the add-on bearer', async () => {
    const result = await call('GET', `${base}/authorizations`, { headers: { ...applinkHeaders(sandbox), authorization: `Bearer ${sandbox.env().HEROKU_API_KEY}` } });
    expect(result.status).toBe(401);
  });

  it('answers 400 without x-app-uuid and 403 for an app the add-on is not attached to', async () => {
    const { 'x-app-uuid': _omitted, ...noUuid } = applinkHeaders(sandbox);
    const missing = await call('GET', `${base}/authorizations`, { headers: noUuid });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ id: 'bad_request', message: 'x-app-uuid header is required' });
    const stranger = sandbox.state.addApp({ name: 'stranger-app' });
    const forbidden = await call('GET', `${base}/authorizations`, { headers: { ...applinkHeaders(sandbox), 'x-app-uuid': stranger.id } });
    expect(forbidden.status).toBe(403);
    const addonId = base.split('/').pop();
    expect(forbidden.body).toEqual({ id: 'forbidden', message: `App ${stranger.id} has no access to add-on ${addonId}` });
  });

  it('answers 400 for an x-addon-sso header that is not base64 JSON', async () => {
    const result = await create({}, 'salesforce', applinkHeaders(sandbox, { 'x-addon-sso': 'not base64 json!' }));
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ id: 'bad_request', message: 'x-addon-sso header is not valid' });
  });

  it.each([
    ['invalid JSON', '{"developer_name":'],
    ['a JSON array', '[]'],
  ])('answers 400 for %s', async (_name, raw) => {
    const result = await call('POST', `${base}/authorizations/salesforce/jwt`, { headers: { ...applinkHeaders(sandbox), 'content-type': 'application/json' }, body: raw });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ id: 'bad_request', message: 'Request body must be a JSON object' });
  });

  it.each(['client_id', 'developer_name', 'jwt_private_key', 'username'])('answers 422 when %s is missing', async (field) => {
    const result = await create({ [field]: undefined });
    expect(result.status).toBe(422);
    expect(result.body).toEqual({ id: 'validation_failed', message: `${field} is required` });
  });

  it.each(['ab', 'a'.repeat(31), '1org', 'my-org', 'my__org', 'my_org_', 'my org', 'órg_name'])('answers 422 Invalid developer name format for %j', async (name) => {
    const result = await create({ developer_name: name });
    expect(result.status).toBe(422);
    expect(result.body).toEqual({ id: 'validation_failed', message: 'Invalid developer name format' });
  });

  it.each([
    ['an alias with a space', { alias: 'my alias' }, 'Invalid alias format'],
    ['an empty alias', { alias: '' }, 'Invalid alias format'],
    ['a login URL that is not http(s)', { login_url: 'javascript:alert(1)' }, 'Invalid login URL'],
    ['a login URL that is not a URL', { login_url: 'login.salesforce.com' }, 'Invalid login URL'],
    ['a key that is not PEM', { jwt_private_key: 'not a key' }, 'jwt_private_key is not an unencrypted RSA private key in PEM format'],
  ])('answers 422 for %s', async (_name, overrides, message) => {
    const result = await create(overrides);
    expect(result.status).toBe(422);
    expect(result.body).toEqual({ id: 'validation_failed', message });
  });

  it('answers 422 for an encrypted, an EC and a 1024-bit key', async () => {
    const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const small = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    expect((await create({ jwt_private_key: encrypted })).body).toEqual({ id: 'validation_failed', message: 'jwt_private_key is not an unencrypted RSA private key in PEM format' });
    expect((await create({ jwt_private_key: ec })).body).toEqual({ id: 'validation_failed', message: 'jwt_private_key is a ec key; an RSA key is required' });
    expect((await create({ jwt_private_key: small })).body).toEqual({ id: 'validation_failed', message: 'jwt_private_key must be an RSA key of 2048 bits or more' });
    expect(sandbox.state.authorizations).toEqual([]);
  });

  it('answers 409 conflict for a duplicate developer name or alias, and creates nothing', async () => {
    await create();
    const duplicate = await create({ alias: 'other_alias' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toEqual({ id: 'conflict', message: 'Authorization already exists' });
    const aliasTaken = await create({ developer_name: 'other_org' });
    expect(aliasTaken.status).toBe(409);
    expect(aliasTaken.body).toEqual({ id: 'conflict', message: 'Alias already exists' });
    expect(sandbox.state.authorizations).toHaveLength(1);
  });

  it('answers 404 record_not_found for an unknown authorization on GET and DELETE', async () => {
    for (const method of ['GET', 'DELETE']) {
      const result = await call(method, `${base}/authorizations/nobody_here`, { headers: applinkHeaders(sandbox) });
      expect(result.status).toBe(404);
      expect(result.body).toEqual({ id: 'record_not_found', message: 'record not found' });
    }
  });
});

describe('GET and DELETE', () => {
  it('lists without user_auth and finds one by id, developer name or alias', async () => {
    const created = (await create()).body as { id: string };
    await create({ developer_name: 'second_org', alias: 'applink:second_org' }, 'datacloud');
    await settled('my_org');
    await settled('second_org');
    const list = await call('GET', `${base}/authorizations`, { headers: applinkHeaders(sandbox) });
    expect(list.status).toBe(200);
    const rows = list.body as Array<Record<string, any>>;
    expect(rows.map((row) => [row.org.developer_name, row.org.type, row.status])).toEqual([
      ['my_org', 'SalesforceOrg', 'authorized'],
      ['second_org', 'DataCloudOrg', 'authorized'],
    ]);
    expect(rows.every((row) => row.org.user_auth === undefined)).toBe(true);
    for (const key of [created.id, 'my_org', 'applink:my_org']) {
      const one = await call('GET', `${base}/authorizations/${key}`, { headers: applinkHeaders(sandbox) });
      expect(one.status).toBe(200);
      expect((one.body as { id: string }).id).toBe(created.id);
    }
  });

  it('deletes by developer name (200 {}), and a deleted authorization is gone', async () => {
    await create();
    await settled();
    const removed = await call('DELETE', `${base}/authorizations/my_org`, { headers: applinkHeaders(sandbox) });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({});
    expect(sandbox.state.authorizations).toEqual([]);
    expect((await call('GET', `${base}/authorizations/my_org`, { headers: applinkHeaders(sandbox) })).status).toBe(404);
  });

  it('deleting while authorizing cancels the pending settle', async () => {
    sandbox.state.configure({ settleDelayMs: 100 });
    await create();
    await call('DELETE', `${base}/authorizations/my_org`, { headers: applinkHeaders(sandbox) });
    await create({}, 'salesforce');
    const recreated = sandbox.state.authorizations[0]!;
    await waitFor(() => recreated.status !== 'authorizing');
    expect(sandbox.state.authorizations).toHaveLength(1);
    expect(recreated.status).toBe('authorized');
  });
});
