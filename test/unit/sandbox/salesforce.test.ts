import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import jwt from 'jsonwebtoken';
import { signAssertion } from '../../../cli/salesforce/assertion.js';
import { startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { assertion, call, fixtureKey, FROZEN_NOW, NOW_SECONDS, postForm, type Answer } from './helpers.js';

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CONSUMER_KEY = '3MVG9prod.ConsumerKey';
const SANDBOX_CONSUMER_KEY = '3MVG9sbx.ConsumerKey';
const a = fixtureKey('a');
const b = fixtureKey('b');

let sandbox: Sandbox;
let tokenUrl: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    now: () => FROZEN_NOW,
    state: {
      orgs: [
        {
          name: 'prod',
          id: '00D5g000004XyZaEAK',
          type: 'production',
          myDomain: 'https://prod.my.salesforce.com',
          users: [
            { username: 'ci@prod.example' },
            { username: 'gone@prod.example', active: false },
            { username: 'other@prod.example' },
          ],
          externalClientApps: [{ consumerKey: CONSUMER_KEY, certificate: a.certificate, preAuthorized: ['ci@prod.example', 'gone@prod.example'] }],
        },
        {
          name: 'uat',
          type: 'sandbox',
          myDomain: 'https://prod--uat.sandbox.my.salesforce.com',
          dataCloud: false,
          users: [{ username: 'ci@prod.example.uat' }],
          externalClientApps: [{ consumerKey: SANDBOX_CONSUMER_KEY, certificate: b.certificate, preAuthorized: ['ci@prod.example.uat'] }],
        },
      ],
      apps: [],
    },
  });
  tokenUrl = `${sandbox.urls.login}/services/oauth2/token`;
});

afterAll(async () => {
  await sandbox.close();
});

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: CONSUMER_KEY, sub: 'ci@prod.example', aud: 'https://login.salesforce.com', exp: NOW_SECONDS + 180, ...overrides };
}

async function exchange(signed: string): Promise<Answer> {
  return postForm(tokenUrl, { grant_type: JWT_GRANT, assertion: signed });
}

function expectSalesforceError(result: Answer, error: string, description: string): void {
  expect(result.status).toBe(400);
  expect(result.text).toBe(JSON.stringify({ error, error_description: description }));
  expect(result.headers.get('content-type')).toBe('application/json;charset=UTF-8');
  expect(result.headers.get('cache-control')).toBe('no-cache,must-revalidate,max-age=0,no-store,private');
}

describe('POST /services/oauth2/token', () => {
  it('issues a token for a valid assertion signed with the shared signer', async () => {
    const signed = await signAssertion(a.key, { clientId: CONSUMER_KEY, username: 'ci@prod.example', audience: 'https://login.salesforce.com' }, FROZEN_NOW);
    const result = await exchange(signed);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(result.headers.get('cache-control')).toBe('no-cache,must-revalidate,max-age=0,no-store,private');
    const body = result.body as Record<string, string>;
    const user = sandbox.state.findUser('ci@prod.example')!;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'id', 'instance_url', 'scope', 'token_type']);
    expect(body.access_token).toMatch(/^00D5g000004XyZa!AQ[A-Za-z0-9._]{60,}$/);
    expect(body).toMatchObject({
      instance_url: sandbox.urls.instance,
      id: `${sandbox.urls.login}/id/00D5g000004XyZaEAK/${user.id}`,
      scope: 'api refresh_token cdp_query_api',
      token_type: 'Bearer',
    });
    expect(user.id).toMatch(/^005[A-Za-z0-9]{15}$/);
  });

  it('accepts an assertion signed by an independent library (jsonwebtoken, with typ and iat)', async () => {
    const signed = jwt.sign({ iss: CONSUMER_KEY, sub: 'ci@prod.example', aud: 'https://login.salesforce.com', exp: NOW_SECONDS + 180 }, a.pem, {
      algorithm: 'RS256',
    });
    const result = await exchange(signed);
    expect(result.status).toBe(200);
  });

  it('refuses the same claims signed with another key: invalid assertion', async () => {
    const signed = jwt.sign(claims(), b.pem, { algorithm: 'RS256' });
    expectSalesforceError(await exchange(signed), 'invalid_grant', 'invalid assertion');
  });

  it.each([
    ['a digit-string exp', { exp: String(NOW_SECONDS + 60) }],
    ['a far-future exp in milliseconds (the Salesforce CLI sends this)', { exp: FROZEN_NOW + 300 }],
    ['an exp 170 s in the past (within the 180 s grace)', { exp: NOW_SECONDS - 170 }],
    ['the org My Domain as audience', { aud: 'https://prod.my.salesforce.com' }],
    ['the audience with a trailing slash', { aud: 'https://login.salesforce.com/' }],
    ['prn instead of sub', { sub: undefined, prn: 'ci@prod.example' }],
    ['prn winning over a wrong sub', { sub: 'nobody@prod.example', prn: 'ci@prod.example' }],
    ['a username in other case', { sub: 'CI@Prod.Example' }],
  ])('accepts %s', async (_name, overrides) => {
    expect((await exchange(await assertion(claims(overrides), a.key))).status).toBe(200);
  });

  it("accepts the sandbox's own origin as audience (it plays the My Domain host)", async () => {
    expect((await exchange(await assertion(claims({ aud: sandbox.urls.login }), a.key))).status).toBe(200);
  });

  it('accepts test.salesforce.com for a sandbox org, and refuses login.salesforce.com there', async () => {
    const sandboxClaims = { iss: SANDBOX_CONSUMER_KEY, sub: 'ci@prod.example.uat', exp: NOW_SECONDS + 180 };
    expect((await exchange(await assertion({ ...sandboxClaims, aud: 'https://test.salesforce.com' }, b.key))).status).toBe(200);
    expectSalesforceError(await exchange(await assertion({ ...sandboxClaims, aud: 'https://login.salesforce.com/' }, b.key)), 'invalid_grant', 'audience is invalid');
  });

  it.each([
    ['a JSON body', { 'content-type': 'application/json' }, JSON.stringify({ grant_type: JWT_GRANT })],
    ['no grant_type', { 'content-type': 'application/x-www-form-urlencoded' }, 'assertion=x'],
    ['another grant_type', { 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=password&assertion=x'],
  ])('answers unsupported_grant_type for %s', async (_name, headers, body) => {
    const result = await call('POST', tokenUrl, { headers, body });
    expectSalesforceError(result, 'unsupported_grant_type', 'grant type not supported');
  });

  it('answers invalid_request when the assertion is missing', async () => {
    expectSalesforceError(await postForm(tokenUrl, { grant_type: JWT_GRANT }), 'invalid_request', 'assertion is missing');
  });

  it.each([
    ['not a JWT', async () => 'not-a-jwt'],
    ['an HS256 header', async () => jwt.sign(claims(), 'a-shared-secret-of-some-length', { algorithm: 'HS256' })],
    ['a signature of another key', async () => assertion(claims(), b.key)],
  ])('answers invalid assertion for %s', async (_name, make) => {
    expectSalesforceError(await exchange(await make()), 'invalid_grant', 'invalid assertion');
  });

  it('answers invalid assertion when the app has no certificate yet', async () => {
    sandbox.state.addExternalClientApp('prod', { consumerKey: '3MVG9nocert', preAuthorized: ['ci@prod.example'] });
    expectSalesforceError(await exchange(await assertion(claims({ iss: '3MVG9nocert' }), a.key)), 'invalid_grant', 'invalid assertion');
  });

  it('checks the consumer key before the signature: invalid_client_id', async () => {
    expectSalesforceError(await exchange(await assertion(claims({ iss: '3MVG9unknown' }), b.key)), 'invalid_client_id', 'client identifier invalid');
  });

  it('checks the signature before the audience', async () => {
    expectSalesforceError(await exchange(await assertion(claims({ aud: 'https://evil.example' }), b.key)), 'invalid_grant', 'invalid assertion');
  });

  it.each([
    ['another host', 'https://evil.example'],
    ['test.salesforce.com for a production org', 'https://test.salesforce.com'],
    ['another org My Domain', 'https://prod--uat.sandbox.my.salesforce.com'],
    ['a path', 'https://login.salesforce.com/services/oauth2/token'],
  ])('answers audience is invalid for %s', async (_name, aud) => {
    expectSalesforceError(await exchange(await assertion(claims({ aud }), a.key)), 'invalid_grant', 'audience is invalid');
  });

  it('checks the audience before the expiry', async () => {
    expectSalesforceError(await exchange(await assertion(claims({ aud: 'https://evil.example', exp: NOW_SECONDS - 3600 }), a.key)), 'invalid_grant', 'audience is invalid');
  });

  it.each([
    ['an exp 181 s in the past', { exp: NOW_SECONDS - 181 }],
    ['no exp', { exp: undefined }],
    ['a non-numeric exp', { exp: 'soon' }],
  ])('answers expired authorization code for %s', async (_name, overrides) => {
    expectSalesforceError(await exchange(await assertion(claims(overrides), a.key)), 'invalid_grant', 'expired authorization code');
  });

  it('checks the expiry before the user', async () => {
    expectSalesforceError(await exchange(await assertion(claims({ sub: 'nobody@prod.example', exp: NOW_SECONDS - 3600 }), a.key)), 'invalid_grant', 'expired authorization code');
  });

  it.each([
    ['an unknown user', 'nobody@prod.example'],
    ['a user of another org', 'ci@prod.example.uat'],
    ['a user not pre-authorized for the app', 'other@prod.example'],
  ])("answers user hasn't approved this consumer for %s", async (_name, sub) => {
    expectSalesforceError(await exchange(await assertion(claims({ sub }), a.key)), 'invalid_grant', "user hasn't approved this consumer");
  });

  it('answers inactive user for a deactivated user', async () => {
    expectSalesforceError(await exchange(await assertion(claims({ sub: 'gone@prod.example' }), a.key)), 'invalid_grant', 'inactive user');
  });

  it('refuses a far-future exp in strict mode only', async () => {
    sandbox.state.configure({ strictExp: true });
    try {
      expectSalesforceError(await exchange(await assertion(claims({ exp: NOW_SECONDS + 3600 }), a.key)), 'invalid_grant', 'expired authorization code');
    } finally {
      sandbox.state.configure({ strictExp: false });
    }
    expect((await exchange(await assertion(claims({ exp: NOW_SECONDS + 3600 }), a.key))).status).toBe(200);
  });
});

async function coreToken(): Promise<{ access_token: string; id: string }> {
  const result = await exchange(await assertion(claims(), a.key));
  return result.body as { access_token: string; id: string };
}

describe('POST /services/a360/token', () => {
  const CDP = 'urn:salesforce:grant-type:external:cdp';
  const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';

  it('exchanges a live core token for a Data Cloud JWT with a bare tenant host', async () => {
    const { access_token } = await coreToken();
    const result = await postForm(`${sandbox.urls.instance}/services/a360/token`, { grant_type: CDP, subject_token: access_token, subject_token_type: ACCESS });
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    const body = result.body as Record<string, unknown>;
    expect(body).toEqual({
      access_token: expect.any(String),
      instance_url: new URL(sandbox.urls.datacloud).host,
      token_type: 'Bearer',
      issued_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      expires_in: 7200,
    });
    const payload = decodeJwt(body.access_token as string);
    expect(payload.exp).toBe(NOW_SECONDS + 7200);
    expect(payload.audienceTenantId).toMatch(/^a360\/sandbox\/[0-9a-f]{16}$/);
  });

  it('answers with a full URL when configured so', async () => {
    sandbox.state.configure({ dataCloudInstanceUrl: 'url' });
    try {
      const { access_token } = await coreToken();
      const result = await postForm(`${sandbox.urls.instance}/services/a360/token`, { grant_type: CDP, subject_token: access_token, subject_token_type: ACCESS });
      expect((result.body as Record<string, unknown>).instance_url).toBe(sandbox.urls.datacloud);
    } finally {
      sandbox.state.configure({ dataCloudInstanceUrl: 'bare-host' });
    }
  });

  it('accepts only tokens it issued that are still live', async () => {
    const { access_token } = await coreToken();
    const url = `${sandbox.urls.instance}/services/a360/token`;
    expectSalesforceError(await postForm(url, { grant_type: CDP, subject_token: `${access_token}x`, subject_token_type: ACCESS }), 'invalid_grant', 'invalid subject token');
    sandbox.state.revokeToken(access_token);
    expectSalesforceError(await postForm(url, { grant_type: CDP, subject_token: access_token, subject_token_type: ACCESS }), 'invalid_grant', 'invalid subject token');
  });

  it('refuses a Data Cloud token as subject token', async () => {
    const { access_token } = await coreToken();
    const url = `${sandbox.urls.instance}/services/a360/token`;
    const dataCloud = (await postForm(url, { grant_type: CDP, subject_token: access_token, subject_token_type: ACCESS })).body as { access_token: string };
    expectSalesforceError(await postForm(url, { grant_type: CDP, subject_token: dataCloud.access_token, subject_token_type: ACCESS }), 'invalid_grant', 'invalid subject token');
  });

  it.each([
    ['a wrong grant_type', { grant_type: JWT_GRANT, subject_token: 't', subject_token_type: ACCESS }, 'unsupported_grant_type', 'grant type not supported'],
    ['no subject_token', { grant_type: CDP, subject_token_type: ACCESS }, 'invalid_request', 'subject_token is missing'],
    ['a wrong subject_token_type', { grant_type: CDP, subject_token: 't', subject_token_type: 'jwt' }, 'invalid_request', 'subject_token_type is not supported'],
  ])('answers %s', async (_name, form, error, description) => {
    expectSalesforceError(await postForm(`${sandbox.urls.instance}/services/a360/token`, form as Record<string, string>), error, description);
  });

  it('refuses an org without Data Cloud', async () => {
    const signed = await assertion({ iss: SANDBOX_CONSUMER_KEY, sub: 'ci@prod.example.uat', aud: 'https://test.salesforce.com', exp: NOW_SECONDS + 60 }, b.key);
    const { access_token } = (await exchange(signed)).body as { access_token: string };
    expectSalesforceError(
      await postForm(`${sandbox.urls.instance}/services/a360/token`, { grant_type: CDP, subject_token: access_token, subject_token_type: ACCESS }),
      'invalid_request',
      'Data Cloud is not provisioned for this org',
    );
  });
});

describe('authenticated endpoints', () => {
  const INVALID_SESSION = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];

  it('GET /services/oauth2/userinfo accepts an issued token and refuses others', async () => {
    const { access_token } = await coreToken();
    const user = sandbox.state.findUser('ci@prod.example')!;
    const ok = await call('GET', `${sandbox.urls.instance}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ user_id: user.id, organization_id: '00D5g000004XyZaEAK', preferred_username: 'ci@prod.example' });
    const bad = await call('GET', `${sandbox.urls.instance}/services/oauth2/userinfo`, { headers: { authorization: 'Bearer 00D5g000004XyZa!forged' } });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual(INVALID_SESSION);
    expect((await call('GET', `${sandbox.urls.instance}/services/oauth2/userinfo`)).status).toBe(401);
  });

  it('GET /services/data/vXX.X/query answers for Organization and refuses a bad token', async () => {
    const { access_token } = await coreToken();
    const q = encodeURIComponent('SELECT Id, Name FROM Organization');
    const ok = await call('GET', `${sandbox.urls.instance}/services/data/v62.0/query?q=${q}`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(ok.body).toEqual({
      totalSize: 1,
      done: true,
      records: [{ attributes: { type: 'Organization', url: '/services/data/v62.0/sobjects/Organization/00D5g000004XyZaEAK' }, Id: '00D5g000004XyZaEAK', Name: 'prod' }],
    });
    const empty = await call('GET', `${sandbox.urls.instance}/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id FROM Account')}`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(empty.body).toEqual({ totalSize: 0, done: true, records: [] });
    const missing = await call('GET', `${sandbox.urls.instance}/services/data/v62.0/query`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual([{ message: 'A query string has to be specified', errorCode: 'MALFORMED_QUERY' }]);
    const wrongVersion = await call('GET', `${sandbox.urls.instance}/services/data/62/query?q=${q}`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(wrongVersion.status).toBe(404);
    const bad = await call('GET', `${sandbox.urls.instance}/services/data/v62.0/query?q=${q}`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual(INVALID_SESSION);
  });

  it('GET the identity URL of the token answer', async () => {
    const { access_token, id } = await coreToken();
    const ok = await call('GET', id, { headers: { authorization: `Bearer ${access_token}` } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id, username: 'ci@prod.example', organization_id: '00D5g000004XyZaEAK' });
    const other = await call('GET', `${sandbox.urls.login}/id/00D5g000004XyZaEAK/005SB0000000099AAA`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(other.status).toBe(403);
  });

  it('a core token expires after the session lifetime', async () => {
    let now = FROZEN_NOW;
    const timed = await startSandbox({ now: () => now, state: { orgs: [{ name: 'o', users: [{ username: 'u@o.example' }], externalClientApps: [{ consumerKey: 'k', certificate: a.certificate, preAuthorized: ['u@o.example'] }] }] } });
    try {
      const signed = await assertion({ iss: 'k', sub: 'u@o.example', aud: timed.urls.login, exp: NOW_SECONDS + 60 }, a.key);
      const { access_token } = (await postForm(`${timed.urls.login}/services/oauth2/token`, { grant_type: JWT_GRANT, assertion: signed })).body as { access_token: string };
      const userinfo = () => call('GET', `${timed.urls.instance}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
      expect((await userinfo()).status).toBe(200);
      now += 7200 * 1000;
      expect((await userinfo()).status).toBe(401);
    } finally {
      await timed.close();
    }
  });

  it('POST /api/v2/query accepts a live Data Cloud token only', async () => {
    const { access_token } = await coreToken();
    const dataCloud = (await postForm(`${sandbox.urls.instance}/services/a360/token`, {
      grant_type: 'urn:salesforce:grant-type:external:cdp',
      subject_token: access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    })).body as { access_token: string };
    const ok = await call('POST', `${sandbox.urls.datacloud}/api/v2/query`, { headers: { authorization: `Bearer ${dataCloud.access_token}` }, json: { sql: 'SELECT 1' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ data: [], rowCount: 0, done: true });
    const core = await call('POST', `${sandbox.urls.datacloud}/api/v2/query`, { headers: { authorization: `Bearer ${access_token}` }, json: { sql: 'SELECT 1' } });
    expect(core.status).toBe(401);
    expect(core.body).toEqual({ error: 'invalid_token', error_description: 'Data Cloud token is missing, unknown or expired' });
  });
});
