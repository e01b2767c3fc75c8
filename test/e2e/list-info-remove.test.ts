/** `list`, `info` and `remove` end to end against the sandbox (platform mode), leak-guarded. */
import { describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';
import { jsonError, jsonResult } from '../support/envelope.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));

const app = ['-a', 'acme-app'];
async function authorize(name: string, ...extra: string[]) {
  const result = await bin.run(['authorize', name, ...app, '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--no-preflight', ...extra], platformEnv(sandbox));
  expect(result.exitCode).toBe(0);
}

describe('list', () => {
  it('says when there are none (text and --json)', async () => {
    const text = await bin.run(['list', ...app], platformEnv(sandbox));
    expect(text).toEqual({ exitCode: 0, stdout: 'There are no Heroku AppLink authorizations for add-on applink-sandbox-1 on app acme-app.', stderr: '' });
    const json = await bin.run(['list', ...app, '--json'], platformEnv(sandbox));
    expect([json.exitCode, jsonResult(json.stdout)]).toEqual([0, { mode: 'platform', app: 'acme-app', addon: 'applink-sandbox-1', authorizations: [] }]);
  });

  it('shows developer name, type, status, alias, org id, username and last modified', async () => {
    await authorize('sf_org');
    await authorize('dc_org', '--type', 'datacloud', '--alias', 'dc-alias');
    const result = await bin.run(['list', ...app], platformEnv(sandbox));
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['Developer name', 'Type', 'Status', 'Alias', 'Org id', 'Username', 'Last modified']);
    expect(lines[1]).toMatch(/^-+( +-+){6}$/);
    const rows = lines.slice(2).map((line) => line.split(/\s{2,}/));
    const [sf, dc] = sandbox.state.authorizations;
    expect(rows).toEqual([
      ['sf_org', 'SalesforceOrg', 'authorized', 'applink:sf_org', sf!.org!.id, sf!.org!.username, sf!.lastModifiedAt],
      ['dc_org', 'DataCloudOrg', 'authorized', 'dc-alias', dc!.org!.id, dc!.org!.username, dc!.lastModifiedAt],
    ]);
    const json = jsonResult((await bin.run(['list', ...app, '--json'], platformEnv(sandbox))).stdout).authorizations as Array<Record<string, any>>;
    expect(json.map((item) => [item.org.developer_name, item.status, item.alias])).toEqual([
      ['sf_org', 'authorized', 'applink:sf_org'],
      ['dc_org', 'authorized', 'dc-alias'],
    ]);
    expect(JSON.stringify(json)).not.toMatch(/token/i);
  });
});

describe('info', () => {
  it('shows one authorization by developer name or alias; --json has no token', async () => {
    await authorize('sf_org');
    const stored = sandbox.state.authorizations[0]!;
    const byName = await bin.run(['info', 'sf_org', ...app], platformEnv(sandbox));
    expect(byName.exitCode).toBe(0);
    expect(byName.stdout.split('\n')).toEqual([
      'Developer name:    sf_org',
      'Status:            authorized',
      'Type:              SalesforceOrg',
      'Alias:             applink:sf_org',
      `Id:                ${stored.id}`,
      `Org id:            ${stored.org!.id}`,
      `Instance URL:      ${stored.org!.instanceUrl}`,
      `Username:          ${stored.org!.username}`,
      'Connection method: JWT',
      `Created:           ${stored.createdAt} by ${stored.createdBy}`,
      `Last modified:     ${stored.lastModifiedAt} by ${stored.lastModifiedBy}`,
    ]);
    const byAlias = await bin.run(['info', 'applink:sf_org', ...app, '--json'], platformEnv(sandbox));
    const json = jsonResult(byAlias.stdout).authorization as Record<string, any>;
    expect([json.id, json.org.developer_name, json.org.user_auth]).toEqual([stored.id, 'sf_org', { user_id: stored.org!.userId, username: stored.org!.username }]);
  });

  it('an unknown name says so and how to list (exit 5)', async () => {
    const result = await bin.run(['info', 'nope_org', ...app], platformEnv(sandbox));
    expect(result).toEqual({
      exitCode: 5,
      stdout: '',
      stderr: "Error: Developer name nope_org doesn't exist on add-on applink-sandbox-1 of app acme-app.\nFix: Run applink-jwt list -a acme-app to list the authorizations.\n(ERR_AUTHORIZATION_NOT_FOUND, exit 5)",
    });
    const json = await bin.run(['info', 'nope_org', ...app, '--json'], platformEnv(sandbox));
    expect(jsonError(json.stdout)).toMatchObject({ code: 'ERR_AUTHORIZATION_NOT_FOUND', exitCode: 5 });
  });
});

describe('remove', () => {
  it('refuses without --yes or --confirm when stdin is not a terminal, and removes nothing', async () => {
    await authorize('sf_org');
    const before = sandbox.snapshot();
    const result = await bin.run(['remove', 'sf_org', ...app], platformEnv(sandbox));
    expect(result).toEqual({
      exitCode: 3,
      stdout: '',
      stderr: 'Error: Refusing to remove sf_org without a confirmation: standard input is not a terminal.\nFix: Pass --yes, or --confirm sf_org, to remove it.\n(ERR_CONFIRM_REQUIRED, exit 3)',
    });
    const wrong = await bin.run(['remove', 'sf_org', ...app, '--confirm', 'other_org'], platformEnv(sandbox));
    expect(wrong.exitCode).toBe(3);
    expect(wrong.stderr).toContain('Error: --confirm "other_org" does not match the developer name sf_org; nothing was removed.');
    expect(sandbox.snapshot()).toEqual(before);
    expect(sandbox.requestLog.some((entry) => entry.method === 'DELETE')).toBe(false);
  });

  it('removes with --confirm <name> and with --yes (--json)', async () => {
    await authorize('sf_org');
    await authorize('dc_org', '--type', 'datacloud');
    const ids = sandbox.state.authorizations.map((authorization) => authorization.id);
    const confirmed = await bin.run(['remove', 'sf_org', ...app, '--confirm', 'sf_org'], platformEnv(sandbox));
    expect(confirmed).toEqual({ exitCode: 0, stdout: 'Removed authorization sf_org from add-on applink-sandbox-1 of app acme-app.', stderr: '' });
    const yes = await bin.run(['remove', 'dc_org', ...app, '--yes', '--json'], platformEnv(sandbox));
    expect([yes.exitCode, jsonResult(yes.stdout)]).toEqual([0, { removed: 'dc_org', developerName: 'dc_org', addon: 'applink-sandbox-1', app: 'acme-app', mode: 'platform' }]);
    expect(sandbox.state.authorizations).toEqual([]);
    const deletes = sandbox.requestLog.filter((entry) => entry.method === 'DELETE');
    // Each DELETE names the id read just before it, never the name.
    expect(deletes.map((entry) => entry.path)).toEqual(ids.map((id) => `/addons/${sandbox.state.addons[0]!.id}/authorizations/${id}`));
  });

  it('an unknown name says so and how to list (exit 5)', async () => {
    const result = await bin.run(['remove', 'nope_org', ...app, '--yes'], platformEnv(sandbox));
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toBe("Error: Developer name nope_org doesn't exist on add-on applink-sandbox-1 of app acme-app.\nFix: Run applink-jwt list -a acme-app to list the authorizations.\n(ERR_AUTHORIZATION_NOT_FOUND, exit 5)");
  });
});
