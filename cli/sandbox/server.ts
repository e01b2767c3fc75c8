/**
 * The sandbox: `node:http` servers on loopback that play the Heroku Platform API subset, the
 * AppLink API, Salesforce's login host (JWT bearer token endpoint), the org's instance (My Domain:
 * token endpoint, Data Cloud exchange, a few authenticated endpoints) and the Data Cloud tenant,
 * with typed state, a request log with secrets redacted, and fault injection.
 *
 * Hosts: each service has its own loopback address, all on one port (the official plugin builds
 * the AppLink URL from `HEROKU_HOST` by replacing the hostname alone): platform 127.0.0.1, applink
 * 127.0.0.2, login 127.0.0.3, instance 127.0.0.4, datacloud 127.0.0.5, and the CircleCI API v2
 * (contexts) 127.0.0.6. Each host answers only its
 * own routes; another route gets that host's own 404, as in production. Where only 127.0.0.1 can
 * be bound (macOS without aliases), or with `hosts: 'shared'`, every service shares 127.0.0.1.
 *
 * Platform API and AppLink API answers carry `Request-Id` (a fresh UUID) and
 * `RateLimit-Remaining` (4500 per token, one less per request, as Heroku counts them).
 *
 * Control routes (never faulted, not part of any real service):
 * - `POST /__sandbox/certificates`: registers a certificate with an external client app. Body JSON
 *   `{"client_id": "...", "certificate": "-----BEGIN CERTIFICATE-----..."}`, or the PEM itself
 *   with `?client_id=...` (`curl --data-binary @server.crt`); `client_id` defaults to the first
 *   external client app.
 * - `GET /__sandbox/health`: `{"ok": true}`.
 * - `GET /__sandbox/circleci/variables`: every CircleCI context with its variables' names,
 *   timestamps, SHA-256 of the value and (for a private key) its fingerprint; never a value.
 */
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { APPLINK_ERRORS, applinkRoutes, AuthorizationJobs, INTERNAL_HEADER } from './applink.js';
import { CIRCLECI_ERRORS, circleciRoutes, variablesReport } from './circleci.js';
import { echoOfSecrets, withEcho } from './echo.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { metadataRoutes, orgDisplayRoute } from './metadata.js';
import { multipartBoundary, parseMultipart } from './multipart.js';
import { randomUUID } from './ids.js';
import { addonApiUrl, ENDPOINT_NOT_FOUND_BODY, platformRoutes, UNAUTHORIZED_BODY } from './platform.js';
import { redactBodyFields, redactHeaders, type LoggedRequest } from './request-log.js';
import { bearerToken, json, matchRoute, route, SANDBOX_SERVICES, type Reply, type Route, type RouteContext, type SandboxRequest, type SandboxService, type SandboxUrls } from './routing.js';
import { salesforceNotFound, salesforceRoutes } from './salesforce.js';
import { validateStateInput } from './state-schema.js';
import { APPLINK_SERVICE, DEFAULT_STATE_INPUT, HEROKU_EGRESS_IP, SandboxState, type SandboxSnapshot, type SandboxStateInput } from './state.js';

export type { LoggedRequest } from './request-log.js';
export { SANDBOX_SERVICES, type SandboxService, type SandboxUrls } from './routing.js';
export { FaultInjector } from './faults.js';
export { SandboxState, keyFingerprint, type SandboxStateInput, type SandboxSnapshot } from './state.js';

/** Largest request body accepted (a 4096-bit key in JSON is about 3.3 KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/** Heroku's hourly request budget per token, which `RateLimit-Remaining` counts down from. */
export const RATE_LIMIT_PER_TOKEN = 4500;

/** How many times an ephemeral port is tried when another host's address is taken on it. */
const PORT_ATTEMPTS = 20;

export interface SandboxOptions {
  /** Port every host listens on; 0 or absent for an ephemeral port. */
  port?: number;
  /**
   * `separate` (default): each service on its own loopback address where the system has them,
   * else all on 127.0.0.1 (see {@link Sandbox.sharedReason}); `shared`: all on 127.0.0.1.
   */
  hosts?: 'separate' | 'shared';
  /**
   * The address of each service, in {@link SANDBOX_SERVICES} order (default 127.0.0.1 to
   * 127.0.0.5). Tests give an address the system lacks to exercise the fallback to one host.
   */
  addresses?: readonly string[];
  /** Initial state (the YAML file's shape); the default state when absent. */
  state?: SandboxStateInput;
  /** Delay before an authorization leaves `authorizing` (overrides `state.settings.settleDelayMs`). */
  settleDelayMs?: number | 'never';
  /** The clock (milliseconds since the epoch) for `exp` checks, token lifetimes and timestamps. */
  now?: () => number;
}

export interface Sandbox {
  /** Each service's origin (`http://127.0.0.N:<port>`); all the same when the hosts are shared. */
  urls: SandboxUrls;
  port: number;
  /** Whether each service has its own address. */
  separateHosts: boolean;
  /** Why every service shares 127.0.0.1, when it does. */
  sharedReason?: string;
  /** The routes the doubles serve: name, method, path template and the services that answer them. */
  routes: ReadonlyArray<{ name: string; method: string; template: string; services: readonly SandboxService[] }>;
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
  401: UNAUTHORIZED_BODY,
  403: { id: 'forbidden', message: 'You do not have access to this app.' },
  429: { id: 'rate_limit', message: 'Your account reached the API rate limit. Please wait a few minutes before making new requests' },
  500: { id: 'server_error', message: 'Internal server error' },
  502: { id: 'bad_gateway', message: 'Bad gateway' },
  503: { id: 'service_unavailable', message: 'Service unavailable' },
  504: { id: 'gateway_timeout', message: 'Gateway timeout' },
};

/** An injected error in the answering service's shape: CircleCI's `{message}`, Heroku's `{id, message}`. */
function faultReply(status: number, retryAfterSeconds: number | undefined, service: SandboxService | undefined): Reply {
  const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
  if (service === 'circleci') return json(status, status === 401 ? CIRCLECI_ERRORS.unauthorized : { message: FAULT_BODIES[status]?.message ?? http.STATUS_CODES[status] ?? 'Error' }, headers);
  const body = FAULT_BODIES[status] ?? { id: 'error', message: http.STATUS_CODES[status] ?? 'Error' };
  return json(status, body, headers);
}

function serialise(reply: Reply): { headers: Record<string, string>; body: Buffer } {
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  return { headers: { ...(reply.headers ?? {}), 'content-length': String(body.length) }, body };
}

/** Each host's answer to a route it does not serve (wrong host, unknown path or verb). */
function notFoundReply(service: SandboxService | undefined, method: string, path: string, methodMismatch: boolean): Reply {
  switch (service) {
    case 'platform':
      return json(404, ENDPOINT_NOT_FOUND_BODY);
    case 'applink':
      return json(404, APPLINK_ERRORS.notFound);
    case 'login':
    case 'instance':
    case 'datacloud':
      return salesforceNotFound(service);
    case 'circleci':
      return json(404, CIRCLECI_ERRORS.notFound);
    default: {
      const message = `No sandbox route for ${method} ${path}`;
      return methodMismatch ? json(405, { id: 'method_not_allowed', message }) : json(404, { id: 'not_found', message });
    }
  }
}

/** Where one server listens: a service's own address, or (undefined) the address every service shares. */
interface Binding {
  service: SandboxService | undefined;
}

function listenOn(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}

function controlRoutes(state: SandboxState): Route[] {
  return [
    route(SANDBOX_SERVICES, 'GET', '/__sandbox/health', 'control.health', () => json(200, { ok: true })),
    route(SANDBOX_SERVICES, 'POST', '/__sandbox/certificates', 'control.certificates', (request) => {
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
    route(SANDBOX_SERVICES, 'GET', '/__sandbox/circleci/variables', 'control.circleci-variables', () => json(200, variablesReport(state.circleci))),
  ];
}

/**
 * Starts the sandbox on loopback (see the hosts above). The state is the given input (schema-checked, errors name the
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

  let urls: SandboxUrls = Object.fromEntries(SANDBOX_SERVICES.map((service) => [service, ''])) as SandboxUrls;
  const jobs = new AuthorizationJobs(state, () => urls.login, now);
  const routes = [...controlRoutes(state), orgDisplayRoute(), ...salesforceRoutes(), ...metadataRoutes(), ...platformRoutes(), ...applinkRoutes(jobs), ...circleciRoutes()];
  const faults = new FaultInjector();
  const requestLog: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  const rateLimits = new Map<string, number>();
  let sequence = 0;

  function createServer(binding: Binding): http.Server {
    const server = http.createServer((req, res) => {
      // A client that went away mid-request must not take the server (or a test run) down with it.
      handle(binding, req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    return server;
  }

  /** `Request-Id` and `RateLimit-Remaining`, as the Platform API and the AppLink API send them. */
  function herokuHeaders(request: SandboxRequest, status: number): Record<string, string> {
    const token = bearerToken(request.headers) ?? '';
    const remaining = status === 429 ? 0 : Math.max(0, (rateLimits.get(token) ?? RATE_LIMIT_PER_TOKEN) - 1);
    rateLimits.set(token, remaining);
    return { 'Request-Id': randomUUID(), 'RateLimit-Remaining': String(remaining) };
  }

  async function handle(binding: Binding, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const seq = (sequence += 1);
    const rawBody = await readBody(req);
    if (rawBody === null) return; // the client aborted the request: nothing to answer
    const target = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const internal = req.headers[INTERNAL_HEADER] === jobs.internalSecret;
    const { [INTERNAL_HEADER]: _marker, ...headers } = req.headers;
    // The AppLink double logs in "from Heroku"; everything else from where its socket is.
    const clientIp = internal ? HEROKU_EGRESS_IP : (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const request: SandboxRequest = { method, path: target.pathname, query: target.searchParams, headers, rawBody: rawBody?.toString('utf8') ?? '', bytes: rawBody ?? Buffer.alloc(0), jsonInvalid: false, params: {}, clientIp };
    const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
    const boundary = multipartBoundary(String(req.headers['content-type'] ?? ''));
    if (boundary && rawBody) request.parts = parseMultipart(rawBody, boundary);
    if (contentType.startsWith('application/x-www-form-urlencoded')) request.form = new URLSearchParams(request.rawBody);
    if (contentType.startsWith('application/json') && request.rawBody !== '') {
      try {
        request.json = JSON.parse(request.rawBody);
      } catch {
        request.jsonInvalid = true;
      }
    }
    const hostService = binding.service;
    const origin = hostService ? urls[hostService] : urls.platform;
    const served = hostService ? routes.filter((candidate) => candidate.services.includes(hostService)) : routes;
    const match = matchRoute(served, method, target.pathname);
    const routeName = 'route' in match ? match.route.name : 'unknown';
    // The service whose headers the answer carries: the host's, or (shared host) the route's.
    const service = hostService ?? ('route' in match && !routeName.startsWith('control.') ? match.route.services[0] : undefined);
    const heroku = service === 'platform' || service === 'applink';
    const plan: FaultPlan = 'route' in match ? faults.plan(routeName, internal) : { latencyMs: 0, kinds: [] };
    const entry: LoggedRequest = {
      seq,
      method,
      host: origin,
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
    const withHeaders = (reply: Reply): Reply => (heroku ? { ...reply, headers: { ...reply.headers, ...herokuHeaders(request, reply.status) } } : reply);
    if (plan.hold) await plan.hold;
    if (plan.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, plan.latencyMs));
    if (rawBody === undefined) return send(res, withHeaders(json(413, { id: 'payload_too_large', message: 'Request body too large' })), finish, echo);
    if (plan.before?.kind === 'reset') {
      finish(0);
      req.socket.resetAndDestroy();
      return;
    }
    if (plan.before) {
      return send(res, withHeaders(faultReply(plan.before.kind === 'status' ? plan.before.status : 429, plan.before.kind === 'rate-limit' ? plan.before.retryAfterSeconds : undefined, service)), finish, echo);
    }
    let reply: Reply;
    if (!('route' in match)) {
      reply = notFoundReply(hostService, method, target.pathname, match.methodMismatch);
    } else {
      try {
        const context: RouteContext = { state, urls, origin, now };
        const routed: SandboxRequest = { ...request, params: match.params };
        reply = await match.route.handle(routed, context);
        if (routed.logFields) entry.bodyFields = redactBodyFields({ ...entry.bodyFields, ...routed.logFields });
      } catch (error) {
        reply = json(500, { id: 'server_error', message: `Sandbox error: ${(error as Error).message}` });
      }
    }
    if (plan.after?.kind === 'status') return send(res, withHeaders(faultReply(plan.after.status, undefined, service)), finish, echo);
    reply = withHeaders(reply);
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

  const addresses = options.addresses ?? SANDBOX_SERVICES.map((_service, index) => `127.0.0.${index + 1}`);
  const bound = await bindHosts(createServer, options.port ?? 0, options.hosts ?? 'separate', addresses);
  const { port, servers } = bound;
  urls = Object.fromEntries(
    SANDBOX_SERVICES.map((service, index) => [service, `http://${bound.separate ? addresses[index] : addresses[0]}:${port}`]),
  ) as SandboxUrls;

  let closing: Promise<void> | undefined;
  const sandbox: Sandbox = {
    urls,
    port,
    separateHosts: bound.separate,
    ...(bound.sharedReason ? { sharedReason: bound.sharedReason } : {}),
    routes: routes.map(({ name, method, template, services }) => ({ name, method, template, services })),
    state,
    requestLog,
    faults,
    close() {
      closing ??= (async () => {
        jobs.close();
        const closed = Promise.all(servers.map(closeServer));
        for (const socket of sockets) socket.destroy();
        await closed;
      })();
      return closing;
    },
    env() {
      return sandboxEnv(state, urls);
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
 * Binds the hosts: the first service on `port` (0: an ephemeral one) at its address, then every
 * other service on that same port at its own address. An ephemeral port taken on another address
 * is given up and another tried; an address the system does not have (EADDRNOTAVAIL) means one
 * shared host on the first address.
 */
async function bindHosts(
  createServer: (binding: Binding) => http.Server,
  port: number,
  mode: 'separate' | 'shared',
  addresses: readonly string[],
): Promise<{ port: number; servers: http.Server[]; separate: boolean; sharedReason?: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const first: Binding = { service: mode === 'shared' ? undefined : SANDBOX_SERVICES[0] };
    const firstServer = createServer(first);
    await listenOn(firstServer, port, addresses[0]!);
    const actual = (firstServer.address() as { port: number }).port;
    if (mode === 'shared') return { port: actual, servers: [firstServer], separate: false, sharedReason: 'shared hosts were asked for' };
    const servers = [firstServer];
    let failure: NodeJS.ErrnoException | undefined;
    for (const [index, service] of SANDBOX_SERVICES.entries()) {
      if (index === 0) continue;
      const server = createServer({ service });
      try {
        await listenOn(server, actual, addresses[index]!);
        servers.push(server);
      } catch (error) {
        failure = error as NodeJS.ErrnoException;
        break;
      }
    }
    if (!failure) return { port: actual, servers, separate: true };
    await Promise.all(servers.slice(1).map(closeServer));
    if (failure.code === 'EADDRNOTAVAIL') {
      first.service = undefined;
      return { port: actual, servers: [firstServer], separate: false, sharedReason: `this system has no loopback address beside ${addresses[0]} (${serviceAddressOf(failure)}: EADDRNOTAVAIL)` };
    }
    await closeServer(firstServer);
    if (port !== 0 || failure.code !== 'EADDRINUSE' || attempt >= PORT_ATTEMPTS) throw failure;
  }
}

function serviceAddressOf(error: NodeJS.ErrnoException & { address?: string }): string {
  return error.address ?? '127.0.0.2';
}

/**
 * The variables that point applink-jwt and the SDK at the sandbox: the first app with an AppLink
 * add-on (its first attachment on that app), and the first org's first external client app and
 * pre-authorized user.
 */
export function sandboxEnv(state: SandboxState, urls: SandboxUrls): Record<string, string> {
  // HEROKU_HOST (with its scheme) is what the official Heroku CLI reads; HEROKU_API_URL is ours.
  const env: Record<string, string> = { HEROKU_API_KEY: state.herokuApiKey, HEROKU_API_URL: urls.platform, HEROKU_HOST: urls.platform };
  for (const app of state.apps) {
    const addon = state.addonsOfApp(app.id).find((candidate) => candidate.service === APPLINK_SERVICE);
    const attachment = addon?.attachments.find((a) => a.appId === app.id);
    if (!addon || !attachment) continue;
    Object.assign(env, {
      HEROKU_APP: app.name,
      HEROKU_APP_NAME: app.name,
      HEROKU_APP_ID: app.id,
      [`${attachment.name}_API_URL`]: addonApiUrl(urls.applink, addon),
      [`${attachment.name}_TOKEN`]: attachment.token,
    });
    break;
  }
  env.SF_LOGIN_URL = urls.login;
  // The CircleCI API v2 base URL (https://circleci.com/api/v2 in production) and its token.
  env.CIRCLECI_API_URL = `${urls.circleci}/api/v2`;
  env.CIRCLE_TOKEN = state.circleci.token;
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

/** The body's bytes; undefined when larger than {@link MAX_BODY_BYTES}; null when the client aborted. */
function readBody(req: http.IncomingMessage): Promise<Buffer | undefined | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(null));
  });
}
