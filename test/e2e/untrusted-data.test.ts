/**
 * Input and server answers that must not steer the CLI: dot segments in names, non-string fields,
 * and terminal control characters in server data (C1 controls, bidi overrides).
 */
import { describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));

const app = ['-a', 'acme-app'];
async function authorize(name: string) {
  const result = await bin.run(['authorize', name, ...app, '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--no-preflight'], platformEnv(sandbox));
  expect(result.exitCode).toBe(0);
}
const applinkRequests = () => sandbox.requestLog.filter((entry) => entry.route.startsWith('applink.') || entry.route === 'unknown');

describe('dot segments', () => {
  it.each([['info', '..'], ['info', '.'], ['remove', '..'], ['remove', '.']])('%s %s is refused before any AppLink request', async (command, name) => {
    await authorize('sf_org');
    const before = applinkRequests().length;
    const result = await bin.run([command, name, ...app, ...(command === 'remove' ? ['--yes'] : [])], platformEnv(sandbox));
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('(ERR_DEVELOPER_NAME, exit 3)');
    expect(result.stdout).not.toMatch(/Removed/);
    expect(applinkRequests().length).toBe(before);
    expect(sandbox.state.authorizations).toHaveLength(1);
  });
});

describe('server data', () => {
  it('a non-string field in a list answer is a bad response (exit 5), not an internal error', async () => {
    await authorize('sf_org');
    (sandbox.state.authorizations[0] as unknown as Record<string, unknown>).alias = 5;
    for (const args of [['list', ...app], ['info', 'sf_org', ...app]]) {
      const result = await bin.run(args, platformEnv(sandbox));
      expect(result.exitCode).toBe(5);
      expect(result.stderr).toContain('(ERR_BAD_RESPONSE, exit 5)');
    }
  });

  it('C1 controls and bidi overrides from the server are shown escaped in list and info (its Error line); --json decodes to the same text', async () => {
    await authorize('sf_org');
    const stored = sandbox.state.authorizations[0]!;
    const evil = 'x\u009b31mred\u009d8;;http://evil\u0007\u202egro_ym';
    stored.alias = evil;
    stored.status = 'failed';
    stored.error = { id: 'x', message: `bad \u202eevil\u009b2J` };
    const outputs: string[] = [];
    for (const args of [['list', ...app], ['info', 'sf_org', ...app]]) {
      const result = await bin.run(args, platformEnv(sandbox));
      expect(result.exitCode).toBe(0);
      outputs.push(result.stdout, result.stderr);
      const json = await bin.run([...args, '--json'], platformEnv(sandbox));
      outputs.push(json.stdout, json.stderr);
      expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify(evil).slice(1, -1));
    }
    for (const text of outputs) expect(text).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(outputs.join('\n')).toContain('\\u202egro_ym');
  });
});
