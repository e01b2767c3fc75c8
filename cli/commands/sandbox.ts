/**
 * `applink-jwt sandbox`: runs the local doubles of Salesforce, the Heroku Platform API and the
 * AppLink API on loopback (one address per service), prints the environment that points the CLI
 * and the SDK at them (and writes it to `--env-out` once ready), and serves until SIGINT/SIGTERM
 * (`deps.signal`), then closes every socket, removes the env file and exits 0. `--print-state`
 * prints the state file template instead.
 */
import { resolve } from 'node:path';
import type { Deps } from '../deps.js';
import { AppError, InputError } from '../errors.js';
import { writeFilesAtomically } from '../keys/write-file.js';
import { successEnvelope, type CommandResult } from '../output.js';
import { parseFaults } from '../sandbox/fault-spec.js';
import { startSandbox, type Sandbox, type SandboxUrls } from '../sandbox/server.js';
import { loadStateFile } from '../sandbox/state-file.js';
import { STATE_TEMPLATE } from '../sandbox/state-template.js';
import { DEFAULT_STATE_INPUT, withDefaultAppName, type SandboxStateInput } from '../sandbox/state.js';

export interface SandboxCommandOptions {
  /** Port every service listens on; 0 for any free port. */
  port: number;
  /** YAML state file. */
  state?: string;
  /** Certificate (PEM) to register with the first external client app at start. */
  certFile?: string;
  /** Name of the default app (the state's first app). */
  app?: string;
  /** `--fault <route>=<spec>` values, in order. */
  faults?: string[];
  /** Seed of the random faults (`random:<probability>`). */
  seed?: number;
  /** File the `export` lines are written to once the sandbox is ready (removed when it stops). */
  envFile?: string;
  /** Print the state file template and exit. */
  printState?: boolean;
  json: boolean;
}

/** The first line of an env file this command wrote: only such a file is replaced or removed. */
export const ENV_FILE_HEADER = '# applink-jwt sandbox environment';

export interface SandboxStartedDocument {
  event: 'started';
  /** The Platform API's origin (HEROKU_API_URL). */
  url: string;
  /** Each service's origin. */
  urls: SandboxUrls;
  /** `separate`: one loopback address per service; `shared`: every service on 127.0.0.1. */
  hosts: 'separate' | 'shared';
  /** Why the hosts are shared, when they are. */
  sharedReason?: string;
  env: Record<string, string>;
  certificateRegistration: { route: string; clientId: string | null; registered: boolean };
  /** The `--fault` values in force, and the seed of the random ones. */
  faults: string[];
  seed?: number;
  /** Where the environment was written (`--env-out`). */
  envFile?: string;
}

/** `export NAME='value'` with the value single-quoted for POSIX shells. */
function exportLine(name: string, value: string): string {
  return `export ${name}='${value.replace(/'/g, `'\\''`)}'`;
}

async function start(options: SandboxCommandOptions, deps: Deps): Promise<Sandbox> {
  let state: SandboxStateInput | undefined;
  if (options.state) state = await loadStateFile(options.state, deps);
  if (options.app !== undefined) state = withDefaultAppName(state ?? DEFAULT_STATE_INPUT, options.app, options.state ? `--app (with --state ${options.state})` : '--app');
  try {
    return await startSandbox({ port: options.port, state });
  } catch (error) {
    if (error instanceof AppError && options.state) {
      throw new InputError(error.code, `${options.state}: ${error.message}`, { hint: error.hint, cause: error });
    }
    const { code, address } = error as NodeJS.ErrnoException & { address?: string };
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new InputError('ERR_SANDBOX_PORT', `Cannot listen on ${address ?? '127.0.0.1'}:${options.port} (${code}).`, {
        hint: 'Choose another --port, or --port 0 for any free port.',
        cause: error,
      });
    }
    throw error;
  }
}

async function registerCertificateFile(sandbox: Sandbox, certFile: string, deps: Deps): Promise<void> {
  let pem: string;
  try {
    pem = await deps.fs.readFile(resolve(deps.cwd, certFile), 'utf8');
  } catch (error) {
    throw new InputError('ERR_SANDBOX_CERT', `Cannot read the certificate file ${certFile} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, {
      hint: 'Check the path given to --cert-file (server.crt from `applink-jwt keys generate`).',
      cause: error,
    });
  }
  try {
    sandbox.registerCertificate(pem);
  } catch (error) {
    throw new InputError('ERR_SANDBOX_CERT', `--cert-file ${certFile}: ${(error as Error).message}`, {
      hint: 'Give the PEM certificate (-----BEGIN CERTIFICATE-----) that matches your private key.',
      cause: error,
    });
  }
}

/** Applies the `--fault` values and `--seed`; the seed of random faults is printed so a run can be replayed. */
function applyFaults(sandbox: Sandbox, options: SandboxCommandOptions, deps: Deps): number | undefined {
  const parsed = parseFaults(options.faults ?? [], sandbox.routes.map((route) => route.name).filter((name) => !name.startsWith('control.')));
  if (options.seed !== undefined && !parsed.random) {
    throw new InputError('ERR_SANDBOX_FAULT', `--seed ${options.seed} has no random faults to seed.`, {
      hint: "Add a random fault, e.g. --fault 'applink.*=random:0.3', or leave --seed out.",
    });
  }
  for (const rule of parsed.rules) sandbox.faults.add(rule);
  if (!parsed.random) return undefined;
  const seed = options.seed ?? deps.now() % 1_000_000;
  sandbox.faults.random({ seed, probability: parsed.random.probability, routes: parsed.random.routes });
  return seed;
}

/** Whether `path` holds an env file this command wrote (or nothing). Anything else is never touched. */
async function envFileState(path: string, deps: Deps, given: string): Promise<'absent' | 'ours'> {
  let text: string;
  try {
    text = await deps.fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new InputError('ERR_SANDBOX_ENV_OUT', `Cannot use --env-out ${given} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, {
      hint: 'Give a path in a writable directory, e.g. --env-out sandbox.env.',
      cause: error,
    });
  }
  if (text.startsWith(ENV_FILE_HEADER)) return 'ours';
  throw new InputError('ERR_SANDBOX_ENV_OUT', `--env-out ${given} exists and was not written by applink-jwt sandbox; it is left as it is.`, {
    hint: 'Choose a new file name (the sandbox writes it when ready and removes it when it stops), or remove that file.',
  });
}

function envFileText(env: Record<string, string>): string {
  return [
    `${ENV_FILE_HEADER}: load it with . <file> (written once the sandbox was ready; removed when it stops).`,
    ...Object.entries(env).map(([name, value]) => exportLine(name, value)),
    '',
  ].join('\n');
}

const SERVICE_NAMES: Record<keyof SandboxUrls, string> = {
  platform: 'Heroku Platform API',
  applink: 'AppLink API',
  login: 'Salesforce login host',
  instance: 'Org instance (My Domain)',
  datacloud: 'Data Cloud tenant',
  circleci: 'CircleCI API (contexts)',
};

function startedText(sandbox: Sandbox, document: SandboxStartedDocument): string {
  const { clientId, registered, route } = document.certificateRegistration;
  const width = Math.max(...Object.values(SERVICE_NAMES).map((name) => name.length));
  const lines = sandbox.separateHosts
    ? [
        `AppLink sandbox listening on port ${sandbox.port}, one loopback address per service:`,
        ...Object.entries(SERVICE_NAMES).map(([service, name]) => `  ${name.padEnd(width)}  ${sandbox.urls[service as keyof SandboxUrls]}`),
      ]
    : [`AppLink sandbox listening on ${sandbox.urls.platform}: every service on this one address (${sandbox.sharedReason}).`];
  lines.push(
    '',
    '# Point applink-jwt and the @heroku/applink SDK at it:',
    ...Object.entries(document.env).map(([name, value]) => exportLine(name, value)),
    '',
  );
  if (document.faults.length > 0) {
    lines.push(`# Faults: ${document.faults.join(' ')}${document.seed === undefined ? '' : ` (random faults seed ${document.seed}: --seed ${document.seed} replays them)`}`, '');
  }
  if (document.envFile) lines.push(`# Written to ${document.envFile} (load it with: . ${document.envFile}).`, '');
  if (registered) {
    lines.push(`# Certificate registered with the external client app ${clientId}.`);
  } else if (clientId) {
    lines.push(
      `# Register the certificate of your key with the external client app ${clientId}:`,
      `curl -sS --data-binary @server.crt '${route}?client_id=${encodeURIComponent(clientId)}'`,
      '# (or start with: applink-jwt sandbox --cert-file server.crt)',
    );
  }
  lines.push('', 'Press Ctrl-C to stop.', '');
  return lines.join('\n');
}

/** Starts the sandbox, prints how to use it, and serves until `deps.signal` aborts. */
export async function runSandbox(options: SandboxCommandOptions, deps: Deps): Promise<CommandResult> {
  if (options.printState) return { json: { stateTemplate: STATE_TEMPLATE }, text: STATE_TEMPLATE.trimEnd() };
  const envFile = options.envFile === undefined ? undefined : resolve(deps.cwd, options.envFile);
  // A stale file from an earlier run goes first, so a script waiting for the file never reads it.
  if (envFile && (await envFileState(envFile, deps, options.envFile!)) === 'ours') await deps.fs.rm(envFile, { force: true });
  const sandbox = await start(options, deps);
  let wroteEnvFile = false;
  try {
    const seed = applyFaults(sandbox, options, deps);
    if (options.certFile) await registerCertificateFile(sandbox, options.certFile, deps);
    const firstApp = sandbox.state.externalClientApps[0];
    const document: SandboxStartedDocument = {
      event: 'started',
      url: sandbox.urls.platform,
      urls: sandbox.urls,
      hosts: sandbox.separateHosts ? 'separate' : 'shared',
      ...(sandbox.sharedReason ? { sharedReason: sandbox.sharedReason } : {}),
      env: sandbox.env(),
      certificateRegistration: {
        route: `${sandbox.urls.login}/__sandbox/certificates`,
        clientId: firstApp?.consumerKey ?? null,
        registered: Boolean(firstApp?.certificatePem),
      },
      faults: [...(options.faults ?? [])],
      ...(seed === undefined ? {} : { seed }),
      ...(options.envFile === undefined ? {} : { envFile: options.envFile }),
    };
    if (envFile) {
      try {
        await writeFilesAtomically(deps.fs, [{ path: envFile, content: envFileText(document.env), mode: 0o600 }]);
        wroteEnvFile = true;
      } catch (error) {
        throw new InputError('ERR_SANDBOX_ENV_OUT', `Cannot write --env-out ${options.envFile} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, {
          hint: 'Give a path in a writable directory, e.g. --env-out sandbox.env.',
          cause: error,
        });
      }
    }
    // Printed now, not as the result: the result only comes when the sandbox stops. With --json
    // this is one line, so a script can read the first line and parse it.
    deps.stdout(options.json ? `${JSON.stringify(successEnvelope(document))}\n` : startedText(sandbox, document));
    const reason = await new Promise<string>((resolveStop) => {
      if (deps.signal.aborted) resolveStop(String(deps.signal.reason));
      else deps.signal.addEventListener('abort', () => resolveStop(String(deps.signal.reason)), { once: true });
    });
    await sandbox.close();
    return {
      json: { event: 'stopped', signal: reason, requests: sandbox.requestLog.length },
      text: `Sandbox stopped (${reason}) after ${sandbox.requestLog.length} request${sandbox.requestLog.length === 1 ? '' : 's'}.`,
      // With --json the output is JSON Lines: the started envelope, then this one.
      jsonLines: true,
    };
  } finally {
    await sandbox.close();
    if (wroteEnvFile && envFile && (await envFileState(envFile, deps, options.envFile!).catch(() => 'absent')) === 'ours') await deps.fs.rm(envFile, { force: true });
  }
}
