/**
 * A fake `fetch` for the Heroku clients' unit tests: answers from a route table (each route a queue
 * of answers, the last one repeated), records every request, and fails on any unknown route.
 */
import type { AppLinkTarget } from '../../../cli/applink/platform-api.js';
import type { Deps } from '../../../cli/deps.js';

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** An answer: a status with a JSON (or raw text) body, or a thrown network error. */
export type Answer =
  | { status: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | { networkError: string };

export interface FakeService {
  fetch: Deps['fetch'];
  requests: RecordedRequest[];
  /** Adds (or replaces) a route: "GET /apps/my-app" -> answers. */
  on(route: string, ...answers: Array<Answer | ((request: RecordedRequest) => Answer)>): void;
  /** "METHOD path" of every request, in order. */
  calls(): string[];
}

export function fakeService(): FakeService {
  const routes = new Map<string, Array<Answer | ((request: RecordedRequest) => Answer)>>();
  const requests: RecordedRequest[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries((init.headers ?? {}) as Record<string, string>)) headers[name.toLowerCase()] = value;
    const request: RecordedRequest = { method: init.method ?? 'GET', url: url.href, path: url.pathname, headers, ...(init.body === undefined ? {} : { body: String(init.body) }) };
    requests.push(request);
    const queue = routes.get(`${request.method} ${url.pathname}`);
    if (!queue || queue.length === 0) throw new Error(`fakeService: unexpected request ${request.method} ${url.href}`);
    const next = queue.length > 1 ? queue.shift()! : queue[0]!;
    const answer = typeof next === 'function' ? next(request) : next;
    if ('networkError' in answer) throw new TypeError('fetch failed', { cause: Object.assign(new Error(answer.networkError), { code: answer.networkError }) });
    const text = answer.text ?? (answer.json === undefined ? '' : JSON.stringify(answer.json));
    return new Response(answer.status === 204 ? null : text, { status: answer.status, headers: { 'content-type': 'application/json', ...answer.headers } });
  }) as Deps['fetch'];
  return {
    fetch,
    requests,
    on(route, ...answers) {
      routes.set(route, answers);
    },
    calls: () => requests.map((request) => `${request.method} ${request.path}`),
  };
}

/** Deps for the clients: the fake fetch, a clock, a sleep that records and returns at once. */
export function clientDeps(service: FakeService, overrides: Partial<Pick<Deps, 'now' | 'signal' | 'sleep'>> = {}) {
  const sleeps: number[] = [];
  let clock = Date.UTC(2026, 10, 28, 12, 0, 0);
  return {
    sleeps,
    deps: {
      fetch: service.fetch,
      now: () => clock,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock += ms;
      },
      signal: new AbortController().signal,
      ...overrides,
    },
    advance(ms: number) {
      clock += ms;
    },
  };
}

export const APP_ID = '11111111-2222-3333-4444-555555555555';
export const ADDON_ID = '01234567-89ab-cdef-0123-456789abcdef';
export const HEROKU_API_KEY = 'heroku-api-key-0123456789abcdef';
export const ADDON_TOKEN = 'addon-token-fedcba9876543210';
export const SSO = {
  action: 'https://applink.heroku.com/sso/login',
  method: 'post',
  params: { app: 'my-app', context_app: 'my-app', email: 'dev@example.com', id: ADDON_ID, 'nav-data': 'nav', resource_id: 'r', resource_token: 'rt', timestamp: 1764331200, token: 'sso-token', user_id: 'u', user_scoped_resource_token: 'urt' },
};

/** The add-on of `my-app` as platform-mode resolution finds it (what healthyPlatform serves). */
export const PLATFORM_TARGET: AppLinkTarget = {
  mode: 'platform',
  appName: 'my-app',
  appId: APP_ID,
  addonId: ADDON_ID,
  addonName: 'applink-rigid-12345',
  baseUrl: `https://applink-api.heroku.com/addons/${ADDON_ID}`,
  token: ADDON_TOKEN,
  tokenSource: 'config var HEROKU_APPLINK_TOKEN of my-app',
  sso: Buffer.from(JSON.stringify(SSO)).toString('base64'),
};

/** Routes of a healthy app `my-app` with one AppLink add-on whose API is at `apiUrl`. */
export function healthyPlatform(service: FakeService, apiUrl = `https://applink-api.heroku.com/addons/${ADDON_ID}`, overrides: { addons?: unknown; attachments?: unknown; configVars?: unknown } = {}) {
  service.on('GET /apps/my-app', { status: 200, json: { id: APP_ID, name: 'my-app' } });
  service.on('GET /apps/my-app/addons', {
    status: 200,
    json: overrides.addons ?? [
      { id: ADDON_ID, name: 'applink-rigid-12345', addon_service: { name: 'heroku-applink' } },
      { id: 'aaaaaaaa-0000-0000-0000-000000000000', name: 'postgresql-1', addon_service: { name: 'heroku-postgresql' } },
    ],
  });
  service.on('GET /apps/my-app/addon-attachments', {
    status: 200,
    json: overrides.attachments ?? [
      { name: 'DATABASE', addon: { id: 'aaaaaaaa-0000-0000-0000-000000000000' } },
      { name: 'HEROKU_APPLINK', addon: { id: ADDON_ID } },
    ],
  });
  service.on('GET /apps/my-app/config-vars', {
    status: 200,
    json: overrides.configVars ?? { HEROKU_APPLINK_API_URL: apiUrl, HEROKU_APPLINK_TOKEN: ADDON_TOKEN, DATABASE_URL: 'postgres://x' },
  });
  service.on(`GET /apps/my-app/addons/${ADDON_ID}/sso`, { status: 200, json: SSO });
}
