/**
 * The command line: `createProgram(deps)` builds a commander program whose actions load their
 * command module lazily (so `--version` and `--help` load nothing else), call it with typed
 * options and `deps`, and print the result.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Deps } from './deps.js';
import { ExitCode, UsageError } from './errors.js';
import { scanCliFlags, type CliMode } from './cli-mode.js';
import { errorEnvelope, printError, printResult, type CommandResult, type OutputMode } from './output.js';
import { DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_MAX_AGE_DAYS } from './keys/policy.js';
import { HOMEPAGE, ISSUES_URL, VERSION } from './version.js';

/**
 * An option whose value falls back to environment variables. Commander's own `.env()` reads
 * `process.env` at parse time; the command resolves it from `deps.env` instead (cli/input/), so that
 * only `main.ts` touches `process` and an explicitly empty flag can be refused; the variables show
 * in `--help` the way commander shows them.
 */
function envOption(flags: string, description: string, ...envNames: string[]): Option {
  return new Option(flags, `${description} (env: ${envNames.join(', ')})`);
}

function parseInteger(name: string, min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new InvalidArgumentError(`${name} must be a whole number, got "${raw}".`);
    const value = Number(raw.trim());
    if (value < min || value > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${value}.`);
    return value;
  };
}

function parseSeconds(name: string, min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+(\.\d+)?$/.test(raw.trim())) throw new InvalidArgumentError(`${name} must be a number of seconds, got "${raw}".`);
    const value = Number(raw.trim());
    if (value < min || value > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${value}.`);
    return value;
  };
}

function addKeyOptions(command: Command): Command {
  return command
    .option('--jwt-key-file <path>', 'read the RSA private key from this file (- for standard input)')
    .option('--jwt-key-env <name>', 'read the RSA private key from this environment variable', 'JWT_PRIVATE_KEY')
    .option('--passphrase-env <name>', 'environment variable holding the passphrase of an encrypted key');
}

function addLoginOptions(command: Command): Command {
  return addLoginUrlOptions(
    command.addOption(envOption('--client-id <id>', 'consumer key of the Salesforce external client app', 'SF_CLIENT_ID')),
    'Salesforce username pre-authorized for the app',
  )
    .addOption(new Option('--type <type>', 'authorization type').choices(['salesforce', 'datacloud']).default('salesforce'))
    .option('--dataspace <name>', 'Data Cloud data space for the Data Cloud token exchange');
}

/** Who logs in and where: the username, the login URL with its aliases, the audience and host allow-list. */
function addLoginUrlOptions(command: Command, usernameHelp: string): Command {
  return command
    .addOption(envOption('--username <username>', usernameHelp, 'SF_USERNAME'))
    .addOption(envOption('-l, --login-url <url>', 'Salesforce login URL (My Domain, or https://test.salesforce.com for a sandbox)', 'SF_LOGIN_URL').default('https://login.salesforce.com'))
    .option('--instance-url <url>', 'alias of --login-url (the sf CLI\'s name)')
    .addOption(new Option('--login <url>', 'alias of --login-url').hideHelp())
    .addOption(envOption('--audience <url>', 'audience (aud) of the assertion; default: the login URL origin', 'SF_AUDIENCE_URL'))
    .option('--allow-login-host <host>', 'allow a login host outside Salesforce domains (a custom domain)', collect, [] as string[]);
}

function addAppOptions(command: Command): Command {
  return command
    .addOption(envOption('-a, --app <app>', 'Heroku app that has the AppLink add-on; default: the app of the git remote', 'HEROKU_APP', 'HEROKU_APP_NAME'))
    .option('-r, --remote <remote>', 'git remote whose Heroku app to use (default: the remote named heroku, or the only Heroku remote)')
    .option('--addon <name-or-id>', 'AppLink add-on to use when the app has several');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The Salesforce login inputs of a command built with addLoginOptions, as commander parsed them. */
function loginInputOf(options: Record<string, unknown>, command: Command) {
  return {
    clientId: options.clientId as string | undefined,
    ...loginUrlInputOf(options, command),
    type: options.type as 'salesforce' | 'datacloud',
    dataspace: options.dataspace as string | undefined,
  };
}

/** The flags addLoginUrlOptions adds, as commander parsed them. */
function loginUrlInputOf(options: Record<string, unknown>, command: Command) {
  return {
    username: options.username as string | undefined,
    // The default is shown in --help, but the command resolves it (only a given URL is sent to AppLink).
    loginUrl: command.getOptionValueSource('loginUrl') === 'default' ? undefined : (options.loginUrl as string),
    login: options.login as string | undefined,
    instanceUrl: options.instanceUrl as string | undefined,
    audience: options.audience as string | undefined,
    allowLoginHosts: options.allowLoginHost as string[],
  };
}

type Runner<O> = (options: O, deps: Deps) => Promise<CommandResult>;

/**
 * Builds the program. `deps` carries all I/O; `mode` says how output is printed (`runCli` scans
 * argv for it). The caller passes argv to `parseAsync` and reads the exit code from `exitCode`.
 */
export function createProgram(deps: Deps, mode: CliMode = scanCliFlags([], {})): { program: Command; exitCode: () => number; usageError: () => string | undefined } {
  let exitCode = 0;
  let usageError: string | undefined;
  const output: OutputMode = { json: mode.json, quiet: mode.quiet, columns: deps.columns };

  const program = new Command('applink-jwt')
    .description('Create Heroku AppLink JWT authorizations (Salesforce and Data Cloud) from CI and laptops.')
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('-q, --quiet', 'print only the result and errors (no progress, no warnings)')
    .option('--verbose', 'trace each HTTP request on stderr: method, URL, status, duration, retries (never a secret); also DEBUG=applink-jwt')
    .option('--no-color', 'plain progress lines, no spinner (also NO_COLOR, TERM=dumb, CI)')
    .showHelpAfterError(mode.json ? false : '(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => deps.stdout(text),
      // Under --json a usage error is printed as the JSON envelope (runCli), nothing on stderr.
      writeErr: (text) => (mode.json ? undefined : deps.stderr(text)),
      outputError: (text, write) => {
        usageError = text;
        write(text);
      },
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ applink-jwt keys generate --dir ./keys
  $ applink-jwt verify --client-id "$SF_CLIENT_ID" --username ci@example.com --jwt-key-file keys/server.key
  $ applink-jwt authorize my_org -a my-app --login-url https://acme.my.salesforce.com
  $ applink-jwt list -a my-app --json
  $ applink-jwt demo

Exit codes: 0 ok, 2 usage, 3 invalid input, 4 Salesforce refused, 5 Heroku/AppLink refused,
6 authorization failed, 7 timeout, 8 network, 9 check failed, 130/143 interrupted.${HOMEPAGE === undefined ? '' : `

Documentation: ${HOMEPAGE}${ISSUES_URL === undefined ? '' : `\nReport a problem: ${ISSUES_URL}`}`}`,
    );

  /** Wraps a lazily loaded runner: prints its result or its error and records the exit code. */
  const action =
    <O extends { json?: boolean }>(load: () => Promise<Runner<O>>, toOptions: (...args: any[]) => O) =>
    async (...args: any[]) => {
      const options = toOptions(...args);
      const json = output.json || Boolean(options.json);
      try {
        const run = await load();
        exitCode = printResult(await run(options, deps), { ...output, json }, deps);
      } catch (error) {
        exitCode = printError(error, { ...output, json }, mode.debug, deps);
      }
    };

  program
    .command('version')
    .description('print the version (as -v does)')
    .option('--json', 'print the version as JSON', false)
    .action(
      action(
        async () => async () => ({ json: { version: VERSION }, text: VERSION }),
        (options: Record<string, unknown>) => ({ json: Boolean(options.json) }),
      ),
    );

  const keys = program.command('keys').description('generate and check the RSA key pair and certificate');

  keys
    .command('generate')
    .description('generate server.key (PKCS#8, mode 0600), server.crt (self-signed X.509) and server.pub')
    .option('--dir <dir>', 'directory to write the files into', '.')
    .addOption(new Option('--bits <bits>', 'RSA key size').choices(['2048', '3072', '4096']).default('4096'))
    .option('--days <days>', 'certificate validity in days', parseInteger('--days', 1, 3650), 365)
    .option('--subject <subject>', 'certificate subject', 'CN=applink-jwt')
    .option('--force', 'overwrite existing files', false)
    .option('--json', 'print the result as JSON', false)
    .addHelpText('after', '\nExample:\n  $ applink-jwt keys generate --dir ./keys --days 365\n')
    .action(
      action(
        async () => (await import('./commands/keys-generate.js')).runKeysGenerate,
        (options: Record<string, unknown>) => ({
          dir: options.dir as string,
          bits: Number(options.bits),
          days: options.days as number,
          subject: options.subject as string,
          force: Boolean(options.force),
          json: Boolean(options.json),
        }),
      ),
    );

  addKeyOptions(
    keys
      .command('check')
      .description('check the key and certificate: format, size, match, expiry, age, file mode, git status'),
  )
    .option('--cert-file <path>', 'X.509 certificate (PEM or DER) to check')
    .option('--max-age-days <days>', 'fail when the certificate is older (rotation policy)', parseInteger('--max-age-days', 1, 36500), DEFAULT_MAX_AGE_DAYS)
    .option('--expiry-warning-days <days>', 'warn when the certificate expires sooner', parseInteger('--expiry-warning-days', 0, 36500), DEFAULT_EXPIRY_WARNING_DAYS)
    .option('--json', 'print the result as JSON', false)
    .addHelpText('after', '\nExamples:\n  $ applink-jwt keys check --jwt-key-file server.key --cert-file server.crt\n  $ applink-jwt keys check --cert-file server.crt --max-age-days 90 --json\n')
    .action(
      action(
        async () => (await import('./commands/keys-check.js')).runKeysCheck,
        (options: Record<string, unknown>) => ({
          jwtKeyFile: options.jwtKeyFile as string | undefined,
          jwtKeyEnv: options.jwtKeyEnv as string,
          passphraseEnv: options.passphraseEnv as string | undefined,
          certFile: options.certFile as string | undefined,
          maxAgeDays: options.maxAgeDays as number,
          expiryWarningDays: options.expiryWarningDays as number,
          json: Boolean(options.json),
        }),
      ),
    );

  addLoginOptions(addKeyOptions(program.command('verify').description('run the Salesforce JWT bearer preflight alone')))
    .option('--timeout <seconds>', 'timeout of each Salesforce request', parseInteger('--timeout', 1, 600), 15)
    .option('--json', 'print the result as JSON', false)
    .addHelpText('after', '\nExamples:\n  $ applink-jwt verify --client-id "$SF_CLIENT_ID" --username ci@example.com --jwt-key-file server.key\n  $ applink-jwt verify --type datacloud --login-url https://acme.my.salesforce.com --json\n')
    .action(
      action(
        async () => (await import('./commands/verify.js')).runVerify,
        (options: Record<string, unknown>, command: Command) => ({
          ...loginInputOf(options, command),
          jwtKeyFile: options.jwtKeyFile as string | undefined,
          jwtKeyEnv: options.jwtKeyEnv as string,
          passphraseEnv: options.passphraseEnv as string | undefined,
          timeoutMs: (options.timeout as number) * 1000,
          json: Boolean(options.json),
        }),
      ),
    );

  addAppOptions(addLoginOptions(addKeyOptions(program.command('authorize').argument('<developer-name>', 'developer name of the authorization (3-30 characters, starts with a letter, letters, digits and single underscores)').description('create (or with --replace, rotate) an AppLink JWT authorization and wait until it is authorized'))))
    .option('--alias <alias>', 'alias the SDK can read the authorization by (default: applink:<developer-name>)')
    .option('--replace', 'replace an existing authorization of that name (key rotation)', false)
    .addOption(new Option('--if-exists <action>', 'when that name exists: fail, skip (leave it when authorized for the same org, client id and username), or replace').choices(['fail', 'skip', 'replace']).default('fail'))
    .option('--no-preflight', 'skip the Salesforce preflight')
    .option('--timeout <seconds>', 'how long to wait for the authorization to settle', parseInteger('--timeout', 1, 3600), 120)
    .option('--json', 'print the final authorization as JSON (no tokens)', false)
    .option('--append-env <file>', 'once authorized, append export lines for later CI steps to this file: APPLINK_DEVELOPER_NAME, APPLINK_ALIAS, APPLINK_ORG_ID, APPLINK_INSTANCE_URL (CircleCI: "$BASH_ENV")')
    .addHelpText('after', `
The Heroku token comes from HEROKU_API_KEY, else the api.heroku.com entry of ~/.netrc (NETRC) that
heroku login writes; never from a flag. The Platform API is HEROKU_API_URL, else HEROKU_HOST. With
HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN and HEROKU_APP_ID set and no --app or --remote, the
AppLink API is called directly. Proxies: HTTPS_PROXY, HTTP_PROXY, NO_PROXY.

Examples:
  $ applink-jwt authorize my_org -a my-app --login-url https://acme.my.salesforce.com
  $ applink-jwt authorize my_org -a my-app --replace --jwt-key-file new/server.key
  $ applink-jwt authorize my_org -a my-app --if-exists skip
  $ applink-jwt authorize dc_org -a my-app --type datacloud --json
  $ applink-jwt authorize my_org -a my-app --append-env "$BASH_ENV"   # later CircleCI steps get APPLINK_ORG_ID
`)
    .action(
      action(
        async () => (await import('./commands/authorize.js')).runAuthorize,
        (developerName: string, options: Record<string, unknown>, command: Command) => ({
          developerName,
          app: options.app as string | undefined,
          remote: options.remote as string | undefined,
          addon: options.addon as string | undefined,
          ...loginInputOf(options, command),
          alias: options.alias as string | undefined,
          jwtKeyFile: options.jwtKeyFile as string | undefined,
          jwtKeyEnv: options.jwtKeyEnv as string,
          passphraseEnv: options.passphraseEnv as string | undefined,
          replace: Boolean(options.replace),
          ifExists: options.ifExists as 'fail' | 'skip' | 'replace',
          preflight: options.preflight !== false,
          timeoutMs: (options.timeout as number) * 1000,
          json: Boolean(options.json),
          ...(options.appendEnv === undefined ? {} : { appendEnv: options.appendEnv as string }),
        }),
      ),
    );

  addAppOptions(program.command('list').description('list the AppLink authorizations of the add-on'))
    .option('--json', 'print the authorizations as JSON (no tokens)', false)
    .addHelpText('after', '\nExample:\n  $ applink-jwt list -a my-app\n')
    .action(
      action(
        async () => (await import('./commands/list.js')).runList,
        (options: Record<string, unknown>) => ({
          app: options.app as string | undefined,
          remote: options.remote as string | undefined,
          addon: options.addon as string | undefined,
          json: Boolean(options.json),
        }),
      ),
    );

  addAppOptions(program.command('info').argument('<developer-name>', 'developer name (or alias) of the authorization').description('show one AppLink authorization'))
    .option('--json', 'print the authorization as JSON (no tokens)', false)
    .addHelpText('after', '\nExample:\n  $ applink-jwt info my_org -a my-app --json\n')
    .action(
      action(
        async () => (await import('./commands/info.js')).runInfo,
        (developerName: string, options: Record<string, unknown>) => ({
          developerName,
          app: options.app as string | undefined,
          remote: options.remote as string | undefined,
          addon: options.addon as string | undefined,
          json: Boolean(options.json),
        }),
      ),
    );

  addAppOptions(program.command('remove').argument('<developer-name>', 'developer name of the authorization').description('remove an AppLink authorization'))
    .option('-y, --yes', 'remove without asking', false)
    .option('-c, --confirm <developer-name>', 'remove without asking if this repeats the developer name')
    .option('--ignore-missing', 'succeed when no authorization of that name exists (clean-up jobs)', false)
    .option('--json', 'print the result as JSON', false)
    .addHelpText('after', '\nExamples:\n  $ applink-jwt remove my_org -a my-app --yes\n  $ applink-jwt remove my_org -a my-app --confirm my_org\n  $ applink-jwt remove review_org -a my-app --yes --ignore-missing\n')
    .action(
      action(
        async () => (await import('./commands/remove.js')).runRemove,
        (developerName: string, options: Record<string, unknown>) => ({
          developerName,
          app: options.app as string | undefined,
          remote: options.remote as string | undefined,
          addon: options.addon as string | undefined,
          yes: Boolean(options.yes),
          confirm: options.confirm as string | undefined,
          ignoreMissing: Boolean(options.ignoreMissing),
          json: Boolean(options.json),
        }),
      ),
    );

  addLoginUrlOptions(
    addAppOptions(program.command('rotate').description('rotate the key without downtime: blue/green over two external client apps (slots A and B), switching the app through a config var'))
      .option('--base-name <name>', 'the slots\' authorizations are <name>_a and <name>_b')
      .option('--authorization-a <developer-name>', 'developer name of slot A\'s authorization (default <base-name>_a)')
      .option('--authorization-b <developer-name>', 'developer name of slot B\'s authorization (default <base-name>_b)')
      .option('--eca-a <name>', 'slot A\'s external client app: the name of its global OAuth settings (ExtlClntAppGlobalOauthSettings)')
      .option('--eca-b <name>', 'slot B\'s external client app')
      .option('--config-var <name>', 'config var the app reads the authorization\'s developer name from (which slot is active)', 'APPLINK_AUTH_NAME'),
    'Salesforce username pre-authorized in both apps',
  )
    .option('--admin-token-env <name>', 'environment variable holding an admin access token for the Metadata API deploy', 'SF_ADMIN_ACCESS_TOKEN')
    .addOption(envOption('--admin-instance-url <url>', 'instance URL that admin token is for', 'SF_ADMIN_INSTANCE_URL'))
    .option('--admin-command <command>', 'instead: a command printing sf org display --json output (run without a shell)')
    .option('--circleci-context <name>', 'CircleCI context whose variables get the new key and client id (step 6; skipped without it)')
    .option('--circleci-owner-slug <slug>', 'owner of that context, such as gh/acme')
    .option('--circleci-key-variable <name>', 'context variable that holds the private key', 'JWT_PRIVATE_KEY')
    .option('--circleci-client-id-variable <name>', 'context variable that holds the consumer key (none: leave it)', 'SF_CLIENT_ID')
    .option('--circleci-certificate-variable <name>', 'context variable that gets the new certificate (public; for the orb\'s check_key certificate_variable)')
    .option('--circleci-token-env <name>', 'environment variable holding the CircleCI API token', 'CIRCLE_TOKEN')
    .addOption(envOption('--circleci-url <url>', 'CircleCI API v2 base URL (default https://circleci.com/api/v2)', 'CIRCLECI_API_URL'))
    .option('--state-dir <dir>', 'keep the new key (mode 0600) and the progress here, so a second run resumes')
    .option('--plan', 'print every step and what it would change; change nothing', false)
    .option('--single-slot', 'one ECA: swap its certificate in place (downtime; needs --yes and --eca)', false)
    .option('--eca <name>', 'the one external client app of --single-slot')
    .option('-y, --yes', 'accept the downtime of --single-slot', false)
    .option('--keep-old', 'leave the old authorization (skip step 7; remove it later)', false)
    .option('--grace <seconds>', 'wait this long after the switch before removing the old authorization', parseInteger('--grace', 0, 86_400), 60)
    .option('--check-command <command>', 'run this after the switch (no shell; the config var is in its environment); a non-zero exit stops the rotation')
    .addOption(new Option('--key-bits <bits>', 'RSA key size').choices(['2048', '3072', '4096']).default('4096'))
    .option('--key-days <days>', 'certificate validity in days', parseInteger('--key-days', 1, 3650), 365)
    .option('--deploy-timeout <seconds>', 'how long to wait for each Metadata API deploy', parseInteger('--deploy-timeout', 1, 7200), 600)
    .option('--propagation-timeout <seconds>', 'how long to wait until Salesforce accepts the new key', parseInteger('--propagation-timeout', 1, 7200), 900)
    .option('--poll-interval <seconds>', 'pause between login attempts while waiting (decimals allowed)', parseSeconds('--poll-interval', 0.05, 600), 10)
    .option('--timeout <seconds>', 'how long to wait for the new authorization to settle', parseInteger('--timeout', 1, 3600), 120)
    .option('--json', 'print the report of every step as JSON', false)
    .addHelpText('after', `
Steps: 1 generate the key pair; 2 deploy its certificate to the idle slot's ECA (validate-only
first; the consumer key must not change); 3 poll the JWT bearer login until Salesforce accepts it;
4 create the idle slot's AppLink authorization; 5 set the config var the app reads (a release);
6 update the CircleCI context; 7 after --grace, remove the old authorization. Each step checks
what is in effect before it acts, so running the same command again resumes. Until step 7 the old
slot is untouched: to roll back, set the config var back. The active slot is the one the config
var names. Secrets come from the environment only: HEROKU_API_KEY (or heroku login), the admin
token (--admin-token-env) or --admin-command, CIRCLE_TOKEN.

Examples:
  $ applink-jwt rotate -a my-app --base-name my_org --eca-a AppLink_A --eca-b AppLink_B --plan
  $ applink-jwt rotate -a my-app --base-name my_org --eca-a AppLink_A --eca-b AppLink_B \\
      --admin-command "sf org display --target-org admin --json" --state-dir .rotation
  $ applink-jwt rotate -a my-app --base-name my_org --eca-a AppLink_A --eca-b AppLink_B \\
      --circleci-context applink --circleci-owner-slug gh/acme --json
  $ applink-jwt rotate -a my-app --base-name my_org --single-slot --eca AppLink --yes
`)
    .action(
      action(
        async () => (await import('./commands/rotate.js')).runRotate,
        (options: Record<string, unknown>, command: Command) => ({
          app: options.app as string | undefined,
          remote: options.remote as string | undefined,
          addon: options.addon as string | undefined,
          baseName: options.baseName as string | undefined,
          authorizationA: options.authorizationA as string | undefined,
          authorizationB: options.authorizationB as string | undefined,
          ecaA: options.ecaA as string | undefined,
          ecaB: options.ecaB as string | undefined,
          eca: options.eca as string | undefined,
          configVar: options.configVar as string,
          ...loginUrlInputOf(options, command),
          adminTokenEnv: options.adminTokenEnv as string,
          adminInstanceUrl: options.adminInstanceUrl as string | undefined,
          adminCommand: options.adminCommand as string | undefined,
          circleciContext: options.circleciContext as string | undefined,
          circleciOwnerSlug: options.circleciOwnerSlug as string | undefined,
          circleciKeyVariable: options.circleciKeyVariable as string,
          circleciClientIdVariable: options.circleciClientIdVariable as string,
          circleciCertificateVariable: options.circleciCertificateVariable as string | undefined,
          circleciTokenEnv: options.circleciTokenEnv as string,
          circleciUrl: options.circleciUrl as string | undefined,
          stateDir: options.stateDir as string | undefined,
          plan: Boolean(options.plan),
          singleSlot: Boolean(options.singleSlot),
          yes: Boolean(options.yes),
          keepOld: Boolean(options.keepOld),
          graceMs: (options.grace as number) * 1000,
          checkCommand: options.checkCommand as string | undefined,
          keyBits: Number(options.keyBits),
          keyDays: options.keyDays as number,
          deployTimeoutMs: (options.deployTimeout as number) * 1000,
          propagationTimeoutMs: (options.propagationTimeout as number) * 1000,
          pollIntervalMs: Math.round((options.pollInterval as number) * 1000),
          timeoutMs: (options.timeout as number) * 1000,
          json: Boolean(options.json),
        }),
      ),
    );

  program
    .command('sandbox')
    .description('run local doubles of Salesforce, the Heroku Platform API and the AppLink API on loopback, one address per service')
    .option('--port <port>', 'port every service listens on (0: any free port)', parseInteger('--port', 0, 65535), 0)
    .option('--state <file>', 'YAML file with the orgs, apps, users and add-ons to serve')
    .option('--cert-file <path>', 'certificate (PEM) to register with the first external client app')
    .option('--app <name>', "name of the default Heroku app (the state's first app; default acme-app)")
    .option('--env-out <file>', 'write the export lines to this file once the sandbox answers (mode 0600; removed when it stops; not --env-file, which Node.js itself takes)')
    .option('--fault <route=spec>', 'inject a fault into a route: <status>[x<n>][@after], 429[:<seconds>], reset[@before], latency:<ms>, random:<probability> (repeatable)', collect, [] as string[])
    .option('--seed <n>', 'seed of the random faults, to replay a run', parseInteger('--seed', 0, 2_147_483_647))
    .option('--print-state', 'print a commented template of the --state file and exit', false)
    .option('--json', 'print the environment as one JSON line', false)
    .addHelpText(
      'after',
      `
Routes for --fault: salesforce.token, salesforce.a360, salesforce.userinfo, salesforce.identity,
salesforce.query, datacloud.query, platform.app, platform.addons, platform.attachments,
platform.config-vars, platform.sso, applink.create, applink.list, applink.get, applink.delete;
a prefix such as applink.*, or * for all.

Examples:
  $ applink-jwt sandbox --cert-file keys/server.crt --env-out sandbox.env &
  $ applink-jwt sandbox --print-state > sandbox.yml && applink-jwt sandbox --state sandbox.yml --env-out env.sh
  $ applink-jwt sandbox --fault salesforce.token=503x2 --fault 'applink.create=429:2' --fault 'platform.*=latency:500'
  $ applink-jwt sandbox --fault 'applink.*=random:0.3' --seed 42 --json
`,
    )
    .action(
      action(
        async () => (await import('./commands/sandbox.js')).runSandbox,
        (options: Record<string, unknown>) => ({
          port: options.port as number,
          state: options.state as string | undefined,
          certFile: options.certFile as string | undefined,
          app: options.app as string | undefined,
          envFile: options.envOut as string | undefined,
          faults: options.fault as string[],
          seed: options.seed as number | undefined,
          printState: Boolean(options.printState),
          json: Boolean(options.json),
        }),
      ),
    );

  program
    .command('demo')
    .description('run the whole flow against an in-process sandbox: keys, preflight, authorize, list, SDK read, remove')
    .option('--json', 'print the steps as JSON', false)
    .addHelpText('after', '\nExample:\n  $ applink-jwt demo\n')
    .action(
      action(
        async () => (await import('./commands/demo.js')).runDemo,
        (options: Record<string, unknown>) => ({ json: Boolean(options.json) }),
      ),
    );

  return { program, exitCode: () => exitCode, usageError: () => usageError };
}

/**
 * Runs the command line `argv` (without the node and script paths) and returns the exit code. A
 * usage error is exit 2; under `--json` it is printed as the JSON envelope (`ERR_USAGE`) too.
 */
export async function runCli(argv: readonly string[], deps: Deps, mode: CliMode = scanCliFlags(argv, deps.env)): Promise<number> {
  const { program, exitCode, usageError } = createProgram(deps, mode);
  // `-V` was the version flag before `-v`; keep it working.
  const args = argv[0] === '-V' ? ['--version', ...argv.slice(1)] : [...argv];
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version end here with exit 0; any other parse error is a usage error.
    if (error.exitCode === 0) return 0;
    if (mode.json) {
      const message = (usageError() ?? error.message).trim().replace(/^error: /, '');
      const usage = new UsageError('ERR_USAGE', `${message.charAt(0).toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`, {
        hint: 'Run applink-jwt --help (or applink-jwt <command> --help) for the commands and options.',
        details: { reason: error.code },
      });
      deps.stdout(`${JSON.stringify(errorEnvelope(usage), null, 2)}\n`);
    }
    return ExitCode.usage;
  }
  return exitCode();
}
