/**
 * The two token calls of the preflight: the OAuth 2.0 JWT bearer exchange at
 * `<login-url>/services/oauth2/token` (RFC 7523), and the Data Cloud token exchange at
 * `<instance_url>/services/a360/token`. Every refusal becomes an error from the catalogue; no
 * error, message or detail ever holds the assertion or a token.
 */
import type { Deps } from '../deps.js';
import { InputError, NetworkError, SalesforceError, type AppError } from '../errors.js';
import { httpRequest, parseJson, RETRY_IDEMPOTENT, type HttpBounds, type HttpResponse } from '../http.js';
import { catalogueEntry, lookupSalesforceError, type SalesforceErrorEntry } from './catalogue.js';
import { refusalReason } from './login-url.js';

export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const DATA_CLOUD_GRANT_TYPE = 'urn:salesforce:grant-type:external:cdp';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const TOKEN_PATH = '/services/oauth2/token';
export const DATA_CLOUD_TOKEN_PATH = '/services/a360/token';

const FORM = 'application/x-www-form-urlencoded';

export type TokenDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets'> & HttpBounds;

/** A successful JWT bearer answer. Holds the access token: never print or log it. */
export interface TokenResponse {
  accessToken: string;
  instanceUrl: string;
  idUrl: string;
  orgId: string;
  userId: string;
  scopes: string[];
  tokenType: string;
}

export interface ExchangeAssertionInput {
  /** Origin the assertion is posted to (from `parseLoginUrl`). */
  loginUrl: URL;
  assertion: string;
  /** Timeout of each attempt. */
  timeoutMs: number;
  /** Hosts outside Salesforce's domains the assertion may go to (`--allow-login-host`). */
  allowLoginHosts?: string[];
  /** For messages only: the username and audience the assertion carries. */
  username?: string;
  audience?: string;
}

/** Facts about a refusal, for the message and `--json` details (never a secret). */
interface Refusal {
  endpoint: string;
  status: number;
  error?: string;
  description?: string;
  username?: string;
  audience?: string;
  note?: string;
}

/** Builds the error a catalogue entry describes, with the facts of this refusal. */
export function catalogueError(entry: SalesforceErrorEntry, refusal: Refusal): AppError {
  const said =
    refusal.error !== undefined
      ? `answered ${refusal.status} ${refusal.error}${refusal.description ? ` "${refusal.description}"` : ''}`
      : `answered ${refusal.status}${refusal.note ? ` (${refusal.note})` : ''}`;
  const context = [refusal.username && `user ${refusal.username}`, refusal.audience && `audience ${refusal.audience}`].filter(Boolean).join(', ');
  const message = `${entry.title}: POST ${refusal.endpoint} ${said}${context ? ` for ${context}` : ''}. ${entry.cause}`;
  const details: Record<string, unknown> = { endpoint: refusal.endpoint, status: refusal.status };
  if (refusal.error !== undefined) details.error = refusal.error;
  if (refusal.description !== undefined) details.errorDescription = refusal.description;
  if (refusal.username !== undefined) details.username = refusal.username;
  if (refusal.audience !== undefined) details.audience = refusal.audience;
  const options = { hint: entry.hint, details };
  return entry.exitCode === 4 ? new SalesforceError(entry.code, message, options) : new NetworkError(entry.code, message, options);
}

/** Text from a service made safe to show: one line, no control characters, bounded length. */
function cleanText(value: unknown, max = 200): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function looksLikeHtml(response: HttpResponse): boolean {
  const type = response.headers.get('content-type') ?? '';
  return /text\/html|application\/xhtml/i.test(type) || /^\s*<(!doctype|html|head|body)/i.test(response.text);
}

/** `https://` prepended to a bare host (Data Cloud's `instance_url` usually has no scheme), no trailing slash. */
export function normaliseInstanceUrl(value: string): string {
  const text = value.trim().replace(/\/+$/, '');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
}

/** Org id and user id from the identity URL `https://<host>/id/<orgId>/<userId>`. */
export function parseIdentityUrl(idUrl: string): { orgId: string; userId: string } | undefined {
  let path: string;
  try {
    path = new URL(idUrl).pathname;
  } catch {
    return undefined;
  }
  const match = /\/id\/([a-zA-Z0-9]{15,18})\/([a-zA-Z0-9]{15,18})\/?$/.exec(path);
  return match ? { orgId: match[1]!, userId: match[2]! } : undefined;
}

/**
 * Maps an answer that is not a success to the catalogue (`which` picks the token endpoint's or
 * the Data Cloud exchange's entries).
 */
function refusalError(response: HttpResponse, which: 'token' | 'datacloud', base: Omit<Refusal, 'status'>): AppError {
  const refusal: Refusal = { ...base, status: response.status };
  const dc = which === 'datacloud';
  if (response.status === 429 || response.status >= 500) {
    return catalogueError(catalogueEntry(dc ? 'ERR_SF_DATACLOUD_UNAVAILABLE' : 'ERR_SF_UNAVAILABLE'), {
      ...refusal,
      note: `after ${response.attempts} attempt${response.attempts === 1 ? '' : 's'}`,
    });
  }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    let target = 'no location';
    if (location) {
      try {
        const url = new URL(location, base.endpoint);
        target = `a redirect to ${url.origin}${url.pathname}`;
      } catch {
        target = 'a redirect';
      }
    }
    return catalogueError(catalogueEntry(dc ? 'ERR_SF_DATACLOUD_REFUSED' : 'ERR_SF_REDIRECT'), { ...refusal, note: target });
  }
  const body = parseJson(response.text);
  const oauth = Array.isArray(body) ? body[0] : body;
  if (typeof oauth === 'object' && oauth !== null) {
    const record = oauth as Record<string, unknown>;
    // Salesforce REST errors use [{errorCode, message}]; OAuth errors use {error, error_description}.
    const error = cleanText(record.error ?? record.errorCode, 80);
    const description = cleanText(record.error_description ?? record.message);
    if (error !== undefined) {
      const entry = dc ? catalogueEntry('ERR_SF_DATACLOUD_REFUSED') : lookupSalesforceError(error, description);
      return catalogueError(entry, { ...refusal, error, description });
    }
    return catalogueError(catalogueEntry(dc ? 'ERR_SF_DATACLOUD_REFUSED' : 'ERR_SF_REFUSED'), { ...refusal, note: 'a JSON body without an error field' });
  }
  if (looksLikeHtml(response)) {
    return catalogueError(catalogueEntry(dc ? 'ERR_SF_DATACLOUD_HTML_RESPONSE' : response.status === 404 ? 'ERR_SF_NOT_FOUND' : 'ERR_SF_HTML_RESPONSE'), {
      ...refusal,
      note: 'an HTML page',
    });
  }
  if (!dc && response.status === 404) return catalogueError(catalogueEntry('ERR_SF_NOT_FOUND'), { ...refusal, note: 'not found' });
  return catalogueError(catalogueEntry(dc ? 'ERR_SF_DATACLOUD_NOT_JSON' : 'ERR_SF_NOT_JSON'), { ...refusal, note: describeBody(response) });
}

function describeBody(response: HttpResponse): string {
  if (response.text.trim() === '') return 'an empty body';
  const type = response.headers.get('content-type');
  return `a body that is not JSON${type ? `, content type ${cleanText(type, 60)}` : ''}`;
}

/** The answer of a 2xx that is not the expected JSON: HTML, not JSON, or a JSON non-object. */
function unreadableSuccess(response: HttpResponse, which: 'token' | 'datacloud', base: Omit<Refusal, 'status'>): AppError {
  const dc = which === 'datacloud';
  const refusal = { ...base, status: response.status };
  if (looksLikeHtml(response)) return catalogueError(catalogueEntry(dc ? 'ERR_SF_DATACLOUD_HTML_RESPONSE' : 'ERR_SF_HTML_RESPONSE'), { ...refusal, note: 'an HTML page' });
  return catalogueError(catalogueEntry(dc ? 'ERR_SF_DATACLOUD_NOT_JSON' : 'ERR_SF_NOT_JSON'), { ...refusal, note: describeBody(response) });
}

/**
 * Exchanges a signed assertion for an access token at `<loginUrl>/services/oauth2/token`.
 * Retries 5xx, 429 (honouring `Retry-After`) and network errors, three attempts in all; never a 4xx.
 *
 * @throws SalesforceError from the catalogue (exit 4) when Salesforce refuses or answers something
 *   unreadable; NetworkError `ERR_SF_UNAVAILABLE` / `ERR_NETWORK`, TimeoutError `ERR_HTTP_TIMEOUT`.
 */
export async function exchangeAssertion(input: ExchangeAssertionInput, deps: TokenDeps): Promise<TokenResponse> {
  const endpoint = `${input.loginUrl.origin}${TOKEN_PATH}`;
  // parseLoginUrl checked this already; checked again here because this is where the assertion leaves.
  const reason = refusalReason(input.loginUrl, input.allowLoginHosts ?? []);
  if (reason !== undefined) {
    throw new InputError('ERR_LOGIN_URL_HOST', `The assertion will not be sent to ${input.loginUrl.origin}: ${reason}.`, {
      hint: 'Use a Salesforce login URL (https://login.salesforce.com, https://test.salesforce.com or https://<my-domain>.my.salesforce.com), or allow a custom domain with --allow-login-host <host>.',
    });
  }
  const response = await httpRequest(
    {
      method: 'POST',
      url: endpoint,
      headers: { 'content-type': FORM, accept: 'application/json' },
      body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT_TYPE, assertion: input.assertion }).toString(),
      timeoutMs: input.timeoutMs,
      retry: RETRY_IDEMPOTENT,
      service: 'Salesforce',
    },
    deps,
  );
  const base = { endpoint, username: input.username, audience: input.audience };
  if (response.status < 200 || response.status >= 300) throw refusalError(response, 'token', base);
  const body = parseJson(response.text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw unreadableSuccess(response, 'token', base);
  const record = body as Record<string, unknown>;
  const accessToken = typeof record.access_token === 'string' ? record.access_token : '';
  const instanceUrl = typeof record.instance_url === 'string' ? record.instance_url : '';
  const idUrl = typeof record.id === 'string' ? record.id : '';
  const ids = parseIdentityUrl(idUrl);
  const missing = [accessToken === '' && 'access_token', instanceUrl === '' && 'instance_url', ids === undefined && 'a valid id (identity URL)'].filter(Boolean);
  if (missing.length > 0) {
    throw catalogueError(catalogueEntry('ERR_SF_UNEXPECTED_RESPONSE'), { ...base, status: response.status, note: `no ${missing.join(', ')}` });
  }
  return {
    accessToken,
    instanceUrl: normaliseInstanceUrl(instanceUrl),
    idUrl,
    orgId: ids!.orgId,
    userId: ids!.userId,
    scopes: typeof record.scope === 'string' ? record.scope.split(/\s+/).filter(Boolean) : [],
    tokenType: typeof record.token_type === 'string' ? record.token_type : 'Bearer',
  };
}

export interface DataCloudTokenInput {
  /** The core org's `instance_url` (the exchange is posted there, not to the login host). */
  instanceUrl: string;
  /** The core access token (the `subject_token`). */
  accessToken: string;
  dataspace?: string;
  timeoutMs: number;
  /** Hosts outside Salesforce's domains the access token may go to (`--allow-login-host`). */
  allowHosts?: string[];
}

/** A Data Cloud token. Holds the token: never print or log it. */
export interface DataCloudToken {
  accessToken: string;
  /** The Data Cloud tenant URL, always with `https://`. */
  tenantUrl: string;
  expiresInSeconds?: number;
}

/**
 * Exchanges the core access token for a Data Cloud token at `<instanceUrl>/services/a360/token`.
 * The instance URL must pass the same host rule as the login URL: the access token goes nowhere else.
 *
 * @throws SalesforceError `ERR_SF_INSTANCE_URL_HOST` before connecting, or an `ERR_SF_DATACLOUD_*`
 *   error from the catalogue; NetworkError / TimeoutError as {@link exchangeAssertion}.
 */
export async function exchangeDataCloudToken(input: DataCloudTokenInput, deps: TokenDeps): Promise<DataCloudToken> {
  let instance: URL;
  try {
    instance = new URL(normaliseInstanceUrl(input.instanceUrl));
  } catch {
    throw catalogueError(catalogueEntry('ERR_SF_UNEXPECTED_RESPONSE'), { endpoint: 'the token endpoint', status: 200, note: 'an instance_url that is not a URL' });
  }
  const endpoint = `${instance.origin}${DATA_CLOUD_TOKEN_PATH}`;
  const reason = refusalReason(instance, input.allowHosts ?? []);
  if (reason !== undefined) {
    const entry = catalogueEntry('ERR_SF_INSTANCE_URL_HOST');
    throw new SalesforceError(entry.code, `${entry.title}: the token answer's instance_url ${instance.origin} is refused: ${reason}. The access token was not sent there.`, {
      hint: entry.hint,
      details: { instanceUrl: instance.origin },
    });
  }
  const form = new URLSearchParams({ grant_type: DATA_CLOUD_GRANT_TYPE, subject_token: input.accessToken, subject_token_type: ACCESS_TOKEN_TYPE });
  if (input.dataspace !== undefined && input.dataspace !== '') form.set('dataspace', input.dataspace);
  const response = await httpRequest(
    {
      method: 'POST',
      url: endpoint,
      headers: { 'content-type': FORM, accept: 'application/json' },
      body: form.toString(),
      timeoutMs: input.timeoutMs,
      retry: RETRY_IDEMPOTENT,
      service: 'Salesforce Data Cloud',
    },
    deps,
  );
  const base = { endpoint };
  if (response.status < 200 || response.status >= 300) throw refusalError(response, 'datacloud', base);
  const body = parseJson(response.text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw unreadableSuccess(response, 'datacloud', base);
  const record = body as Record<string, unknown>;
  const accessToken = typeof record.access_token === 'string' ? record.access_token : '';
  const tenant = typeof record.instance_url === 'string' ? record.instance_url.trim() : '';
  let tenantUrl: string | undefined;
  try {
    tenantUrl = tenant === '' ? undefined : new URL(normaliseInstanceUrl(tenant)).origin;
  } catch {
    tenantUrl = undefined;
  }
  if (accessToken === '' || tenantUrl === undefined) {
    const missing = [accessToken === '' && 'access_token', tenantUrl === undefined && 'a valid instance_url'].filter(Boolean);
    throw catalogueError(catalogueEntry('ERR_SF_DATACLOUD_UNEXPECTED_RESPONSE'), { ...base, status: response.status, note: `no ${missing.join(', ')}` });
  }
  const expires = Number(record.expires_in);
  return { accessToken, tenantUrl, ...(Number.isFinite(expires) && expires > 0 ? { expiresInSeconds: expires } : {}) };
}
