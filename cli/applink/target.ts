/**
 * Which add-on a command talks to, decided from local input only (no network): platform mode
 * (`-a/--app` + `HEROKU_API_KEY`, resolved through the Platform API like the plugin) or direct mode
 * (`HEROKU_APPLINK_API_URL` + `HEROKU_APPLINK_TOKEN` + `HEROKU_APP_ID` and no `--app`: the AppLink
 * API is called directly, without the Platform API and therefore without `x-addon-sso`).
 */
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';
import { addonBaseUrl, addonIdOfApiUrl, checkAddonApiUrl, checkPlatformApiUrl } from './hosts.js';
import { resolveAddon, validateAddonName, validateAppName, type AppLinkTarget, type ResolveAddonOptions } from './platform-api.js';

/** The add-on selection options every AppLink command takes. */
export interface AddonSelectionOptions {
  /** `-a/--app`, or `HEROKU_APP` / `HEROKU_APP_NAME`. */
  app?: string;
  /** Whether `--app` was given on the command line (not from the environment). */
  appFromFlag: boolean;
  /** `--addon`: name or id. */
  addon?: string;
}

export const DIRECT_MODE_VARIABLES = ['HEROKU_APPLINK_API_URL', 'HEROKU_APPLINK_TOKEN', 'HEROKU_APP_ID'] as const;

/** A checked plan: either the finished direct-mode target, or what the Platform API lookup needs. */
export type TargetPlan = ({ mode: 'direct'; target: AppLinkTarget } | { mode: 'platform'; resolve: ResolveAddonOptions }) & {
  /** What the user may not expect about the choice (printed as warnings by the command). */
  warnings: string[];
};

/**
 * Checks everything local about the add-on selection and its secrets and says how to reach the
 * add-on. Throws an {@link InputError} naming the missing or bad variable or flag.
 */
export function planTarget(options: AddonSelectionOptions, env: Deps['env']): TargetPlan {
  const present = (name: string) => env[name] !== undefined && env[name] !== '';
  const direct = DIRECT_MODE_VARIABLES.every(present);
  if (!options.appFromFlag && direct) {
    if (options.addon !== undefined) {
      throw new InputError('ERR_ADDON_DIRECT_MODE', '--addon applies only with -a/--app; in direct mode the add-on is the one HEROKU_APPLINK_API_URL points at.', {
        hint: 'Drop --addon, or pass -a/--app (with HEROKU_API_KEY) to pick an add-on through the Platform API.',
      });
    }
    const apiUrl = checkAddonApiUrl(env.HEROKU_APPLINK_API_URL!, 'HEROKU_APPLINK_API_URL');
    const addonId = addonIdOfApiUrl(apiUrl);
    if (addonId === undefined) {
      throw new InputError('ERR_URL', 'HEROKU_APPLINK_API_URL has no path: the add-on id is expected as its last segment (https://<host>/addons/<addon-id>).', {
        hint: 'Copy the value of the add-on\'s config var: heroku config:get HEROKU_APPLINK_API_URL -a <app>.',
      });
    }
    const appId = env.HEROKU_APP_ID!.trim();
    if (!/^[A-Za-z0-9-]{1,64}$/.test(appId)) {
      throw new InputError('ERR_APP_ID', 'HEROKU_APP_ID is not a Heroku app id (a UUID such as 01234567-89ab-cdef-0123-456789abcdef).', {
        hint: 'Set it with heroku apps:info --json -a <app> | jq -r .app.id.',
      });
    }
    // An app from the environment does not turn direct mode off (only the -a flag does): say so.
    const warnings =
      options.app !== undefined && options.app !== ''
        ? ['HEROKU_APP (or HEROKU_APP_NAME) is set but not used: HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN and HEROKU_APP_ID select direct mode. Pass -a/--app to go through the Platform API instead.']
        : [];
    return {
      mode: 'direct',
      warnings,
      target: {
        mode: 'direct',
        appId,
        addonId,
        addonName: addonId,
        baseUrl: addonBaseUrl(apiUrl, addonId),
        token: checkToken(env.HEROKU_APPLINK_TOKEN!, 'HEROKU_APPLINK_TOKEN'),
        tokenSource: 'HEROKU_APPLINK_TOKEN',
      },
    };
  }
  if (options.app === undefined || options.app === '') {
    const partial = DIRECT_MODE_VARIABLES.filter(present);
    const missing = DIRECT_MODE_VARIABLES.filter((name) => !present(name));
    throw new InputError(
      'ERR_APP_MISSING',
      partial.length > 0
        ? `No app given, and direct mode needs ${missing.join(' and ')} as well as ${partial.join(' and ')}.`
        : 'No app given: the add-on is found through the app it is attached to.',
      { hint: 'Pass -a/--app <app> (or set HEROKU_APP) with HEROKU_API_KEY, or set HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN and HEROKU_APP_ID for direct mode.' },
    );
  }
  const app = validateAppName(options.app);
  const addon = options.addon === undefined ? undefined : validateAddonName(options.addon);
  const rawKey = env.HEROKU_API_KEY;
  if (rawKey === undefined || rawKey.trim() === '') {
    throw new InputError('ERR_HEROKU_API_KEY_MISSING', 'HEROKU_API_KEY is not set: the Heroku token is read only from this variable (never from a flag).', {
      hint: 'Create a token with heroku authorizations:create --short -d "applink-jwt CI" and export HEROKU_API_KEY=<token> (in CI: a secret variable).',
    });
  }
  return {
    mode: 'platform',
    warnings: [],
    resolve: {
      platformUrl: checkPlatformApiUrl(env.HEROKU_API_URL),
      apiKey: checkToken(rawKey, 'HEROKU_API_KEY'),
      app,
      addon,
      addonService: env.HEROKU_APPLINK_ADDON || undefined,
    },
  };
}

/** Reaches the add-on: nothing to do in direct mode; the Platform API lookup otherwise. */
export async function resolveTarget(plan: TargetPlan, deps: Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now'>): Promise<AppLinkTarget> {
  return plan.mode === 'direct' ? plan.target : resolveAddon(plan.resolve, deps);
}

/**
 * A token as it may go in an `Authorization` header: surrounding whitespace (a trailing newline
 * from `$(cat file)`) is dropped; quotes, inner whitespace and control characters are refused.
 */
export function checkToken(raw: string, variable: string): string {
  const token = raw.trim();
  // eslint-disable-next-line no-control-regex
  if (token !== '' && !/["'`\s\x00-\x1f\x7f]/.test(token) && /^[\x21-\x7e]+$/.test(token)) return token;
  throw new InputError('ERR_TOKEN_FORMAT', `${variable} is not a usable token: it holds quotes, spaces, line breaks or other characters a token never has.`, {
    hint: `Set ${variable} to the bare token value, without quotes or extra lines.`,
  });
}
