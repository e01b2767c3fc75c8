/**
 * The preflight: sign an assertion and run the JWT bearer exchange (and, for Data Cloud, the token
 * exchange) against Salesforce itself, so a wrong certificate, a user who is not pre-authorized or
 * a sandbox login URL is found, with its fix, before anything is sent to Heroku. `verify` is this
 * alone; `authorize` runs it first. All local input is checked before any network call.
 */
import type { KeyObject } from 'node:crypto';
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';
import { InputProblems } from '../input/problems.js';
import { HIDDEN_SECRET, looksLikeSecret } from '../shown-input.js';
import { signAssertion } from './assertion.js';
import { audienceFor, parseLoginUrl } from './login-url.js';
import { exchangeAssertion, exchangeDataCloudToken } from './token.js';

export interface PreflightOptions {
  /** Consumer key (after the `SF_CLIENT_ID` fallback); empty or undefined is an error. */
  clientId: string | undefined;
  /** Salesforce username (after the `SF_USERNAME` fallback). */
  username: string | undefined;
  loginUrl: string;
  /** Where the login URL came from, for messages (default `--login-url`). */
  loginUrlFlag?: string;
  /** `--audience` / `SF_AUDIENCE_URL`; default: the login URL's origin. */
  audience?: string;
  allowLoginHosts: string[];
  type: 'salesforce' | 'datacloud';
  dataspace?: string;
  /** Timeout of each request. */
  timeoutMs: number;
}

/** What the preflight found. Never holds a token or the assertion. */
export interface PreflightResult {
  orgId: string;
  userId: string;
  username: string;
  instanceUrl: string;
  /** The login URL used (its origin). */
  loginUrl: string;
  audience: string;
  scopes: string[];
  dataCloud?: { tenantUrl: string };
  warnings: string[];
}

export type PreflightDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets'> & Partial<Pick<Deps, 'progress'>>;

/** Checked local input of the preflight. */
export interface PreflightInput {
  clientId: string;
  username: string;
  loginUrl: URL;
  audience: string;
  dataspace?: string;
  warnings: string[];
}

const MAX_CLIENT_ID_LENGTH = 255;
/** Salesforce usernames are at most 80 characters and have the form of an email address. */
const MAX_USERNAME_LENGTH = 80;

/** Why a value from a flag or an environment variable is malformed, or `undefined`. */
function shapeProblem(value: string): string | undefined {
  if (/^\s|\s$/.test(value)) return 'has leading or trailing whitespace (a newline from a copied secret?)';
  if (/\s/.test(value)) return 'contains whitespace';
  if (/^["'].*["']$/.test(value)) return 'is wrapped in quotes';
  if (/["'`]/.test(value)) return 'contains a quote';
  return undefined;
}

/** Checks the client id: present, no whitespace or quotes, the characters a consumer key has. */
export function checkClientId(clientId: string | undefined): string {
  if (clientId === undefined || clientId === '') {
    throw new InputError('ERR_CLIENT_ID_MISSING', 'No client id: --client-id is not given and SF_CLIENT_ID is not set.', {
      hint: "Pass --client-id <consumer key> or set SF_CLIENT_ID to the Consumer Key of the external client app (its OAuth settings in Setup).",
    });
  }
  const problem =
    shapeProblem(clientId) ??
    (clientId.length > MAX_CLIENT_ID_LENGTH ? `is ${clientId.length} characters long (a consumer key has fewer than ${MAX_CLIENT_ID_LENGTH})` : undefined) ??
    (/^[\x21-\x7e]+$/.test(clientId) ? undefined : 'contains characters a consumer key never has');
  if (problem !== undefined) {
    throw new InputError('ERR_CLIENT_ID_INVALID', `The client id (--client-id or SF_CLIENT_ID) ${problem}.`, {
      hint: "Copy the Consumer Key (not the Consumer Secret) from the external client app's OAuth settings, without quotes or surrounding spaces.",
    });
  }
  return clientId;
}

/** Checks the username: present, no whitespace or quotes, the form of an email address. */
export function checkUsername(username: string | undefined): string {
  if (username === undefined || username === '') {
    throw new InputError('ERR_USERNAME_MISSING', 'No username: --username is not given and SF_USERNAME is not set.', {
      hint: 'Pass --username <user@example.com> or set SF_USERNAME to the Salesforce username the app is pre-authorized for.',
    });
  }
  const shown = looksLikeSecret(username) ? HIDDEN_SECRET : JSON.stringify(username.length > MAX_USERNAME_LENGTH + 20 ? `${username.slice(0, MAX_USERNAME_LENGTH)}…` : username);
  const problem =
    shapeProblem(username) ??
    (username.length > MAX_USERNAME_LENGTH ? `is ${username.length} characters long (Salesforce usernames have at most ${MAX_USERNAME_LENGTH})` : undefined) ??
    (/^[^@\s]+@[^@\s]+\.[^@\s.]+$/.test(username) ? undefined : 'is not in the form of an email address (name@example.com), as Salesforce usernames are');
  if (problem !== undefined) {
    throw new InputError('ERR_USERNAME_INVALID', `The username (--username or SF_USERNAME) ${shown} ${problem}.`, {
      hint: 'Use the exact Salesforce username of the integration user, such as ci@example.com (a sandbox username ends in .<sandbox name>).',
    });
  }
  return username;
}

/** Checks a Data Cloud data space name: a letter, then letters, digits and underscores. */
export function checkDataspace(dataspace: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,79}$/.test(dataspace)) {
    throw new InputError('ERR_DATASPACE_INVALID', `--dataspace ${looksLikeSecret(dataspace) ? HIDDEN_SECRET : JSON.stringify(dataspace.slice(0, 100))} is not a data space name (a letter, then up to 79 letters, digits and underscores).`, {
      hint: 'Use the API name of the data space as Data Cloud shows it, such as default; or leave --dataspace out for the default data space.',
    });
  }
  return dataspace;
}

/**
 * Checks all local input of the preflight without any network call: client id, username, login
 * URL (host allow-list, https), audience and data space.
 *
 * @throws InputError `ERR_CLIENT_ID_MISSING`, `ERR_CLIENT_ID_INVALID`, `ERR_USERNAME_MISSING`,
 *   `ERR_USERNAME_INVALID`, `ERR_LOGIN_URL_*`, `ERR_AUDIENCE_INVALID`, `ERR_DATASPACE_INVALID`.
 */
export function checkPreflightInput(options: PreflightOptions): PreflightInput {
  const problems = new InputProblems();
  const clientId = problems.check(() => checkClientId(options.clientId));
  const username = problems.check(() => checkUsername(options.username));
  const parsed = problems.check(() => parseLoginUrl(options.loginUrl, { allowLoginHosts: options.allowLoginHosts, flag: options.loginUrlFlag ?? '--login-url' }));
  const audience = parsed === undefined ? undefined : problems.check(() => audienceFor(parsed.url, options.audience));
  const warnings = parsed?.warnings ?? [];
  let dataspace: string | undefined;
  if (options.dataspace !== undefined && options.dataspace !== '') {
    if (options.type === 'datacloud') dataspace = problems.check(() => checkDataspace(options.dataspace!));
    else warnings.push('--dataspace is ignored without --type datacloud.');
  }
  problems.throwIfAny();
  return { clientId: clientId!, username: username!, loginUrl: parsed!.url, audience: audience!, ...(dataspace === undefined ? {} : { dataspace }), warnings };
}

/**
 * Signs an assertion with `privateKey` and exchanges it at the login URL; for `type: 'datacloud'`
 * also exchanges the access token for a Data Cloud token. Returns what Salesforce said about the
 * org and user, never a token.
 *
 * @throws InputError for bad local input (before any request), SalesforceError from the catalogue
 *   when Salesforce refuses, NetworkError / TimeoutError when it cannot be reached.
 */
export async function runPreflight(privateKey: KeyObject, options: PreflightOptions, deps: PreflightDeps): Promise<PreflightResult> {
  const input = checkPreflightInput(options);
  const progress = deps.progress;
  let assertion: string;
  try {
    assertion = await signAssertion(privateKey, { clientId: input.clientId, username: input.username, audience: input.audience }, deps.now());
  } catch (error) {
    throw new InputError('ERR_ASSERTION_SIGN', `The private key cannot sign an RS256 assertion: ${error instanceof Error ? error.message : String(error)}.`, {
      hint: "Salesforce's JWT bearer flow needs an RSA key of 2048 bits or more; generate one with: applink-jwt keys generate",
      cause: error,
    });
  }
  progress?.start(`Exchanging the assertion at ${input.loginUrl.origin}`);
  let token;
  try {
    token = await exchangeAssertion(
      { loginUrl: input.loginUrl, assertion, timeoutMs: options.timeoutMs, allowLoginHosts: options.allowLoginHosts, username: input.username, audience: input.audience },
      deps,
    );
    progress?.stop('accepted');
  } catch (error) {
    progress?.stop('refused');
    throw error;
  }
  const warnings = [...input.warnings];
  if (!token.scopes.includes('api') && !token.scopes.includes('full')) {
    warnings.push(
      `The granted scopes (${token.scopes.join(' ') || 'none'}) do not include api; ${options.type === 'datacloud' ? 'AppLink and the Data Cloud exchange need' : 'AppLink needs'} it. Add the "Manage user data via APIs (api)" scope to the external client app.`,
    );
  }
  let dataCloud: PreflightResult['dataCloud'];
  if (options.type === 'datacloud') {
    progress?.start(`Exchanging the access token for a Data Cloud token at ${token.instanceUrl}`);
    try {
      const dc = await exchangeDataCloudToken(
        { instanceUrl: token.instanceUrl, accessToken: token.accessToken, timeoutMs: options.timeoutMs, allowHosts: options.allowLoginHosts, ...(input.dataspace ? { dataspace: input.dataspace } : {}) },
        deps,
      );
      dataCloud = { tenantUrl: dc.tenantUrl };
      progress?.stop('accepted');
    } catch (error) {
      progress?.stop('refused');
      throw error;
    }
  }
  return {
    orgId: token.orgId,
    userId: token.userId,
    username: input.username,
    instanceUrl: token.instanceUrl,
    loginUrl: input.loginUrl.origin,
    audience: input.audience,
    scopes: token.scopes,
    ...(dataCloud ? { dataCloud } : {}),
    warnings,
  };
}
