/**
 * Ownership by id, decided from what the server returns, never from clocks: a clean-up racing a
 * replace, two runs racing for one name, and a server clock skewed both ways. The races are made
 * deterministic with the sandbox's gate (a request held until released) and its faults.
 */
import { describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(2, (current) => ({ keys, sandbox, bin } = current));

const app = ['-a', 'acme-app'];
const authorizeArgs = (name: string, key: TestKey, ...extra: string[]) => ['authorize', name, ...app, '--login-url', sandbox.urls.login, '--jwt-key-file', key.path, '--no-preflight', '--json', ...extra];
const stored = (name: string) => sandbox.state.authorizations.filter((authorization) => authorization.developerName === name);

describe('clean-ups act on the id they created, re-read first', () => {
  it('a failing run whose clean-up comes after another run replaced the name leaves the new authorization alone', async () => {
    // keys[1]'s certificate is unknown: run A's authorization ends failed, and A cleans up.
    const gate = sandbox.faults.gate('applink.delete');
    const runA = bin.run(authorizeArgs('ctl_org', keys[1]!), platformEnv(sandbox));
    await gate.arrived;
    // While A's clean-up DELETE is held, B replaces the failed authorization with a working one.
    const runB = await bin.run(authorizeArgs('ctl_org', keys[0]!, '--replace'), platformEnv(sandbox));
    expect(runB.exitCode).toBe(0);
    const created = (JSON.parse(runB.stdout) as { result: { authorization: { id: string } } }).result.authorization;
    gate.release();
    const a = await runA;
    expect(a.exitCode).toBe(6);
    const error = (JSON.parse(a.stdout) as { error: { message: string; details: { state: string } } }).error;
    expect(error.details.state).toBe('unknown');
    expect(error.message).not.toContain('removed again');
    expect(stored('ctl_org').map((authorization) => [authorization.id, authorization.status])).toEqual([[created.id, 'authorized']]);
  });
});

describe('two runs racing for one name', () => {
  it('whose POST answers are both lost: exactly one claims it (the one whose alias it has), the other changes nothing', async () => {
    for (let round = 0; round < 3; round += 1) {
      const name = `race_org_${round}`;
      sandbox.faults.latency('applink.create', 150, 2).reset('applink.create', 2, 'after');
      const [x, y] = await Promise.all([
        bin.run(authorizeArgs(name, keys[0]!, '--alias', `race-x-${round}`), platformEnv(sandbox)),
        bin.run(authorizeArgs(name, keys[0]!, '--alias', `race-y-${round}`), platformEnv(sandbox)),
      ]);
      const [only] = stored(name);
      expect(stored(name)).toHaveLength(1);
      const winners = [x, y].filter((run) => run.exitCode === 0).map((run) => (JSON.parse(run.stdout) as { result: { authorization: { id: string; alias: string } } }).result.authorization);
      expect(winners).toEqual([expect.objectContaining({ id: only!.id, alias: only!.alias })]);
      const loser = [x, y].find((run) => run.exitCode !== 0)!;
      expect([loser.exitCode, (JSON.parse(loser.stdout) as { error: { code: string; details: { state: string } } }).error]).toEqual([5, expect.objectContaining({ code: 'ERR_AUTHORIZATION_EXISTS', details: expect.objectContaining({ state: 'unchanged' }) })]);
      sandbox.faults.clear();
    }
  });
});

describe('a server clock skewed both ways changes nothing', () => {
  it('3 s behind: the run whose POST answer was lost but created it says so (exit 0)', async () => {
    sandbox.state.configure({ clockOffsetMs: -3000 });
    sandbox.faults.reset('applink.create', 1, 'after');
    const result = await bin.run(authorizeArgs('skew_org', keys[0]!), platformEnv(sandbox));
    expect(result.exitCode).toBe(0);
    expect((JSON.parse(result.stdout) as { result: { authorization: { id: string } } }).result.authorization.id).toBe(stored('skew_org')[0]!.id);
  });

  it('10 s ahead: an authorization that was there before is never taken for this run\'s (exit 5, unchanged)', async () => {
    sandbox.state.configure({ clockOffsetMs: 10_000 });
    expect((await bin.run(authorizeArgs('skew_org', keys[0]!), platformEnv(sandbox))).exitCode).toBe(0);
    const before = stored('skew_org')[0]!.id;
    sandbox.faults.fail('applink.create', 503, 1, 'before');
    const result = await bin.run(authorizeArgs('skew_org', keys[0]!), platformEnv(sandbox));
    expect(result.exitCode).toBe(5);
    expect((JSON.parse(result.stdout) as { error: { code: string; details: { state: string } } }).error).toMatchObject({ code: 'ERR_AUTHORIZATION_EXISTS', details: { state: 'unchanged' } });
    expect(stored('skew_org').map((authorization) => authorization.id)).toEqual([before]);
  });
});

describe('--if-exists and --ignore-missing', () => {
  it('skip leaves an authorized one of the same org, client id and username alone (no DELETE, no POST); remove --ignore-missing succeeds twice', async () => {
    expect((await bin.run(authorizeArgs('idem_org', keys[0]!), platformEnv(sandbox))).exitCode).toBe(0);
    const before = stored('idem_org')[0]!.id;
    const writes = () => sandbox.requestLog.filter((entry) => entry.method !== 'GET').length;
    const writesBefore = writes();
    const skipped = await bin.run(['authorize', 'idem_org', ...app, '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--if-exists', 'skip'], platformEnv(sandbox));
    expect(skipped.exitCode).toBe(0);
    expect(skipped.stdout.split('\n')[0]).toBe('Left idem_org (Salesforce) on add-on applink-sandbox-1 of app acme-app as it was (--if-exists skip): it is authorized for the same org, client id and username.');
    expect(writes() - writesBefore).toBe(1); // the preflight's token request only
    expect(stored('idem_org')[0]!.id).toBe(before);
    const failing = await bin.run(authorizeArgs('idem_org', keys[0]!, '--if-exists', 'fail'), platformEnv(sandbox));
    expect(failing.exitCode).toBe(5);
    const replaced = await bin.run(authorizeArgs('idem_org', keys[0]!, '--if-exists', 'replace'), platformEnv(sandbox));
    expect(replaced.exitCode).toBe(0);
    expect(stored('idem_org')[0]!.id).not.toBe(before);
    for (const expected of ['Removed authorization idem_org from add-on applink-sandbox-1 of app acme-app.', 'No authorization idem_org on add-on applink-sandbox-1 of app acme-app: nothing to remove (--ignore-missing).']) {
      const removed = await bin.run(['remove', 'idem_org', ...app, '--yes', '--ignore-missing'], platformEnv(sandbox));
      expect([removed.exitCode, removed.stdout]).toEqual([0, expected]);
    }
  });
});

describe('--timeout is a deadline every request respects', () => {
  it('authorize --timeout 2 against an AppLink API that never answers ends exit 7 soon after, naming --timeout', async () => {
    const gate = sandbox.faults.gate('applink.get');
    const started = Date.now();
    const result = await bin.run(['authorize', 'slow_org', ...app, '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, '--no-preflight', '--timeout', '2'], platformEnv(sandbox));
    const elapsedMs = Date.now() - started;
    gate.release();
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('Error: The --timeout ran out while waiting for the AppLink API (GET ');
    expect(result.stderr).toContain('(ERR_DEADLINE, exit 7)');
    // Not a timing target (the bench measures those): only far below the 30 s of one request timeout.
    expect(elapsedMs).toBeLessThan(25_000);
  });
});
