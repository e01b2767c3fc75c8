import { beforeAll, describe, expect, it } from '@jest/globals';
import { importX509, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { generateKeyPairSync } from 'node:crypto';
import { InputError } from '../../../cli/errors.js';
import { runPreflight, type PreflightDeps, type PreflightOptions } from '../../../cli/salesforce/preflight.js';
import { failure } from '../../support/app-error.js';
import { fakeFetchDeps, NOW_MS, type CannedAnswer } from '../../support/fake-fetch.js';
import { createTestKeyPair, type TestKeyPair } from '../../support/rsa-keys.js';

const ACCESS_TOKEN = '00D5g000004ABCD!AQ8AQJXg5oj8jXSgxJfA0lBog.39AsX';
const DC_TOKEN = 'eyJraWQiOiJDT1JFIn0.eyJhdWRpZW5jZVRlbmFudElkIjoiYTM2MC9mYWxjb25kZXYvYWJjIn0.sig';
const SUCCESS = {
  access_token: ACCESS_TOKEN,
  scope: 'api refresh_token cdp_query_api',
  instance_url: 'https://acme.my.salesforce.com',
  id: 'https://login.salesforce.com/id/00D5g000004ABCDEAY/0055g00000ABCDEAA2',
  token_type: 'Bearer',
};
const OPTIONS: PreflightOptions = {
  clientId: '3MVG9test.consumer_key',
  username: 'ci@example.com',
  loginUrl: 'https://acme.my.salesforce.com',
  allowLoginHosts: [],
  type: 'salesforce',
  timeoutMs: 15000,
};

function setup(answers: CannedAnswer[]) {
  const { fake, deps: clientDeps } = fakeFetchDeps(answers);
  const progress: string[] = [];
  const deps: PreflightDeps = {
    ...clientDeps,
    progress: { start: (t) => progress.push(`start ${t}`), update: () => {}, stop: (r) => progress.push(`stop ${r}`), note: () => {} },
  };
  return { fake, deps, progress };
}

describe('runPreflight', () => {
  let pair: TestKeyPair;
  beforeAll(async () => {
    pair = await createTestKeyPair(NOW_MS);
  });

  it('signs an assertion the certificate verifies, exchanges it, and returns no token', async () => {
    const { fake, deps, progress } = setup([{ status: 200, json: SUCCESS }]);
    const result = await runPreflight(pair.privateKey, OPTIONS, deps);
    expect(result).toEqual({
      orgId: '00D5g000004ABCDEAY',
      userId: '0055g00000ABCDEAA2',
      username: 'ci@example.com',
      instanceUrl: 'https://acme.my.salesforce.com',
      loginUrl: 'https://acme.my.salesforce.com',
      audience: 'https://acme.my.salesforce.com',
      scopes: ['api', 'refresh_token', 'cdp_query_api'],
      warnings: [],
    });
    expect(JSON.stringify(result)).not.toContain(ACCESS_TOKEN);
    expect(fake.requests[0]!.url).toBe('https://acme.my.salesforce.com/services/oauth2/token');
    const { assertion } = fake.form(0);
    expect(JSON.stringify(result)).not.toContain(assertion!);
    const { payload, protectedHeader } = await jwtVerify(assertion!, await importX509(pair.certificatePem, 'RS256'), { currentDate: new Date(NOW_MS) });
    expect(protectedHeader).toEqual({ alg: 'RS256' });
    expect(payload).toEqual({ iss: '3MVG9test.consumer_key', sub: 'ci@example.com', aud: 'https://acme.my.salesforce.com', iat: NOW_MS / 1000, exp: NOW_MS / 1000 + 180 });
    expect(jsonwebtoken.verify(assertion!, pair.certificatePem, { clockTimestamp: NOW_MS / 1000 })).toMatchObject({ exp: NOW_MS / 1000 + 180 });
    expect(progress).toEqual(['start Exchanging the assertion at https://acme.my.salesforce.com', 'stop accepted']);
  });

  it('uses the audience override and warns about a dropped path', async () => {
    const { fake, deps } = setup([{ status: 200, json: SUCCESS }]);
    const result = await runPreflight(pair.privateKey, { ...OPTIONS, loginUrl: 'https://acme.my.salesforce.com/home', audience: 'https://login.salesforce.com' }, deps);
    expect(result.audience).toBe('https://login.salesforce.com');
    expect(result.warnings).toEqual(['--login-url: ignoring "/home" after the host; using https://acme.my.salesforce.com.']);
    const payload = jsonwebtoken.decode(fake.form(0).assertion!) as jsonwebtoken.JwtPayload;
    expect(payload.aud).toBe('https://login.salesforce.com');
  });

  it('warns when the granted scopes lack api', async () => {
    const { deps } = setup([{ status: 200, json: { ...SUCCESS, scope: 'refresh_token id' } }]);
    const result = await runPreflight(pair.privateKey, OPTIONS, deps);
    expect(result.warnings).toEqual([
      'The granted scopes (refresh_token id) do not include api; AppLink needs it. Add the "Manage user data via APIs (api)" scope to the external client app.',
    ]);
  });

  it('runs the Data Cloud exchange on the instance URL for --type datacloud', async () => {
    const { fake, deps, progress } = setup([
      { status: 200, json: SUCCESS },
      { status: 200, json: { access_token: DC_TOKEN, instance_url: 'gy3t.c360a.salesforce.com', expires_in: 7200 } },
    ]);
    const result = await runPreflight(pair.privateKey, { ...OPTIONS, type: 'datacloud', dataspace: 'default' }, deps);
    expect(result.dataCloud).toEqual({ tenantUrl: 'https://gy3t.c360a.salesforce.com' });
    expect(fake.requests[1]!.url).toBe('https://acme.my.salesforce.com/services/a360/token');
    expect(fake.form(1)).toEqual({
      grant_type: 'urn:salesforce:grant-type:external:cdp',
      subject_token: ACCESS_TOKEN,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      dataspace: 'default',
    });
    expect(JSON.stringify(result)).not.toContain(DC_TOKEN);
    expect(progress).toEqual([
      'start Exchanging the assertion at https://acme.my.salesforce.com',
      'stop accepted',
      'start Exchanging the access token for a Data Cloud token at https://acme.my.salesforce.com',
      'stop accepted',
    ]);
  });

  it('ignores --dataspace without --type datacloud, with a warning', async () => {
    const { fake, deps } = setup([{ status: 200, json: SUCCESS }]);
    const result = await runPreflight(pair.privateKey, { ...OPTIONS, dataspace: 'default' }, deps);
    expect(result.warnings).toEqual(['--dataspace is ignored without --type datacloud.']);
    expect(fake.requests).toHaveLength(1);
  });

  it('reports a refusal through progress and rethrows the catalogue error', async () => {
    const { deps, progress } = setup([{ status: 400, json: { error: 'invalid_grant', error_description: "user hasn't approved this consumer" } }]);
    const error = await failure(runPreflight(pair.privateKey, OPTIONS, deps));
    expect(error.code).toBe('ERR_SF_USER_NOT_APPROVED');
    expect(progress).toEqual(['start Exchanging the assertion at https://acme.my.salesforce.com', 'stop refused']);
  });

  describe('checks all local input before any network call', () => {
    it.each([
      [{ clientId: undefined }, 'ERR_CLIENT_ID_MISSING', 'No client id: --client-id is not given and SF_CLIENT_ID is not set.', 'Pass --client-id <consumer key> or set SF_CLIENT_ID to the Consumer Key of the external client app (its OAuth settings in Setup).'],
      [{ clientId: '' }, 'ERR_CLIENT_ID_MISSING', 'No client id: --client-id is not given and SF_CLIENT_ID is not set.', undefined],
      [{ clientId: '3MVG9abc\n' }, 'ERR_CLIENT_ID_INVALID', 'The client id (--client-id or SF_CLIENT_ID) has leading or trailing whitespace (a newline from a copied secret?).', "Copy the Consumer Key (not the Consumer Secret) from the external client app's OAuth settings, without quotes or surrounding spaces."],
      [{ clientId: '"3MVG9abc"' }, 'ERR_CLIENT_ID_INVALID', 'The client id (--client-id or SF_CLIENT_ID) is wrapped in quotes.', undefined],
      [{ clientId: '3MVG9 abc' }, 'ERR_CLIENT_ID_INVALID', 'The client id (--client-id or SF_CLIENT_ID) contains whitespace.', undefined],
      [{ clientId: 'x'.repeat(300) }, 'ERR_CLIENT_ID_INVALID', 'The client id (--client-id or SF_CLIENT_ID) is 300 characters long (a consumer key has fewer than 255).', undefined],
      [{ clientId: '3MVG9é' }, 'ERR_CLIENT_ID_INVALID', 'The client id (--client-id or SF_CLIENT_ID) contains characters a consumer key never has.', undefined],
      [{ username: undefined }, 'ERR_USERNAME_MISSING', 'No username: --username is not given and SF_USERNAME is not set.', 'Pass --username <user@example.com> or set SF_USERNAME to the Salesforce username the app is pre-authorized for.'],
      [{ username: 'ci' }, 'ERR_USERNAME_INVALID', 'The username (--username or SF_USERNAME) "ci" is not in the form of an email address (name@example.com), as Salesforce usernames are.', 'Use the exact Salesforce username of the integration user, such as ci@example.com (a sandbox username ends in .<sandbox name>).'],
      [{ username: 'ci@example.com\n' }, 'ERR_USERNAME_INVALID', 'The username (--username or SF_USERNAME) "ci@example.com\\n" has leading or trailing whitespace (a newline from a copied secret?).', undefined],
      [{ username: "'ci@example.com'" }, 'ERR_USERNAME_INVALID', 'The username (--username or SF_USERNAME) "\'ci@example.com\'" is wrapped in quotes.', undefined],
      [{ username: `${'a'.repeat(80)}@example.com` }, 'ERR_USERNAME_INVALID', `The username (--username or SF_USERNAME) "${'a'.repeat(80)}@example.com" is 92 characters long (Salesforce usernames have at most 80).`, undefined],
      [{ loginUrl: 'http://login.salesforce.com' }, 'ERR_LOGIN_URL_INSECURE', undefined, undefined],
      [{ loginUrl: 'https://acme.lightning.force.com' }, 'ERR_LOGIN_URL_LIGHTNING', undefined, undefined],
      [{ loginUrl: 'https://login.example.com' }, 'ERR_LOGIN_URL_HOST', undefined, undefined],
      [{ audience: 'nope' }, 'ERR_AUDIENCE_INVALID', undefined, undefined],
      [{ type: 'datacloud' as const, dataspace: '1bad space' }, 'ERR_DATASPACE_INVALID', '--dataspace "1bad space" is not a data space name (a letter, then up to 79 letters, digits and underscores).', 'Use the API name of the data space as Data Cloud shows it, such as default; or leave --dataspace out for the default data space.'],
    ] as Array<[Partial<PreflightOptions>, string, string | undefined, string | undefined]>)('%j is %s', async (change, code, message, hint) => {
      const { fake, deps } = setup([]);
      const error = await failure(runPreflight(pair.privateKey, { ...OPTIONS, ...change }, deps));
      expect(error).toBeInstanceOf(InputError);
      expect(error.code).toBe(code);
      expect(error.exitCode).toBe(3);
      if (message !== undefined) expect(error.message).toBe(message);
      if (hint !== undefined) expect(error.hint).toBe(hint);
      expect(fake.requests).toHaveLength(0);
    });

    it('refuses a key that cannot sign RS256 before any request', async () => {
      const { fake, deps } = setup([]);
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const error = await failure(runPreflight(privateKey, OPTIONS, deps));
      expect(error.code).toBe('ERR_ASSERTION_SIGN');
      expect(error.message).toBe('The private key cannot sign an RS256 assertion: RS256 requires key modulusLength to be 2048 bits or larger.');
      expect(error.hint).toBe("Salesforce's JWT bearer flow needs an RSA key of 2048 bits or more; generate one with: applink-jwt keys generate");
      expect(fake.requests).toHaveLength(0);
    });
  });
});
