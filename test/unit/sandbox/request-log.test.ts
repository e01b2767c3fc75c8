import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { redactBodyFields, redactHeaders } from '../../../cli/sandbox/request-log.js';
import { startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { expectNoSecrets, findSecrets } from '../../support/leak-guard.js';
import { applinkHeaders, call, fixtureKey, platformHeaders, postForm, waitFor } from './helpers.js';

const a = fixtureKey('a');
let sandbox: Sandbox;
let ssoHeader: string;

beforeAll(async () => {
  sandbox = await startSandbox({ settleDelayMs: 0 });
  sandbox.registerCertificate(a.certificate);
  const env = sandbox.env();
  for (const path of ['', '/addons', '/addon-attachments', '/config-vars']) await call('GET', `${sandbox.urls.platform}/apps/acme-app${path}`, { headers: platformHeaders(sandbox) });
  const addonId = env.HEROKU_APPLINK_API_URL!.split('/').pop();
  const sso = await call('GET', `${sandbox.urls.platform}/apps/acme-app/addons/${addonId}/sso`, { headers: platformHeaders(sandbox, '/sso') });
  ssoHeader = Buffer.from(JSON.stringify(sso.body)).toString('base64');
  for (const [type, name] of [['salesforce', 'sales_org'], ['datacloud', 'cloud_org']]) {
    await call('POST', `${env.HEROKU_APPLINK_API_URL}/authorizations/${type}/jwt`, {
      headers: applinkHeaders(sandbox, { 'x-addon-sso': ssoHeader }),
      json: { alias: `applink:${name}`, client_id: env.SF_CLIENT_ID, developer_name: name, jwt_private_key: a.pem, login_url: sandbox.urls.login, username: env.SF_USERNAME },
    });
  }
  await waitFor(() => sandbox.state.authorizations.every((x) => x.status === 'authorized'));
  for (const name of ['sales_org', 'cloud_org']) await call('GET', `${env.HEROKU_APPLINK_API_URL}/authorizations/${name}`, { headers: applinkHeaders(sandbox) });
  const token = sandbox.state.authorizations[0]!.org!.accessToken;
  await call('GET', `${sandbox.urls.instance}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  await postForm(`${sandbox.urls.instance}/services/a360/token`, { grant_type: 'urn:salesforce:grant-type:external:cdp', subject_token: token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
});

afterAll(async () => {
  await sandbox.close();
});

describe('the request log', () => {
  it('logs every request with method, path, route and status', () => {
    const lines = sandbox.requestLog.map((entry) => `${entry.method} ${entry.route} ${entry.status}${entry.internal ? ' internal' : ''}`);
    expect(lines.slice(0, 5)).toEqual(['GET platform.app 200', 'GET platform.addons 200', 'GET platform.attachments 200', 'GET platform.config-vars 200', 'GET platform.sso 200']);
    // The creates and the double's own exchanges interleave in whatever order the event loop gives.
    expect(lines.slice(5, 10).sort()).toEqual(['POST applink.create 202', 'POST applink.create 202', 'POST salesforce.a360 200 internal', 'POST salesforce.token 200 internal', 'POST salesforce.token 200 internal']);
    expect(lines.slice(10)).toEqual(['GET applink.get 200', 'GET applink.get 200', 'GET salesforce.userinfo 200', 'POST salesforce.a360 200']);
    expect(sandbox.requestLog.filter((entry) => entry.internal).map((entry) => entry.route).sort()).toEqual(['salesforce.a360', 'salesforce.token', 'salesforce.token']);
  });

  it('keeps body field names and plain values, and redacts secrets', () => {
    const create = sandbox.requestLog.find((entry) => entry.route === 'applink.create')!;
    expect(create.bodyFields).toEqual({
      alias: 'applink:sales_org',
      client_id: sandbox.env().SF_CLIENT_ID,
      developer_name: 'sales_org',
      jwt_private_key: '[REDACTED]',
      login_url: sandbox.urls.login,
      username: sandbox.env().SF_USERNAME,
    });
    expect(create.headers).toMatchObject({ authorization: '[REDACTED]', 'x-addon-sso': '[REDACTED]', 'x-app-uuid': sandbox.env().HEROKU_APP_ID });
    const exchange = sandbox.requestLog.find((entry) => entry.route === 'salesforce.a360' && !entry.internal)!;
    expect(exchange.bodyFields.subject_token).toBe('[REDACTED]');
    expect(exchange.headers['x-sandbox-internal']).toBeUndefined();
  });

  it('holds no key, assertion, token, API key or SSO payload anywhere', () => {
    const env = sandbox.env();
    const text = JSON.stringify(sandbox.requestLog);
    expectNoSecrets([text], {
      privateKeys: [a.pem],
      tokens: [env.HEROKU_API_KEY!, env.HEROKU_APPLINK_TOKEN!, ssoHeader, ...sandbox.state.tokens.keys()],
    });
    // The guard itself finds the same secrets when they are there.
    expect(findSecrets([a.pem, env.HEROKU_API_KEY!], { privateKeys: [a.pem], tokens: [env.HEROKU_API_KEY!] })).toHaveLength(2);
  });
});

describe('redaction helpers', () => {
  it('redacts secret headers whatever their case, and joins repeated ones', () => {
    expect(redactHeaders({ Authorization: 'Bearer x', 'X-Addon-SSO': 'e30=', Cookie: 'a=b', 'x-app-uuid': 'u', 'set-x': ['1', '2'], gone: undefined })).toEqual({
      authorization: '[REDACTED]',
      'x-addon-sso': '[REDACTED]',
      cookie: '[REDACTED]',
      'x-app-uuid': 'u',
      'set-x': '1, 2',
    });
  });

  it('redacts secret body fields and stringifies other values', () => {
    expect(redactBodyFields({ assertion: 'a.b.c', access_token: 't', refresh_token: 'r', client_secret: 's', jwt_private_key: 'k', count: 2, nested: { a: 1 }, name: 'n' })).toEqual({
      assertion: '[REDACTED]',
      access_token: '[REDACTED]',
      refresh_token: '[REDACTED]',
      client_secret: '[REDACTED]',
      jwt_private_key: '[REDACTED]',
      count: '2',
      nested: '{"a":1}',
      name: 'n',
    });
    expect(redactBodyFields(undefined)).toEqual({});
  });
});
