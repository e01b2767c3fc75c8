/**
 * The Heroku Platform API calls the official plugin makes to find the AppLink add-on
 * (applink-api.md §1.3, §3, §8): four GETs in parallel (app, add-ons, attachments, config vars),
 * then the add-on SSO payload. The result is everything the AppLink client needs.
 */
import type { Deps } from '../deps.js';
import { HerokuError, InputError } from '../errors.js';
import { describeUrl, httpRequest, RETRY_IDEMPOTENT, type HttpResponse, type RetryPolicy } from '../http.js';
import { printable } from './developer-name.js';
import { addonBaseUrl, checkAddonApiUrl } from './hosts.js';
import { isSafeSegment, pathSegment } from './path-segment.js';
import { newRequestId, readJson, saying, statusError, unexpectedShape, USER_AGENT } from './service-response.js';

export const PLATFORM_API = 'the Heroku Platform API';

/** The add-on service the plugin looks for, unless `HEROKU_APPLINK_ADDON` names another. */
export const DEFAULT_ADDON_SERVICE = 'heroku-applink';

/** GETs are idempotent: retried on 5xx, 429 and network errors (four attempts in all). */
export const RETRY_GET: RetryPolicy = { ...RETRY_IDEMPOTENT, attempts: 4 };

export const PLATFORM_TIMEOUT_MS = 30_000;

/** Everything needed to call the AppLink API for one add-on. */
export interface AppLinkTarget {
  /** `platform`: found through the Platform API; `direct`: from HEROKU_APPLINK_* variables. */
  mode: 'platform' | 'direct';
  /** The app named by `--app` (platform mode), for messages. */
  appName?: string;
  /** Sent as `x-app-uuid`. */
  appId: string;
  addonId: string;
  /** The add-on's name (platform mode) or its id (direct mode), for messages. */
  addonName: string;
  /** `<scheme>://<host>[:port][prefix]/addons/<addonId>`: authorizations live under it. */
  baseUrl: string;
  /** The add-on token (`<ATTACHMENT>_TOKEN`): sent only to `baseUrl`. */
  token: string;
  /** Where the token came from, for messages (never its value). */
  tokenSource: string;
  /** `x-addon-sso`: base64 of the SSO response's JSON (platform mode only). */
  sso?: string;
}

export interface ResolveAddonOptions {
  /** Checked Platform API base URL. */
  platformUrl: URL;
  /** The Heroku token (never printed). */
  apiKey: string;
  /** Where the token came from, for messages (default `HEROKU_API_KEY`). */
  apiKeySource?: string;
  app: string;
  /** `--addon`: name or id. */
  addon?: string;
  /** `HEROKU_APPLINK_ADDON`, default `heroku-applink`. */
  addonService?: string;
  timeoutMs?: number;
}

type PlatformDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets'>;

interface AddonRecord {
  id: string;
  name: string;
  addon_service?: { name?: string };
}

interface AttachmentRecord {
  name: string;
  addon?: { id?: string };
}

/**
 * Finds the AppLink add-on of `options.app` the way the plugin does and returns its target.
 * Throws the plugin's four add-on errors (`ERR_ADDON_NONE`, `ERR_ADDON_NOT_FOUND`,
 * `ERR_ADDON_AMBIGUOUS`, `ERR_ADDON_NOT_PROVISIONED`) with a fix, `ERR_HEROKU_AUTH` on 401,
 * `ERR_APP_NOT_FOUND` on 404, and `ERR_HOST_NOT_ALLOWED` when the `_API_URL` breaks the host rule.
 */
export async function resolveAddon(options: ResolveAddonOptions, deps: PlatformDeps): Promise<AppLinkTarget> {
  const { app } = options;
  const appPath = `/apps/${encodeURIComponent(app)}`;
  const get = (path: string, accept?: string) => platformGet(options, path, deps, accept);
  const settled = await Promise.allSettled([
    get(appPath),
    get(`${appPath}/addons`),
    get(`${appPath}/addon-attachments`),
    get(`${appPath}/config-vars`),
  ]);
  const rejected = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected) throw rejected.reason;
  const responses = settled.map((result) => (result as PromiseFulfilledResult<PlatformResponse>).value);
  // The most telling failure first: a refused token explains every other failure.
  for (const status of [401, 403, 404]) {
    const failed = responses.find((response) => response.status === status);
    if (failed) throw platformError(failed, options);
  }
  const other = responses.find((response) => response.status < 200 || response.status > 299);
  if (other) throw statusError(other, PLATFORM_API, other.where);
  const [appResponse, addonsResponse, attachmentsResponse, configResponse] = responses as [PlatformResponse, PlatformResponse, PlatformResponse, PlatformResponse];

  const appBody = readJson(appResponse, PLATFORM_API, appResponse.where) as { id?: unknown; name?: unknown };
  if (typeof appBody !== 'object' || appBody === null || typeof appBody.id !== 'string') {
    throw unexpectedShape(PLATFORM_API, appResponse.where, 'an app with an id', appResponse.status);
  }
  const addons = readArray<AddonRecord>(addonsResponse, 'a list of add-ons', (item) => isSegment(item.id) && typeof item.name === 'string');
  const attachments = readArray<AttachmentRecord>(attachmentsResponse, 'a list of add-on attachments', (item) => typeof item.name === 'string');
  const configVars = readJson(configResponse, PLATFORM_API, configResponse.where);
  if (typeof configVars !== 'object' || configVars === null || Array.isArray(configVars)) {
    throw unexpectedShape(PLATFORM_API, configResponse.where, 'an object of config vars', configResponse.status);
  }

  const service = options.addonService || DEFAULT_ADDON_SERVICE;
  const addon = pickAddon(addons.filter((item) => item.addon_service?.name === service), options, service);
  const attachment = attachments.find((item) => item.addon?.id === addon.id);
  const vars = configVars as Record<string, unknown>;
  const apiUrlVar = attachment ? `${attachment.name}_API_URL` : undefined;
  const tokenVar = attachment ? `${attachment.name}_TOKEN` : undefined;
  const rawApiUrl = apiUrlVar ? vars[apiUrlVar] : undefined;
  const token = tokenVar ? vars[tokenVar] : undefined;
  if (!attachment || typeof rawApiUrl !== 'string' || rawApiUrl === '' || typeof token !== 'string' || token === '') {
    const missing = !attachment
      ? `it has no attachment on ${app}`
      : [typeof rawApiUrl === 'string' && rawApiUrl !== '' ? undefined : apiUrlVar, typeof token === 'string' && token !== '' ? undefined : tokenVar]
          .filter(Boolean)
          .join(' and ') + ' missing from the config vars';
    throw new HerokuError('ERR_ADDON_NOT_PROVISIONED', `AppLink add-on ${addon.name} isn't fully provisioned on ${app} (${missing}).`, {
      hint: `Wait for the add-on to finish provisioning with heroku addons:wait ${addon.name} -a ${app}, then run the command again.`,
      details: { app, addon: addon.name },
    });
  }
  const apiUrl = checkAddonApiUrl(rawApiUrl, `Config var ${apiUrlVar} of ${app}`);

  const ssoResponse = await get(`${appPath}/addons/${pathSegment(addon.id, 'The add-on id')}/sso`, 'application/vnd.heroku+json; version=3.sdk');
  if (ssoResponse.status < 200 || ssoResponse.status > 299) {
    if ([401, 403, 404].includes(ssoResponse.status)) throw platformError(ssoResponse, options);
    throw statusError(ssoResponse, PLATFORM_API, ssoResponse.where);
  }
  const sso = readJson(ssoResponse, PLATFORM_API, ssoResponse.where);
  if (typeof sso !== 'object' || sso === null || Array.isArray(sso)) {
    throw unexpectedShape(PLATFORM_API, ssoResponse.where, 'an SSO object', ssoResponse.status);
  }
  return {
    mode: 'platform',
    appName: app,
    appId: appBody.id,
    addonId: addon.id,
    addonName: addon.name,
    baseUrl: addonBaseUrl(apiUrl, addon.id),
    token,
    tokenSource: `config var ${tokenVar} of ${app}`,
    // The plugin re-serialises the parsed body (http-call parses, then JSON.stringify): byte for byte the same.
    sso: Buffer.from(JSON.stringify(sso), 'utf8').toString('base64'),
  };

  function readArray<T>(response: PlatformResponse, expected: string, check: (item: Record<string, unknown>) => boolean): T[] {
    const body = readJson(response, PLATFORM_API, response.where);
    if (!Array.isArray(body) || !body.every((item) => typeof item === 'object' && item !== null && check(item as Record<string, unknown>))) {
      throw unexpectedShape(PLATFORM_API, response.where, expected, response.status);
    }
    return body as T[];
  }
}

/** An id from an answer that can go in a path as one segment (not empty, `.` or `..`). */
function isSegment(value: unknown): value is string {
  return typeof value === 'string' && isSafeSegment(value);
}

function pickAddon(candidates: AddonRecord[], options: ResolveAddonOptions, service: string): AddonRecord {
  const { app, addon } = options;
  if (addon !== undefined && addon !== '') {
    const found = candidates.find((item) => item.name === addon || item.id === addon);
    if (found) return found;
    throw new HerokuError('ERR_ADDON_NOT_FOUND', `AppLink add-on ${printable(addon)} doesn't exist on ${app}.`, {
      hint: `Use heroku addons --app ${app} to list the add-ons on the app${candidates.length > 0 ? ` (AppLink add-ons: ${candidates.map((item) => item.name).join(', ')})` : ''}, and pass one of them to --addon.`,
      details: { app, addon, addons: candidates.map((item) => item.name) },
    });
  }
  if (candidates.length === 0) {
    throw new HerokuError('ERR_ADDON_NONE', `AppLink add-on isn't present on ${app}.`, {
      hint: `Install the add-on using heroku addons:create ${service} -a ${app}.`,
      details: { app },
    });
  }
  if (candidates.length > 1) {
    throw new HerokuError('ERR_ADDON_AMBIGUOUS', `Your app ${app} has multiple AppLink add-ons: ${candidates.map((item) => item.name).join(', ')}.`, {
      hint: 'Rerun the command with the --addon flag to specify which one to use.',
      details: { app, addons: candidates.map((item) => item.name) },
    });
  }
  return candidates[0]!;
}

interface PlatformResponse extends HttpResponse {
  where: string;
}

async function platformGet(options: ResolveAddonOptions, path: string, deps: PlatformDeps, accept = 'application/vnd.heroku+json; version=3'): Promise<PlatformResponse> {
  const base = options.platformUrl.href.replace(/\/+$/, '');
  const url = `${base}${path}`;
  const response = await httpRequest(
    {
      method: 'GET',
      url,
      headers: {
        accept,
        authorization: `Bearer ${options.apiKey}`,
        'user-agent': USER_AGENT,
        'request-id': newRequestId(),
      },
      timeoutMs: options.timeoutMs ?? PLATFORM_TIMEOUT_MS,
      retry: RETRY_GET,
      service: PLATFORM_API,
    },
    deps,
  );
  return { ...response, where: `GET ${describeUrl(url)}` };
}

function platformError(response: PlatformResponse, options: ResolveAddonOptions): Error {
  const origin = options.platformUrl.origin;
  if (response.status === 401) {
    return new HerokuError('ERR_HEROKU_AUTH', `The token in ${options.apiKeySource ?? 'HEROKU_API_KEY'} was refused by the Heroku Platform API (${origin}): HTTP 401.${saying(response.text)}`, {
      hint: 'Create a new long-lived token with heroku authorizations:create (or print yours with heroku auth:token) and set HEROKU_API_KEY to it.',
      details: { status: 401 },
    });
  }
  if (response.status === 403) {
    return new HerokuError('ERR_HEROKU_FORBIDDEN', `The Heroku Platform API (${origin}) refused access to app ${options.app} with the token in ${options.apiKeySource ?? 'HEROKU_API_KEY'}: HTTP 403.${saying(response.text)}`, {
      hint: `Use a token of a user who is a collaborator (with the deploy and operate permissions) on ${options.app}.`,
      details: { status: 403 },
    });
  }
  return new HerokuError('ERR_APP_NOT_FOUND', `App ${options.app} was not found by the Heroku Platform API (${origin}): ${response.where} answered HTTP 404.${saying(response.text)}`, {
    hint: 'Check the app name given with -a/--app (or HEROKU_APP); heroku apps lists the apps this token can see.',
    details: { status: 404, app: options.app },
  });
}

/** Checks the app name given with `-a/--app`: a Heroku app name or an app id (UUID). */
export function validateAppName(app: string): string {
  if (/^[a-z][a-z0-9-]{1,28}[a-z0-9]$/.test(app) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(app)) return app;
  throw new InputError('ERR_APP_NAME', `App name (-a/--app or HEROKU_APP) "${printable(app)}" is not a Heroku app name or id.`, {
    hint: 'An app name is 3-30 lowercase letters, digits and dashes, starting with a letter (heroku apps lists yours).',
  });
}

/** Checks `--addon`: an add-on name (letters, digits, dashes, underscores) or id. */
export function validateAddonName(addon: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(addon)) return addon;
  throw new InputError('ERR_ADDON_NAME', `Add-on (--addon) "${printable(addon)}" is not an add-on name or id.`, {
    hint: 'Pass the add-on name (e.g. applink-rigid-12345) or id that heroku addons --app <app> shows.',
  });
}
