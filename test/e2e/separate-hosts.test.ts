/**
 * The built binary against a sandbox with one host per service: the whole flow (authorize both
 * types with the preflight, list, info, remove) sends each request to its own service's host, and
 * a client pointed at the wrong host is caught by that host's 404.
 */
import { describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { directEnv, platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));

describe('one host per service', () => {
  it('runs authorize (Salesforce and Data Cloud), list, info and remove, each request on its service host', async () => {
    expect(sandbox.separateHosts).toBe(true);
    const env = platformEnv(sandbox);
    for (const [name, type] of [['sf_org', 'salesforce'], ['dc_org', 'datacloud']]) {
      const created = await bin.run(['authorize', name!, '-a', 'acme-app', '--type', type!, '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--json'], env);
      expect([created.exitCode, JSON.parse(created.stdout).result.authorization.status]).toEqual([0, 'authorized']);
    }
    const listed = await bin.run(['list', '-a', 'acme-app', '--json'], env);
    expect((JSON.parse(listed.stdout) as { result: { authorizations: Array<{ org: { type: string } }> } }).result.authorizations.map((item) => item.org.type)).toEqual(['SalesforceOrg', 'DataCloudOrg']);
    const info = await bin.run(['info', 'dc_org', '-a', 'acme-app', '--json'], env);
    expect(JSON.parse(info.stdout).result.authorization.org.instance_url).toBe(sandbox.urls.datacloud);
    for (const name of ['sf_org', 'dc_org']) expect((await bin.run(['remove', name, '-a', 'acme-app', '--yes'], env)).exitCode).toBe(0);
    expect(sandbox.state.authorizations).toEqual([]);

    const hostOf: Record<string, string> = {
      platform: sandbox.urls.platform,
      applink: sandbox.urls.applink,
      'salesforce.token': sandbox.urls.login,
      'salesforce.a360': sandbox.urls.instance,
    };
    const misplaced = sandbox.requestLog.filter((entry) => entry.host !== (hostOf[entry.route] ?? hostOf[entry.route.split('.')[0]!]));
    expect(misplaced).toEqual([]);
    expect(sandbox.requestLog.filter((entry) => entry.route === 'unknown')).toEqual([]);
    // The CLI's preflight and the AppLink double's own login both went to the login host.
    const logins = sandbox.requestLog.filter((entry) => entry.route === 'salesforce.token');
    expect(new Set(logins.map((entry) => entry.internal))).toEqual(new Set([true, false]));
  });

  it('reads a Data Cloud authorization the API types with the legacy DatacloudOrg as DataCloudOrg', async () => {
    sandbox.state.configure({ dataCloudOrgType: 'DatacloudOrg' });
    const env = platformEnv(sandbox);
    const created = await bin.run(['authorize', 'dc_org', '-a', 'acme-app', '--type', 'datacloud', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--json'], env);
    expect(created.exitCode).toBe(0);
    const listed = await bin.run(['list', '-a', 'acme-app'], env);
    expect(listed.stdout.split('\n')[2]!.split(/\s{2,}/).slice(0, 3)).toEqual(['dc_org', 'DataCloudOrg', 'authorized']);
    const info = await bin.run(['info', 'dc_org', '-a', 'acme-app'], env);
    expect(info.stdout.split('\n')).toContain('Type:              DataCloudOrg');
    // What the sandbox sent was the legacy spelling.
    const raw = await fetch(`${sandbox.env().HEROKU_APPLINK_API_URL}/authorizations/dc_org`, { headers: { authorization: `Bearer ${sandbox.env().HEROKU_APPLINK_TOKEN}`, 'x-app-uuid': sandbox.env().HEROKU_APP_ID! } });
    expect(((await raw.json()) as { org: { type: string } }).org.type).toBe('DatacloudOrg');
  });

  it('catches a client that sends Platform API calls to the AppLink host', async () => {
    const result = await bin.run(['list', '-a', 'acme-app'], { ...platformEnv(sandbox), HEROKU_API_URL: sandbox.urls.applink });
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toContain(`GET ${sandbox.urls.applink}/apps/acme-app answered HTTP 404. The server said: "Not found".`);
    expect(sandbox.requestLog.map((entry) => [entry.host, entry.route, entry.status])).toContainEqual([sandbox.urls.applink, 'unknown', 404]);
    expect(sandbox.requestLog.filter((entry) => entry.route !== 'unknown')).toEqual([]);
  });

  it('catches a client that sends AppLink calls to the Platform API host', async () => {
    const direct = directEnv(sandbox);
    const result = await bin.run(['list'], { ...direct, HEROKU_APPLINK_API_URL: direct.HEROKU_APPLINK_API_URL!.replace(sandbox.urls.applink, sandbox.urls.platform) });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('The requested API endpoint was not found.');
    expect(sandbox.requestLog.map((entry) => [entry.host, entry.route, entry.status])).toEqual([[sandbox.urls.platform, 'unknown', 404]]);
  });
});
