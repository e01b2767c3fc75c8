/**
 * `applink-jwt sandbox`: runs the local doubles of Salesforce, the Heroku Platform API and the
 * AppLink API on 127.0.0.1, prints the environment that points the CLI and the SDK at them, and
 * serves until SIGINT/SIGTERM (`deps.signal`), then closes every socket and exits 0.
 */
import { resolve } from 'node:path';
import type { Deps } from '../deps.js';
import { AppError, InputError } from '../errors.js';
import type { CommandResult } from '../output.js';
import { startSandbox, type Sandbox, type SandboxUrls } from '../sandbox/server.js';
import { loadStateFile } from '../sandbox/state-file.js';
import type { SandboxStateInput } from '../sandbox/state.js';

export interface SandboxCommandOptions {
  /** Port on 127.0.0.1; 0 for any free port. */
  port: number;
  /** YAML state file. */
  state?: string;
  /** Certificate (PEM) to register with the first external client app at start. */
  certFile?: string;
  json: boolean;
}

export interface SandboxStartedDocument {
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
}

/** `export NAME='value'` with the value single-quoted for POSIX shells. */
function exportLine(name: string, value: string): string {
  return `export ${name}='${value.replace(/'/g, `'\\''`)}'`;
}

async function start(options: SandboxCommandOptions, deps: Deps): Promise<Sandbox> {
  let state: SandboxStateInput | undefined;
  if (options.state) state = await loadStateFile(options.state, deps);
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

const SERVICE_NAMES: Record<keyof SandboxUrls, string> = {
  platform: 'Heroku Platform API',
  applink: 'AppLink API',
  login: 'Salesforce login host',
  instance: 'Org instance (My Domain)',
  datacloud: 'Data Cloud tenant',
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
  const sandbox = await start(options, deps);
  try {
    if (options.certFile) await registerCertificateFile(sandbox, options.certFile, deps);
    const firstApp = sandbox.state.externalClientApps[0];
    const document: SandboxStartedDocument = {
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
    };
    // Printed now, not as the result: the result only comes when the sandbox stops. With --json
    // this is one line, so a script can read the first line and parse it.
    deps.stdout(options.json ? `${JSON.stringify(document)}\n` : startedText(sandbox, document));
    const reason = await new Promise<string>((resolveStop) => {
      if (deps.signal.aborted) resolveStop(String(deps.signal.reason));
      else deps.signal.addEventListener('abort', () => resolveStop(String(deps.signal.reason)), { once: true });
    });
    await sandbox.close();
    return {
      json: { stopped: true, signal: reason, requests: sandbox.requestLog.length },
      text: `Sandbox stopped (${reason}) after ${sandbox.requestLog.length} request${sandbox.requestLog.length === 1 ? '' : 's'}.`,
      // With --json the output is JSON Lines: the started document, then this one.
      jsonLines: true,
    };
  } finally {
    await sandbox.close();
  }
}
