/**
 * The Heroku Platform API's config vars of one app (docs/reference/rotation-contracts.md §Heroku):
 * `GET /apps/{app}/config-vars`, and `PATCH /apps/{app}/config-vars` with a JSON object of names
 * to a string (set) or null (remove), which creates a release and restarts the app. `rotate`
 * switches the app between its two authorizations with it.
 */
import type { Deps } from '../deps.js';
import { HerokuError } from '../errors.js';
import { describeUrl, httpRequest, RETRY_IDEMPOTENT, type HttpResponse } from '../http.js';
import { PLATFORM_API, PLATFORM_TIMEOUT_MS, RETRY_GET } from '../applink/platform-api.js';
import { newRequestId, readJson, saying, statusError, unexpectedShape, USER_AGENT } from '../applink/service-response.js';
import { pathSegment } from '../applink/path-segment.js';
import type { ConfigVarsPort } from '../rotate/ports.js';

export interface ConfigVarsClientOptions {
  /** Checked Platform API base URL (`https://api.heroku.com`, or the sandbox). */
  platformUrl: URL;
  /** The Heroku token (never printed). */
  apiKey: string;
  /** Where the token came from, for messages (default `HEROKU_API_KEY`). */
  apiKeySource?: string;
  timeoutMs?: number;
}

type ConfigVarsDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets'> & Partial<Pick<Deps, 'httpLog'>>;

/** The Platform API version every call asks for. */
export const PLATFORM_ACCEPT = 'application/vnd.heroku+json; version=3';

/**
 * Config var names whose values are treated as secrets and registered with the redaction
 * registry when read (tokens, keys, passwords, URLs that may carry credentials). Other values
 * (such as the authorization name `rotate` switches) stay printable.
 */
const SECRET_CONFIG_VAR = /token|secret|passw|key|credential|_url$|^url$|dsn/i;

/** A client of the config vars of any app the token can see: `rotate`'s {@link ConfigVarsPort}. */
export function createConfigVarsClient(options: ConfigVarsClientOptions, deps: ConfigVarsDeps): ConfigVarsPort {
  const source = options.apiKeySource ?? 'HEROKU_API_KEY';
  const url = (app: string) => `${options.platformUrl.href.replace(/\/+$/, '')}/apps/${pathSegment(app, 'The app name')}/config-vars`;

  async function send(app: string, method: 'GET' | 'PATCH', body?: Record<string, string | null>): Promise<Record<string, string>> {
    const target = url(app);
    const where = `${method} ${describeUrl(target)}`;
    const response = await httpRequest(
      {
        method,
        url: target,
        headers: {
          accept: PLATFORM_ACCEPT,
          authorization: `Bearer ${options.apiKey}`,
          'user-agent': USER_AGENT,
          'request-id': newRequestId(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: options.timeoutMs ?? PLATFORM_TIMEOUT_MS,
        // Setting the same values again is harmless (one more release), so the PATCH is retried too.
        retry: method === 'GET' ? RETRY_GET : RETRY_IDEMPOTENT,
        service: PLATFORM_API,
      },
      deps,
    );
    if (response.status < 200 || response.status > 299) throw refusal(response, app, method, where);
    const vars = readJson(response, PLATFORM_API, where);
    if (typeof vars !== 'object' || vars === null || Array.isArray(vars) || !Object.values(vars).every((value) => typeof value === 'string')) {
      throw unexpectedShape(PLATFORM_API, where, 'an object of config vars', response.status);
    }
    const result = vars as Record<string, string>;
    for (const [name, value] of Object.entries(result)) if (SECRET_CONFIG_VAR.test(name)) deps.secrets?.add(value);
    return result;
  }

  function refusal(response: HttpResponse, app: string, method: 'GET' | 'PATCH', where: string): Error {
    const origin = options.platformUrl.origin;
    if (response.status === 401) {
      return new HerokuError('ERR_HEROKU_AUTH', `The token in ${source} was refused by the Heroku Platform API (${origin}): HTTP 401.${saying(response.text)}`, {
        hint: 'Create a new long-lived token with heroku authorizations:create (or print yours with heroku auth:token) and set HEROKU_API_KEY to it.',
        details: { status: 401 },
      });
    }
    if (response.status === 403) {
      const what = method === 'PATCH' ? 'change the config vars of' : 'read the config vars of';
      return new HerokuError('ERR_HEROKU_FORBIDDEN', `The Heroku Platform API (${origin}) refused to let the token in ${source} ${what} app ${app}: HTTP 403.${saying(response.text)}`, {
        hint: `Use a token of a user with the deploy permission on ${app} (heroku access -a ${app} lists who has it); nothing was changed.`,
        details: { status: 403, app },
      });
    }
    if (response.status === 404) {
      return new HerokuError('ERR_APP_NOT_FOUND', `App ${app} was not found by the Heroku Platform API (${origin}): ${where} answered HTTP 404.${saying(response.text)}`, {
        hint: 'Check the app name given with -a/--app (or HEROKU_APP); heroku apps lists the apps this token can see.',
        details: { status: 404, app },
      });
    }
    return statusError(response, PLATFORM_API, where);
  }

  return {
    get: (app) => send(app, 'GET'),
    set: (app, changes) => send(app, 'PATCH', changes),
  };
}
