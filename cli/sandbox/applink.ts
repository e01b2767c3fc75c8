/**
 * The AppLink API double: JWT authorizations of an add-on (create, list, get by id, developer name
 * or alias, delete), with the contract of applink-api.md §1-§4 and §7. After a create it does what
 * the real service does: loads the posted key, signs an assertion, runs the JWT bearer exchange
 * (and the Data Cloud exchange) over real HTTP against the `login_url` it was given, and settles
 * the authorization to `authorized` or `failed`.
 *
 * Choices where the real service is unconfirmed (documented in README):
 * - list answers never carry `org.user_auth`; the single GET (the SDK's read path) carries it once
 *   the authorization is `authorized`;
 * - `x-app-uuid` is required (400 without, 403 for an app the add-on is not attached to);
 *   `x-addon-sso` is optional (direct mode) but must be base64 JSON when sent;
 * - an unparsable, encrypted, non-RSA or short key is refused at once with 422;
 * - the double contacts only loopback login URLs; any other host ends `failed` without a request.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { signAssertion } from '../salesforce/assertion.js';
import { randomUUID, timestampMicros } from './ids.js';
import { ACCESS_TOKEN_TYPE, CDP_GRANT, JWT_BEARER_GRANT } from './salesforce.js';
import { bearerToken, header, json, route, type Reply, type Route, type RouteContext, type SandboxRequest } from './routing.js';
import { DEFAULT_API_VERSION, keyFingerprint, type Addon, type Authorization, type AuthorizationType, type DataCloudOrgType, type SandboxState } from './state.js';

export const DEFAULT_LOGIN_URL = 'https://login.salesforce.com';
export const DEVELOPER_NAME_PATTERN = /^(?=.{3,30}$)[A-Za-z](?:_?[A-Za-z0-9])*$/;
/** The header that marks the double's own requests (its value is a per-server secret). */
export const INTERNAL_HEADER = 'x-sandbox-internal';

export const APPLINK_ERRORS = {
  unauthorized: { id: 'unauthorized', message: 'Authentication failed' },
  notFound: { id: 'not_found', message: 'Not found' },
  addonNotFound: { id: 'not_found', message: 'Add-on not found' },
  recordNotFound: { id: 'record_not_found', message: 'record not found' },
  conflict: { id: 'conflict', message: 'Authorization already exists' },
  aliasConflict: { id: 'conflict', message: 'Alias already exists' },
  invalidDeveloperName: { id: 'validation_failed', message: 'Invalid developer name format' },
  missingAppUuid: { id: 'bad_request', message: 'x-app-uuid header is required' },
  invalidSso: { id: 'bad_request', message: 'x-addon-sso header is not valid' },
  invalidBody: { id: 'bad_request', message: 'Request body must be a JSON object' },
} as const;

/** Loopback hosts: 127.0.0.0/8 (each sandbox service has its own), `localhost`, `[::1]`. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * The API shape of an authorization; `withUserAuth` adds `org.user_auth` (single GET only).
 * `dataCloudOrgType` is how a Data Cloud org is typed (`DatacloudOrg` is the legacy spelling both
 * official clients still accept).
 */
export function authorizationBody(authorization: Authorization, withUserAuth: boolean, dataCloudOrgType: DataCloudOrgType = 'DataCloudOrg'): Record<string, unknown> {
  const org = authorization.org;
  return {
    id: authorization.id,
    status: authorization.status,
    alias: authorization.alias,
    app_name: authorization.appName,
    // Not in the plugin's type (unconfirmed): the double returns what it was created with, so a
    // client can tell whose an authorization is by its facts (applink-jwt --if-exists skip).
    client_id: authorization.clientId,
    login_url: authorization.loginUrl,
    connection_method: 'JWT',
    created_at: authorization.createdAt,
    created_by: authorization.createdBy,
    created_via_app: authorization.createdViaApp,
    last_modified_at: authorization.lastModifiedAt,
    last_modified_by: authorization.lastModifiedBy,
    org: {
      developer_name: authorization.developerName,
      type: authorization.type === 'datacloud' ? dataCloudOrgType : 'SalesforceOrg',
      ...(org
        ? {
            id: org.id,
            instance_url: org.instanceUrl,
            api_version: org.apiVersion,
            user_id: org.userId,
            username: org.username,
            ...(withUserAuth && authorization.status === 'authorized'
              ? { user_auth: { access_token: org.accessToken, user_id: org.userId, username: org.username } }
              : {}),
          }
        : {}),
    },
    ...(authorization.error ? { error: { ...authorization.error } } : {}),
  };
}

/** Loads the posted key the way the service must: PEM, PKCS#1 or PKCS#8, unencrypted RSA of 2048 bits or more. */
export function loadPostedKey(pem: string): KeyObject | string {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return 'jwt_private_key is not an unencrypted RSA private key in PEM format';
  }
  if (key.asymmetricKeyType !== 'rsa') return `jwt_private_key is a ${key.asymmetricKeyType} key; an RSA key is required`;
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return 'jwt_private_key must be an RSA key of 2048 bits or more';
  return key;
}

interface ExchangeOutcome {
  org?: NonNullable<Authorization['org']>;
  error?: { id: string; message: string };
}

interface InternalResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * Runs authorizations in the background and settles them; `close()` cancels what is pending.
 * The exchange requests go out over real HTTP (no connection reuse, so closing the server leaves
 * no pooled socket behind) and are marked with {@link INTERNAL_HEADER}.
 */
export class AuthorizationJobs {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly requests = new Set<http.ClientRequest>();
  private closed = false;
  readonly internalSecret = randomUUID();

  constructor(private readonly state: SandboxState, private readonly loginUrl: () => string, private readonly now: () => number) {}

  /** Starts the exchange for a new authorization; it settles no sooner than the settle delay. */
  start(authorization: Authorization, privateKey: KeyObject): void {
    const delay = this.state.settings.settleDelayMs;
    if (delay === 'never') return;
    const startedAt = Date.now();
    void this.exchange(authorization, privateKey).then((settled) => {
      let outcome = settled;
      if (this.closed) return;
      const remaining = Math.max(0, delay - (Date.now() - startedAt));
      if (outcome.error && this.state.settings.echoSecrets) {
        // A careless service quoting the key it was given (the leak tests' echo mode).
        const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
        outcome = { error: { ...outcome.error, message: `${outcome.error.message} (you sent jwt_private_key: ${pem})` } };
      }
      const timer = setTimeout(() => {
        this.timers.delete(authorization.id);
        this.settle(authorization.id, outcome);
      }, remaining);
      this.timers.set(authorization.id, timer);
    });
  }

  /** Forgets a pending settle (the authorization was deleted). */
  cancel(authorizationId: string): void {
    const timer = this.timers.get(authorizationId);
    if (timer) clearTimeout(timer);
    this.timers.delete(authorizationId);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const request of this.requests) request.destroy();
    this.requests.clear();
  }

  private settle(authorizationId: string, outcome: ExchangeOutcome): void {
    const authorization = this.state.authorizations.find((a) => a.id === authorizationId);
    if (!authorization || authorization.status !== 'authorizing') return;
    authorization.lastModifiedAt = timestampMicros(this.now(), this.state.authorizations.length);
    if (outcome.org) {
      authorization.status = 'authorized';
      authorization.org = outcome.org;
    } else {
      authorization.status = 'failed';
      authorization.error = outcome.error;
    }
  }

  private async exchange(authorization: Authorization, privateKey: KeyObject): Promise<ExchangeOutcome> {
    const login = new URL(authorization.loginUrl);
    if (!isLoopback(login.hostname)) {
      return {
        error: {
          id: 'connection_failed',
          message: `Could not reach ${login.origin}: the sandbox only contacts loopback hosts. Use the sandbox's login URL (${this.loginUrl()}) as the login URL.`,
        },
      };
    }
    const assertion = await signAssertion(privateKey, { clientId: authorization.clientId, username: authorization.username, audience: login.origin }, this.now());
    const tokenUrl = `${login.origin}/services/oauth2/token`;
    const core = await this.post(tokenUrl, { grant_type: JWT_BEARER_GRANT, assertion });
    if ('error' in core) return core;
    const coreBody = parseBody(core.text);
    if (core.status !== 200 || typeof coreBody.access_token !== 'string' || typeof coreBody.instance_url !== 'string') {
      return { error: { id: 'authentication_failed', message: `JWT authentication failed: ${describeOAuthError(core.status, coreBody)}` } };
    }
    const [orgId, userId] = String(coreBody.id ?? '').split('/').slice(-2);
    const stateOrg = orgId ? this.state.findOrg(orgId) : undefined;
    const user = userId ? this.state.users.find((u) => u.id === userId) : undefined;
    const org = {
      id: orgId ?? '',
      instanceUrl: coreBody.instance_url,
      userId: userId ?? '',
      username: user?.username ?? authorization.username,
      accessToken: coreBody.access_token,
      apiVersion: stateOrg?.apiVersion ?? DEFAULT_API_VERSION,
    };
    if (authorization.type === 'salesforce') return { org };
    const dataCloud = await this.post(`${coreBody.instance_url.replace(/\/$/, '')}/services/a360/token`, {
      grant_type: CDP_GRANT,
      subject_token: coreBody.access_token,
      subject_token_type: ACCESS_TOKEN_TYPE,
    });
    if ('error' in dataCloud) return dataCloud;
    const dataCloudBody = parseBody(dataCloud.text);
    if (dataCloud.status !== 200 || typeof dataCloudBody.access_token !== 'string' || typeof dataCloudBody.instance_url !== 'string') {
      return { error: { id: 'authentication_failed', message: `Data Cloud token exchange failed: ${describeOAuthError(dataCloud.status, dataCloudBody)}` } };
    }
    return { org: { ...org, instanceUrl: withScheme(dataCloudBody.instance_url), accessToken: dataCloudBody.access_token } };
  }

  /** POSTs a form; retries 5xx, 429 and network errors (three attempts), as a service would. */
  private async post(url: string, form: Record<string, string>): Promise<InternalResponse | { error: { id: string; message: string } }> {
    let last: InternalResponse | undefined;
    let failure: NodeJS.ErrnoException | undefined;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      if (this.closed) break;
      try {
        last = await this.send(url, new URLSearchParams(form).toString());
        failure = undefined;
        if (last.status !== 429 && last.status < 500) return last;
        const retryAfter = Number(last.headers['retry-after']);
        await delay(Number.isFinite(retryAfter) ? Math.min(retryAfter * 1000, 2000) : 50 * 2 ** attempt);
      } catch (error) {
        failure = error as NodeJS.ErrnoException;
        await delay(50 * 2 ** attempt);
      }
    }
    if (failure || !last) {
      return { error: { id: 'connection_failed', message: `Could not reach ${url}: ${failure?.code ?? failure?.message ?? 'the sandbox closed'}.` } };
    }
    return last;
  }

  private send(url: string, body: string): Promise<InternalResponse> {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request(
        target,
        {
          method: 'POST',
          agent: false,
          timeout: 5000,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            accept: 'application/json',
            'user-agent': 'applink-sandbox',
            [INTERNAL_HEADER]: this.internalSecret,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            this.requests.delete(request);
            resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
          });
          response.on('error', reject);
        },
      );
      this.requests.add(request);
      request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      request.on('error', (error) => {
        this.requests.delete(request);
        reject(error);
      });
      request.end(body);
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseBody(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function describeOAuthError(status: number, body: Record<string, unknown>): string {
  if (typeof body.error === 'string') {
    return typeof body.error_description === 'string' ? `${body.error_description} (${body.error})` : body.error;
  }
  return `HTTP ${status}`;
}

/** Salesforce's bare Data Cloud host gets a scheme: `http` for loopback (this sandbox), `https` otherwise. */
export function withScheme(instanceUrl: string): string {
  if (/^https?:\/\//i.test(instanceUrl)) return instanceUrl.replace(/\/$/, '');
  const hostname = instanceUrl.replace(/:\d+$/, '');
  return `${isLoopback(hostname) ? 'http' : 'https'}://${instanceUrl}`;
}

type AddonHandler = (addon: Addon, appName: string, request: SandboxRequest, context: RouteContext) => Reply;

/** Add-on (404), bearer = one of its attachment tokens (401), `x-app-uuid` of an attached app (400/403), `x-addon-sso` form (400). */
function withAddon(handler: AddonHandler) {
  return (request: SandboxRequest, context: RouteContext): Reply => {
    const addon = context.state.findAddon(request.params.addon ?? '');
    if (!addon || addon.id !== request.params.addon) return json(404, APPLINK_ERRORS.addonNotFound);
    const token = bearerToken(request.headers);
    if (!token || !addon.attachments.some((attachment) => attachment.token === token)) return json(401, APPLINK_ERRORS.unauthorized);
    const appUuid = header(request.headers, 'x-app-uuid');
    if (!appUuid) return json(400, APPLINK_ERRORS.missingAppUuid);
    const app = context.state.apps.find((candidate) => candidate.id === appUuid);
    if (!app || (addon.appId !== app.id && !addon.attachments.some((attachment) => attachment.appId === app.id))) {
      return json(403, { id: 'forbidden', message: `App ${appUuid} has no access to add-on ${addon.id}` });
    }
    const sso = header(request.headers, 'x-addon-sso');
    if (sso !== undefined && !isBase64Json(sso)) return json(400, APPLINK_ERRORS.invalidSso);
    return handler(addon, app.name, request, context);
  };
}

function isBase64Json(value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
}

function validationFailed(message: string): Reply {
  return json(422, { id: 'validation_failed', message });
}

/** POST /addons/{id}/authorizations/{salesforce|datacloud}/jwt. */
function createAuthorization(jobs: AuthorizationJobs): AddonHandler {
  return (addon, appName, request, { state, now }) => {
    const type = request.params.type as AuthorizationType;
    const body = request.json;
    if (request.jsonInvalid || typeof body !== 'object' || body === null || Array.isArray(body)) return json(400, APPLINK_ERRORS.invalidBody);
    const fields = body as Record<string, unknown>;
    for (const name of ['client_id', 'developer_name', 'jwt_private_key', 'username']) {
      if (typeof fields[name] !== 'string' || fields[name] === '') return validationFailed(`${name} is required`);
    }
    const developerName = fields.developer_name as string;
    if (!DEVELOPER_NAME_PATTERN.test(developerName)) return json(422, APPLINK_ERRORS.invalidDeveloperName);
    const alias = fields.alias === undefined ? `applink:${developerName}` : fields.alias;
    if (typeof alias !== 'string' || alias.length === 0 || alias.length > 80 || /\s/.test(alias)) return validationFailed('Invalid alias format');
    const loginUrl = fields.login_url === undefined ? DEFAULT_LOGIN_URL : fields.login_url;
    if (typeof loginUrl !== 'string' || !isHttpUrl(loginUrl)) return validationFailed('Invalid login URL');
    const key = loadPostedKey(fields.jwt_private_key as string);
    if (typeof key === 'string') return validationFailed(key);
    const existing = state.listAuthorizations(addon.id);
    if (existing.some((a) => a.developerName === developerName)) return json(409, APPLINK_ERRORS.conflict);
    if (existing.some((a) => a.alias === alias)) return json(409, APPLINK_ERRORS.aliasConflict);
    const stamp = timestampMicros(now(), state.authorizations.length);
    const authorization: Authorization = {
      id: randomUUID(),
      addonId: addon.id,
      developerName,
      alias,
      type,
      status: 'authorizing',
      clientId: fields.client_id as string,
      username: fields.username as string,
      loginUrl,
      keyFingerprint: keyFingerprint(key),
      createdAt: stamp,
      createdBy: state.herokuEmail,
      createdViaApp: appName,
      lastModifiedAt: stamp,
      lastModifiedBy: state.herokuEmail,
      appName,
    };
    state.authorizations.push(authorization);
    jobs.start(authorization, key);
    return json(202, authorizationBody(authorization, false, state.settings.dataCloudOrgType));
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

const listAuthorizations: AddonHandler = (addon, _appName, _request, { state }) =>
  json(200, state.listAuthorizations(addon.id).map((authorization) => authorizationBody(authorization, false, state.settings.dataCloudOrgType)));

const getAuthorization: AddonHandler = (addon, _appName, request, { state }) => {
  const authorization = state.findAuthorization(addon.id, request.params.name ?? '');
  if (!authorization) return json(404, APPLINK_ERRORS.recordNotFound);
  return json(200, authorizationBody(authorization, true, state.settings.dataCloudOrgType));
};

function deleteAuthorization(jobs: AuthorizationJobs): AddonHandler {
  return (addon, _appName, request, { state }) => {
    const key = request.params.name ?? '';
    const authorization = state.listAuthorizations(addon.id).find((a) => a.developerName === key || a.id === key);
    if (!authorization) return json(404, APPLINK_ERRORS.recordNotFound);
    jobs.cancel(authorization.id);
    state.authorizations.splice(state.authorizations.indexOf(authorization), 1);
    return json(200, {});
  };
}

/** The AppLink double's routes. */
export function applinkRoutes(jobs: AuthorizationJobs): Route[] {
  return [
    route('applink', 'POST', '/addons/:addon/authorizations/:type/jwt', 'applink.create', (request, context) => {
      if (request.params.type !== 'salesforce' && request.params.type !== 'datacloud') return json(404, APPLINK_ERRORS.notFound);
      return withAddon(createAuthorization(jobs))(request, context);
    }),
    route('applink', 'GET', '/addons/:addon/authorizations', 'applink.list', withAddon(listAuthorizations)),
    route('applink', 'GET', '/addons/:addon/authorizations/:name', 'applink.get', withAddon(getAuthorization)),
    route('applink', 'DELETE', '/addons/:addon/authorizations/:name', 'applink.delete', withAddon(deleteAuthorization(jobs))),
  ];
}
