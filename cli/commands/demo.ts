/**
 * `applink-jwt demo`: the main job end to end on an embedded default. It starts the sandbox
 * in-process, makes a key pair in a temporary directory, registers the certificate with the
 * sandbox's external client app, runs the preflight, authorizes a Salesforce and a Data Cloud org,
 * lists them, reads one back the way an app does (the official `@heroku/applink` SDK in a child
 * process with the app's environment, or the same GET the SDK makes when the SDK cannot be loaded),
 * removes both, and cleans up. The sandbox, key generation and the SDK are loaded lazily.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripTokens } from '../applink/authorization.js';
import { pathSegment } from '../applink/applink-api.js';
import { newRequestId, USER_AGENT } from '../applink/service-response.js';
import { silentProgress, type Deps } from '../deps.js';
import { AppError, ExitCode } from '../errors.js';
import { httpRequest, RETRY_IDEMPOTENT } from '../http.js';
import type { CommandResult } from '../output.js';
import { DEFAULT_COLUMNS, describeDuration, wrapText } from '../text.js';
import { runAuthorize } from './authorize.js';
import { runList } from './list.js';
import { runRemove } from './remove.js';

export interface DemoOptions {
  json: boolean;
}

export interface DemoStep {
  step: string;
  result: string;
  durationMs: number;
}

export interface DemoJson {
  sandboxUrl: string;
  steps: DemoStep[];
  totalMs: number;
}

const SALESFORCE_NAME = 'demo_salesforce';
const DATA_CLOUD_NAME = 'demo_datacloud';

/** The script the "app" runs: the SDK's getAuthorization, printing facts and a hash of the token (never the token). */
const SDK_SCRIPT = `
import { createHash } from 'node:crypto';
let sdk;
try {
  sdk = await import('@heroku/applink');
} catch (error) {
  console.log(JSON.stringify({ sdk: false, reason: String(error && error.message || error).split('\\n')[0].slice(0, 200) }));
  process.exit(0);
}
const init = sdk.init ?? sdk.default?.init;
const org = await init().addons.applink.getAuthorization(process.argv[1]);
console.log(JSON.stringify({ sdk: true, orgId: org.id, domainUrl: org.domainUrl, apiVersion: org.apiVersion, username: org.user.username, userId: org.user.id,
  tokenSha256: createHash('sha256').update(org.accessToken).digest('hex') }));
`;

/** Runs the demo; exit 0 when every step worked. */
export async function runDemo(_options: DemoOptions, deps: Deps): Promise<CommandResult<DemoJson>> {
  const steps: DemoStep[] = [];
  const startedAt = deps.now();
  const step = async <T>(name: string, work: () => Promise<{ value: T; result: string }>): Promise<T> => {
    deps.progress.start(name);
    const began = deps.now();
    try {
      const { value, result } = await work();
      steps.push({ step: name, result, durationMs: deps.now() - began });
      deps.progress.stop(`ok (${describeDuration(deps.now() - began)})`);
      return value;
    } catch (error) {
      deps.progress.stop('failed');
      if (error instanceof AppError) {
        throw new AppError(error.code, `Demo step "${name}" failed: ${error.message}`, error.exitCode, { hint: error.hint, cause: error, details: error.details });
      }
      throw error;
    }
  };

  const { startSandbox } = await import('../sandbox/server.js');
  const sandbox = await step('Start the sandbox (Salesforce, Platform API and AppLink doubles on loopback)', async () => {
    const started = await startSandbox({ port: 0 });
    const where = started.separateHosts ? `one host per service on port ${started.port}` : `every service on ${started.urls.platform} (${started.sharedReason})`;
    return { value: started, result: where };
  });
  let dir: string | undefined;
  try {
    const env = sandbox.env();
    const app = env.HEROKU_APP!;
    const clientId = env.SF_CLIENT_ID!;
    const username = env.SF_USERNAME!;
    const inner: Deps = { ...deps, env: { ...env }, progress: silentProgress };

    const keyFile = await step('Generate an RSA key pair and a self-signed certificate', async () => {
      const { generateKeyMaterial } = await import('../keys/generate.js');
      const material = await generateKeyMaterial({ bits: 2048, days: 30, subject: 'CN=applink-jwt demo', nowMs: deps.now() });
      dir = await deps.fs.mkdtemp(join(tmpdir(), 'applink-jwt-demo-'));
      const path = join(dir, 'server.key');
      await deps.fs.writeFile(path, material.privateKeyPem, { mode: 0o600 });
      sandbox.registerCertificate(material.certificatePem, clientId);
      return { value: path, result: `2048-bit key in a temporary directory (mode 0600); certificate ${material.fingerprint.slice(0, 23)}... registered with external client app ${clientId}` };
    });
    const keyOptions = { jwtKeyFile: keyFile, jwtKeyEnv: 'JWT_PRIVATE_KEY' };
    const login = { clientId, username, loginUrl: sandbox.urls.login, allowLoginHosts: [] as string[] };

    await step('Preflight: JWT bearer exchange with the Salesforce double', async () => {
      const { loadPrivateKey } = await import('../keys/load.js');
      const { runPreflight } = await import('../salesforce/preflight.js');
      const key = await loadPrivateKey(keyOptions, inner);
      const result = await runPreflight(key.privateKey, { ...login, type: 'salesforce', timeoutMs: 15_000 }, inner);
      return { value: undefined, result: `accepted for ${result.username} (org ${result.orgId}, scopes ${result.scopes.join(' ')})` };
    });

    for (const [name, type] of [
      [SALESFORCE_NAME, 'salesforce'],
      [DATA_CLOUD_NAME, 'datacloud'],
    ] as const) {
      await step(`Authorize ${name} (${type === 'datacloud' ? 'Data Cloud' : 'Salesforce'}) on app ${app}`, async () => {
        const result = await runAuthorize(
          { ...keyOptions, ...login, developerName: name, app, type, replace: false, preflight: true, timeoutMs: 30_000, json: true },
          inner,
        );
        return { value: undefined, result: `${result.json.authorization.status} (org ${result.json.authorization.org.id}, ${result.json.authorization.org.type})` };
      });
    }

    await step('List the authorizations', async () => {
      const result = await runList({ app, json: true }, inner);
      return { value: undefined, result: result.json.authorizations.map((item) => `${item.org.developer_name}: ${item.status}`).join(', ') };
    });

    await step(`Read ${SALESFORCE_NAME} back the way an app does (@heroku/applink)`, async () => {
      const issued = new Set([...sandbox.state.tokens.keys()].map((token) => sha256(token)));
      const read = await readLikeAnApp(SALESFORCE_NAME, env, deps);
      const live = issued.has(read.tokenSha256) ? 'an access token the Salesforce double issued' : 'an access token the Salesforce double does NOT know';
      if (!issued.has(read.tokenSha256)) {
        throw new AppError('ERR_DEMO_SDK', `The SDK read ${SALESFORCE_NAME} but got ${live}.`, ExitCode.internal, { hint: 'Report this: the sandbox and the SDK disagree.' });
      }
      return { value: undefined, result: `${read.how}: org ${read.orgId} at ${read.domainUrl}, user ${read.username}, ${live}` };
    });

    for (const name of [SALESFORCE_NAME, DATA_CLOUD_NAME]) {
      await step(`Remove ${name}`, async () => {
        const result = await runRemove({ developerName: name, app, yes: true, json: true }, inner);
        return { value: undefined, result: `removed from add-on ${result.json.addon}` };
      });
    }
    const left = sandbox.state.authorizations.length;
    if (left !== 0) throw new AppError('ERR_DEMO_STATE', `The sandbox still holds ${left} authorization(s) after the removals.`, ExitCode.internal);
  } finally {
    await sandbox.close();
    if (dir !== undefined) await deps.fs.rm(dir, { recursive: true, force: true });
  }
  steps.push({ step: 'Clean up', result: 'sandbox stopped, temporary key deleted', durationMs: 0 });

  const totalMs = deps.now() - startedAt;
  const lines = [
    `applink-jwt demo: the whole flow against an in-process sandbox (Platform API ${sandbox.urls.platform})`,
    '',
    ...summaryRows(steps, deps.columns ?? DEFAULT_COLUMNS),
    '',
    `Done: ${steps.length} steps in ${describeDuration(totalMs)}, exit 0.`,
    'Next: applink-jwt sandbox (keep it running) and applink-jwt authorize --help.',
  ];
  return { json: { sandboxUrl: sandbox.urls.platform, steps, totalMs }, text: wrapText(lines.join('\n'), deps.columns) };
}

/**
 * The summary, two lines per step so it fits the width (100 columns, or a narrower terminal): the
 * step and its duration (right-aligned), then its result indented and wrapped below it.
 */
function summaryRows(steps: readonly DemoStep[], columns: number): string[] {
  const durations = steps.map((item) => describeDuration(item.durationMs));
  const titleWidth = Math.max(...steps.map((item, index) => `${String(index + 1).padStart(2)}. ${item.step}`.length));
  const durationWidth = Math.max(...durations.map((text) => text.length));
  const width = Math.min(Math.max(40, columns), titleWidth + 2 + durationWidth);
  return steps.flatMap((item, index) => {
    const title = `${String(index + 1).padStart(2)}. ${item.step}`;
    const gap = width - title.length - durations[index]!.length;
    // On a terminal too narrow for the step and its duration side by side, the duration leads the result.
    if (gap < 2) return [wrapText(title, columns, 4), wrapText(`    ${durations[index]}: ${item.result}`, columns)];
    return [`${title}${' '.repeat(gap)}${durations[index]}`, wrapText(`    ${item.result}`, columns)];
  });
}

interface AppRead {
  how: string;
  orgId: string;
  domainUrl: string;
  username: string;
  tokenSha256: string;
}

/**
 * Reads the authorization with the official SDK in a child process whose environment is the app's
 * (`HEROKU_APP_ID`, `HEROKU_APPLINK_API_URL`, `HEROKU_APPLINK_TOKEN`). When the SDK cannot be
 * loaded (not installed, as under npx; or too new for this Node.js), makes the same GET it makes.
 */
async function readLikeAnApp(name: string, env: Record<string, string>, deps: Deps): Promise<AppRead> {
  const appEnv = { HEROKU_APP_ID: env.HEROKU_APP_ID, HEROKU_APPLINK_API_URL: env.HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN: env.HEROKU_APPLINK_TOKEN, LOGLEVEL: 'error' };
  let reason = 'the SDK did not answer';
  try {
    const child = await deps.run('node', ['--input-type=module', '-e', SDK_SCRIPT, name], { cwd: deps.cwd, env: appEnv });
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    const parsed = JSON.parse(line) as { sdk: boolean; reason?: string } & Partial<AppRead> & { userId?: string };
    if (child.exitCode === 0 && parsed.sdk && typeof parsed.tokenSha256 === 'string') {
      return { how: 'SDK getAuthorization()', orgId: parsed.orgId ?? '', domainUrl: parsed.domainUrl ?? '', username: parsed.username ?? '', tokenSha256: parsed.tokenSha256 };
    }
    if (parsed.sdk === false) reason = `the SDK could not be loaded (${parsed.reason ?? 'unknown reason'})`;
    else reason = `the SDK failed (exit ${child.exitCode})`;
  } catch {
    reason = 'the SDK could not be run';
  }
  // The SDK's own request (applink-api.md §4): GET {API_URL}/authorizations/{name}, Bearer, X-App-UUID.
  const url = `${env.HEROKU_APPLINK_API_URL!.replace(/\/+$/, '')}/authorizations/${pathSegment(name)}`;
  const response = await httpRequest(
    {
      method: 'GET',
      url,
      headers: {
        authorization: `Bearer ${env.HEROKU_APPLINK_TOKEN}`,
        'x-app-uuid': env.HEROKU_APP_ID!,
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'x-request-id': newRequestId(),
      },
      timeoutMs: 15_000,
      retry: RETRY_IDEMPOTENT,
      service: 'the AppLink API',
    },
    deps,
  );
  const body = JSON.parse(response.text || '{}') as { org?: { id?: string; instance_url?: string; user_auth?: { username?: string; access_token?: string } } };
  const token = body.org?.user_auth?.access_token;
  if (response.status !== 200 || typeof token !== 'string') {
    throw new AppError('ERR_DEMO_SDK', `The app-style read of ${name} answered HTTP ${response.status} without org.user_auth.access_token: ${JSON.stringify(stripTokens(body)).slice(0, 200)}.`, ExitCode.internal);
  }
  return {
    how: `the SDK's GET (${reason}; same request, made directly)`,
    orgId: body.org?.id ?? '',
    domainUrl: body.org?.instance_url ?? '',
    username: body.org?.user_auth?.username ?? '',
    tokenSha256: sha256(token),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
