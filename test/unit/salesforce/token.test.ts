import { describe, expect, it } from '@jest/globals';
import { ExitCode, NetworkError, SalesforceError, TimeoutError } from '../../../cli/errors.js';
import { catalogueEntry, SALESFORCE_ERRORS } from '../../../cli/salesforce/catalogue.js';
import { exchangeAssertion, exchangeDataCloudToken, normaliseInstanceUrl, parseIdentityUrl, type TokenDeps } from '../../../cli/salesforce/token.js';
import { failure } from '../../support/app-error.js';
import { fakeFetchDeps, type CannedAnswer } from '../../support/fake-fetch.js';

const LOGIN = new URL('https://acme.my.salesforce.com');
const ENDPOINT = 'https://acme.my.salesforce.com/services/oauth2/token';
const ASSERTION = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJlLW5vdC1jaGVja2VkLWhlcmU';
const ACCESS_TOKEN = '00D5g000004ABCD!AQ8AQJXg5oj8jXSgxJfA0lBog.39AsX';
const SUCCESS = {
  access_token: ACCESS_TOKEN,
  scope: 'api refresh_token id',
  instance_url: 'https://acme.my.salesforce.com',
  id: 'https://login.salesforce.com/id/00D5g000004ABCDEAY/0055g00000ABCDEAA2',
  token_type: 'Bearer',
  issued_at: '1795867200000',
};
const USER = 'ci@example.com';
const AUD = 'https://acme.my.salesforce.com';

const exchange = (deps: TokenDeps) => exchangeAssertion({ loginUrl: LOGIN, assertion: ASSERTION, timeoutMs: 15000, username: USER, audience: AUD }, deps);

describe('exchangeAssertion', () => {
  it('posts exactly the JWT bearer form to <login-url>/services/oauth2/token and parses the answer', async () => {
    const { fake, deps } = fakeFetchDeps([{ status: 200, json: SUCCESS }]);
    const token = await exchange(deps);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.url).toBe(ENDPOINT);
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(fake.form(0)).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: ASSERTION });
    expect(request!.body).toBe(`grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=${ASSERTION}`);
    expect(token).toEqual({
      accessToken: ACCESS_TOKEN,
      instanceUrl: 'https://acme.my.salesforce.com',
      idUrl: SUCCESS.id,
      orgId: '00D5g000004ABCDEAY',
      userId: '0055g00000ABCDEAA2',
      scopes: ['api', 'refresh_token', 'id'],
      tokenType: 'Bearer',
    });
  });

  it('posts to the origin of the login URL only, whatever path the URL object had', async () => {
    const { fake, deps } = fakeFetchDeps([{ status: 200, json: SUCCESS }]);
    await exchangeAssertion({ loginUrl: new URL('http://127.0.0.1:4010/some/path'), assertion: ASSERTION, timeoutMs: 1000 }, deps);
    expect(fake.requests[0]!.url).toBe('http://127.0.0.1:4010/services/oauth2/token');
  });

  it('refuses to send the assertion to a host outside Salesforce, before any request', async () => {
    const { fake, deps } = fakeFetchDeps([]);
    const error = await failure(exchangeAssertion({ loginUrl: new URL('https://evil.example'), assertion: ASSERTION, timeoutMs: 1000 }, deps));
    expect(error.code).toBe('ERR_LOGIN_URL_HOST');
    expect(error.message).toBe('The assertion will not be sent to https://evil.example: evil.example is not a Salesforce host (*.salesforce.com, *.force.com, *.salesforce.mil, *.cloudforce.com, *.sfcrmproducts.cn, *.my.site.com).');
    expect(fake.requests).toHaveLength(0);
    const http = await failure(exchangeAssertion({ loginUrl: new URL('http://acme.my.salesforce.com'), assertion: ASSERTION, timeoutMs: 1000 }, deps));
    expect(http.code).toBe('ERR_LOGIN_URL_HOST');
    expect(fake.requests).toHaveLength(0);
  });

  describe('the four most common refusals', () => {
    it.each([
      [
        'invalid_grant',
        "user hasn't approved this consumer",
        'ERR_SF_USER_NOT_APPROVED',
        `User not pre-authorized for the app: POST ${ENDPOINT} answered 400 invalid_grant "user hasn't approved this consumer" for user ci@example.com, audience https://acme.my.salesforce.com. The user is not pre-authorized for the external client app, or the username does not exist at this login URL (a sandbox username sent to the production login URL, for example).`,
        'In the external client app\'s policies, set Permitted Users to "Admin approved users are pre-authorized" and add the user\'s profile or permission set; check the username (sandbox usernames end in .<sandbox>) and the login URL; the app\'s OAuth scopes should include api and refresh_token. Changes to the app can take up to 10 minutes to reach the login servers.',
      ],
      [
        'invalid_grant',
        'invalid assertion',
        'ERR_SF_INVALID_ASSERTION',
        `Assertion signature not accepted: POST ${ENDPOINT} answered 400 invalid_grant "invalid assertion" for user ci@example.com, audience https://acme.my.salesforce.com. The assertion's signature does not verify with the certificate uploaded to the app: the key and the certificate are not a pair, or no certificate is uploaded.`,
        'Upload the certificate that matches this key under the app\'s "Use digital signatures" setting (check the pair with: applink-jwt keys check --jwt-key-file <key> --cert-file <crt>). Changes to the app can take up to 10 minutes to reach the login servers.',
      ],
      [
        'invalid_grant',
        'audience is invalid',
        'ERR_SF_AUDIENCE_INVALID',
        `Audience not accepted: POST ${ENDPOINT} answered 400 invalid_grant "audience is invalid" for user ci@example.com, audience https://acme.my.salesforce.com. The assertion's audience (aud) is not one this org accepts: a sandbox needs https://test.salesforce.com or its My Domain URL, a production org https://login.salesforce.com or its My Domain URL.`,
        'For a sandbox use --login-url https://test.salesforce.com or the My Domain URL (https://<domain>--<sandbox>.sandbox.my.salesforce.com); set --audience (or SF_AUDIENCE_URL) only when the org needs an audience other than the login URL.',
      ],
      [
        'invalid_client_id',
        'client identifier invalid',
        'ERR_SF_CLIENT_ID_INVALID',
        `Unknown consumer key: POST ${ENDPOINT} answered 400 invalid_client_id "client identifier invalid" for user ci@example.com, audience https://acme.my.salesforce.com. No external client app (or connected app) in this org has the client id given as the assertion issuer.`,
        "Copy the Consumer Key from the external client app's OAuth settings into --client-id (or SF_CLIENT_ID), and use the login URL of the org that owns the app. Changes to the app can take up to 10 minutes to reach the login servers.",
      ],
    ])('%s "%s" is %s with its fix, and is not retried', async (error, description, code, message, hint) => {
      const { fake, deps, sleeps } = fakeFetchDeps([{ status: 400, json: { error, error_description: description } }]);
      const thrown = await failure(exchange(deps));
      expect(thrown).toBeInstanceOf(SalesforceError);
      expect(thrown.code).toBe(code);
      expect(thrown.message).toBe(message);
      expect(thrown.hint).toBe(hint);
      expect(thrown.exitCode).toBe(ExitCode.salesforce);
      expect(thrown.details).toEqual({ endpoint: ENDPOINT, status: 400, error, errorDescription: description, username: USER, audience: AUD });
      expect(fake.requests).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });
  });

  // Every OAuth error of the catalogue, as Salesforce sends it: the code, the whole message, the hint.
  const oauthCases: Array<[string, string, string]> = [
    ['invalid_client_id', 'client identifier invalid', 'ERR_SF_CLIENT_ID_INVALID'],
    ['invalid_client', 'client identifier invalid', 'ERR_SF_CLIENT_ID_INVALID'],
    ['invalid_grant', 'invalid assertion', 'ERR_SF_INVALID_ASSERTION'],
    ['invalid_grant', 'audience is invalid', 'ERR_SF_AUDIENCE_INVALID'],
    ['invalid_grant', 'Audience is invalid', 'ERR_SF_AUDIENCE_INVALID'],
    ['invalid_grant', 'Audience validation failed', 'ERR_SF_AUDIENCE_INVALID'],
    ['invalid_grant', 'expired authorization code', 'ERR_SF_ASSERTION_EXPIRED'],
    ['invalid_grant', "user hasn't approved this consumer", 'ERR_SF_USER_NOT_APPROVED'],
    ['invalid_app_access', 'user is not admin approved to access this app', 'ERR_SF_APP_ACCESS'],
    ['invalid_grant', 'inactive user', 'ERR_SF_USER_INACTIVE'],
    ['invalid_grant', 'invalid user', 'ERR_SF_USER_INVALID'],
    ['invalid_grant', 'ip restricted', 'ERR_SF_IP_RESTRICTED'],
    ['invalid_grant', 'rate limit exceeded', 'ERR_SF_RATE_LIMITED'],
    ['app_not_found', 'External client app is not installed in this org', 'ERR_SF_APP_NOT_FOUND'],
    ['unsupported_grant_type', 'grant type not supported', 'ERR_SF_UNSUPPORTED_GRANT_TYPE'],
    ['invalid_request', 'assertion is missing', 'ERR_SF_INVALID_REQUEST'],
    ['invalid_grant', 'something new', 'ERR_SF_INVALID_GRANT'],
    ['server_busy', 'try later', 'ERR_SF_REFUSED'],
  ];
  it.each(oauthCases)('maps %s "%s" to %s', async (error, description, code) => {
    const { deps } = fakeFetchDeps([{ status: 400, json: { error, error_description: description } }]);
    const thrown = await failure(exchange(deps));
    const entry = catalogueEntry(code);
    expect(thrown.code).toBe(code);
    expect(thrown.message).toBe(`${entry.title}: POST ${ENDPOINT} answered 400 ${error} "${description}" for user ${USER}, audience ${AUD}. ${entry.cause}`);
    expect(thrown.hint).toBe(entry.hint);
    expect(thrown.exitCode).toBe(4);
  });

  it('covers every OAuth error entry of the catalogue in the table above', () => {
    const covered = new Set(oauthCases.map(([, , code]) => code));
    const oauthCodes = SALESFORCE_ERRORS.filter((e) => e.endpoint === 'token' && e.error !== undefined).map((e) => e.code);
    expect(oauthCodes.filter((code) => !covered.has(code))).toEqual([]);
  });

  it('turns an HTML page into its own error, not a JSON parse crash', async () => {
    const { deps } = fakeFetchDeps([{ status: 200, body: '<!DOCTYPE html><html><body>Login</body></html>', headers: { 'content-type': 'text/html;charset=UTF-8' } }]);
    const thrown = await failure(exchange(deps));
    expect(thrown.code).toBe('ERR_SF_HTML_RESPONSE');
    expect(thrown.message).toBe(
      `HTML page instead of a token: POST ${ENDPOINT} answered 200 (an HTML page) for user ${USER}, audience ${AUD}. The login URL answered with an HTML page (a login page, a proxy or a maintenance page), not Salesforce's JSON.`,
    );
    expect(thrown.hint).toBe(catalogueEntry('ERR_SF_HTML_RESPONSE').hint);
    expect(thrown.exitCode).toBe(4);
  });

  it.each([
    [{ status: 400, body: '<html><body>Bad Request</body></html>' }, 'ERR_SF_HTML_RESPONSE', 'an HTML page'],
    [{ status: 400, body: '{"error":"invalid_gr', headers: { 'content-type': 'application/json' } }, 'ERR_SF_NOT_JSON', 'a body that is not JSON, content type application/json'],
    [{ status: 200, body: '', headers: { 'content-type': 'text/plain' } }, 'ERR_SF_NOT_JSON', 'an empty body'],
    [{ status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } }, 'ERR_SF_NOT_JSON', 'a body that is not JSON, content type text/plain'],
    [{ status: 404, body: 'Not Found' }, 'ERR_SF_NOT_FOUND', 'not found'],
    [{ status: 404, body: '<html>404</html>', headers: { 'content-type': 'text/html' } }, 'ERR_SF_NOT_FOUND', 'an HTML page'],
    [{ status: 400, json: { message: 'no error field here' } }, 'ERR_SF_REFUSED', 'a JSON body without an error field'],
    [{ status: 302, headers: { location: 'https://acme.my.salesforce.com/services/oauth2/token?secret=1' } }, 'ERR_SF_REDIRECT', 'a redirect to https://acme.my.salesforce.com/services/oauth2/token'],
    [{ status: 200, json: { access_token: 'x', instance_url: 'https://a.my.salesforce.com' } }, 'ERR_SF_UNEXPECTED_RESPONSE', 'no a valid id (identity URL)'],
    [{ status: 200, json: { id: SUCCESS.id } }, 'ERR_SF_UNEXPECTED_RESPONSE', 'no access_token, instance_url'],
    [{ status: 200, json: [1, 2] }, 'ERR_SF_NOT_JSON', 'a body that is not JSON, content type application/json;charset=UTF-8'],
  ] as Array<[CannedAnswer & { status: number }, string, string]>)('maps an answer %j to %s', async (answer, code, note) => {
    const { deps, fake } = fakeFetchDeps([answer]);
    const thrown = await failure(exchange(deps));
    const entry = catalogueEntry(code);
    expect(thrown.code).toBe(code);
    expect(thrown.message).toBe(`${entry.title}: POST ${ENDPOINT} answered ${answer.status} (${note}) for user ${USER}, audience ${AUD}. ${entry.cause}`);
    expect(thrown.hint).toBe(entry.hint);
    expect(fake.requests).toHaveLength(1);
  });

  it('never puts the assertion or a token in an error', async () => {
    const { deps } = fakeFetchDeps([{ status: 400, json: { error: 'invalid_grant', error_description: 'invalid assertion' } }]);
    const thrown = await failure(exchange(deps));
    expect(JSON.stringify({ message: thrown.message, hint: thrown.hint, details: thrown.details })).not.toContain(ASSERTION);
  });

  it('retries a 5xx and succeeds', async () => {
    const { fake, deps, sleeps } = fakeFetchDeps([{ status: 503, body: 'busy' }, { status: 502, body: '<html>bad gateway</html>' }, { status: 200, json: SUCCESS }]);
    const token = await exchange(deps);
    expect(token.orgId).toBe('00D5g000004ABCDEAY');
    expect(fake.requests).toHaveLength(3);
    expect(fake.form(2)).toEqual(fake.form(0));
    expect(sleeps).toHaveLength(2);
  });

  it('honours Retry-After on 429', async () => {
    const { fake, deps, sleeps } = fakeFetchDeps([{ status: 429, body: '', headers: { 'retry-after': '2' } }, { status: 200, json: SUCCESS }]);
    await exchange(deps);
    expect(fake.requests).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
  });

  it('retries a network error', async () => {
    const { fake, deps } = fakeFetchDeps([{ error: new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }) }, { status: 200, json: SUCCESS }]);
    await exchange(deps);
    expect(fake.requests).toHaveLength(2);
  });

  it('gives up after three 5xx with ERR_SF_UNAVAILABLE (exit 8)', async () => {
    const { fake, deps } = fakeFetchDeps([{ status: 500, body: '' }, { status: 503, body: '' }, { status: 503, body: '<html>maintenance</html>' }]);
    const thrown = await failure(exchange(deps));
    expect(thrown).toBeInstanceOf(NetworkError);
    expect(thrown.code).toBe('ERR_SF_UNAVAILABLE');
    expect(thrown.message).toBe(
      `Salesforce unavailable: POST ${ENDPOINT} answered 503 (after 3 attempts) for user ${USER}, audience ${AUD}. Salesforce kept answering with a server error (5xx) or "too many requests" (429) after the retries.`,
    );
    expect(thrown.hint).toBe('Check https://status.salesforce.com and run the command again later.');
    expect(thrown.exitCode).toBe(ExitCode.network);
    expect(fake.requests).toHaveLength(3);
  });

  it('times out each attempt and reports ERR_HTTP_TIMEOUT (exit 7) after three', async () => {
    const { fake, deps } = fakeFetchDeps([{ hang: true }, { hang: true }, { hang: true }]);
    // As verify and authorize call it: their --timeout is named in the hint.
    const thrown = await failure(exchangeAssertion({ loginUrl: LOGIN, assertion: ASSERTION, timeoutMs: 20 }, { ...deps, timeoutOption: true }));
    expect(thrown).toBeInstanceOf(TimeoutError);
    expect(thrown.code).toBe('ERR_HTTP_TIMEOUT');
    expect(thrown.message).toBe(`Salesforce did not answer POST ${ENDPOINT} within 0.02 s.`);
    expect(thrown.hint).toBe('Check the network path to the service, or raise --timeout.');
    expect(fake.requests).toHaveLength(3);
  });
});

describe('parseIdentityUrl and normaliseInstanceUrl', () => {
  it('reads org and user ids from the identity URL', () => {
    expect(parseIdentityUrl('https://login.salesforce.com/id/00D5g000004ABCDEAY/0055g00000ABCDEAA2')).toEqual({ orgId: '00D5g000004ABCDEAY', userId: '0055g00000ABCDEAA2' });
    expect(parseIdentityUrl('https://x/id/00D5g000004ABCD/0055g00000ABCDE/')).toEqual({ orgId: '00D5g000004ABCD', userId: '0055g00000ABCDE' });
    expect(parseIdentityUrl('https://x/id/00D/005')).toBeUndefined();
    expect(parseIdentityUrl('not a url')).toBeUndefined();
  });

  it('adds https:// to a bare host and drops a trailing slash', () => {
    expect(normaliseInstanceUrl('abc.c360a.salesforce.com')).toBe('https://abc.c360a.salesforce.com');
    expect(normaliseInstanceUrl('https://acme.my.salesforce.com/')).toBe('https://acme.my.salesforce.com');
    expect(normaliseInstanceUrl('http://127.0.0.1:4010')).toBe('http://127.0.0.1:4010');
  });
});

describe('exchangeDataCloudToken', () => {
  const DC_ENDPOINT = 'https://acme.my.salesforce.com/services/a360/token';
  const DC_TOKEN = 'eyJraWQiOiJDT1JFIn0.eyJhdWRpZW5jZVRlbmFudElkIjoiYTM2MC9mYWxjb25kZXYvYWJjIn0.sig';
  const dcInput = { instanceUrl: 'https://acme.my.salesforce.com', accessToken: ACCESS_TOKEN, timeoutMs: 15000 };

  it('posts exactly the token-exchange form to <instance_url>/services/a360/token and normalises the tenant URL', async () => {
    const { fake, deps } = fakeFetchDeps([
      { status: 200, json: { access_token: DC_TOKEN, instance_url: 'gy3tcnzyg8.c360a.salesforce.com', token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:jwt', expires_in: 7191 } },
    ]);
    const result = await exchangeDataCloudToken({ ...dcInput, dataspace: 'default' }, deps);
    expect(result).toEqual({ accessToken: DC_TOKEN, tenantUrl: 'https://gy3tcnzyg8.c360a.salesforce.com', expiresInSeconds: 7191 });
    const [request] = fake.requests;
    expect(request!.url).toBe(DC_ENDPOINT);
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(fake.form(0)).toEqual({
      grant_type: 'urn:salesforce:grant-type:external:cdp',
      subject_token: ACCESS_TOKEN,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      dataspace: 'default',
    });
  });

  it('sends no dataspace when none is given, and keeps a tenant URL that has its scheme', async () => {
    const { fake, deps } = fakeFetchDeps([{ status: 200, json: { access_token: DC_TOKEN, instance_url: 'https://t.c360a.salesforce.com/' } }]);
    const result = await exchangeDataCloudToken(dcInput, deps);
    expect(result).toEqual({ accessToken: DC_TOKEN, tenantUrl: 'https://t.c360a.salesforce.com' });
    expect(Object.keys(fake.form(0)).sort()).toEqual(['grant_type', 'subject_token', 'subject_token_type']);
  });

  it('refuses to send the access token to an instance URL outside Salesforce', async () => {
    const { fake, deps } = fakeFetchDeps([]);
    const thrown = await failure(exchangeDataCloudToken({ ...dcInput, instanceUrl: 'https://collector.example' }, deps));
    expect(thrown.code).toBe('ERR_SF_INSTANCE_URL_HOST');
    expect(thrown.message).toBe(
      "Instance URL outside Salesforce: the token answer's instance_url https://collector.example is refused: collector.example is not a Salesforce host (*.salesforce.com, *.force.com, *.salesforce.mil, *.cloudforce.com, *.sfcrmproducts.cn, *.my.site.com). The access token was not sent there.",
    );
    expect(thrown.hint).toBe('Check --login-url; if your org really is served from a custom domain, allow it with --allow-login-host <host>.');
    expect(fake.requests).toHaveLength(0);
    const allowed = fakeFetchDeps([{ status: 200, json: { access_token: DC_TOKEN, instance_url: 't.example' } }]);
    await exchangeDataCloudToken({ ...dcInput, instanceUrl: 'https://collector.example', allowHosts: ['collector.example'] }, allowed.deps);
    expect(allowed.fake.requests[0]!.url).toBe('https://collector.example/services/a360/token');
  });

  it.each([
    [{ status: 401, json: [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }] }, 'ERR_SF_DATACLOUD_REFUSED', 'answered 401 INVALID_SESSION_ID "Session expired or invalid"'],
    [{ status: 400, json: { error: 'invalid_grant', error_description: 'Data Cloud is not provisioned' } }, 'ERR_SF_DATACLOUD_REFUSED', 'answered 400 invalid_grant "Data Cloud is not provisioned"'],
    [{ status: 200, body: '<html><script>window.location.href="/?startURL=%2Fservices%2Fa360%2Ftoken"</script></html>', headers: { 'content-type': 'text/html' } }, 'ERR_SF_DATACLOUD_HTML_RESPONSE', 'answered 200 (an HTML page)'],
    [{ status: 302, headers: { location: '/?startURL=%2Fservices%2Fa360%2Ftoken' } }, 'ERR_SF_DATACLOUD_REFUSED', 'answered 302 (a redirect to https://acme.my.salesforce.com/)'],
    [{ status: 200, body: 'garbage', headers: { 'content-type': 'text/plain' } }, 'ERR_SF_DATACLOUD_NOT_JSON', 'answered 200 (a body that is not JSON, content type text/plain)'],
    [{ status: 200, json: { token_type: 'Bearer' } }, 'ERR_SF_DATACLOUD_UNEXPECTED_RESPONSE', 'answered 200 (no access_token, a valid instance_url)'],
  ] as Array<[CannedAnswer, string, string]>)('maps %j to %s', async (answer, code, said) => {
    const { deps } = fakeFetchDeps([answer]);
    const thrown = await failure(exchangeDataCloudToken(dcInput, deps));
    const entry = catalogueEntry(code);
    expect(thrown.code).toBe(code);
    expect(thrown.message).toBe(`${entry.title}: POST ${DC_ENDPOINT} ${said}. ${entry.cause}`);
    expect(thrown.hint).toBe(entry.hint);
    expect(thrown.exitCode).toBe(4);
    expect(`${thrown.message}${thrown.hint}${JSON.stringify(thrown.details)}`).not.toContain(ACCESS_TOKEN);
  });

  it('retries a 5xx, then gives up with ERR_SF_DATACLOUD_UNAVAILABLE (exit 8)', async () => {
    const { fake, deps } = fakeFetchDeps([{ status: 500 }, { status: 500 }, { status: 500 }]);
    const thrown = await failure(exchangeDataCloudToken(dcInput, deps));
    expect(thrown.code).toBe('ERR_SF_DATACLOUD_UNAVAILABLE');
    expect(thrown.exitCode).toBe(8);
    expect(fake.requests).toHaveLength(3);
  });
});
