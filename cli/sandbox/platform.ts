/**
 * The Heroku Platform API double: the five calls the AppLink plugin makes to find the add-on
 * (applink-api.md §1.3 and §8): the app, its add-ons, its add-on attachments, its config vars, and
 * the add-on's SSO payload; and the two a rotation makes (docs/reference/rotation-contracts.md):
 * `PATCH /apps/{app}/config-vars`, which creates a release, and `GET /apps/{app}/releases`.
 * Every call needs the API version in `Accept`
 * (`application/vnd.heroku+json; version=3`; the SSO call `version=3.sdk`) and
 * `Authorization: Bearer <HEROKU_API_KEY>`.
 */
import { createHash } from 'node:crypto';
import { timestampSeconds } from './ids.js';
import { bearerToken, header, json, route, type Reply, type Route, type RouteContext, type SandboxRequest } from './routing.js';
import type { Addon, HerokuApp, HerokuRelease, SandboxState } from './state.js';

/** Heroku's own bodies for these errors. */
export const UNAUTHORIZED_BODY = { id: 'unauthorized', message: 'Invalid credentials provided.' };
export const APP_NOT_FOUND_BODY = { id: 'not_found', message: "Couldn't find that app.", resource: 'app' };
export const ADDON_NOT_FOUND_BODY = { id: 'not_found', message: "Couldn't find that add-on.", resource: 'addon' };
/**
 * The answer to a missing or wrong API version: status 406 and id `not_acceptable` are the Platform
 * API reference's error table; the message text is our choice (docs/sandbox.md).
 */
export const NOT_ACCEPTABLE_BODY = {
  id: 'not_acceptable',
  message: "Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`.",
};
/** The answer when the user lacks the app permission a call needs (the message as the Heroku CLI shows it). */
export function forbiddenBody(appName: string) {
  return { id: 'forbidden', message: `You do not have access to the app ${appName}.` };
}
/** The answer to a config-vars body that is not an object of names to strings or null (*choice* of text). */
export const INVALID_PARAMS_ID = 'invalid_params';
/** The Platform API's answer to a path (or verb) it does not serve. */
export const ENDPOINT_NOT_FOUND_BODY = {
  id: 'not_found',
  message: 'The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?',
};

/** The `<ATTACHMENT>_API_URL` of an add-on: the AppLink host's origin (port included) and the add-on's path. */
export function addonApiUrl(applinkUrl: string, addon: Addon): string {
  return `${applinkUrl}/addons/${addon.id}`;
}

/** The `version` of the first `application/vnd.heroku+json` media type in an `Accept` header. */
export function acceptedVersion(accept: string | undefined): string | undefined {
  for (const mediaRange of (accept ?? '').split(',')) {
    const [type, ...parameters] = mediaRange.split(';').map((part) => part.trim());
    if (type?.toLowerCase() !== 'application/vnd.heroku+json') continue;
    for (const parameter of parameters) {
      const [name, value] = parameter.split('=').map((part) => part.trim());
      if (name?.toLowerCase() === 'version' && value) return value.replace(/^"(.*)"$/, '$1');
    }
  }
  return undefined;
}

/** Whether an `Accept` header asks for version 3 (any variant `3.x` too), or one of `variants` when given. */
function versionAccepted(accept: string | undefined, variants?: readonly string[]): boolean {
  const version = acceptedVersion(accept);
  if (version === undefined) return false;
  return variants ? variants.includes(version) : version === '3' || version.startsWith('3.');
}

function ref(app: HerokuApp) {
  return { id: app.id, name: app.name };
}

function appBody(app: HerokuApp, state: SandboxState) {
  const stamp = timestampSeconds(app.createdAtMs);
  return {
    acm: false,
    archived_at: null,
    build_stack: { id: 'ee582d3c-717d-4a57-ba5f-8b3a39f3a817', name: 'heroku-24' },
    buildpack_provided_description: null,
    created_at: stamp,
    git_url: `https://git.heroku.com/${app.name}.git`,
    id: app.id,
    internal_routing: null,
    maintenance: false,
    name: app.name,
    owner: { email: state.herokuEmail, id: ownerId(state) },
    organization: null,
    team: null,
    region: { id: '59accabd-516d-4f0e-83e6-6e3757701145', name: 'us' },
    released_at: stamp,
    repo_size: null,
    slug_size: null,
    space: null,
    stack: { id: 'ee582d3c-717d-4a57-ba5f-8b3a39f3a817', name: 'heroku-24' },
    updated_at: stamp,
    web_url: `https://${app.name}.herokuapp.com/`,
  };
}

function ownerId(state: SandboxState): string {
  const hex = createHash('sha256').update(state.herokuEmail).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function addonBody(addon: Addon, state: SandboxState) {
  const owner = state.requireApp(addon.appId);
  const stamp = timestampSeconds(addon.createdAtMs);
  return {
    actions: [],
    addon_service: { id: createHash('md5').update(addon.service).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'), name: addon.service },
    app: ref(owner),
    billed_price: { cents: 0, contract: false, unit: 'month' },
    billing_entity: { id: owner.id, name: owner.name, type: 'app' },
    config_vars: addon.attachments.flatMap((a) => [`${a.name}_API_URL`, `${a.name}_TOKEN`]),
    created_at: stamp,
    id: addon.id,
    name: addon.name,
    plan: { id: createHash('md5').update(`${addon.service}:base`).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'), name: `${addon.service}:base` },
    provider_id: addon.id,
    state: addon.state,
    updated_at: stamp,
    web_url: `https://addons-sso.heroku.com/apps/${owner.id}/addons/${addon.id}`,
  };
}

type AppHandler = (app: HerokuApp, request: SandboxRequest, context: RouteContext) => Reply;

/** Accept check first (406), then the bearer (401), then the app by name or id (404). */
function withApp(handler: AppHandler, variants?: readonly string[]) {
  return (request: SandboxRequest, context: RouteContext): Reply => {
    if (!versionAccepted(header(request.headers, 'accept'), variants)) return json(406, NOT_ACCEPTABLE_BODY);
    if (bearerToken(request.headers) !== context.state.herokuApiKey) return json(401, UNAUTHORIZED_BODY);
    const app = context.state.findApp(request.params.app ?? '');
    if (!app) return json(404, APP_NOT_FOUND_BODY);
    return handler(app, request, context);
  };
}

const getApp: AppHandler = (app, _request, { state }) => json(200, appBody(app, state));

const listAddons: AppHandler = (app, _request, { state }) => json(200, state.addonsOfApp(app.id).map((addon) => addonBody(addon, state)));

const listAttachments: AppHandler = (app, _request, { state }) =>
  json(
    200,
    state.addonsOfApp(app.id).flatMap((addon) =>
      addon.attachments
        .filter((attachment) => attachment.appId === app.id)
        .map((attachment) => ({
          addon: { id: addon.id, name: addon.name, app: ref(state.requireApp(addon.appId)) },
          app: ref(app),
          created_at: timestampSeconds(attachment.createdAtMs),
          id: attachment.id,
          log_input_url: null,
          name: attachment.name,
          namespace: null,
          updated_at: timestampSeconds(attachment.createdAtMs),
          web_url: `https://addons-sso.heroku.com/apps/${app.id}/addons/${addon.id}`,
        })),
    ),
  );

/** The app's own config vars plus `<ATTACHMENT>_API_URL` and `_TOKEN` of each provisioned attachment. */
const configVars: AppHandler = (app, _request, { state, urls }) => {
  const vars: Record<string, string> = { ...app.configVars };
  for (const addon of state.addonsOfApp(app.id)) {
    if (addon.state !== 'provisioned') continue;
    for (const attachment of addon.attachments.filter((a) => a.appId === app.id)) {
      vars[`${attachment.name}_API_URL`] = addonApiUrl(urls.applink, addon);
      vars[`${attachment.name}_TOKEN`] = attachment.token;
    }
  }
  return json(200, vars);
};

/**
 * `PATCH /apps/{app}/config-vars`: a JSON object of names (`^\w+$`) to a string (set) or null
 * (remove). Needs the `deploy` permission (403 `forbidden`); creates a release; answers the
 * whole set, as GET does.
 */
const updateConfigVars: AppHandler = (app, request, context) => {
  if (!app.permissions.includes('deploy')) return json(403, forbiddenBody(app.name));
  if (request.jsonInvalid) return json(400, { id: 'bad_request', message: 'The request body is not valid JSON.' });
  const body = request.json;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return json(422, { id: INVALID_PARAMS_ID, message: 'The request body must be a JSON object of config var names to values (a string, or null to remove).' });
  }
  const changes = body as Record<string, unknown>;
  for (const [name, value] of Object.entries(changes)) {
    if (!/^\w+$/.test(name)) return json(422, { id: INVALID_PARAMS_ID, message: `Invalid config var name: ${JSON.stringify(name)}.` });
    if (value !== null && typeof value !== 'string') return json(422, { id: INVALID_PARAMS_ID, message: `The value of ${name} must be a string, or null to remove it.` });
  }
  if (Object.keys(changes).length > 0) context.state.updateConfigVars(app.id, changes as Record<string, string | null>);
  return configVars(app, request, context);
};

function releaseBody(app: HerokuApp, release: HerokuRelease, state: SandboxState) {
  const stamp = timestampSeconds(release.createdAtMs);
  return {
    addon_plan_names: [],
    app: ref(app),
    created_at: stamp,
    current: release === app.releases.at(-1),
    description: release.description,
    eligible_for_rollback: true,
    id: release.id,
    output_stream_url: null,
    slug: null,
    status: 'succeeded',
    updated_at: stamp,
    user: { email: state.herokuEmail, id: ownerId(state) },
    version: release.version,
  };
}

/** `GET /apps/{app}/releases`: oldest first, as Heroku lists them without a `Range`. */
const listReleases: AppHandler = (app, _request, { state }) => json(200, app.releases.map((release) => releaseBody(app, release, state)));

/** The add-on SSO payload (`Accept: application/vnd.heroku+json; version=3.sdk`), add-on by id or name. */
const addonSso: AppHandler = (app, request, { state, urls, now }) => {
  const addon = state.addonsOfApp(app.id).find((a) => a.id === request.params.addon || a.name === request.params.addon);
  if (!addon) return json(404, ADDON_NOT_FOUND_BODY);
  const timestamp = String(Math.floor(now() / 1000));
  const digest = (salt: string) => createHash('sha1').update(`${salt}:${addon.id}:${timestamp}`).digest('hex');
  return json(200, {
    action: `${urls.applink}/sso/login`,
    method: 'post',
    params: {
      app: app.name,
      context_app: app.name,
      email: state.herokuEmail,
      id: addon.id,
      'nav-data': Buffer.from(JSON.stringify({ addon: addon.name, appname: app.name })).toString('base64'),
      resource_id: addon.id,
      resource_token: digest('resource'),
      timestamp,
      token: digest('token'),
      user_id: ownerId(state),
      user_scoped_resource_token: digest('user'),
    },
  });
};

/** The versions the SSO call accepts: the plugin's `3.sdk`, and `3.add-ons-sso` from the Dev Center. */
const SSO_VERSIONS = ['3.sdk', '3.add-ons-sso'];

/** The Platform API double's routes. */
export function platformRoutes(): Route[] {
  return [
    route('platform', 'GET', '/apps/:app', 'platform.app', withApp(getApp)),
    route('platform', 'GET', '/apps/:app/addons', 'platform.addons', withApp(listAddons)),
    route('platform', 'GET', '/apps/:app/addon-attachments', 'platform.attachments', withApp(listAttachments)),
    route('platform', 'GET', '/apps/:app/config-vars', 'platform.config-vars', withApp(configVars)),
    route('platform', 'PATCH', '/apps/:app/config-vars', 'platform.config-vars.update', withApp(updateConfigVars)),
    route('platform', 'GET', '/apps/:app/releases', 'platform.releases', withApp(listReleases)),
    route('platform', 'GET', '/apps/:app/addons/:addon/sso', 'platform.sso', withApp(addonSso, SSO_VERSIONS)),
  ];
}
