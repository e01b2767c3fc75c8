/**
 * The AppLink API calls (applink-api.md §1.3, §2, §8): create a JWT authorization, read one, list
 * them, remove one. Every call sends the add-on token as Bearer only to the add-on's own base URL,
 * with `x-app-uuid` and (in platform mode) `x-addon-sso`, exactly as the official plugin does.
 */
import type { Deps } from '../deps.js';
import { HerokuError, type AppError } from '../errors.js';
import { pathSegment } from './path-segment.js';
import { describeUrl, httpRequest, NO_RETRY, type HttpMethod, type HttpResponse } from '../http.js';
import { isAuthorization, type Authorization } from './authorization.js';
import { RETRY_GET, type AppLinkTarget } from './platform-api.js';
import { newRequestId, readJson, saying, serverErrorId, statusError, unexpectedShape, USER_AGENT } from './service-response.js';

export const APPLINK_API = 'the AppLink API';
export const APPLINK_TIMEOUT_MS = 30_000;

export type AuthorizationType = 'salesforce' | 'datacloud';

/** What `POST .../authorizations/{type}/jwt` carries. */
export interface JwtAuthorizationRequest {
  type: AuthorizationType;
  developerName: string;
  alias: string;
  clientId: string;
  username: string;
  /** Sent as `login_url` only when the user gave one (the plugin leaves it out otherwise). */
  loginUrl?: string;
  /** The unencrypted PEM of the private key (`jwt_private_key`). */
  privateKeyPem: string;
}

export type AppLinkDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets'>;

export interface AppLinkResponse extends HttpResponse {
  where: string;
}

export { pathSegment } from './path-segment.js';

/** The headers of every AppLink request (the plugin's set; `x-addon-sso` only in platform mode). */
export function appLinkHeaders(target: AppLinkTarget, method: HttpMethod): Record<string, string> {
  return {
    accept: 'application/json',
    authorization: `Bearer ${target.token}`,
    'user-agent': USER_AGENT,
    'request-id': newRequestId(),
    'x-app-uuid': target.appId,
    ...(target.sso === undefined ? {} : { 'x-addon-sso': target.sso }),
    ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
  };
}

/** One AppLink request; GET and DELETE are retried on 5xx/429/network errors, POST never. */
export async function appLinkRequest(target: AppLinkTarget, method: HttpMethod, path: string, deps: AppLinkDeps, body?: string): Promise<AppLinkResponse> {
  const url = `${target.baseUrl}${path}`;
  const response = await httpRequest(
    {
      method,
      url,
      headers: appLinkHeaders(target, method),
      body,
      timeoutMs: APPLINK_TIMEOUT_MS,
      retry: method === 'POST' ? NO_RETRY : RETRY_GET,
      service: APPLINK_API,
    },
    deps,
  );
  return { ...response, where: `${method} ${describeUrl(url)}` };
}

/** The JSON body of the JWT POST: the plugin's keys in its order; `login_url` dropped when absent. */
export function jwtRequestBody(request: JwtAuthorizationRequest): string {
  return JSON.stringify({
    alias: request.alias,
    client_id: request.clientId,
    developer_name: request.developerName,
    jwt_private_key: request.privateKeyPem,
    login_url: request.loginUrl,
    username: request.username,
  });
}

/**
 * Sends `POST /addons/{id}/authorizations/{type}/jwt` once (never retried here: the caller checks
 * whether a failed POST created the authorization before trying again) and returns the raw answer.
 */
export async function postJwtAuthorization(target: AppLinkTarget, request: JwtAuthorizationRequest, deps: AppLinkDeps): Promise<AppLinkResponse> {
  return appLinkRequest(target, 'POST', `/authorizations/${request.type}/jwt`, deps, jwtRequestBody(request));
}

/** Parses an authorization body or throws `ERR_BAD_RESPONSE`. */
export function readAuthorization(response: AppLinkResponse): Authorization {
  const body = readJson(response, APPLINK_API, response.where);
  if (!isAuthorization(body)) throw unexpectedShape(APPLINK_API, response.where, 'an authorization (id, status, org)', response.status);
  return body;
}

/**
 * `GET /addons/{id}/authorizations/{name}` (developer name, alias or id). Returns `undefined` on
 * 404; throws the mapped error for any other failure.
 */
export async function findAuthorization(target: AppLinkTarget, name: string, deps: AppLinkDeps): Promise<Authorization | undefined> {
  const response = await appLinkRequest(target, 'GET', `/authorizations/${pathSegment(name)}`, deps);
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw appLinkError(response, target, name);
  return readAuthorization(response);
}

/** Like {@link findAuthorization}, but an unknown name is `ERR_AUTHORIZATION_NOT_FOUND` (exit 5). */
export async function getAuthorization(target: AppLinkTarget, name: string, deps: AppLinkDeps): Promise<Authorization> {
  const found = await findAuthorization(target, name, deps);
  if (found === undefined) throw notFoundError(target, name);
  return found;
}

/** `GET /addons/{id}/authorizations`: every authorization of the add-on. */
export async function listAuthorizations(target: AppLinkTarget, deps: AppLinkDeps): Promise<Authorization[]> {
  const response = await appLinkRequest(target, 'GET', '/authorizations', deps);
  if (response.status !== 200) throw appLinkError(response, target);
  const body = readJson(response, APPLINK_API, response.where);
  if (!Array.isArray(body) || !body.every(isAuthorization)) throw unexpectedShape(APPLINK_API, response.where, 'a list of authorizations', response.status);
  return body;
}

/**
 * `DELETE /addons/{id}/authorizations/{developer_name}` (retried). A 404 is `not-found` on the
 * first attempt, and `absent` on a retry: there it means an earlier attempt removed it (its answer
 * was lost), which is the outcome asked for.
 */
export async function deleteAuthorization(target: AppLinkTarget, developerName: string, deps: AppLinkDeps): Promise<'deleted' | 'absent' | 'not-found'> {
  const response = await appLinkRequest(target, 'DELETE', `/authorizations/${pathSegment(developerName)}`, deps);
  if (response.status === 404) return response.attempts > 1 ? 'absent' : 'not-found';
  if (response.status >= 200 && response.status <= 299) return 'deleted';
  throw appLinkError(response, target, developerName);
}

function onWhat(target: AppLinkTarget): string {
  return target.mode === 'platform' ? `add-on ${target.addonName} of app ${target.appName}` : `add-on ${target.addonId} (direct mode, HEROKU_APP_ID ${target.appId})`;
}

/** `applink-jwt list` with the same add-on selection, for hints. */
export function listCommand(target: AppLinkTarget): string {
  return target.mode === 'platform' ? `applink-jwt list -a ${target.appName}` : 'applink-jwt list';
}

/** `ERR_AUTHORIZATION_NOT_FOUND`: says so and how to list the authorizations. */
export function notFoundError(target: AppLinkTarget, name: string): HerokuError {
  return new HerokuError('ERR_AUTHORIZATION_NOT_FOUND', `Developer name ${name} doesn't exist on ${onWhat(target)}.`, {
    hint: `Run ${listCommand(target)} to list the authorizations.`,
    details: { developerName: name, status: 404 },
  });
}

/** Maps an AppLink answer that is not what the caller wanted to a typed error with a fix. */
export function appLinkError(response: AppLinkResponse, target: AppLinkTarget, name?: string): AppError {
  const details = { status: response.status, ...(serverErrorId(response.text) ? { id: serverErrorId(response.text) } : {}) };
  switch (response.status) {
    case 401:
      return new HerokuError('ERR_APPLINK_AUTH', `The AppLink API (${new URL(target.baseUrl).origin}) refused the add-on token (${target.tokenSource}): HTTP 401.${saying(response.text)}`, {
        hint:
          target.mode === 'platform'
            ? `The token is read from the app's config vars on each run; check the add-on with heroku addons:info ${target.addonName} -a ${target.appName} and run again.`
            : 'Set HEROKU_APPLINK_TOKEN to the current value of the config var (heroku config:get HEROKU_APPLINK_TOKEN -a <app>) and HEROKU_APP_ID to that app\'s id.',
        details,
      });
    case 403:
      return new HerokuError('ERR_APPLINK_FORBIDDEN', `The AppLink API refused access to ${onWhat(target)}: HTTP 403.${saying(response.text)}`, {
        hint: 'Check that HEROKU_APP_ID (x-app-uuid) is the app the add-on is attached to, and that your Heroku user can access it.',
        details,
      });
    case 404:
      if (name !== undefined) return notFoundError(target, name);
      return new HerokuError('ERR_ADDON_NOT_FOUND', `The AppLink API does not know ${onWhat(target)}: ${response.where} answered HTTP 404.${saying(response.text)}`, {
        hint: target.mode === 'platform' ? `Check the add-on with heroku addons --app ${target.appName}.` : 'Check HEROKU_APPLINK_API_URL: its last path segment must be the add-on id.',
        details,
      });
    case 409:
      return new HerokuError('ERR_AUTHORIZATION_EXISTS', `An authorization named ${name ?? '(unknown)'} already exists on ${onWhat(target)}.${saying(response.text)}`, {
        hint: 'Rerun with --replace to replace it (key rotation), or choose another developer name.',
        details,
      });
    case 400:
    case 422:
      return new HerokuError('ERR_AUTHORIZATION_INVALID', `The AppLink API rejected the request for ${name ?? 'the authorization'}: HTTP ${response.status}.${saying(response.text)}`, {
        hint: 'Check the developer name (3-30 letters, digits and single underscores, starting with a letter), the alias, the client id, the username and the login URL.',
        details,
      });
    default:
      return statusError(response, APPLINK_API, response.where);
  }
}
