/**
 * `applink-jwt sandbox` as a real process: the built binary starts, answers on the URL it prints,
 * serves a whole authorization, and exits 0 on SIGINT (and SIGTERM).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import { BIN, ROOT, runBin } from '../support/harness.js';
import { expectNoSecrets } from '../support/leak-guard.js';

type Child = ResultPromise<{ env: Record<string, string | undefined>; extendEnv: false; reject: false; cwd: string }>;

function spawnSandbox(args: string[]): Child {
  return execa(process.execPath, [BIN, 'sandbox', ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, extendEnv: false, reject: false, cwd: ROOT });
}

/** Resolves with stdout once `ready` matches it. */
function waitForOutput(child: Child, ready: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not start; stdout so far: ${out}`)), 20000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    void child.then((result) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited early (${result.exitCode}): ${String(result.stderr)}`));
    });
  });
}

function exported(out: string, name: string): string {
  return new RegExp(`^export ${name}='([^']*)'$`, 'm').exec(out)![1]!;
}

describe('applink-jwt sandbox (built binary)', () => {
  it('answers on the printed URL, runs an authorization end to end, and exits 0 on SIGINT', async () => {
    const child = spawnSandbox(['--cert-file', 'test/fixtures/sandbox/key-a.crt']);
    const out = await waitForOutput(child, /Press Ctrl-C to stop\./);
    const port = /^AppLink sandbox listening on port (\d+), one loopback address per service:$/m.exec(out)![1]!;
    const url = /^ {2}Heroku Platform API +(http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)![1]!;
    const instanceUrl = /^ {2}Org instance \(My Domain\) +(http:\/\/127\.0\.0\.4:\d+)$/m.exec(out)![1]!;
    expect([url, instanceUrl].map((origin) => new URL(origin).port)).toEqual([port, port]);
    expect(exported(out, 'HEROKU_HOST')).toBe(url);
    expect(out).toContain('# Certificate registered with the external client app 3MVG9sandbox.AcmeAppLinkCI.ConsumerKey.');
    expect((await fetch(`${url}/__sandbox/health`)).status).toBe(200);

    const key = await readFile(`${ROOT}test/fixtures/sandbox/key-a.pem`, 'utf8');
    const apiUrl = exported(out, 'HEROKU_APPLINK_API_URL');
    const headers = { authorization: `Bearer ${exported(out, 'HEROKU_APPLINK_TOKEN')}`, 'x-app-uuid': exported(out, 'HEROKU_APP_ID'), 'content-type': 'application/json' };
    const created = await fetch(`${apiUrl}/authorizations/salesforce/jwt`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ client_id: exported(out, 'SF_CLIENT_ID'), developer_name: 'e2e_org', jwt_private_key: key, login_url: exported(out, 'SF_LOGIN_URL'), username: exported(out, 'SF_USERNAME') }),
    });
    expect(created.status).toBe(202);
    let authorization: { status: string; org: { user_auth?: { access_token: string } } } = { status: 'authorizing', org: {} };
    for (let i = 0; i < 200 && authorization.status === 'authorizing'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      authorization = (await (await fetch(`${apiUrl}/authorizations/e2e_org`, { headers })).json()) as typeof authorization;
    }
    expect(authorization.status).toBe('authorized');
    const token = authorization.org.user_auth!.access_token;
    expect((await fetch(`${instanceUrl}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout).trimEnd().split('\n').at(-1)).toMatch(/^Sandbox stopped \(SIGINT\) after \d+ requests\.$/);
    expect(String(result.stderr)).toBe('');
    expectNoSecrets([String(result.stdout), String(result.stderr)], { privateKeys: [key], tokens: [token] });
    await expect(fetch(`${url}/__sandbox/health`)).rejects.toThrow();
  });

  it('prints JSON Lines with --json (started, then stopped), and exits 0 on SIGTERM', async () => {
    const child = spawnSandbox(['--json', '--state', 'test/fixtures/sandbox/state.yml']);
    const out = await waitForOutput(child, /\n/);
    const document = (JSON.parse(out.split('\n')[0]!) as { result: { url: string; env: Record<string, string> } }).result;
    expect(document.env).toMatchObject({ HEROKU_APP: 'acme-web', HEROKU_API_URL: document.url, SF_CLIENT_ID: '3MVG9fixture.Acme.ConsumerKey' });
    const app = await fetch(`${document.url}/apps/acme-web`, { headers: { authorization: `Bearer ${document.env.HEROKU_API_KEY}`, accept: 'application/vnd.heroku+json; version=3' } });
    expect(app.status).toBe(200);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    // JSON Lines: exactly two lines, each a whole document.
    const lines = String(result.stdout).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toEqual({ schemaVersion: 1, status: 0, result: { event: 'stopped', signal: 'SIGTERM', requests: 1 }, warnings: [] });
  });

  it('exits 3 with the file and path named for a bad state file', async () => {
    const result = await runBin(['sandbox', '--state', 'test/fixtures/sandbox/key-a.crt'], { cwd: ROOT });
    expect(result).toEqual({
      exitCode: 3,
      stdout: '',
      stderr: 'Error: test/fixtures/sandbox/key-a.crt: (top level) must be object.\nFix: See "Sandbox state file" in docs/sandbox.md for the keys each entry takes.\n(ERR_SANDBOX_STATE, exit 3)',
    });
  });
});
