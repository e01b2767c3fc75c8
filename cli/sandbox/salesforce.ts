/**
 * The Salesforce double: the OAuth 2.0 JWT bearer token endpoint, the Data Cloud token exchange,
 * and a few authenticated endpoints that prove an issued token is accepted. It follows the
 * contract of salesforce-jwt.md §3 and §7: checks in the inferred order, Salesforce's exact error
 * strings, `Content-Type: application/json;charset=UTF-8` and Salesforce's `Cache-Control`.
 */
import { X509Certificate, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { accessToken as newAccessToken, toId15 } from './ids.js';
import { bearerToken, json, route, type Reply, type Route, type RouteContext, type SandboxRequest, type SandboxUrls } from './routing.js';
import { ipInRanges, type IssuedToken, type SandboxOrg } from './state.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const CDP_GRANT = 'urn:salesforce:grant-type:external:cdp';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const PRODUCTION_LOGIN_URL = 'https://login.salesforce.com';
export const SANDBOX_LOGIN_URL = 'https://test.salesforce.com';
/** Lifetime of a Data Cloud token, as Salesforce reports it (about two hours). */
export const DATA_CLOUD_TOKEN_SECONDS = 7200;

/** The headers of every token endpoint answer (captured from a real Salesforce 400). */
export const SALESFORCE_TOKEN_HEADERS = {
  'content-type': 'application/json;charset=UTF-8',
  'cache-control': 'no-cache,must-revalidate,max-age=0,no-store,private',
};

/** An OAuth error answer: 400 `{"error", "error_description"}` with Salesforce's headers. */
export function oauthError(error: string, description: string, status = 400): Reply {
  return { status, headers: { ...SALESFORCE_TOKEN_HEADERS }, body: { error, error_description: description } };
}

/**
 * A Salesforce host's answer to a path it does not serve: the REST API's `NOT_FOUND` on the login
 * and instance hosts; on the Data Cloud tenant host a JSON error of our choosing (unconfirmed).
 */
export function salesforceNotFound(service: 'login' | 'instance' | 'datacloud'): Reply {
  if (service === 'datacloud') return json(404, { error: 'NOT_FOUND', message: 'The requested resource does not exist' });
  return json(404, [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
}

/** The REST API's answer to a missing, unknown, expired or revoked session. */
export function invalidSession(): Reply {
  return json(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], { 'www-authenticate': 'Token' });
}

/**
 * The audiences an org accepts: the login host of its type, its My Domain, and the sandbox's login
 * and instance hosts (which play them), by address or, for 127.0.0.1, as `localhost` (both reach
 * it). A trailing slash is tolerated.
 */
export function allowedAudiences(org: SandboxOrg, urls: Pick<SandboxUrls, 'login' | 'instance'>): string[] {
  const own = [urls.login, urls.instance].map((url) => new URL(url));
  const byName = own.filter((url) => url.hostname === '127.0.0.1').map((url) => `${url.protocol}//localhost:${url.port}`);
  return [org.type === 'sandbox' ? SANDBOX_LOGIN_URL : PRODUCTION_LOGIN_URL, org.myDomain, ...own.map((url) => url.origin), ...byName];
}

function audienceAllowed(aud: unknown, allowed: string[]): boolean {
  const values = Array.isArray(aud) ? aud : [aud];
  return values.some((value) => typeof value === 'string' && allowed.includes(value.replace(/\/$/, '')));
}

/** `exp` as seconds: a number, or a string of digits (as simple-salesforce and the help page send it). */
function expSeconds(exp: unknown): number | undefined {
  if (typeof exp === 'number' && Number.isFinite(exp)) return exp;
  if (typeof exp === 'string' && /^\d+$/.test(exp)) return Number(exp);
  return undefined;
}

async function signatureValid(assertion: string, certificatePem: string): Promise<boolean> {
  try {
    await compactVerify(assertion, new X509Certificate(certificatePem).publicKey, { algorithms: ['RS256'] });
    return true;
  } catch {
    return false;
  }
}

/** POST /services/oauth2/token: the JWT bearer grant, checked in the order of salesforce-jwt.md §3. */
async function exchangeToken(request: SandboxRequest, { state, urls, origin, now }: RouteContext): Promise<Reply> {
  const form = request.form;
  if (!form || form.get('grant_type') !== JWT_BEARER_GRANT) return oauthError('unsupported_grant_type', 'grant type not supported');
  const assertion = form.get('assertion');
  if (!assertion) return oauthError('invalid_request', 'assertion is missing');
  let claims: JWTPayload;
  try {
    if (decodeProtectedHeader(assertion).alg !== 'RS256') return oauthError('invalid_grant', 'invalid assertion');
    claims = decodeJwt(assertion);
  } catch {
    return oauthError('invalid_grant', 'invalid assertion');
  }
  const app = typeof claims.iss === 'string' ? state.findExternalClientApp(claims.iss) : undefined;
  if (!app) return oauthError('invalid_client_id', 'client identifier invalid');
  // The certificate the login servers accept now: a deployed one only once it has propagated.
  const certificate = state.acceptedCertificate(app);
  if (!certificate || !(await signatureValid(assertion, certificate))) return oauthError('invalid_grant', 'invalid assertion');
  const org = state.requireOrg(app.orgId);
  if (!audienceAllowed(claims.aud, allowedAudiences(org, urls))) return oauthError('invalid_grant', 'audience is invalid');
  const exp = expSeconds(claims.exp);
  const nowSeconds = now() / 1000;
  const skew = state.settings.expSkewSeconds;
  if (exp === undefined || nowSeconds > exp + skew || (state.settings.strictExp && exp > nowSeconds + skew)) {
    return oauthError('invalid_grant', 'expired authorization code');
  }
  // `prn` is the legacy name of `sub`; Salesforce uses it when both are present.
  const subject = typeof claims.prn === 'string' ? claims.prn : claims.sub;
  const user = typeof subject === 'string' ? state.findUser(subject) : undefined;
  if (!user || user.orgId !== org.id) return oauthError('invalid_grant', "user hasn't approved this consumer");
  if (!user.active) return oauthError('invalid_grant', 'inactive user');
  // Salesforce always enforces the profile's Login IP Ranges for the JWT bearer flow.
  if (user.loginIpRanges.length > 0 && !ipInRanges(request.clientIp ?? '', user.loginIpRanges)) return oauthError('invalid_grant', 'ip restricted');
  if (!app.preAuthorized.some((name) => name.toLowerCase() === user.username.toLowerCase())) {
    return oauthError('invalid_grant', "user hasn't approved this consumer");
  }
  const token = newAccessToken(org.id);
  state.tokens.set(token, {
    kind: 'core',
    orgId: org.id,
    userId: user.id,
    username: user.username,
    clientId: app.consumerKey,
    expiresAtMs: now() + state.settings.sessionSeconds * 1000,
    revoked: false,
  });
  // No refresh_token and no expires_in: the JWT bearer flow never returns them.
  return {
    status: 200,
    headers: { ...SALESFORCE_TOKEN_HEADERS },
    body: {
      access_token: token,
      scope: app.scopes.join(' '),
      instance_url: urls.instance,
      id: `${origin}/id/${org.id}/${user.id}`,
      token_type: 'Bearer',
    },
  };
}

/** Signs Data Cloud tokens (JWTs, as Salesforce issues them); one secret per server. */
export function createDataCloudSigner(): (claims: Record<string, unknown>, expSeconds: number) => Promise<string> {
  const secret = randomBytes(32);
  return (claims, exp) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime(exp).sign(secret);
}

/** POST /services/a360/token: exchanges a live core token for a Data Cloud token. */
function exchangeDataCloudToken(sign: ReturnType<typeof createDataCloudSigner>) {
  return async (request: SandboxRequest, { state, urls, now }: RouteContext): Promise<Reply> => {
    const form = request.form;
    if (!form || form.get('grant_type') !== CDP_GRANT) return oauthError('unsupported_grant_type', 'grant type not supported');
    const subjectToken = form.get('subject_token');
    if (!subjectToken) return oauthError('invalid_request', 'subject_token is missing');
    if (form.get('subject_token_type') !== ACCESS_TOKEN_TYPE) return oauthError('invalid_request', 'subject_token_type is not supported');
    const issued = state.liveToken(subjectToken, 'core');
    if (!issued) return oauthError('invalid_grant', 'invalid subject token');
    const org = state.requireOrg(issued.orgId);
    if (!org.dataCloud) return oauthError('invalid_request', 'Data Cloud is not provisioned for this org');
    const expiresAt = Math.floor(now() / 1000) + DATA_CLOUD_TOKEN_SECONDS;
    const dataspace = form.get('dataspace') ?? 'default';
    const token = await sign(
      { audienceTenantId: `a360/sandbox/${org.dataCloudTenant}`, orgId: toId15(org.id), sub: issued.userId, dataspace, jti: randomUUID() },
      expiresAt,
    );
    state.tokens.set(token, { ...issued, kind: 'datacloud', expiresAtMs: expiresAt * 1000, revoked: false });
    const host = new URL(urls.datacloud).host;
    return {
      status: 200,
      headers: { ...SALESFORCE_TOKEN_HEADERS },
      body: {
        access_token: token,
        // Salesforce answers with a bare tenant host; clients must add the scheme.
        instance_url: state.settings.dataCloudInstanceUrl === 'bare-host' ? host : urls.datacloud,
        token_type: 'Bearer',
        issued_token_type: JWT_TOKEN_TYPE,
        expires_in: DATA_CLOUD_TOKEN_SECONDS,
      },
    };
  };
}

function liveSession(request: SandboxRequest, context: RouteContext, kind: IssuedToken['kind']): IssuedToken | undefined {
  const token = bearerToken(request.headers);
  return token ? context.state.liveToken(token, kind) : undefined;
}

/** GET /services/oauth2/userinfo: who the token belongs to. */
function userInfo(request: SandboxRequest, context: RouteContext): Reply {
  const session = liveSession(request, context, 'core');
  if (!session) return invalidSession();
  const org = context.state.requireOrg(session.orgId);
  return json(200, {
    sub: `${context.origin}/id/${org.id}/${session.userId}`,
    user_id: session.userId,
    organization_id: org.id,
    preferred_username: session.username,
    email: session.username,
    active: true,
    urls: { rest: `${context.urls.instance}/services/data/v{version}/` },
  });
}

/** GET /id/{org}/{user}: the identity URL of the token answer. */
function identity(request: SandboxRequest, context: RouteContext): Reply {
  const session = liveSession(request, context, 'core');
  if (!session) return invalidSession();
  if (request.params.org !== session.orgId || request.params.user !== session.userId) {
    return json(403, [{ message: 'Identity URL does not belong to this session', errorCode: 'FORBIDDEN' }]);
  }
  return json(200, {
    id: `${context.origin}/id/${session.orgId}/${session.userId}`,
    asserted_user: true,
    user_id: session.userId,
    organization_id: session.orgId,
    username: session.username,
    active: true,
  });
}

/** GET /services/data/v{version}/query?q=...: a canned answer for Organization and User, empty otherwise. */
function query(request: SandboxRequest, context: RouteContext): Reply {
  const session = liveSession(request, context, 'core');
  if (!session) return invalidSession();
  const soql = request.query.get('q');
  if (!soql) return json(400, [{ message: 'A query string has to be specified', errorCode: 'MALFORMED_QUERY' }]);
  const version = request.params.version;
  const org = context.state.requireOrg(session.orgId);
  const from = /\bfrom\s+(\w+)/i.exec(soql)?.[1]?.toLowerCase();
  const records =
    from === 'organization'
      ? [{ attributes: { type: 'Organization', url: `/services/data/v${version}/sobjects/Organization/${org.id}` }, Id: org.id, Name: org.name }]
      : from === 'user'
        ? [{ attributes: { type: 'User', url: `/services/data/v${version}/sobjects/User/${session.userId}` }, Id: session.userId, Username: session.username }]
        : [];
  return json(200, { totalSize: records.length, done: true, records });
}

/** POST /api/v2/query on the Data Cloud tenant host: accepts only live Data Cloud tokens. */
function dataCloudQuery(request: SandboxRequest, context: RouteContext): Reply {
  const session = liveSession(request, context, 'datacloud');
  if (!session) return json(401, { error: 'invalid_token', error_description: 'Data Cloud token is missing, unknown or expired' });
  const now = new Date(context.now()).toISOString();
  return json(200, { data: [], startTime: now, endTime: now, rowCount: 0, queryId: randomUUID(), nextBatchId: '', done: true, metadata: {} });
}

/** The Salesforce double's routes. */
export function salesforceRoutes(): Route[] {
  const sign = createDataCloudSigner();
  return [
    route(['login', 'instance'], 'POST', '/services/oauth2/token', 'salesforce.token', exchangeToken),
    route('instance', 'POST', '/services/a360/token', 'salesforce.a360', exchangeDataCloudToken(sign)),
    route(['login', 'instance'], 'GET', '/services/oauth2/userinfo', 'salesforce.userinfo', userInfo),
    route(['login', 'instance'], 'GET', '/id/:org/:user', 'salesforce.identity', identity),
    route('instance', 'GET', '/services/data/:version/query', 'salesforce.query', (request, context) => {
      const version = /^v(\d+\.\d+)$/.exec(request.params.version ?? '')?.[1];
      if (!version) return json(404, [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
      return query({ ...request, params: { ...request.params, version } }, context);
    }),
    route('datacloud', 'POST', '/api/v2/query', 'datacloud.query', dataCloudQuery),
  ];
}
