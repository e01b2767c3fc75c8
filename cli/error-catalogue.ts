/**
 * The catalogue of errors that are neither a Salesforce refusal (`salesforce/catalogue.ts`), a key
 * or certificate problem (`keys/errors.ts`) nor an AppLink/Heroku error (`applink/catalogue.ts`):
 * the local checks of the Salesforce settings given on the command line, the network layer,
 * signals, the sandbox and internal errors. Plain data: docs/troubleshooting.md is generated from
 * it, and test/docs/error-catalogue.test.ts checks that every code the CLI raises is in exactly one
 * catalogue, with the exit code of the error class it is raised with.
 */
import { ExitCode } from './errors.js';

/** One documented error: what it means and how to fix it, in general terms. */
export interface CatalogueEntry {
  /** Stable error code (`ERR_...`). */
  code: string;
  /** Exit code the CLI ends with when it reports this error. */
  exitCode: number;
  /** Commands that can report it (for the troubleshooting table). */
  commands: readonly string[];
  /** Short name of the problem. */
  title: string;
  /** What it means, in one sentence. */
  cause: string;
  /** What to do. The CLI's own `Fix:` line says the same with the names of this run filled in. */
  fix: string;
}

const SF_COMMANDS = ['verify', 'authorize'] as const;
const NETWORK_COMMANDS = ['verify', 'authorize', 'list', 'info', 'remove'] as const;

/** Local checks of the Salesforce login settings: nothing is sent when one fails (exit 3). */
export const SALESFORCE_INPUT_ERRORS: readonly CatalogueEntry[] = [
  {
    code: 'ERR_CLIENT_ID_MISSING',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'No client id',
    cause: '--client-id is not given and SF_CLIENT_ID is not set.',
    fix: "Pass --client-id <consumer key> or set SF_CLIENT_ID to the Consumer Key of the external client app (its OAuth settings in Setup).",
  },
  {
    code: 'ERR_CLIENT_ID_INVALID',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Client id malformed',
    cause: 'The client id holds quotes, spaces or characters a consumer key never has, or is too long.',
    fix: "Copy the Consumer Key (not the Consumer Secret) from the external client app's OAuth settings, without quotes or surrounding spaces.",
  },
  {
    code: 'ERR_USERNAME_MISSING',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'No username',
    cause: '--username is not given and SF_USERNAME is not set.',
    fix: 'Pass --username <user@example.com> or set SF_USERNAME to the Salesforce username the app is pre-authorized for.',
  },
  {
    code: 'ERR_USERNAME_INVALID',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Username malformed',
    cause: 'The username is not in the form of an email address, or holds quotes or spaces.',
    fix: 'Use the exact Salesforce username of the integration user, such as ci@example.com (a sandbox username ends in .<sandbox name>).',
  },
  {
    code: 'ERR_LOGIN_URL_INVALID',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Login URL is not a URL',
    cause: '--login-url is not an absolute https URL (a bare host name, a typo).',
    fix: 'Give the login URL with its scheme: https://login.salesforce.com, https://test.salesforce.com or https://<domain>.my.salesforce.com.',
  },
  {
    code: 'ERR_LOGIN_URL_INSECURE',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Login URL uses http',
    cause: 'The assertion is only sent over https (plain http only to loopback: 127.0.0.0/8, ::1, localhost).',
    fix: 'Use the https:// form of the login URL.',
  },
  {
    code: 'ERR_LOGIN_URL_USERINFO',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Login URL carries credentials',
    cause: 'The login URL holds "user:password@"; the JWT bearer flow needs neither.',
    fix: 'Remove the "user:password@" part; the username goes in --username (or SF_USERNAME).',
  },
  {
    code: 'ERR_LOGIN_URL_LIGHTNING',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Lightning host as login URL',
    cause: 'A *.lightning.force.com host does not issue tokens.',
    fix: 'Use the My Domain login URL the error names (https://<domain>.my.salesforce.com).',
  },
  {
    code: 'ERR_LOGIN_URL_HOST',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Login host outside Salesforce',
    cause: 'The login URL (or a Setup host) is not a Salesforce login host, so the assertion is not sent there.',
    fix: 'Use a Salesforce login URL; for a custom domain that really serves your org\'s login, allow it with --allow-login-host <host>.',
  },
  {
    code: 'ERR_ALLOW_LOGIN_HOST_INVALID',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: '--allow-login-host is not a host name',
    cause: '--allow-login-host takes a host name (login.example.com) or *.example.com for its sub-domains, not a URL.',
    fix: 'Pass the host alone, once per host: --allow-login-host login.example.com.',
  },
  {
    code: 'ERR_AUDIENCE_INVALID',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Audience malformed',
    cause: '--audience (or SF_AUDIENCE_URL) is not an https URL, or has a query or fragment.',
    fix: 'Use the authorization server URL (https://login.salesforce.com, https://test.salesforce.com or your My Domain URL), or leave it out to use the login URL.',
  },
  {
    code: 'ERR_DATASPACE_INVALID',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Data space name malformed',
    cause: '--dataspace is not a data space API name (a letter, then letters, digits and underscores).',
    fix: 'Use the API name of the data space as Data Cloud shows it, such as default; or leave --dataspace out.',
  },
  {
    code: 'ERR_ASSERTION_SIGN',
    exitCode: ExitCode.input,
    commands: SF_COMMANDS,
    title: 'Key cannot sign RS256',
    cause: 'The private key loaded but cannot sign an RS256 assertion.',
    fix: 'Use an RSA key of 2048 bits or more; generate one with applink-jwt keys generate.',
  },
];

/** The network layer, signals, usage and internal errors, and the sandbox command. */
export const GENERAL_ERRORS: readonly CatalogueEntry[] = [
  {
    code: 'ERR_USAGE',
    exitCode: ExitCode.usage,
    commands: ['every command'],
    title: 'Usage error (--json)',
    cause: 'The command line is wrong (an unknown command or flag, a missing argument, a value outside its choices); with --json it is reported as this code, details.reason naming the parser\'s reason.',
    fix: 'Run applink-jwt --help (or applink-jwt <command> --help) for the commands and options.',
  },
  {
    code: 'ERR_INPUT_PROBLEMS',
    exitCode: ExitCode.input,
    commands: ['verify', 'authorize', 'list', 'info', 'remove', 'keys check'],
    title: 'Several inputs missing or invalid',
    cause: 'The local checks found more than one problem; all are listed at once (in --json as error.details.problems, each with its code, message, fix and inputs). Nothing was sent.',
    fix: 'Fix each listed problem as its own Fix line says, then run the command again.',
  },
  {
    code: 'ERR_EMPTY_VALUE',
    exitCode: ExitCode.input,
    commands: ['verify', 'authorize', 'list', 'info', 'remove', 'keys check'],
    title: 'Flag given an empty value',
    cause: 'A flag such as -a "" or --client-id "" was given explicitly with an empty value (often an unset CI variable). Only an absent flag falls back to the environment; an empty one is refused.',
    fix: 'Give the flag a value, or leave it out to use the environment variable it falls back to.',
  },
  {
    code: 'ERR_NETWORK',
    exitCode: ExitCode.network,
    commands: NETWORK_COMMANDS,
    title: 'Service unreachable',
    cause: 'DNS, TLS, a refused or reset connection: the service could not be reached (after the retries, where the request is safe to repeat).',
    fix: 'Check the URL, DNS and proxy settings, and that the service is up; then run the command again.',
  },
  {
    code: 'ERR_PROXY_REFUSED',
    exitCode: ExitCode.network,
    commands: NETWORK_COMMANDS,
    title: 'Proxy refused the request',
    cause: 'The proxy from HTTPS_PROXY or HTTP_PROXY answered the CONNECT (or the request) with an error such as 403 or 407 Proxy Authentication Required; the service was not reached. The message names the proxy with its credentials hidden.',
    fix: 'Check the credentials in the proxy URL (http://user:password@proxy:port) and that the proxy allows the host and port; or list the host in NO_PROXY to connect directly.',
  },
  {
    code: 'ERR_PROXY_URL',
    exitCode: ExitCode.input,
    commands: NETWORK_COMMANDS,
    title: 'Proxy variable unusable',
    cause: 'HTTPS_PROXY, https_proxy, HTTP_PROXY or http_proxy holds something that is not an http:// proxy URL (an https:// or socks proxy is not supported).',
    fix: 'Set it to an http proxy URL such as http://proxy.example.com:3128, or unset it.',
  },
  {
    code: 'ERR_HTTP_TIMEOUT',
    exitCode: ExitCode.timeout,
    commands: NETWORK_COMMANDS,
    title: 'Request timed out',
    cause: 'A service did not answer one request within the request timeout.',
    fix: 'Check the network path to the service (verify and authorize: or raise --timeout), and run the command again.',
  },
  {
    code: 'ERR_DEADLINE',
    exitCode: ExitCode.timeout,
    commands: ['authorize'],
    title: '--timeout ran out',
    cause: 'The overall --timeout of authorize ran out while a request was still waiting for its answer; every request and retry pause inside authorize ends by it.',
    fix: 'Check the network path to the service; raise --timeout if it is just slow.',
  },
  {
    code: 'ERR_HTTP_BODY_TOO_LARGE',
    exitCode: ExitCode.network,
    commands: NETWORK_COMMANDS,
    title: 'Answer too large',
    cause: 'The answer was larger than any real answer of the service; it was not read.',
    fix: 'Check that the URL points at the real service and not at a proxy or another server.',
  },
  {
    code: 'ERR_INTERRUPTED',
    exitCode: ExitCode.interrupted,
    commands: NETWORK_COMMANDS,
    title: 'Interrupted (SIGINT)',
    cause: 'Ctrl-C or a SIGINT stopped the command; the message says which state was left.',
    fix: 'Run the same command again (add --replace if the authorization now exists).',
  },
  {
    code: 'ERR_TERMINATED',
    exitCode: ExitCode.terminated,
    commands: NETWORK_COMMANDS,
    title: 'Terminated (SIGTERM)',
    cause: 'A SIGTERM (a CI job cancelled or timed out) stopped the command; the message says which state was left.',
    fix: 'Run the same command again (add --replace if the authorization now exists).',
  },
  {
    code: 'ERR_INTERNAL',
    exitCode: ExitCode.internal,
    commands: ['any'],
    title: 'Unexpected error',
    cause: 'A failure no other code describes: a bug.',
    fix: 'Run again with DEBUG=applink-jwt for the stack trace, and report it if it persists.',
  },
  {
    code: 'ERR_SANDBOX_STATE',
    exitCode: ExitCode.input,
    commands: ['sandbox'],
    title: 'Bad sandbox state file',
    cause: 'The --state file cannot be read, is not valid YAML, or an entry breaks the schema (the message names the file and the path in it).',
    fix: 'Fix the entry the message names; docs/sandbox.md ("Sandbox state file") lists the keys each entry takes.',
  },
  {
    code: 'ERR_SANDBOX_CERT',
    exitCode: ExitCode.input,
    commands: ['sandbox'],
    title: 'Bad sandbox certificate',
    cause: '--cert-file cannot be read or is not an RSA certificate in PEM form.',
    fix: 'Pass the server.crt that applink-jwt keys generate wrote next to your key.',
  },
  {
    code: 'ERR_SANDBOX_PORT',
    exitCode: ExitCode.input,
    commands: ['sandbox'],
    title: 'Sandbox port unavailable',
    cause: 'Another process listens on the --port given (or the port needs privileges).',
    fix: 'Choose another --port, or --port 0 for any free port.',
  },
  {
    code: 'ERR_SANDBOX_FAULT',
    exitCode: ExitCode.input,
    commands: ['sandbox'],
    title: 'Bad sandbox fault',
    cause: 'A --fault value names no sandbox route or is not <route>=<spec>, random faults were given two probabilities, or --seed was given without random faults.',
    fix: 'Write --fault <route>=<spec> with a route from applink-jwt sandbox --help and a spec such as 503x2, 429:2, reset, latency:500 or random:0.3.',
  },
  {
    code: 'ERR_SANDBOX_ENV_OUT',
    exitCode: ExitCode.input,
    commands: ['sandbox'],
    title: 'Sandbox env file unusable',
    cause: 'The --env-out exists and was not written by applink-jwt sandbox (it is never replaced), or it cannot be read or written.',
    fix: 'Choose a new file name in a writable directory (the sandbox writes it when ready and removes it when it stops).',
  },
  {
    code: 'ERR_APPEND_ENV',
    exitCode: ExitCode.input,
    commands: ['authorize'],
    title: 'Hand-off file unusable',
    cause: 'The --append-env file is a folder or cannot be written (checked before anything is sent), or writing it failed after the authorization was made.',
    fix: 'Give a file this user can write (in CircleCI: --append-env "$BASH_ENV"). If the authorization was made, run the same command with --if-exists skip to write the file without changing it.',
  },
  {
    code: 'ERR_SANDBOX_APP',
    exitCode: ExitCode.input,
    commands: ['sandbox'],
    title: 'Bad sandbox app name',
    cause: '--app is not a Heroku app name, another app of the state has that name, or the state has no app.',
    fix: 'Give 3-30 lower-case letters, digits and dashes, starting with a letter (e.g. --app acme-app).',
  },
  {
    code: 'ERR_DEMO_SDK',
    exitCode: ExitCode.internal,
    commands: ['demo'],
    title: 'Demo: the app-style read disagreed',
    cause: 'The SDK (or its GET) read something other than what the demo authorized: the sandbox and the SDK disagree.',
    fix: 'Report it with the output of applink-jwt demo.',
  },
  {
    code: 'ERR_DEMO_STATE',
    exitCode: ExitCode.internal,
    commands: ['demo'],
    title: 'Demo: authorizations left behind',
    cause: 'The sandbox still held authorizations after the demo removed them.',
    fix: 'Report it with the output of applink-jwt demo.',
  },
  // rotate (cli/commands/rotate.ts, cli/rotate/).
  {
    code: 'ERR_ROTATE_CONFIRM_REQUIRED',
    exitCode: ExitCode.input,
    commands: ['rotate'],
    title: 'Single-slot downtime not accepted',
    cause: '--single-slot swaps the certificate of the only ECA in place, so the app fails for several minutes; it runs only with --yes (or --plan, which changes nothing).',
    fix: 'Run it with --plan first, then with --yes; or set up a second ECA for a rotation without downtime (docs/rotation.md).',
  },
  {
    code: 'ERR_ROTATE_SLOTS',
    exitCode: ExitCode.input,
    commands: ['rotate'],
    title: "Rotation slots not named",
    cause: "The slots are not fully named: --base-name (or --authorization-a and --authorization-b), --eca-a and --eca-b (--eca with --single-slot), or a name is malformed or used twice.",
    fix: "Name both slots: --base-name my_org --eca-a AppLink_A --eca-b AppLink_B (the names of the two ECAs' global OAuth settings); see docs/rotation.md.",
  },
  {
    code: 'ERR_ROTATE_NO_ACTIVE_SLOT',
    exitCode: ExitCode.input,
    commands: ['rotate'],
    title: "No active slot",
    cause: "The config var the app reads (--config-var, default APPLINK_AUTH_NAME) is unset or names neither slot's authorization, so which slot is active is unknown. Nothing was changed.",
    fix: "Set it to the authorization the app uses now (heroku config:set APPLINK_AUTH_NAME=my_org_a -a my-app), or pass the --config-var and names that match the app.",
  },
  {
    code: 'ERR_ROTATE_CONFIG_VAR_CHANGED',
    exitCode: ExitCode.input,
    commands: ['rotate'],
    title: "Config var changed during the rotation",
    cause: "The config var names neither the slot this rotation started from nor the one it moves to: someone changed it. The rotation stops before touching what the app reads.",
    fix: "Set it back to the slot the app should use and run again, or move the --state-dir away to start a new rotation from the slot it names.",
  },
  {
    code: 'ERR_ROTATE_STATE',
    exitCode: ExitCode.input,
    commands: ['rotate'],
    title: "Unusable --state-dir",
    cause: "The --state-dir holds a record of another rotation (app, config var or slots differ), an unreadable record, a missing key file, or a key file others can read.",
    fix: "Use a --state-dir of its own per app, or move it away to start over (a new key is made; each step checks what is in effect).",
  },
  {
    code: 'ERR_ROTATE_ADMIN_CREDENTIAL',
    exitCode: ExitCode.input,
    commands: ['rotate'],
    title: "No usable admin credential",
    cause: "The Metadata API deploy needs an admin access token and instance URL (SF_ADMIN_ACCESS_TOKEN and --admin-instance-url), or --admin-command printing sf org display --json output; neither is usable.",
    fix: "Export the admin token and instance URL, or pass --admin-command \"sf org display --target-org <admin> --json\".",
  },
  {
    code: 'ERR_ROTATE_COMMAND',
    exitCode: ExitCode.input,
    commands: ['rotate'],
    title: "Command option unusable",
    cause: "--admin-command or --check-command is empty or has an unclosed quote (they run without a shell).",
    fix: "Give the program and its arguments; quote an argument with spaces in '...' or \"...\".",
  },
  {
    code: 'ERR_ROTATE_CIRCLECI_INPUT',
    exitCode: ExitCode.input,
    commands: ['rotate'],
    title: "CircleCI inputs incomplete",
    cause: "--circleci-context is given without --circleci-owner-slug, without the token variable (CIRCLE_TOKEN), or with a malformed variable name.",
    fix: "Pass --circleci-owner-slug gh/<org> and set CIRCLE_TOKEN (or the variable --circleci-token-env names).",
  },
  {
    code: 'ERR_ROTATE_CONTEXT_NOT_FOUND',
    exitCode: ExitCode.input,
    commands: ['rotate'],
    title: "CircleCI context not found",
    cause: "No context of that name is listed for the owner slug (or the token cannot see it). The steps before it are in effect; the report says which.",
    fix: "Check --circleci-context and --circleci-owner-slug, then run the same command again (it resumes).",
  },
  {
    code: 'ERR_ROTATE_CONSUMER_KEY_CHANGED',
    exitCode: ExitCode.checkFailed,
    commands: ['rotate'],
    title: "Consumer key changed by the deploy",
    cause: "The ECA's consumer key read after the deploy differs from the one read before it.",
    fix: "Point SF_CLIENT_ID at the new consumer key, check shouldRotateConsumerKey in the ECA's settings, and run again.",
  },
  {
    code: 'ERR_ROTATE_DEPLOY_NOT_APPLIED',
    exitCode: ExitCode.checkFailed,
    commands: ['rotate'],
    title: "Deploy not applied",
    cause: "The deploy succeeded but the ECA's settings read back do not hold the new certificate (another deploy at the same time?).",
    fix: "Run the same command again: it deploys again.",
  },
  {
    code: 'ERR_ROTATE_PROPAGATION_TIMEOUT',
    exitCode: ExitCode.timeout,
    commands: ['rotate'],
    title: "New certificate not accepted in time",
    cause: "The JWT bearer login with the new key was still refused at the end of --propagation-timeout. The app still reads the old slot.",
    fix: "Run the same command again later (with --state-dir it resumes with the same key), or give a longer --propagation-timeout.",
  },
  {
    code: 'ERR_ROTATE_SWITCH_NOT_APPLIED',
    exitCode: ExitCode.checkFailed,
    commands: ['rotate'],
    title: "Switch not applied",
    cause: "The Platform API accepted the config var change but answered another value.",
    fix: "Check the app's config vars (heroku config -a <app>) and run again.",
  },
  {
    code: 'ERR_ROTATE_CHECK_FAILED',
    exitCode: ExitCode.checkFailed,
    commands: ['rotate'],
    title: "Check after the switch failed",
    cause: "The --check-command exited non-zero after the app was switched to the new authorization.",
    fix: "Switch back if the app is broken (heroku config:set APPLINK_AUTH_NAME=<old> -a <app>), fix the cause, and run again.",
  },
  {
    code: 'ERR_ROTATE_CI_NOT_UPDATED',
    exitCode: ExitCode.checkFailed,
    commands: ['rotate'],
    title: "CI variable not updated",
    cause: "CircleCI answered an updated_at older than the run for a variable it was asked to write, so the write may not have happened.",
    fix: "Check the context's variables in CircleCI and run the same command again.",
  },
];
