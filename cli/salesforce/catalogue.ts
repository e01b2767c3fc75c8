/**
 * The catalogue of every way Salesforce can refuse the JWT bearer exchange or the Data Cloud token
 * exchange, each with a stable code, what it means and the setting to change. The error strings are
 * the ones Salesforce really sends (see the reference on the JWT bearer flow); README's
 * troubleshooting table is generated from {@link SALESFORCE_ERRORS}.
 */
import { ExitCode } from '../errors.js';

export type SalesforceEndpoint = 'token' | 'datacloud';

export interface SalesforceErrorEntry {
  /** Stable error code (`ERR_SF_...`). */
  code: string;
  /** Which exchange answers with it. */
  endpoint: SalesforceEndpoint;
  /** The OAuth `error` value, when the entry matches one (`undefined` for non-OAuth answers). */
  error?: string;
  /** The `error_description` values (lower case) it matches; empty: any description of `error`. */
  descriptions: string[];
  /** Short name of the problem. */
  title: string;
  /** What it means, in one sentence. */
  cause: string;
  /** What to change, naming the Salesforce setting. */
  hint: string;
  /** Exit code: 4 (Salesforce refused) unless Salesforce could not answer (8). */
  exitCode: number;
}

const PROPAGATION = 'Changes to the app can take up to 10 minutes to reach the login servers.';

const entry = (e: Omit<SalesforceErrorEntry, 'exitCode' | 'descriptions'> & { descriptions?: string[]; exitCode?: number }): SalesforceErrorEntry => ({
  descriptions: [],
  exitCode: ExitCode.salesforce,
  ...e,
});

/** Every Salesforce error the CLI recognises, most specific first (the lookup takes the first match). */
export const SALESFORCE_ERRORS: readonly SalesforceErrorEntry[] = [
  entry({
    code: 'ERR_SF_CLIENT_ID_INVALID',
    endpoint: 'token',
    error: 'invalid_client_id',
    descriptions: ['client identifier invalid'],
    title: 'Unknown consumer key',
    cause: 'No external client app (or connected app) in this org has the client id given as the assertion issuer.',
    hint: `Copy the Consumer Key from the external client app's OAuth settings into --client-id (or SF_CLIENT_ID), and use the login URL of the org that owns the app. ${PROPAGATION}`,
  }),
  entry({
    code: 'ERR_SF_CLIENT_ID_INVALID',
    endpoint: 'token',
    error: 'invalid_client',
    title: 'Unknown consumer key',
    cause: 'No external client app (or connected app) in this org has the client id given as the assertion issuer.',
    hint: `Copy the Consumer Key from the external client app's OAuth settings into --client-id (or SF_CLIENT_ID), and use the login URL of the org that owns the app. ${PROPAGATION}`,
  }),
  entry({
    code: 'ERR_SF_INVALID_ASSERTION',
    endpoint: 'token',
    error: 'invalid_grant',
    descriptions: ['invalid assertion'],
    title: 'Assertion signature not accepted',
    cause: "The assertion's signature does not verify with the certificate uploaded to the app: the key and the certificate are not a pair, or no certificate is uploaded.",
    hint: `Upload the certificate that matches this key under the app's "Use digital signatures" setting (check the pair with: applink-jwt keys check --jwt-key-file <key> --cert-file <crt>). ${PROPAGATION}`,
  }),
  entry({
    code: 'ERR_SF_AUDIENCE_INVALID',
    endpoint: 'token',
    error: 'invalid_grant',
    descriptions: ['audience is invalid', 'invalid audience', 'audience validation failed'],
    title: 'Audience not accepted',
    cause: "The assertion's audience (aud) is not one this org accepts: a sandbox needs https://test.salesforce.com or its My Domain URL, a production org https://login.salesforce.com or its My Domain URL.",
    hint: 'For a sandbox use --login-url https://test.salesforce.com or the My Domain URL (https://<domain>--<sandbox>.sandbox.my.salesforce.com); set --audience (or SF_AUDIENCE_URL) only when the org needs an audience other than the login URL.',
  }),
  entry({
    code: 'ERR_SF_ASSERTION_EXPIRED',
    endpoint: 'token',
    error: 'invalid_grant',
    descriptions: ['expired authorization code'],
    title: 'Assertion expired',
    cause: "The assertion's expiry (exp) was already in the past when Salesforce read it: this machine's clock is behind.",
    hint: 'Synchronise the clock of this machine (NTP), then run the command again.',
  }),
  entry({
    code: 'ERR_SF_USER_NOT_APPROVED',
    endpoint: 'token',
    error: 'invalid_grant',
    descriptions: ["user hasn't approved this consumer"],
    title: 'User not pre-authorized for the app',
    cause: 'The user is not pre-authorized for the external client app, or the username does not exist at this login URL (a sandbox username sent to the production login URL, for example).',
    hint: `In the external client app's policies, set Permitted Users to "Admin approved users are pre-authorized" and add the user's profile or permission set; check the username (sandbox usernames end in .<sandbox>) and the login URL; the app's OAuth scopes should include api and refresh_token. ${PROPAGATION}`,
  }),
  entry({
    code: 'ERR_SF_APP_ACCESS',
    endpoint: 'token',
    error: 'invalid_app_access',
    title: 'User not admin-approved for the app',
    cause: 'The external client app only admits admin-approved users, and this user is not one.',
    hint: `In the external client app's policies, add the user's profile or permission set to the app. ${PROPAGATION}`,
  }),
  entry({
    code: 'ERR_SF_IP_RESTRICTED',
    endpoint: 'token',
    error: 'invalid_grant',
    // The string other OAuth flows show; for the JWT flow it is not confirmed (see the reference).
    descriptions: ['ip restricted'],
    title: 'Login refused from this network (Login IP Ranges)',
    cause:
      "The user's profile allows logins only from its Login IP Ranges (or at its login hours), which the JWT bearer flow always enforces, and this machine is outside them. " +
      'The preflight logs in from here; AppLink logs in from Heroku, not from this runner, so the authorization itself depends on whether Heroku\'s addresses are allowed.',
    hint:
      'Skip the login from this runner with authorize --no-preflight (the authorization still fails if Heroku is refused too); in the orb, give the job circleci_ip_ranges: true ' +
      "and add CircleCI's published IP ranges to the profile's Login IP Ranges, or run it with preflight: false. Or widen the profile's Login IP Ranges in Setup.",
  }),
  entry({
    code: 'ERR_SF_USER_INACTIVE',
    endpoint: 'token',
    error: 'invalid_grant',
    descriptions: ['inactive user'],
    title: 'User inactive',
    cause: 'The user is deactivated or frozen.',
    hint: 'Activate (or unfreeze) the user in Setup > Users, or use an active integration user in --username.',
  }),
  entry({
    code: 'ERR_SF_USER_INVALID',
    endpoint: 'token',
    error: 'invalid_grant',
    descriptions: ['invalid user'],
    title: 'Unknown user',
    cause: 'No user with this username exists in the org behind the login URL.',
    hint: 'Check --username (or SF_USERNAME): sandbox usernames end in .<sandbox>; and check that --login-url points at the org of that user.',
  }),
  entry({
    code: 'ERR_SF_RATE_LIMITED',
    endpoint: 'token',
    error: 'invalid_grant',
    descriptions: ['rate limit exceeded'],
    title: 'Login rate limit exceeded',
    cause: 'Salesforce limits how often one user may log in; this user logged in too often in the last hour.',
    hint: 'Wait a while before running again, and avoid one login per job step (run verify once per pipeline).',
  }),
  entry({
    code: 'ERR_SF_APP_NOT_FOUND',
    endpoint: 'token',
    error: 'app_not_found',
    title: 'External client app not installed in this org',
    cause: 'The external client app is not installed or visible in the org the login URL and audience point at.',
    hint: `Use the My Domain URL of the org that has the app (https://<domain>.my.salesforce.com) for --login-url, not login or test.salesforce.com; check that the app is installed and enabled. ${PROPAGATION}`,
  }),
  entry({
    code: 'ERR_SF_UNSUPPORTED_GRANT_TYPE',
    endpoint: 'token',
    error: 'unsupported_grant_type',
    title: 'Grant type not supported',
    cause: 'Salesforce did not see a form-encoded JWT bearer request: a proxy or custom domain changed the request, or the JWT bearer flow is off.',
    hint: 'Call the login URL directly (no proxy that rewrites bodies), and enable "JWT Bearer Flow" in the external client app\'s OAuth settings.',
  }),
  entry({
    code: 'ERR_SF_INVALID_REQUEST',
    endpoint: 'token',
    error: 'invalid_request',
    title: 'Request refused as malformed',
    cause: 'Salesforce found the request malformed (a missing or repeated parameter).',
    hint: 'Check that nothing between this machine and Salesforce rewrites requests; if it persists, report it with the error description.',
  }),
  entry({
    code: 'ERR_SF_INVALID_GRANT',
    endpoint: 'token',
    error: 'invalid_grant',
    title: 'Assertion refused',
    cause: 'Salesforce refused the assertion for a reason this tool does not know.',
    hint: `Check the app's certificate, the pre-authorized profiles or permission sets, the username and the login URL; the description above is Salesforce's own. ${PROPAGATION}`,
  }),
  entry({
    code: 'ERR_SF_REFUSED',
    endpoint: 'token',
    title: 'Login refused',
    cause: 'Salesforce answered with an error this tool does not know.',
    hint: 'Read the error and description above; check the app, the user and the login URL in Setup.',
  }),
  entry({
    code: 'ERR_SF_REDIRECT',
    endpoint: 'token',
    title: 'Redirected instead of answered',
    cause: 'The login URL answered with a redirect; this tool sends the assertion only to the URL given, so it did not follow it.',
    hint: 'Use the login URL the redirect points to (usually the My Domain URL, https://<domain>.my.salesforce.com) in --login-url.',
  }),
  entry({
    code: 'ERR_SF_NOT_FOUND',
    endpoint: 'token',
    title: 'No token endpoint at the login URL',
    cause: 'The login URL has no /services/oauth2/token endpoint: it is not a Salesforce login host.',
    hint: 'Use https://login.salesforce.com, https://test.salesforce.com or your My Domain URL (https://<domain>.my.salesforce.com) in --login-url.',
  }),
  entry({
    code: 'ERR_SF_HTML_RESPONSE',
    endpoint: 'token',
    title: 'HTML page instead of a token',
    cause: 'The login URL answered with an HTML page (a login page, a proxy or a maintenance page), not Salesforce\'s JSON.',
    hint: 'Check --login-url: it must be the login host itself (https://login.salesforce.com, https://test.salesforce.com or https://<domain>.my.salesforce.com), reachable without a proxy login page.',
  }),
  entry({
    code: 'ERR_SF_NOT_JSON',
    endpoint: 'token',
    title: 'Unreadable answer',
    cause: "The answer was neither JSON nor an HTML page, so it is not Salesforce's token endpoint speaking.",
    hint: 'Check --login-url and any proxy between this machine and Salesforce.',
  }),
  entry({
    code: 'ERR_SF_UNEXPECTED_RESPONSE',
    endpoint: 'token',
    title: 'Token answer incomplete',
    cause: 'Salesforce answered 200 without the access_token, instance_url or identity URL (id) a JWT bearer token response has.',
    hint: 'Check that --login-url is a Salesforce login host and that no proxy rewrites the answer.',
  }),
  entry({
    code: 'ERR_SF_INSTANCE_URL_HOST',
    endpoint: 'token',
    title: 'Instance URL outside Salesforce',
    cause: 'The instance_url in the token answer is not an https Salesforce host, so the access token will not be sent there.',
    hint: 'Check --login-url; if your org really is served from a custom domain, allow it with --allow-login-host <host>.',
  }),
  entry({
    code: 'ERR_SF_UNAVAILABLE',
    endpoint: 'token',
    title: 'Salesforce unavailable',
    cause: 'Salesforce kept answering with a server error (5xx) or "too many requests" (429) after the retries.',
    hint: 'Check https://status.salesforce.com and run the command again later.',
    exitCode: ExitCode.network,
  }),
  entry({
    code: 'ERR_SF_DATACLOUD_REFUSED',
    endpoint: 'datacloud',
    title: 'Data Cloud token exchange refused',
    cause: 'The org refused to exchange the core access token for a Data Cloud token.',
    hint: "Check that Data Cloud is provisioned in the org, that the app's OAuth scopes include api, cdp_query_api (and the other cdp_* scopes you need) and refresh_token, and that --dataspace names an existing data space.",
  }),
  entry({
    code: 'ERR_SF_DATACLOUD_HTML_RESPONSE',
    endpoint: 'datacloud',
    title: 'HTML page instead of a Data Cloud token',
    cause: 'The Data Cloud exchange answered with an HTML (login) page: the org did not accept the core session for Data Cloud.',
    hint: "Check that Data Cloud is provisioned in the org and that the app's OAuth scopes include api and cdp_query_api (and the other cdp_* scopes you need).",
  }),
  entry({
    code: 'ERR_SF_DATACLOUD_NOT_JSON',
    endpoint: 'datacloud',
    title: 'Unreadable Data Cloud answer',
    cause: 'The Data Cloud exchange answered with something other than JSON.',
    hint: 'Check that Data Cloud is provisioned in the org and that no proxy sits between this machine and Salesforce.',
  }),
  entry({
    code: 'ERR_SF_DATACLOUD_UNEXPECTED_RESPONSE',
    endpoint: 'datacloud',
    title: 'Data Cloud answer incomplete',
    cause: 'The Data Cloud exchange answered 200 without access_token or instance_url.',
    hint: 'Check that Data Cloud is provisioned in the org and that no proxy rewrites the answer.',
  }),
  entry({
    code: 'ERR_SF_DATACLOUD_UNAVAILABLE',
    endpoint: 'datacloud',
    title: 'Data Cloud unavailable',
    cause: 'The Data Cloud exchange kept answering with a server error (5xx) or 429 after the retries.',
    hint: 'Check https://status.salesforce.com and run the command again later.',
    exitCode: ExitCode.network,
  }),
];

/** The entry with this code (the first one, when several OAuth errors share a code). */
export function catalogueEntry(code: string): SalesforceErrorEntry {
  const found = SALESFORCE_ERRORS.find((e) => e.code === code);
  if (!found) throw new Error(`catalogueEntry: unknown code ${code}`);
  return found;
}

/**
 * The catalogue entry for an OAuth error answer `{error, error_description}` of the token endpoint.
 * Descriptions match case-insensitively (Salesforce's capitalisation varies); an unknown
 * `invalid_grant` description gets `ERR_SF_INVALID_GRANT`, any other unknown error `ERR_SF_REFUSED`.
 */
export function lookupSalesforceError(error: string, description: string = ''): SalesforceErrorEntry {
  const wanted = description.trim().toLowerCase();
  const oauth = SALESFORCE_ERRORS.filter((e) => e.endpoint === 'token' && e.error === error);
  const exact = oauth.find((e) => e.descriptions.includes(wanted));
  if (exact) return exact;
  const any = oauth.find((e) => e.descriptions.length === 0);
  return any ?? catalogueEntry('ERR_SF_REFUSED');
}
