/**
 * The official SDK's read path against the sandbox: `init().addons.applink.getAuthorization(name)`
 * sends `GET {HEROKU_APPLINK_API_URL}/authorizations/{name}` with `X-App-UUID`, and must get an
 * org whose access token the Salesforce double issued and accepts.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { init } from '@heroku/applink';
import { startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { applinkHeaders, call, fixtureKey, waitFor } from './helpers.js';

const a = fixtureKey('a');
let sandbox: Sandbox;
let savedEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  sandbox = await startSandbox({ settleDelayMs: 0 });
  sandbox.registerCertificate(a.certificate);
  const env = sandbox.env();
  for (const [type, developerName] of [['salesforce', 'sales_org'], ['datacloud', 'cloud_org']] as const) {
    const created = await call('POST', `${env.HEROKU_APPLINK_API_URL}/authorizations/${type}/jwt`, {
      headers: applinkHeaders(sandbox),
      json: { alias: `applink:${developerName}`, client_id: env.SF_CLIENT_ID, developer_name: developerName, jwt_private_key: a.pem, login_url: sandbox.urls.login, username: env.SF_USERNAME },
    });
    expect(created.status).toBe(202);
  }
  await waitFor(() => sandbox.state.authorizations.every((authorization) => authorization.status === 'authorized'));
});

afterAll(async () => {
  await sandbox.close();
});

// The SDK reads process.env itself; set it only around each test and restore it after.
beforeEach(() => {
  savedEnv = { ...process.env };
  const env = sandbox.env();
  process.env.HEROKU_APPLINK_API_URL = env.HEROKU_APPLINK_API_URL;
  process.env.HEROKU_APPLINK_TOKEN = env.HEROKU_APPLINK_TOKEN;
  process.env.HEROKU_APP_ID = env.HEROKU_APP_ID;
  delete process.env.HEROKU_APPLINK_ADDON_NAME;
});

afterEach(() => {
  process.env = savedEnv;
});

describe('@heroku/applink getAuthorization against the sandbox', () => {
  it('reads a Salesforce authorization whose token the Salesforce double accepts', async () => {
    const org = await init().addons.applink.getAuthorization('sales_org');
    const stateOrg = sandbox.state.orgs[0]!;
    expect(org.id).toBe(stateOrg.id);
    expect(org.domainUrl).toBe(sandbox.urls.instance);
    expect(org.apiVersion).toBe('62.0');
    expect(org.user.username).toBe('ci@acme.example');
    expect(org.dataCloudApi).toBeUndefined();
    const token = org.dataApi.accessToken;
    expect(sandbox.state.liveToken(token, 'core')).toBeDefined();
    const userinfo = await call('GET', `${sandbox.urls.instance}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect(userinfo.status).toBe(200);
    // The SDK's own authenticated request goes to the instance URL with that token.
    const result = (await org.request(`services/data/v${org.apiVersion}/query?q=${encodeURIComponent('SELECT Id, Name FROM Organization')}`, {}, true)) as { totalSize: number };
    expect(result.totalSize).toBe(1);
    const sent = sandbox.requestLog.filter((entry) => entry.route === 'applink.get').at(-1)!;
    expect(sent.headers['x-app-uuid']).toBe(sandbox.env().HEROKU_APP_ID);
    expect(sent.headers.authorization).toBe('[REDACTED]');
  });

  it('reads it by alias as well', async () => {
    const org = await init().addons.applink.getAuthorization('applink:sales_org');
    expect(org.id).toBe(sandbox.state.orgs[0]!.id);
  });

  it('reads a Data Cloud authorization whose Data Cloud token the double accepts', async () => {
    const org = await init().addons.applink.getAuthorization('cloud_org');
    expect(org.dataCloudApi).toBeDefined();
    const token = org.dataApi.accessToken;
    expect(sandbox.state.liveToken(token, 'datacloud')).toBeDefined();
    const answer = await org.dataCloudApi!.query({ sql: 'SELECT 1' });
    expect(answer).toMatchObject({ rowCount: 0, done: true });
  });

  it('is caught when pointed at the Platform API host instead of the AppLink host', async () => {
    process.env.HEROKU_APPLINK_API_URL = sandbox.env().HEROKU_APPLINK_API_URL!.replace(sandbox.urls.applink, sandbox.urls.platform);
    await expect(init().addons.applink.getAuthorization('sales_org')).rejects.toThrow('Unable to get connection sales_org: HTTP Error Response: 404: Not Found');
    expect(sandbox.requestLog.at(-1)).toMatchObject({ host: sandbox.urls.platform, route: 'unknown', status: 404 });
  });

  it('reads a Data Cloud authorization typed with the legacy DatacloudOrg as a Data Cloud org', async () => {
    sandbox.state.configure({ dataCloudOrgType: 'DatacloudOrg' });
    try {
      const org = await init().addons.applink.getAuthorization('cloud_org');
      expect(org.dataCloudApi).toBeDefined();
      expect(await org.dataCloudApi!.query({ sql: 'SELECT 1' })).toMatchObject({ rowCount: 0, done: true });
      expect(sandbox.requestLog.at(-1)).toMatchObject({ host: sandbox.urls.datacloud, route: 'datacloud.query', status: 200 });
    } finally {
      sandbox.state.configure({ dataCloudOrgType: 'DataCloudOrg' });
    }
  });

  it("surfaces the sandbox's 404 for an unknown name", async () => {
    await expect(init().addons.applink.getAuthorization('nobody_here')).rejects.toThrow('Unable to get connection nobody_here: HTTP Error Response: 404: Not Found');
  });
});
