/**
 * The Salesforce login inputs as the command line gives them (flags, `undefined` when absent) and
 * their resolution from flags, environment variables and defaults into the preflight's options.
 * Every missing or malformed login input is reported at once (see cli/input/problems.ts).
 */
import { InputProblems } from '../input/problems.js';
import { defaultSource, envSource, flagSource, requireInput, resolveInput, type InputSpec, type SourceDeps } from '../input/sources.js';
import { checkPreflightInput, type PreflightInput, type PreflightOptions } from './preflight.js';

export const DEFAULT_LOGIN_URL = 'https://login.salesforce.com';

/** The login flags of `verify` and `authorize`, as parsed (no environment fallback applied yet). */
export interface LoginOptions {
  /** `--client-id`. */
  clientId?: string;
  /** `--username`. */
  username?: string;
  /** `--login-url` (`-l`). */
  loginUrl?: string;
  /** `--login`, the plugin's alias of `--login-url`. */
  login?: string;
  /** `--instance-url`, the sf CLI's name for it. */
  instanceUrl?: string;
  /** `--audience`. */
  audience?: string;
  /** `--allow-login-host`, repeatable. */
  allowLoginHosts: string[];
  type: 'salesforce' | 'datacloud';
  /** `--dataspace`. */
  dataspace?: string;
}

/** The consumer key: `--client-id`, then `SF_CLIENT_ID`. */
export function clientIdInput(options: Pick<LoginOptions, 'clientId'>): InputSpec {
  return { what: 'client id', sources: [flagSource('--client-id', options.clientId), envSource('SF_CLIENT_ID')] };
}

/** The username: `--username`, then `SF_USERNAME`. */
export function usernameInput(options: Pick<LoginOptions, 'username'>): InputSpec {
  return { what: 'username', sources: [flagSource('--username', options.username), envSource('SF_USERNAME')] };
}

/**
 * The login URL: `--login-url` or its aliases `--login` (the plugin's) and `--instance-url` (the sf
 * CLI's), else `SF_LOGIN_URL` (which the sandbox exports), else https://login.salesforce.com.
 */
export function loginUrlInput(options: Pick<LoginOptions, 'loginUrl' | 'login' | 'instanceUrl'>): InputSpec {
  return {
    what: 'login URL',
    sources: [
      flagSource('--login', options.login),
      flagSource('--login-url', options.loginUrl),
      flagSource('--instance-url', options.instanceUrl),
      envSource('SF_LOGIN_URL'),
      defaultSource(DEFAULT_LOGIN_URL),
    ],
  };
}

/** The audience override: `--audience`, then `SF_AUDIENCE_URL` (default: the login URL's origin). */
export function audienceInput(options: Pick<LoginOptions, 'audience'>): InputSpec {
  return { what: 'audience', sources: [flagSource('--audience', options.audience), envSource('SF_AUDIENCE_URL')] };
}

/** The login inputs resolved and checked. */
export interface ResolvedLogin {
  /** The preflight's options (without its timeout). */
  options: Omit<PreflightOptions, 'timeoutMs'>;
  /** The checked values. */
  input: PreflightInput;
  /** Whether the login URL was given (not the default): only then is `login_url` sent to AppLink. */
  loginUrlGiven: boolean;
}

/**
 * Resolves the client id, username, login URL and audience from their sources and checks them all,
 * reporting every problem at once.
 */
export async function resolveLogin(options: LoginOptions, deps: SourceDeps): Promise<ResolvedLogin> {
  const problems = new InputProblems();
  const clientId = await problems.checkAsync(() =>
    requireInput(clientIdInput(options), deps, {
      code: 'ERR_CLIENT_ID_MISSING',
      hint: 'Pass --client-id <consumer key> or set SF_CLIENT_ID to the Consumer Key of the external client app (its OAuth settings in Setup).',
    }),
  );
  const username = await problems.checkAsync(() =>
    requireInput(usernameInput(options), deps, {
      code: 'ERR_USERNAME_MISSING',
      hint: 'Pass --username <user@example.com> or set SF_USERNAME to the Salesforce username the app is pre-authorized for.',
    }),
  );
  const loginUrl = await problems.checkAsync(() => resolveInput(loginUrlInput(options), deps));
  const audience = await problems.checkAsync(() => resolveInput(audienceInput(options), deps));
  const resolved: Omit<PreflightOptions, 'timeoutMs'> = {
    clientId: clientId?.value,
    username: username?.value,
    loginUrl: loginUrl?.value ?? DEFAULT_LOGIN_URL,
    ...(loginUrl !== undefined && loginUrl.source !== 'default' ? { loginUrlFlag: loginUrl.source } : {}),
    ...(audience === undefined ? {} : { audience: audience.value }),
    allowLoginHosts: options.allowLoginHosts,
    type: options.type,
    ...(options.dataspace === undefined ? {} : { dataspace: options.dataspace }),
  };
  // Shapes of what was found (a missing value found again here is the same problem, reported once).
  const input = problems.check(() => checkPreflightInput({ ...resolved, timeoutMs: 0 }));
  problems.throwIfAny();
  return { options: resolved, input: input!, loginUrlGiven: loginUrl?.source !== 'default' };
}
