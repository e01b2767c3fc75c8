/**
 * A service that quotes every secret it received in its error messages (the sandbox's
 * `echoSecrets` mode): no command, in text or `--json`, prints any of them. The shared leak guard
 * (sandboxPerTest) scans every output after each test; each case also checks that the echo did
 * reach the CLI (the redaction marker is printed), so the guard is not passing vacuously.
 */
import { describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { directEnv, platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(2, (current) => ({ keys, sandbox, bin } = current));

const app = ['-a', 'acme-app'];

async function expectRedacted(args: string[], env: Record<string, string>, exitCode: number, marker = '[REDACTED]') {
  for (const json of [false, true]) {
    const result = await bin.run(json ? [...args, '--json'] : args, env);
    expect(result.exitCode).toBe(exitCode);
    expect(`${result.stdout}${result.stderr}`).toContain(marker);
  }
}

describe('a service echoing the secrets it received', () => {
  it('authorize: the failed authorization quoting the posted key (unknown certificate, no preflight)', async () => {
    sandbox.state.configure({ echoSecrets: true });
    await expectRedacted(['authorize', 'echo_org', ...app, '--login-url', sandbox.urls.login, '--jwt-key-file', keys[1]!.path, '--no-preflight'], platformEnv(sandbox), 6);
  });

  it('authorize and verify: Salesforce quoting the assertion', async () => {
    sandbox.state.configure({ echoSecrets: true });
    // keys[1]'s certificate is not registered: Salesforce refuses the assertion.
    await expectRedacted(['verify', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[1]!.path], platformEnv(sandbox), 4);
    await expectRedacted(['authorize', 'echo_org', ...app, '--login-url', sandbox.urls.login, '--jwt-key-file', keys[1]!.path], platformEnv(sandbox), 4);
  });

  it('list, info and remove: the Platform API quoting HEROKU_API_KEY, the AppLink API the add-on token and SSO payload', async () => {
    sandbox.state.configure({ echoSecrets: true });
    sandbox.faults.fail('platform.app', 401, 2);
    await expectRedacted(['list', ...app], platformEnv(sandbox), 5);
    sandbox.faults.fail('applink.get', 403, 2);
    await expectRedacted(['info', 'echo_org', ...app], platformEnv(sandbox), 5);
    sandbox.faults.fail('applink.get', 500, 8);
    await expectRedacted(['remove', 'echo_org', ...app, '--yes'], platformEnv(sandbox), 8);
    sandbox.faults.fail('applink.list', 401, 2);
    await expectRedacted(['list'], directEnv(sandbox), 5);
  });

  it('authorize: the AppLink API quoting the posted key in a refusal (a message that looks like a key is not shown at all)', async () => {
    sandbox.state.configure({ echoSecrets: true });
    sandbox.faults.fail('applink.create', 422, 2);
    await expectRedacted(['authorize', 'echo_org', ...app, '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--no-preflight'], platformEnv(sandbox), 5, '[not shown');
  });

  it('with DEBUG=applink-jwt (stacks and causes printed too)', async () => {
    sandbox.state.configure({ echoSecrets: true });
    sandbox.faults.fail('platform.app', 401, 2);
    await expectRedacted(['list', ...app], { ...platformEnv(sandbox), DEBUG: 'applink-jwt' }, 5);
    sandbox.faults.fail('applink.get', 403, 2);
    await expectRedacted(['info', 'echo_org', ...app], { ...platformEnv(sandbox), DEBUG: 'applink-jwt' }, 5);
  });
});
