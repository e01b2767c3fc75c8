/**
 * Direct mode end to end: HEROKU_APPLINK_API_URL + HEROKU_APPLINK_TOKEN + HEROKU_APP_ID and no
 * `--app` talk to the AppLink API directly: no Platform API call, no HEROKU_API_KEY, no x-addon-sso.
 */
import { describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { directEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';
import { jsonResult } from '../support/envelope.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));

describe('direct mode', () => {
  it('authorize, list, info and remove without the Platform API', async () => {
    const env = directEnv(sandbox);
    const addonId = sandbox.state.addons[0]!.id;
    const created = await bin.run(['authorize', 'my_org', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--json'], env);
    expect(created.exitCode).toBe(0);
    expect(jsonResult(created.stdout).authorization).toMatchObject({ status: 'authorized', org: { developer_name: 'my_org', type: 'SalesforceOrg' } });

    const list = await bin.run(['list'], env);
    expect(list.exitCode).toBe(0);
    expect(list.stdout.split('\n')[2]).toMatch(/^my_org\s+SalesforceOrg\s+authorized\s+applink:my_org\s/);
    const info = await bin.run(['info', 'my_org', '--json'], env);
    expect(jsonResult(info.stdout).authorization).toMatchObject({ status: 'authorized', alias: 'applink:my_org' });
    const unknown = await bin.run(['info', 'nope_org'], env);
    expect(unknown.exitCode).toBe(5);
    expect(unknown.stderr).toContain(`Error: Developer name nope_org doesn't exist on add-on ${addonId} (direct mode, HEROKU_APP_ID ${env.HEROKU_APP_ID}).\nFix: Run applink-jwt list to list the authorizations.`);
    const removed = await bin.run(['remove', 'my_org', '--yes'], env);
    expect(removed).toEqual({ exitCode: 0, stdout: `Removed authorization my_org from add-on ${addonId} (direct mode).`, stderr: '' });
    expect(sandbox.state.authorizations).toEqual([]);

    const external = sandbox.requestLog.filter((entry) => !entry.internal);
    expect(external.filter((entry) => entry.route.startsWith('platform.'))).toEqual([]);
    for (const entry of external.filter((item) => item.route.startsWith('applink.'))) {
      expect(entry.path.startsWith(`/addons/${addonId}/authorizations`)).toBe(true);
      expect(entry.headers['x-app-uuid']).toBe(env.HEROKU_APP_ID);
      expect(entry.headers.authorization).toBe('[REDACTED]');
      expect(entry.headers['x-addon-sso']).toBeUndefined();
    }
  });

  it('-a/--app turns direct mode off (the Platform API is used, so HEROKU_API_KEY is needed)', async () => {
    const result = await bin.run(['list', '-a', 'acme-app'], directEnv(sandbox));
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('(ERR_HEROKU_API_KEY_MISSING, exit 3)');
    expect(sandbox.requestLog).toEqual([]);
  });

  it('a partial direct-mode environment names what is missing, before any request', async () => {
    const { HEROKU_APP_ID: _dropped, ...partial } = directEnv(sandbox);
    const result = await bin.run(['list'], partial);
    expect(result).toEqual({
      exitCode: 3,
      stdout: '',
      stderr:
        'Error: No app given, and direct mode needs HEROKU_APP_ID as well as HEROKU_APPLINK_API_URL and HEROKU_APPLINK_TOKEN.\nFix: Pass -a/--app <app> (or set HEROKU_APP, or run it in a git checkout with a Heroku remote) with HEROKU_API_KEY or heroku login, or set HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN and HEROKU_APP_ID for direct mode.\n(ERR_APP_MISSING, exit 3)',
    });
    expect(sandbox.requestLog).toEqual([]);
  });

  it('a wrong add-on token is refused with the variable named (exit 5), never printed', async () => {
    const badToken = 'applink-wrong-token-0123456789abcdef';
    const result = await bin.run(['list'], { ...directEnv(sandbox), HEROKU_APPLINK_TOKEN: badToken });
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toContain(`Error: The AppLink API (${sandbox.urls.applink}) refused the add-on token (HEROKU_APPLINK_TOKEN): HTTP 401. The server said: "Authentication failed".`);
    expect(bin.leaks([badToken])).toEqual([]);
  });

  it('refuses an add-on URL over http to a non-loopback host before connecting', async () => {
    const result = await bin.run(['list'], { ...directEnv(sandbox), HEROKU_APPLINK_API_URL: 'http://applink.example.com/addons/abc' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('Error: HEROKU_APPLINK_API_URL is http://applink.example.com/addons/abc: the add-on token is only sent over https (or to a loopback address). Nothing was sent.');
    expect(result.stderr).toContain('(ERR_HOST_NOT_ALLOWED, exit 3)');
  });
});
