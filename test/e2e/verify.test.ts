import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox, type SandboxStateInput } from '../../cli/sandbox/server.js';
import { runBin } from '../support/harness.js';
import { expectNoSecrets } from '../support/leak-guard.js';
import { createTestKeyPair, type TestKeyPair } from '../support/rsa-keys.js';
import { jsonResult } from '../support/envelope.js';

const CLIENT_ID = '3MVG9e2e.consumer_key';
const USER = 'ci@example.com';
/** Every assertion starts with the base64url of its header {"alg":"RS256"}: none may appear in any output. */
const ASSERTION_PREFIX = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.`;

describe('applink-jwt verify (built binary, against the sandbox)', () => {
  let pair: TestKeyPair;
  let otherPair: TestKeyPair;
  let server: Sandbox;
  let dir: string;
  /** The ids the sandbox gave the org and the user. */
  let ORG_ID: string;
  let USER_ID: string;
  const outputs: string[] = [];

  /** One org with a Data Cloud, two users (one pre-authorized), one external client app. */
  const STATE: SandboxStateInput = {
    orgs: [
      {
        name: 'acme',
        type: 'production',
        myDomain: 'https://acme.my.salesforce.com',
        dataCloud: true,
        users: [
          { username: USER },
          { username: 'new@example.com' },
        ],
        externalClientApps: [{ name: 'AppLink CI', consumerKey: CLIENT_ID, preAuthorized: [USER], scopes: ['api', 'refresh_token', 'cdp_query_api'] }],
      },
    ],
    apps: [],
  };

  beforeAll(async () => {
    [pair, otherPair] = await Promise.all([createTestKeyPair(), createTestKeyPair()]);
    server = await startSandbox({ state: STATE });
    server.registerCertificate(pair.certificatePem, CLIENT_ID);
    ORG_ID = server.state.orgs[0]!.id;
    USER_ID = server.state.users.find((user) => user.username === USER)!.id;
    dir = await mkdtemp(join(tmpdir(), 'applink-jwt-verify-'));
  });

  afterAll(async () => {
    // Every output of every run, and the sandbox's request log, scanned once more for every secret.
    const secrets = { privateKeys: [pair.privateKeyPem, otherPair.privateKeyPem], tokens: [...server.state.tokens.keys(), ASSERTION_PREFIX] };
    expectNoSecrets(outputs, secrets);
    expectNoSecrets([JSON.stringify(server.requestLog)], secrets);
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function verify(args: string[], env: Record<string, string> = {}) {
    const result = await runBin(['verify', '--login-url', server.urls.login, ...args], {
      env: { JWT_PRIVATE_KEY: pair.privateKeyPem, SF_CLIENT_ID: CLIENT_ID, SF_USERNAME: USER, ...env },
    });
    outputs.push(result.stdout, result.stderr);
    expectNoSecrets([result.stdout, result.stderr], { privateKeys: [pair.privateKeyPem, otherPair.privateKeyPem], tokens: [...server.state.tokens.keys(), ASSERTION_PREFIX] });
    return result;
  }

  const lines = (text: string) => text.split('\n');
  // One line per step, when it ends (no start line without a terminal).
  const progress = (result: string) => [`Exchanging the assertion at ${server.urls.login}... ${result}`];

  it('succeeds with exit 0 and prints org, user, instance and scopes', async () => {
    const result = await verify([]);
    expect(result.exitCode).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `Salesforce accepted the assertion for ${USER}.`,
      `  Org ID:       ${ORG_ID}`,
      `  User ID:      ${USER_ID}`,
      `  Username:     ${USER}`,
      `  Instance URL: ${server.urls.instance}`,
      `  Login URL:    ${server.urls.login}`,
      `  Audience:     ${server.urls.login}`,
      '  Scopes:       api refresh_token cdp_query_api',
      '  Key:          environment variable JWT_PRIVATE_KEY (RSA 2048)',
    ]);
    expect(lines(result.stderr)).toEqual(progress('accepted'));
    const last = server.requestLog.at(-1)!;
    expect(last).toMatchObject({ method: 'POST', path: '/services/oauth2/token', route: 'salesforce.token', status: 200 });
    expect(last.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(last.bodyFields).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: '[REDACTED]' });
  });

  it('accepts a shared-host sandbox addressed as localhost (its login URL and audience)', async () => {
    const shared = await startSandbox({ state: STATE, hosts: 'shared' });
    try {
      shared.registerCertificate(pair.certificatePem, CLIENT_ID);
      const localhost = shared.urls.login.replace('127.0.0.1', 'localhost');
      const result = await verify(['--login-url', localhost]);
      expect(result.exitCode).toBe(0);
      expect(lines(result.stdout)).toContain(`  Audience:     ${localhost}`);
    } finally {
      await shared.close();
    }
  });

  it('prints --json and nothing on stderr, reading the key from --jwt-key-file', async () => {
    const keyFile = join(dir, 'server.key');
    await writeFile(keyFile, pair.privateKeyPem, { mode: 0o600 });
    const result = await verify(['--json', '--jwt-key-file', keyFile], { JWT_PRIVATE_KEY: '' });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(jsonResult(result.stdout)).toEqual({
      type: 'salesforce',
      orgId: ORG_ID,
      userId: USER_ID,
      username: USER,
      instanceUrl: server.urls.instance,
      loginUrl: server.urls.login,
      audience: server.urls.login,
      scopes: ['api', 'refresh_token', 'cdp_query_api'],
      key: { source: `file ${keyFile}`, bits: 2048, format: 'pkcs8' },
    });
  });

  it('runs the Data Cloud exchange with --type datacloud', async () => {
    const result = await verify(['--type', 'datacloud', '--dataspace', 'default', '--json']);
    expect(result.exitCode).toBe(0);
    // The sandbox answers with a bare tenant host, as Salesforce does; verify adds the scheme.
    expect(jsonResult(result.stdout)).toMatchObject({ type: 'datacloud', dataCloud: { tenantUrl: `https://${new URL(server.urls.datacloud).host}` } });
    const exchange = server.requestLog.at(-1)!;
    expect(exchange).toMatchObject({ path: '/services/a360/token', status: 200 });
    expect(exchange.bodyFields).toEqual({
      grant_type: 'urn:salesforce:grant-type:external:cdp',
      subject_token: '[REDACTED]',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      dataspace: 'default',
    });
  });

  const endpoint = () => `${server.urls.login}/services/oauth2/token`;

  it('retries through a 503, a 429 with Retry-After and a connection reset, then succeeds', async () => {
    const before = server.requestLog.length;
    server.faults.fail('salesforce.token', 503, 1).rateLimit('salesforce.token', 1, 1);
    const result = await verify(['--json']);
    expect(result.exitCode).toBe(0);
    expect(jsonResult(result.stdout)).toMatchObject({ orgId: ORG_ID });
    expect(server.requestLog.slice(before).map((entry) => entry.status)).toEqual([503, 429, 200]);
    server.faults.reset('salesforce.token', 1, 'before');
    const reset = await verify(['--json']);
    expect(reset.exitCode).toBe(0);
    server.faults.clear();
  });

  it('exits 8 when Salesforce keeps failing', async () => {
    server.faults.fail('salesforce.token', 503, 3);
    const result = await verify([]);
    server.faults.clear();
    expect(result.exitCode).toBe(8);
    // One line per retry, then the step's end.
    expect(lines(result.stderr).slice(0, 3)).toEqual([
      expect.stringMatching(/^Salesforce answered 503, retrying in \d+ ms \(2\/3\)$/),
      expect.stringMatching(/^Salesforce answered 503, retrying in \d+ ms \(3\/3\)$/),
      `Exchanging the assertion at ${server.urls.login}... refused`,
    ]);
    expect(lines(result.stderr).slice(3)).toEqual([
      `Error: Salesforce unavailable: POST ${endpoint()} answered 503 (after 3 attempts) for user ${USER}, audience ${server.urls.login}. Salesforce kept answering with a server error (5xx) or "too many requests" (429) after the retries.`,
      'Fix: Check https://status.salesforce.com and run the command again later.',
      '(ERR_SF_UNAVAILABLE, exit 8)',
    ]);
  });

  it('exits 4 when the key does not match the uploaded certificate (invalid assertion)', async () => {
    const result = await verify([], { JWT_PRIVATE_KEY: otherPair.privateKeyPem });
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([
      ...progress('refused'),
      `Error: Assertion signature not accepted: POST ${endpoint()} answered 400 invalid_grant "invalid assertion" for user ${USER}, audience ${server.urls.login}. The assertion's signature does not verify with the certificate uploaded to the app: the key and the certificate are not a pair, or no certificate is uploaded.`,
      'Fix: Upload the certificate that matches this key under the app\'s "Use digital signatures" setting (check the pair with: applink-jwt keys check --jwt-key-file <key> --cert-file <crt>). Changes to the app can take up to 10 minutes to reach the login servers.',
      '(ERR_SF_INVALID_ASSERTION, exit 4)',
    ]);
  });

  it("exits 4 when the user hasn't approved the app", async () => {
    const result = await verify(['--username', 'new@example.com']);
    expect(result.exitCode).toBe(4);
    expect(lines(result.stderr).slice(1)).toEqual([
      `Error: User not pre-authorized for the app: POST ${endpoint()} answered 400 invalid_grant "user hasn't approved this consumer" for user new@example.com, audience ${server.urls.login}. The user is not pre-authorized for the external client app, or the username does not exist at this login URL (a sandbox username sent to the production login URL, for example).`,
      'Fix: In the external client app\'s policies, set Permitted Users to "Admin approved users are pre-authorized" and add the user\'s profile or permission set; check the username (sandbox usernames end in .<sandbox>) and the login URL; the app\'s OAuth scopes should include api and refresh_token. Changes to the app can take up to 10 minutes to reach the login servers.',
      '(ERR_SF_USER_NOT_APPROVED, exit 4)',
    ]);
  });

  it('exits 4 when the audience is invalid', async () => {
    // A production org refuses the sandbox audience, as Salesforce does.
    const result = await verify([], { SF_AUDIENCE_URL: 'https://test.salesforce.com' });
    expect(result.exitCode).toBe(4);
    expect(lines(result.stderr).slice(1)).toEqual([
      `Error: Audience not accepted: POST ${endpoint()} answered 400 invalid_grant "audience is invalid" for user ${USER}, audience https://test.salesforce.com. The assertion's audience (aud) is not one this org accepts: a sandbox needs https://test.salesforce.com or its My Domain URL, a production org https://login.salesforce.com or its My Domain URL.`,
      'Fix: For a sandbox use --login-url https://test.salesforce.com or the My Domain URL (https://<domain>--<sandbox>.sandbox.my.salesforce.com); set --audience (or SF_AUDIENCE_URL) only when the org needs an audience other than the login URL.',
      '(ERR_SF_AUDIENCE_INVALID, exit 4)',
    ]);
  });

  it('exits 4 for an unknown client id, and prints the error as JSON with --json', async () => {
    const result = await verify(['--client-id', '3MVG9wrong', '--json']);
    expect(result.exitCode).toBe(4);
    expect(JSON.parse(result.stdout)).toEqual({
      schemaVersion: 1,
      status: 4,
      warnings: [],
      error: {
        code: 'ERR_SF_CLIENT_ID_INVALID',
        message: `Unknown consumer key: POST ${endpoint()} answered 400 invalid_client_id "client identifier invalid" for user ${USER}, audience ${server.urls.login}. No external client app (or connected app) in this org has the client id given as the assertion issuer.`,
        hint: "Copy the Consumer Key from the external client app's OAuth settings into --client-id (or SF_CLIENT_ID), and use the login URL of the org that owns the app. Changes to the app can take up to 10 minutes to reach the login servers.",
        details: { endpoint: endpoint(), status: 400, error: 'invalid_client_id', errorDescription: 'client identifier invalid', username: USER, audience: server.urls.login },
      },
    });
    // Under --json nothing else: no progress, no human error on stderr.
    expect(result.stderr).toBe('');
  });

  it('keeps secrets out of the DEBUG stack trace too', async () => {
    const result = await verify([], { JWT_PRIVATE_KEY: otherPair.privateKeyPem, DEBUG: 'applink-jwt' });
    expect(result.exitCode).toBe(4);
    // The stack follows the three error lines; the class name is minified in the bundle.
    const end = lines(result.stderr).indexOf('(ERR_SF_INVALID_ASSERTION, exit 4)');
    expect(lines(result.stderr)[end + 1]).toMatch(/^\w+: Assertion signature not accepted: POST /);
    expect(lines(result.stderr)[end + 2]).toMatch(/^ +at /);
  });

  it('exits 3 without any request for a login URL outside Salesforce', async () => {
    const before = server.requestLog.length;
    const result = await verify(['--login-url', 'https://login.example.com']);
    expect(result.exitCode).toBe(3);
    expect(lines(result.stderr)).toEqual([
      'Error: --login-url https://login.example.com is not a Salesforce host, so the assertion will not be sent there.',
      "Fix: Use a Salesforce login URL (https://login.salesforce.com, https://test.salesforce.com or https://<my-domain>.my.salesforce.com); for a custom domain that serves your org's login, allow it explicitly with --allow-login-host login.example.com",
      '(ERR_LOGIN_URL_HOST, exit 3)',
    ]);
    expect(server.requestLog.length).toBe(before);
  });

  it('exits 3 without any request when the client id is missing', async () => {
    const before = server.requestLog.length;
    const result = await verify([], { SF_CLIENT_ID: '' });
    expect(result.exitCode).toBe(3);
    expect(lines(result.stderr)).toEqual([
      'Error: No client id: --client-id is not given and SF_CLIENT_ID is not set.',
      'Fix: Pass --client-id <consumer key> or set SF_CLIENT_ID to the Consumer Key of the external client app (its OAuth settings in Setup).',
      '(ERR_CLIENT_ID_MISSING, exit 3)',
    ]);
    expect(server.requestLog.length).toBe(before);
  });
});
