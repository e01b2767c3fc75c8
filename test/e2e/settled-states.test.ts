/**
 * `authorize` end to end when the AppLink API ends the authorization in a state other than
 * `authorized`: the built binary must exit non-zero (6), remove what it created, and say so.
 * The sandbox is told never to settle on its own; the test moves the stored authorization to the
 * end state while the binary is polling, as the real AppLink API would.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import type { AuthorizationStatus } from '../../cli/sandbox/state.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));

/** Waits until the sandbox holds an authorization named `name`, then gives it `status`. */
async function settleAs(name: string, status: string): Promise<void> {
  for (;;) {
    const stored = sandbox.state.authorizations.find((authorization) => authorization.developerName === name);
    if (stored) {
      // `error` is a status only the Python SDK mentions; the sandbox's type does not list it.
      stored.status = status as AuthorizationStatus;
      stored.error = { id: 'connection_lost', message: 'The connection to the org was lost' };
      return;
    }
    await delay(10);
  }
}

describe('authorize when the authorization does not end authorized', () => {
  it.each(['disconnected', 'error'])('ends %s: exit 6, the authorization removed again, nothing on stdout', async (status) => {
    sandbox.state.configure({ settleDelayMs: 'never' });
    const args = ['authorize', 'my_org', '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--timeout', '60'];
    const [result] = await Promise.all([bin.run(args, platformEnv(sandbox)), settleAs('my_org', status)]);
    expect([result.exitCode, result.stdout]).toEqual([6, '']);
    expect(result.stderr).toContain(`Authorization my_org ended ${status}: The connection to the org was lost. The ${status} authorization was removed again, so the add-on is as it was.`);
    expect(sandbox.state.authorizations.map((authorization) => authorization.developerName)).toEqual([]);
    const routes = sandbox.requestLog.filter((entry) => !entry.internal).map((entry) => entry.route);
    expect(routes.filter((route) => route === 'applink.create')).toHaveLength(1);
    expect(routes.at(-1)).toBe('applink.delete');
  });
});
