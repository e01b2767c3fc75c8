import { beforeAll, describe, expect, it } from '@jest/globals';
import { importX509, jwtVerify } from 'jose';
import { runProgram } from '../../support/harness.js';
import { fakeFetch, type CannedAnswer } from '../../support/fake-fetch.js';
import { expectNoSecrets } from '../../support/leak-guard.js';
import { createTestKeyPair, type TestKeyPair } from '../../support/rsa-keys.js';
import { jsonResult } from '../../support/envelope.js';

const NOW_MS = Date.UTC(2026, 10, 28, 12, 0, 0);
const ACCESS_TOKEN = '00D5g000004ABCD!AQ8AQJXg5oj8jXSgxJfA0lBog.39AsX';
const SUCCESS = {
  access_token: ACCESS_TOKEN,
  scope: 'api refresh_token',
  instance_url: 'https://acme.my.salesforce.com',
  id: 'https://login.salesforce.com/id/00D5g000004ABCDEAY/0055g00000ABCDEAA2',
  token_type: 'Bearer',
};
const ARGS = ['verify', '--login-url', 'https://acme.my.salesforce.com'];

describe('applink-jwt verify (in process)', () => {
  let pair: TestKeyPair;
  beforeAll(async () => {
    pair = await createTestKeyPair(NOW_MS);
  });

  const env = () => ({ JWT_PRIVATE_KEY: pair.privateKeyPem, SF_CLIENT_ID: '3MVG9test.key', SF_USERNAME: 'ci@example.com' });
  const run = (argv: string[], answers: CannedAnswer[], extraEnv: Record<string, string> = {}) => {
    const fake = fakeFetch(answers);
    return runProgram(argv, { env: { ...env(), ...extraEnv }, fetch: fake.fetch, now: () => NOW_MS }).then((result) => ({ ...result, fake }));
  };

  it('prints the org, user, instance, scopes and key, from flags falling back to SF_CLIENT_ID and SF_USERNAME', async () => {
    const result = await run(ARGS, [{ status: 200, json: SUCCESS }]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')).toEqual([
      'Salesforce accepted the assertion for ci@example.com.',
      '  Org ID:       00D5g000004ABCDEAY',
      '  User ID:      0055g00000ABCDEAA2',
      '  Username:     ci@example.com',
      '  Instance URL: https://acme.my.salesforce.com',
      '  Login URL:    https://acme.my.salesforce.com',
      '  Audience:     https://acme.my.salesforce.com',
      '  Scopes:       api refresh_token',
      '  Key:          environment variable JWT_PRIVATE_KEY (RSA 2048)',
      '',
    ]);
    const { assertion } = result.fake.form(0);
    const { payload } = await jwtVerify(assertion!, await importX509(pair.certificatePem, 'RS256'), { currentDate: new Date(NOW_MS) });
    expect(payload).toMatchObject({ iss: '3MVG9test.key', sub: 'ci@example.com', aud: 'https://acme.my.salesforce.com' });
    expectNoSecrets([result.stdout, result.stderr], { privateKeys: [pair.privateKeyPem], tokens: [ACCESS_TOKEN, assertion!] });
  });

  it('prefers the flags to the variables, and --login to --login-url', async () => {
    const result = await run(['verify', '--client-id', 'flag.key', '--username', 'flag@example.com', '--login', 'https://test.salesforce.com'], [{ status: 200, json: SUCCESS }]);
    expect(result.exitCode).toBe(0);
    expect(result.fake.requests[0]!.url).toBe('https://test.salesforce.com/services/oauth2/token');
    const payload = JSON.parse(Buffer.from(result.fake.form(0).assertion!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ iss: 'flag.key', sub: 'flag@example.com', aud: 'https://test.salesforce.com' });
  });

  it('prints --json with the Data Cloud tenant and no token', async () => {
    const result = await run(
      [...ARGS, '--type', 'datacloud', '--json'],
      [
        { status: 200, json: { ...SUCCESS, scope: 'refresh_token cdp_query_api' } },
        { status: 200, json: { access_token: 'dc-token-abcdefghijklmnop', instance_url: 'gy3t.c360a.salesforce.com', expires_in: 7200 } },
      ],
    );
    expect(result.exitCode).toBe(0);
    const document = JSON.parse(result.stdout) as { result: unknown; warnings: string[] };
    expect(document.warnings).toEqual([
      'The granted scopes (refresh_token cdp_query_api) do not include api; AppLink and the Data Cloud exchange need it. Add the "Manage user data via APIs (api)" scope to the external client app.',
    ]);
    expect(jsonResult(result.stdout)).toEqual({
      type: 'datacloud',
      orgId: '00D5g000004ABCDEAY',
      userId: '0055g00000ABCDEAA2',
      username: 'ci@example.com',
      instanceUrl: 'https://acme.my.salesforce.com',
      loginUrl: 'https://acme.my.salesforce.com',
      audience: 'https://acme.my.salesforce.com',
      scopes: ['refresh_token', 'cdp_query_api'],
      dataCloud: { tenantUrl: 'https://gy3t.c360a.salesforce.com' },
      key: { source: 'environment variable JWT_PRIVATE_KEY', bits: 2048, format: 'pkcs8' },
    });
    expectNoSecrets([result.stdout, result.stderr], { privateKeys: [pair.privateKeyPem], tokens: [ACCESS_TOKEN, 'dc-token-abcdefghijklmnop', result.fake.form(0).assertion!] });
  });

  it('prints warnings on stderr in text mode', async () => {
    const result = await run(['verify', '--login-url', 'https://acme.my.salesforce.com/lightning'], [{ status: 200, json: { ...SUCCESS, scope: 'id' } }]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split('\n')).toEqual([
      'Warning: --login-url: ignoring "/lightning" after the host; using https://acme.my.salesforce.com.',
      'Warning: The granted scopes (id) do not include api; AppLink needs it. Add the "Manage user data via APIs (api)" scope to the external client app.',
      '',
    ]);
  });

  it('exits 4 with the catalogue error when Salesforce refuses', async () => {
    const result = await run(ARGS, [{ status: 400, json: { error: 'invalid_grant', error_description: 'invalid assertion' } }]);
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      "Error: Assertion signature not accepted: POST https://acme.my.salesforce.com/services/oauth2/token answered 400 invalid_grant \"invalid assertion\" for user ci@example.com, audience https://acme.my.salesforce.com. The assertion's signature does not verify with the certificate uploaded to the app: the key and the certificate are not a pair, or no certificate is uploaded.",
      'Fix: Upload the certificate that matches this key under the app\'s "Use digital signatures" setting (check the pair with: applink-jwt keys check --jwt-key-file <key> --cert-file <crt>). Changes to the app can take up to 10 minutes to reach the login servers.',
      '(ERR_SF_INVALID_ASSERTION, exit 4)',
      '',
    ]);
  });

  it.each([
    [{ SF_CLIENT_ID: '' }, 'ERR_CLIENT_ID_MISSING', 'Error: No client id: --client-id is not given and SF_CLIENT_ID is not set.'],
    [{ SF_USERNAME: '' }, 'ERR_USERNAME_MISSING', 'Error: No username: --username is not given and SF_USERNAME is not set.'],
    [{ JWT_PRIVATE_KEY: '' }, 'ERR_KEY_ENV_MISSING', undefined],
  ])('exits 3 before any request when input is missing (%j)', async (changed, code, line) => {
    const result = await run(ARGS, [], changed);
    expect(result.exitCode).toBe(3);
    expect(result.fake.requests).toHaveLength(0);
    expect(result.stderr).toContain(`(${code}, exit 3)`);
    if (line) expect(result.stderr.split('\n')[0]).toBe(line);
  });

  it('reports a bad login URL and a missing key together, before any request', async () => {
    const result = await run(['verify', '--login-url', 'https://acme.lightning.force.com'], [], { JWT_PRIVATE_KEY: '' });
    expect(result.exitCode).toBe(3);
    expect(result.fake.requests).toHaveLength(0);
    const lines = result.stderr.split('\n');
    expect(lines[0]).toBe('Error: 2 inputs are missing or invalid:');
    expect(lines[1]).toBe('  - --login-url https://acme.lightning.force.com is a Lightning Experience host; Salesforce does not issue tokens there.');
    expect(lines[3]).toBe('  - Environment variable JWT_PRIVATE_KEY is not set or is empty.');
    expect(result.stderr).toContain('(ERR_INPUT_PROBLEMS, exit 3)');
  });

  it('takes the audience from SF_AUDIENCE_URL', async () => {
    const result = await run(ARGS, [{ status: 200, json: SUCCESS }], { SF_AUDIENCE_URL: 'https://login.salesforce.com' });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('  Audience:     https://login.salesforce.com\n');
  });
});
