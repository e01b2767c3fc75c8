/**
 * Which add-on a command talks to, decided from local input only (no network): platform mode
 * (`-a/--app` + `HEROKU_API_KEY`, resolved through the Platform API like the plugin) or direct mode
 * (`HEROKU_APPLINK_API_URL` + `HEROKU_APPLINK_TOKEN` + `HEROKU_APP_ID` and no `--app`: the AppLink
 * API is called directly, without the Platform API and therefore without `x-addon-sso`).
 */
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';
import { InputProblems } from '../input/problems.js';
import { envSource, flagSource, inputNames, missingMessage, resolveInput, type InputSpec, type Source, type SourceDeps } from '../input/sources.js';
import { appFromGitRemotes } from './git-remote.js';
import { addonBaseUrl, addonIdOfApiUrl, checkAddonApiUrl, checkPlatformApiUrl, DEFAULT_PLATFORM_API_URL, platformApiSource } from './hosts.js';
import { readNetrcToken } from './netrc.js';
import { resolveAddon, validateAddonName, validateAppName, type AppLinkTarget, type ResolveAddonOptions } from './platform-api.js';

/** The add-on selection flags every AppLink command takes, as parsed (no environment fallback yet). */
export interface AddonSelectionOptions {
  /** `-a/--app` (`undefined` when absent; the environment is consulted only then). */
  app?: string;
  /** `--addon`: name or id. */
  addon?: string;
  /** `-r/--remote`: the git remote whose Heroku app to use. */
  remote?: string;
}

export const DIRECT_MODE_VARIABLES = ['HEROKU_APPLINK_API_URL', 'HEROKU_APPLINK_TOKEN', 'HEROKU_APP_ID'] as const;

/** The app of the git remote `-r/--remote` names (an error when it has none). */
function remoteFlagSource(remote: string | undefined): Source {
  const source = flagSource('--remote', remote);
  return {
    ...source,
    read: async (deps) => {
      if (remote === undefined || remote.trim() === '') return undefined;
      const found = await appFromGitRemotes({ remote }, deps);
      return found === undefined ? undefined : { value: found.app, source: `git remote ${found.remote}` };
    },
  };
}

/**
 * The app of the git checkout, as the Heroku CLI infers it: `git config heroku.remote`, a remote
 * named `heroku`, or the only remote pointing at Heroku (several: `ERR_APP_AMBIGUOUS`).
 */
function gitRemotesSource(enabled: boolean): Source {
  return {
    names: ['git remote'],
    absent: 'no git remote points at a Heroku app',
    read: async (deps) => {
      if (!enabled) return undefined;
      const found = await appFromGitRemotes({}, deps);
      return found === undefined ? undefined : { value: found.app, source: `git remote ${found.remote}` };
    },
  };
}

/**
 * The app: `-a/--app`, then the app of `-r/--remote`, then `HEROKU_APP`, `HEROKU_APP_NAME`, then
 * the git remotes (not read with `git: false`: when direct-mode variables are set).
 */
export function appInput(options: Pick<AddonSelectionOptions, 'app' | 'remote'>, { git = true }: { git?: boolean } = {}): InputSpec {
  return {
    what: 'app',
    sources: [flagSource('--app', options.app), remoteFlagSource(options.remote), envSource('HEROKU_APP', 'HEROKU_APP_NAME'), gitRemotesSource(git)],
  };
}

/** `HEROKU_API_KEY`; a value of blanks only counts as unset (then the netrc file is read). */
function herokuApiKeySource(): Source {
  return {
    names: ['HEROKU_API_KEY'],
    absent: 'HEROKU_API_KEY is not set',
    read: (deps) => {
      const value = deps.env.HEROKU_API_KEY;
      return value === undefined || value.trim() === '' ? undefined : { value, source: 'HEROKU_API_KEY' };
    },
  };
}

/** The password of the netrc entry of `host` (the file `heroku login` writes); refuses a file others can read. */
function netrcSource(host: string): Source {
  let absent = `the netrc file has no machine ${host} entry`;
  return {
    names: ['NETRC', '~/.netrc'],
    get absent() {
      return absent;
    },
    read: async (deps) => {
      let lookup = await readNetrcToken(host, deps);
      // heroku login names the entry by host and port (its apiHost); curl and git by the host alone.
      const hostname = host.replace(/:\d+$/, '');
      if (!lookup.found && hostname !== host) {
        const byName = await readNetrcToken(hostname, deps);
        if (byName.found) lookup = byName;
      }
      if (lookup.found) {
        // Redacted from all output from now on, like HEROKU_API_KEY.
        deps.secrets?.add(lookup.token.token);
        return { value: lookup.token.token, source: lookup.token.source };
      }
      absent = lookup.reason;
      return undefined;
    },
  };
}

/**
 * The Heroku token of platform mode: `HEROKU_API_KEY`, then the netrc entry of the Platform API
 * host (`api.heroku.com`) that `heroku login` writes. Never a flag: no secret in argv.
 */
export function herokuTokenInput(platformHost: string = new URL(DEFAULT_PLATFORM_API_URL).host): InputSpec {
  return { what: 'Heroku token', sources: [herokuApiKeySource(), netrcSource(platformHost)] };
}

/** A checked plan: either the finished direct-mode target, or what the Platform API lookup needs. */
export type TargetPlan = ({ mode: 'direct'; target: AppLinkTarget } | { mode: 'platform'; resolve: ResolveAddonOptions }) & {
  /** What the user may not expect about the choice (printed as warnings by the command). */
  warnings: string[];
  /** How a choice was made that was not given (the app from a git remote), printed as notes. */
  notes?: string[];
};

/**
 * Checks everything local about the add-on selection and its secrets and says how to reach the
 * add-on. Throws an {@link InputError} naming the missing or bad variable or flag (all of them at
 * once when there are several).
 */
export async function planTarget(options: AddonSelectionOptions, deps: SourceDeps): Promise<TargetPlan> {
  const env = deps.env;
  const present = (name: string) => env[name] !== undefined && env[name] !== '';
  const direct = DIRECT_MODE_VARIABLES.every(present);
  const problems = new InputProblems();
  if (options.app === undefined && options.remote === undefined && direct) {
    const plan = problems.check(() => planDirect(options, env));
    problems.throwIfAny();
    return plan!;
  }
  // The git remotes are not consulted when direct-mode variables are set: direct mode was meant.
  const appSpec = appInput(options, { git: !DIRECT_MODE_VARIABLES.some(present) });
  const app = await problems.checkAsync(() => resolveInput(appSpec, deps));
  let appName: string | undefined;
  if (app !== undefined) {
    appName = problems.check(() => validateAppName(app.value));
  } else if (problems.count === 0) {
    const partial = DIRECT_MODE_VARIABLES.filter(present);
    const missing = DIRECT_MODE_VARIABLES.filter((name) => !present(name));
    problems.add(
      new InputError(
        'ERR_APP_MISSING',
        partial.length > 0
          ? `No app given, and direct mode needs ${missing.join(' and ')} as well as ${partial.join(' and ')}.`
          : 'No app given: the add-on is found through the app it is attached to.',
        {
          hint: 'Pass -a/--app <app> (or set HEROKU_APP, or run it in a git checkout with a Heroku remote) with HEROKU_API_KEY or heroku login, or set HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN and HEROKU_APP_ID for direct mode.',
          details: { inputs: [...inputNames(appSpec), ...DIRECT_MODE_VARIABLES] },
        },
      ),
    );
  }
  const addon = options.addon === undefined ? undefined : problems.check(() => validateAddonName(options.addon!));
  // Half of the direct-mode variables: direct mode was meant, and the Heroku token is not needed.
  const directMeant = app === undefined && DIRECT_MODE_VARIABLES.some(present);
  // HEROKU_API_URL, else HEROKU_HOST (as the Heroku CLI reads it), else https://api.heroku.com.
  const { raw, source } = platformApiSource(env);
  const platformUrl = problems.check(() => checkPlatformApiUrl(raw, source));
  const tokenSpec = herokuTokenInput(platformUrl?.host);
  const token = directMeant ? undefined : await problems.checkAsync(() => resolveInput(tokenSpec, deps));
  let apiKey: string | undefined;
  if (directMeant) {
    // reported above as ERR_APP_MISSING, naming the missing direct-mode variables
  } else if (token === undefined) {
    if (!problems.has('ERR_NETRC_PERMISSIONS', 'ERR_NETRC_READ')) {
      problems.add(
        new InputError('ERR_HEROKU_API_KEY_MISSING', missingMessage(tokenSpec), {
          hint: 'Run heroku login (it writes ~/.netrc), or create a long-lived token with heroku authorizations:create --short -d "applink-jwt CI" and export HEROKU_API_KEY=<token> (in CI: a secret variable).',
          details: { inputs: inputNames(tokenSpec) },
        }),
      );
    }
  } else {
    apiKey = problems.check(() => checkToken(token.value, token.source));
  }
  problems.throwIfAny();
  const notes = app !== undefined && app.source.startsWith('git remote ') && options.remote === undefined ? [`Using app ${appName} from ${app.source} (pass -a/--app to choose another).`] : [];
  return {
    mode: 'platform',
    warnings: [],
    notes,
    resolve: {
      platformUrl: platformUrl!,
      apiKey: apiKey!,
      apiKeySource: token!.source,
      app: appName!,
      addon,
      addonService: env.HEROKU_APPLINK_ADDON || undefined,
    },
  };
}

/** Direct mode: the add-on from `HEROKU_APPLINK_API_URL`, its token and the app id; every problem at once. */
function planDirect(options: AddonSelectionOptions, env: SourceDeps['env']): TargetPlan {
  const problems = new InputProblems();
  if (options.addon !== undefined) {
    problems.add(
      new InputError('ERR_ADDON_DIRECT_MODE', '--addon applies only with -a/--app; in direct mode the add-on is the one HEROKU_APPLINK_API_URL points at.', {
        hint: 'Drop --addon, or pass -a/--app (with HEROKU_API_KEY) to pick an add-on through the Platform API.',
      }),
    );
  }
  const apiUrl = problems.check(() => checkAddonApiUrl(env.HEROKU_APPLINK_API_URL!, 'HEROKU_APPLINK_API_URL'));
  const addonId = apiUrl === undefined ? undefined : addonIdOfApiUrl(apiUrl);
  if (apiUrl !== undefined && addonId === undefined) {
    problems.add(
      new InputError('ERR_URL', 'HEROKU_APPLINK_API_URL has no path: the add-on id is expected as its last segment (https://<host>/addons/<addon-id>).', {
        hint: "Copy the value of the add-on's config var: heroku config:get HEROKU_APPLINK_API_URL -a <app>.",
      }),
    );
  }
  const appId = env.HEROKU_APP_ID!.trim();
  if (!/^[A-Za-z0-9-]{1,64}$/.test(appId)) {
    problems.add(
      new InputError('ERR_APP_ID', 'HEROKU_APP_ID is not a Heroku app id (a UUID such as 01234567-89ab-cdef-0123-456789abcdef).', {
        hint: 'Set it with heroku apps:info --json -a <app> | jq -r .app.id.',
      }),
    );
  }
  const token = problems.check(() => checkToken(env.HEROKU_APPLINK_TOKEN!, 'HEROKU_APPLINK_TOKEN'));
  problems.throwIfAny();
  // An app from the environment does not turn direct mode off (only the -a flag does): say so.
  const fromEnv = ['HEROKU_APP', 'HEROKU_APP_NAME'].some((name) => env[name] !== undefined && env[name] !== '');
  const warnings = fromEnv
    ? ['HEROKU_APP (or HEROKU_APP_NAME) is set but not used: HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN and HEROKU_APP_ID select direct mode. Pass -a/--app to go through the Platform API instead.']
    : [];
  return {
    mode: 'direct',
    warnings,
    target: {
      mode: 'direct',
      appId,
      addonId: addonId!,
      addonName: addonId!,
      baseUrl: addonBaseUrl(apiUrl!, addonId!),
      token: token!,
      tokenSource: 'HEROKU_APPLINK_TOKEN',
    },
  };
}

/** Reaches the add-on: nothing to do in direct mode; the Platform API lookup otherwise. */
export async function resolveTarget(plan: TargetPlan, deps: Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets'>): Promise<AppLinkTarget> {
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

/** Where a command acted, as the `--json` results say it (camelCase). */
export interface TargetJson {
  mode: 'platform' | 'direct';
  /** The app (platform mode). */
  app?: string;
  /** The add-on's name (platform mode) or id (direct mode). */
  addon: string;
}

/** The {@link TargetJson} of a target. */
export function targetJson(target: AppLinkTarget): TargetJson {
  return { mode: target.mode, ...(target.appName ? { app: target.appName } : {}), addon: target.addonName };
}
