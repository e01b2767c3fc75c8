/**
 * The sandbox: one `node:http` server on 127.0.0.1 that plays Salesforce (token endpoint, Data
 * Cloud exchange, a few authenticated endpoints), the Heroku Platform API subset and the AppLink
 * API, with typed state, a request log with secrets redacted, and fault injection.
 *
 * Control routes (never faulted, not part of any real service):
 * - `POST /__sandbox/certificates`: registers a certificate with an external client app. Body JSON
 *   `{"client_id": "...", "certificate": "-----BEGIN CERTIFICATE-----..."}`, or the PEM itself
 *   with `?client_id=...` (`curl --data-binary @server.crt`); `client_id` defaults to the first
 *   external client app.
 * - `GET /__sandbox/health`: `{"ok": true}`.
 */
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { applinkRoutes, AuthorizationJobs, INTERNAL_HEADER } from './applink.js';
import { echoOfSecrets, withEcho } from './echo.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { addonApiUrl, platformRoutes } from './platform.js';
import { redactBodyFields, redactHeaders, type LoggedRequest } from './request-log.js';
import { json, matchRoute, route, type Reply, type Route, type RouteContext, type SandboxRequest } from './routing.js';
import { salesforceRoutes } from './salesforce.js';
import { validateStateInput } from './state-schema.js';
import { APPLINK_SERVICE, DEFAULT_STATE_INPUT, SandboxState, type SandboxSnapshot, type SandboxStateInput } from './state.js';

export type { LoggedRequest } from './request-log.js';
export { FaultInjector } from './faults.js';
export { SandboxState, keyFingerprint, type SandboxStateInput, type SandboxSnapshot } from './state.js';

/** Largest request body accepted (a 4096-bit key in JSON is about 3.3 KB). */
const MAX_BODY_BYTES = 1024 * 1024;

export interface SandboxOptions {
  /** Port to listen on; 0 or absent for an ephemeral port. */
  port?: number;
  /** Initial state (the YAML file's shape); the default state when absent. */
  state?: SandboxStateInput;
  /** Delay before an authorization leaves `authorizing` (overrides `state.settings.settleDelayMs`). */
  settleDelayMs?: number | 'never';
  /** The clock (milliseconds since the epoch) for `exp` checks, token lifetimes and timestamps. */
  now?: () => number;
}

export interface Sandbox {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Closes the server and every socket, and cancels pending authorizations. */
  close(): Promise<void>;
  state: SandboxState;
  requestLog: LoggedRequest[];
  faults: FaultInjector;
  /** The environment that points applink-jwt and the `@heroku/applink` SDK at this sandbox. */
  env(): Record<string, string>;
  /** Deep copy of what a test compares before and after an operation. */
  snapshot(): SandboxSnapshot;
  /** Registers a certificate PEM with the external client app of `clientId` (default: the first one). */
  registerCertificate(certificatePem: string, clientId?: string): void;
}

const FAULT_BODIES: Record<number, { id: string; message: string }> = {
  429: { id: 'rate_limit', message: 'Your account reached the API rate limit. Please wait a few minutes before making new requests' },
  500: { id: 'server_error', message: 'Internal server error' },
  502: { id: 'bad_gateway', message: 'Bad gateway' },
  503: { id: 'service_unavailable', message: 'Service unavailable' },
  504: { id: 'gateway_timeout', message: 'Gateway timeout' },
};

function faultReply(status: number, retryAfterSeconds?: number): Reply {
  const body = FAULT_BODIES[status] ?? { id: 'error', message: http.STATUS_CODES[status] ?? 'Error' };
  return json(status, body, retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) });
}

function serialise(reply: Reply): { headers: Record<string, string>; body: Buffer } {
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  return { headers: { ...(reply.headers ?? {}), 'content-length': String(body.length) }, body };
}

function controlRoutes(state: SandboxState): Route[] {
  return [
    route('GET', '/__sandbox/health', 'control.health', () => json(200, { ok: true })),
    route('POST', '/__sandbox/certificates', 'control.certificates', (request) => {
      const fields = (request.json ?? {}) as Record<string, unknown>;
      const clientId = (typeof fields.client_id === 'string' ? fields.client_id : request.query.get('client_id')) ?? state.externalClientApps[0]?.consumerKey;
      const certificate = typeof fields.certificate === 'string' ? fields.certificate : request.json === undefined ? request.rawBody : '';
      if (!clientId) return json(404, { id: 'not_found', message: 'The sandbox has no external client app' });
      if (!state.findExternalClientApp(clientId)) return json(404, { id: 'not_found', message: `No external client app with consumer key ${clientId}` });
      try {
        state.registerCertificate(clientId, certificate);
      } catch (error) {
        return json(422, { id: 'validation_failed', message: (error as Error).message });
      }
      return json(200, { client_id: clientId, registered: true });
    }),
  ];
}

/**
 * Starts the sandbox on 127.0.0.1. The state is the given input (schema-checked, errors name the
 * path) or the default one: org `acme` (production, My Domain https://acme.my.salesforce.com),
 * user `ci@acme.example`, an external client app pre-authorizing that user (no certificate yet:
 * register one), and app `acme-app` with add-on `applink-sandbox-1` attached as HEROKU_APPLINK.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const clock = options.now ?? Date.now;
  // The doubles' clock: the given one, moved by `settings.clockOffsetMs` (a server clock that is off).
  let offsetOf: () => number = () => 0;
  const now = () => clock() + offsetOf();
  const input = options.state ?? DEFAULT_STATE_INPUT;
  if (options.state) validateStateInput(input, 'sandbox state');
  const state = SandboxState.fromInput(input, now);
  offsetOf = () => state.settings.clockOffsetMs;
  if (options.settleDelayMs !== undefined) state.configure({ settleDelayMs: options.settleDelayMs });

  let url = '';
  const jobs = new AuthorizationJobs(state, () => url, now);
  const routes = [...controlRoutes(state), ...salesforceRoutes(), ...platformRoutes(), ...applinkRoutes(jobs)];
  const faults = new FaultInjector();
  const requestLog: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  let sequence = 0;

  const server = http.createServer((req, res) => {
    // A client that went away mid-request must not take the server (or a test run) down with it.
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const seq = (sequence += 1);
    const rawBody = await readBody(req);
    if (rawBody === null) return; // the client aborted the request: nothing to answer
    const target = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const internal = req.headers[INTERNAL_HEADER] === jobs.internalSecret;
    const { [INTERNAL_HEADER]: _marker, ...headers } = req.headers;
    const request: SandboxRequest = { method, path: target.pathname, query: target.searchParams, headers, rawBody: rawBody ?? '', jsonInvalid: false, params: {} };
    const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
    if (contentType.startsWith('application/x-www-form-urlencoded')) request.form = new URLSearchParams(request.rawBody);
    if (contentType.startsWith('application/json') && request.rawBody !== '') {
      try {
        request.json = JSON.parse(request.rawBody);
      } catch {
        request.jsonInvalid = true;
      }
    }
    const match = matchRoute(routes, method, target.pathname);
    const routeName = 'route' in match ? match.route.name : 'unknown';
    const plan: FaultPlan = 'route' in match ? faults.plan(routeName, internal) : { latencyMs: 0, kinds: [] };
    const entry: LoggedRequest = {
      seq,
      method,
      path: `${target.pathname}${target.search}`,
      headers: redactHeaders(headers),
      bodyFields: redactBodyFields(request.form ? Object.fromEntries(request.form) : isObject(request.json) ? request.json : undefined),
      status: 0,
      route: routeName,
      faults: plan.kinds,
      internal,
    };
    const finish = (status: number) => {
      entry.status = status;
      requestLog.push(entry);
    };
    const echo = state.settings.echoSecrets && !internal ? echoOfSecrets(request) : '';
    if (plan.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, plan.latencyMs));
    if (rawBody === undefined) return send(res, json(413, { id: 'payload_too_large', message: 'Request body too large' }), finish, echo);
    if (plan.before?.kind === 'reset') {
      finish(0);
      req.socket.resetAndDestroy();
      return;
    }
    if (plan.before) {
      return send(res, faultReply(plan.before.kind === 'status' ? plan.before.status : 429, plan.before.kind === 'rate-limit' ? plan.before.retryAfterSeconds : undefined), finish, echo);
    }
    let reply: Reply;
    if (!('route' in match)) {
      const message = `No sandbox route for ${method} ${target.pathname}`;
      reply = match.methodMismatch ? json(405, { id: 'method_not_allowed', message }) : json(404, { id: 'not_found', message });
    } else {
      try {
        const context: RouteContext = { state, url, now };
        reply = await match.route.handle({ ...request, params: match.params }, context);
      } catch (error) {
        reply = json(500, { id: 'server_error', message: `Sandbox error: ${(error as Error).message}` });
      }
    }
    if (plan.after?.kind === 'status') return send(res, faultReply(plan.after.status), finish, echo);
    if (plan.after?.kind === 'reset') {
      // Mid-response: the status line, headers and half the body go out, then the connection is reset.
      const { headers: replyHeaders, body } = serialise(reply);
      res.writeHead(reply.status, replyHeaders);
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
        finish(reply.status);
        req.socket.resetAndDestroy();
      });
      return;
    }
    return send(res, reply, finish, echo);
  }

  function send(res: http.ServerResponse, reply: Reply, finish: (status: number) => void, echo = ''): void {
    const { headers, body } = serialise(withEcho(reply, echo));
    finish(reply.status);
    res.writeHead(reply.status, headers);
    res.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  url = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  const sandbox: Sandbox = {
    url,
    port,
    state,
    requestLog,
    faults,
    close() {
      closing ??= new Promise<void>((resolve) => {
        jobs.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
    env() {
      return sandboxEnv(state, url);
    },
    snapshot() {
      return state.snapshot();
    },
    registerCertificate(certificatePem, clientId) {
      const target = clientId ?? state.externalClientApps[0]?.consumerKey;
      if (!target) throw new Error('The sandbox has no external client app to register a certificate with.');
      state.registerCertificate(target, certificatePem);
    },
  };
  return sandbox;
}

/**
 * The variables that point applink-jwt and the SDK at the sandbox: the first app with an AppLink
 * add-on (its first attachment on that app), and the first org's first external client app and
 * pre-authorized user.
 */
export function sandboxEnv(state: SandboxState, url: string): Record<string, string> {
  const env: Record<string, string> = { HEROKU_API_KEY: state.herokuApiKey, HEROKU_API_URL: url };
  for (const app of state.apps) {
    const addon = state.addonsOfApp(app.id).find((candidate) => candidate.service === APPLINK_SERVICE);
    const attachment = addon?.attachments.find((a) => a.appId === app.id);
    if (!addon || !attachment) continue;
    Object.assign(env, {
      HEROKU_APP: app.name,
      HEROKU_APP_NAME: app.name,
      HEROKU_APP_ID: app.id,
      [`${attachment.name}_API_URL`]: addonApiUrl(url, addon),
      [`${attachment.name}_TOKEN`]: attachment.token,
    });
    break;
  }
  env.SF_LOGIN_URL = url;
  const eca = state.externalClientApps[0];
  if (eca) {
    env.SF_CLIENT_ID = eca.consumerKey;
    const username = eca.preAuthorized[0] ?? state.users.find((user) => user.orgId === eca.orgId)?.username;
    if (username) env.SF_USERNAME = username;
  }
  return env;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body as UTF-8; undefined when larger than {@link MAX_BODY_BYTES}; null when the client aborted. */
function readBody(req: http.IncomingMessage): Promise<string | undefined | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}
