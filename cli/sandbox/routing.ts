/**
 * The small routing layer the doubles share: a route table of `METHOD /path/:param` patterns with
 * stable names (used by the request log and fault injection), parsed requests, and replies that
 * handlers return instead of writing (so a fault can strike after a handler ran).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { MultipartPart } from './multipart.js';
import type { SandboxState } from './state.js';

export interface SandboxRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed as a form, when sent as `application/x-www-form-urlencoded`. */
  form?: URLSearchParams;
  /** The body parsed as JSON, when sent as `application/json` and valid. */
  json?: unknown;
  /** Whether a JSON body was sent but did not parse. */
  jsonInvalid: boolean;
  /** The body's bytes (a zip in a multipart body must not go through a text decoding). */
  bytes?: Buffer;
  /** The parts of a `multipart/form-data` body, when it is one and well-formed. */
  parts?: MultipartPart[];
  /** Fields a handler adds to the request log for a body the server does not parse (redacted like the others). */
  logFields?: Record<string, string>;
  /** Path parameters. */
  params: Record<string, string>;
  /** The address the request counts as coming from (Login IP Ranges): the socket's, or Heroku's for the AppLink double's own calls. */
  clientIp?: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value (serialised), or a string sent as is. */
  body?: unknown;
}

/**
 * The services the sandbox plays. With separate hosts each has its own loopback address (all on
 * one port) and answers only its own routes; with one host, one address answers them all.
 */
export type SandboxService = 'platform' | 'applink' | 'login' | 'instance' | 'datacloud' | 'circleci';

/** The services in address order: `platform` on 127.0.0.1, `applink` on 127.0.0.2, and so on (`circleci` on 127.0.0.6). */
export const SANDBOX_SERVICES: readonly SandboxService[] = ['platform', 'applink', 'login', 'instance', 'datacloud', 'circleci'];

/** The origin (`http://127.0.0.N:<port>`, no trailing slash) of each service. */
export type SandboxUrls = Record<SandboxService, string>;

/** What handlers may use besides the request. */
export interface RouteContext {
  state: SandboxState;
  /** Where each service is. */
  urls: SandboxUrls;
  /** The origin the request arrived at (what a real service knows as its own host). */
  origin: string;
  now: () => number;
}

export type Handler = (request: SandboxRequest, context: RouteContext) => Reply | Promise<Reply>;

export interface Route {
  name: string;
  /** The hosts that answer it (control routes: every host). */
  services: readonly SandboxService[];
  method: string;
  /** The `/path/:param` template. */
  template: string;
  pattern: RegExp;
  keys: string[];
  handle: Handler;
}

/** A route from a `/path/:param` template; `:param` matches one segment. */
export function route(services: SandboxService | readonly SandboxService[], method: string, template: string, name: string, handle: Handler): Route {
  const keys: string[] = [];
  const source = template
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        keys.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { name, services: typeof services === 'string' ? [services] : services, method, template, pattern: new RegExp(`^${source}/?$`), keys, handle };
}

/** The route for a method and path, with its decoded parameters; `methodMismatch` when only the path matched. */
export function matchRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | { methodMismatch: boolean } {
  let methodMismatch = false;
  for (const candidate of routes) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    if (candidate.method !== method) {
      methodMismatch = true;
      continue;
    }
    const params: Record<string, string> = {};
    candidate.keys.forEach((key, index) => {
      const raw = match[index + 1]!;
      try {
        params[key] = decodeURIComponent(raw);
      } catch {
        params[key] = raw;
      }
    });
    return { route: candidate, params };
  }
  return { methodMismatch };
}

/** A JSON reply. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

/** The bearer token of an `Authorization` header, if any. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/** One header's value as a string (the first one if repeated). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
