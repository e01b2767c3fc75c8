/**
 * Interrupts while `authorize` waits (the SIGINT case of a plain create is in authorize.test.ts):
 * SIGTERM exits 143, SIGINT 130; each says which state the authorization was left in, in the
 * message and as `details.state` with --json, and the sandbox agrees with the statement.
 */
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { keyFingerprint, type Sandbox } from '../../cli/sandbox/server.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';
import { BIN } from '../support/harness.js';
import { jsonError } from '../support/envelope.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(2, (current) => ({ keys, sandbox, bin } = current));

const authorize = (key: TestKey, ...extra: string[]) => ['authorize', 'sig_org', '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', key.path, ...extra];

/** Starts the binary, sends `signal` once `trigger` shows up (stderr, or the request log), and waits for the exit. */
async function interrupt(args: string[], signal: 'SIGINT' | 'SIGTERM', trigger: { stderr: string } | { request: (route: string) => boolean }) {
  const child = execa(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, COLUMNS: '10000', ...platformEnv(sandbox) }, extendEnv: false, reject: false });
  await new Promise<void>((resolve) => {
    if ('stderr' in trigger) {
      let seen = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes(trigger.stderr)) resolve();
      });
    } else {
      const timer = setInterval(() => {
        if (sandbox.requestLog.some((entry) => trigger.request(entry.route))) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    }
  });
  child.kill(signal);
  const result = await child;
  bin.record(String(result.stdout), String(result.stderr));
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('interrupting authorize', () => {
  it('SIGTERM while waiting: exit 143, says it was created and not settled; the sandbox holds it, still authorizing', async () => {
    sandbox.state.configure({ settleDelayMs: 'never' });
    // Without a terminal nothing is printed while it waits: the first poll is the trigger, the first
    // GET after the create (authorize also reads the name before its POST).
    const firstPoll = () => {
      const created = sandbox.requestLog.findIndex((entry) => entry.route === 'applink.create');
      return created !== -1 && sandbox.requestLog.slice(created + 1).some((entry) => entry.route === 'applink.get');
    };
    const result = await interrupt(authorize(keys[0]!), 'SIGTERM', { request: firstPoll });
    expect(result.exitCode).toBe(143);
    const [stored] = sandbox.state.authorizations;
    expect(result.stderr).toContain(`Error: Interrupted (SIGTERM) while authorizing. Authorization sig_org was created (id ${stored!.id}) and had not settled; check it with applink-jwt info sig_org -a acme-app.\nFix: It is safe to run the same command again (add --replace if the authorization now exists).\n(ERR_TERMINATED, exit 143)`);
    expect(sandbox.state.authorizations.map((a) => [a.developerName, a.status])).toEqual([['sig_org', 'authorizing']]);
  });

  it('SIGINT with --json during a rotation: exit 130, details.state created, and the sandbox holds only the new key', async () => {
    expect((await bin.run(authorize(keys[0]!), platformEnv(sandbox))).exitCode).toBe(0);
    sandbox.registerCertificate(keys[1]!.certificatePem);
    sandbox.state.configure({ settleDelayMs: 'never' });
    const creates = () => sandbox.requestLog.filter((entry) => entry.route === 'applink.create').length;
    const before = creates();
    // The run reads the name, deletes the id it read, then creates the new authorization and polls it.
    const result = await interrupt(authorize(keys[1]!, '--replace', '--json'), 'SIGINT', { request: () => creates() >= before + 1 && sandbox.requestLog.at(-1)!.route === 'applink.get' });
    expect(result.exitCode).toBe(130);
    const error = jsonError(result.stdout);
    expect(error).toMatchObject({ code: 'ERR_INTERRUPTED', exitCode: 130, details: { developerName: 'sig_org', state: 'created' } });
    expect(sandbox.state.authorizations.map((a) => [a.developerName, a.status, a.keyFingerprint])).toEqual([['sig_org', 'authorizing', keyFingerprint(keys[1]!.pem)]]);
  });

  it('SIGINT before anything reached the AppLink API (during the add-on lookup): exit 130, state unchanged, nothing created', async () => {
    sandbox.faults.latency('platform.*', 1500);
    const result = await interrupt(authorize(keys[0]!, '--json'), 'SIGINT', { request: (route) => route === 'salesforce.token' });
    expect(result.exitCode).toBe(130);
    expect(jsonError(result.stdout)).toMatchObject({ code: 'ERR_INTERRUPTED', details: { state: 'unchanged' } });
    expect(jsonError(result.stdout).message).toContain('Nothing was sent to the AppLink API; no authorization was created or changed.');
    expect(sandbox.state.authorizations).toEqual([]);
  });
});
