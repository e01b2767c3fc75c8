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
];
