/**
 * One HTTP request with a timeout per attempt, bounded retries with exponential backoff (honouring
 * `Retry-After`), and typed errors. Used by the Salesforce client and the Heroku/AppLink clients.
 * It never puts a request body or header value in an error: bodies carry keys, assertions, tokens.
 */
import type { Deps, SecretSink } from './deps.js';
import { InputError, InterruptedError, NetworkError, TimeoutError } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RetryPolicy {
  /** Total attempts, the first one included (1 = no retry). */
  attempts: number;
  /** Whether a response status is worth another attempt (typically 5xx and 429). */
  retryOnStatus: (status: number) => boolean;
  /** Whether a network error or a per-attempt timeout is worth another attempt. */
  retryOnNetworkError: boolean;
  /** First backoff delay; doubled each attempt, with jitter. */
  baseDelayMs?: number;
  /** Upper bound on any delay, `Retry-After` included. */
  maxDelayMs?: number;
}

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Text, or bytes (a multipart body carrying a zip). */
  body?: string | Uint8Array;
  /** Timeout of each attempt. */
  timeoutMs: number;
  retry?: RetryPolicy;
  /** Who is called, for messages: "Salesforce", "the Heroku Platform API", "the AppLink API". */
  service: string;
  /** Largest response body read (default {@link MAX_RESPONSE_BYTES}); a larger one is an error. */
  maxResponseBytes?: number;
}

/** Default bound on a response body: far above any answer these APIs give, far below a memory problem. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The body as text (empty for none). */
  text: string;
  /** How many attempts it took. */
  attempts: number;
}

export const NO_RETRY: RetryPolicy = { attempts: 1, retryOnStatus: () => false, retryOnNetworkError: false };

/** The usual policy for idempotent calls: 5xx, 429 and network errors, three attempts. */
export const RETRY_IDEMPOTENT: RetryPolicy = {
  attempts: 3,
  retryOnStatus: (status) => status === 429 || status >= 500,
  retryOnNetworkError: true,
};

/**
 * The overall bound of a command with `--timeout`: every request (each attempt, each pause between
 * attempts) ends by `deadlineAt`, and timeout hints name `--timeout` only when the command has it.
 */
export interface HttpBounds {
  /** Milliseconds since the epoch by which everything must have ended. */
  deadlineAt?: number;
  /** The command has a `--timeout` option worth raising. */
  timeoutOption?: boolean;
}

type HttpDeps = Pick<Deps, 'fetch' | 'sleep' | 'signal' | 'now' | 'secrets'> & HttpBounds & Partial<Pick<Deps, 'httpLog'>>;

/** `ms`, cut to what is left before the deadline (when there is one). */
export function boundedDelay(ms: number, deps: Pick<Deps, 'now'> & HttpBounds): number {
  return deps.deadlineAt === undefined ? ms : Math.max(0, Math.min(ms, deps.deadlineAt - deps.now()));
}

function deadlineError(request: HttpRequest, where: string, cause?: unknown): TimeoutError {
  return new TimeoutError('ERR_DEADLINE', `The --timeout ran out while waiting for ${request.service} (${where}).`, {
    hint: 'Check the network path to the service; raise --timeout if it is just slow.',
    cause,
  });
}

/** A URL without query string or fragment, for messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Delay before the next attempt: `Retry-After` (seconds or HTTP date) if given, else backoff. */
export function retryDelayMs(attempt: number, retryAfter: string | null, policy: RetryPolicy, nowMs: number, random: number = Math.random()): number {
  const max = policy.maxDelayMs ?? 30_000;
  const value = retryAfter?.trim() ?? '';
  // RFC 9110 §10.2.3: delay-seconds (digits only) or an HTTP-date. A negative or otherwise malformed
  // number is neither (Date.parse would read "-5" as a year): back off as if there were none.
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, max);
  if (/^[A-Za-z]{3},/.test(value)) {
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.min(Math.max(date - nowMs, 0), max);
  }
  const base = policy.baseDelayMs ?? 250;
  return Math.min(base * 2 ** (attempt - 1) * (0.5 + random / 2), max);
}

/**
 * Sends the request; returns the last response, whatever its status (callers check it). Throws
 * {@link NetworkError} when the service cannot be reached, {@link TimeoutError} when every attempt
 * timed out, and {@link InterruptedError} when `deps.signal` aborts.
 */
export async function httpRequest(request: HttpRequest, deps: HttpDeps): Promise<HttpResponse> {
  registerRequestSecrets(request, deps.secrets);
  const policy = request.retry ?? NO_RETRY;
  const where = `${request.method} ${describeUrl(request.url)}`;
  let lastError: unknown;
  let timedOut = false;
  for (let attempt = 1; attempt <= policy.attempts; attempt += 1) {
    throwIfInterrupted(deps.signal, request.service);
    const left = deps.deadlineAt === undefined ? Infinity : deps.deadlineAt - deps.now();
    if (left <= 0) throw deadlineError(request, where, lastError);
    const attemptTimeoutMs = Math.min(request.timeoutMs, left);
    const attemptController = new AbortController();
    const timer = setTimeout(() => attemptController.abort(new Error('timeout')), attemptTimeoutMs);
    const onAbort = () => attemptController.abort(deps.signal.reason);
    deps.signal.addEventListener('abort', onAbort, { once: true });
    const sentAt = deps.now();
    const exchange = (outcome: number | string) =>
      deps.httpLog?.exchange({ service: request.service, method: request.method, url: describeUrl(request.url), outcome, durationMs: deps.now() - sentAt, attempt, attempts: policy.attempts });
    try {
      const response = await deps.fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: attemptController.signal,
        redirect: 'manual',
      });
      const text = await readBounded(response, request.maxResponseBytes ?? MAX_RESPONSE_BYTES, request.service, where);
      registerSecretFields(parseJson(text), deps.secrets);
      exchange(response.status);
      if (attempt < policy.attempts && policy.retryOnStatus(response.status)) {
        const delay = retryDelayMs(attempt, response.headers.get('retry-after'), policy, deps.now());
        // No time left for the pause and another attempt: this answer is the last.
        if (deps.deadlineAt !== undefined && deps.now() + delay >= deps.deadlineAt) return { status: response.status, headers: response.headers, text, attempts: attempt };
        deps.httpLog?.retry({ service: request.service, reason: response.status, delayMs: delay, attempt: attempt + 1, attempts: policy.attempts });
        await pause(delay, deps, request.service);
        continue;
      }
      return { status: response.status, headers: response.headers, text, attempts: attempt };
    } catch (error) {
      throwIfInterrupted(deps.signal, request.service);
      // An oversized body is an answer, not a network failure: another attempt would get the same.
      if (error instanceof NetworkError && error.code === 'ERR_HTTP_BODY_TOO_LARGE') throw error;
      // So is a proxy's refusal, and a proxy variable that is not a proxy URL.
      const proxyProblem = proxyError(error, request.service, where);
      if (proxyProblem !== undefined) throw proxyProblem;
      timedOut = attemptController.signal.aborted;
      lastError = error;
      const reason = timedOut ? `no answer within ${request.timeoutMs / 1000} s` : shortErrorText(error);
      exchange(reason);
      if (attempt < policy.attempts && policy.retryOnNetworkError) {
        const delayMs = boundedDelay(retryDelayMs(attempt, null, policy, deps.now()), deps);
        deps.httpLog?.retry({ service: request.service, reason, delayMs, attempt: attempt + 1, attempts: policy.attempts });
        await pause(delayMs, deps, request.service);
        continue;
      }
      break;
    } finally {
      clearTimeout(timer);
      deps.signal.removeEventListener('abort', onAbort);
    }
  }
  if (timedOut) {
    if (deps.deadlineAt !== undefined && deps.now() >= deps.deadlineAt) throw deadlineError(request, where, lastError);
    throw new TimeoutError('ERR_HTTP_TIMEOUT', `${request.service} did not answer ${where} within ${request.timeoutMs / 1000} s.`, {
      hint: deps.timeoutOption ? 'Check the network path to the service, or raise --timeout.' : 'Check the network path to the service, and run the command again.',
      cause: lastError,
    });
  }
  throw new NetworkError('ERR_NETWORK', `Could not reach ${request.service} (${where}): ${errorText(lastError)}.`, {
    hint: 'Check the URL, DNS and proxy settings, and that the service is up; then run the command again.',
    cause: lastError,
  });
}

/** The body as text, refusing to read more than `maxBytes` (a hostile or broken server). */
async function readBounded(response: Response, maxBytes: number, service: string, where: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  const tooLarge = () =>
    new NetworkError('ERR_HTTP_BODY_TOO_LARGE', `${service.charAt(0).toUpperCase()}${service.slice(1)} answered ${where} with a body larger than ${maxBytes} bytes; it was not read.`, {
      hint: 'Check that the URL points at the real service and not at a proxy or another server.',
    });
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A proxy refusal or a bad proxy variable (see node-fetch.ts and proxy.ts) as the error to report. */
function proxyError(error: unknown, service: string, where: string): Error | undefined {
  const problem = error as { code?: unknown; message?: unknown; variable?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  if (typeof problem !== 'object' || problem === null) return undefined;
  if (problem.code === 'ERR_PROXY_URL') {
    return new InputError('ERR_PROXY_URL', String(problem.message), {
      hint: `Set ${String(problem.variable)} to an http proxy URL such as http://proxy.example.com:3128 (or unset it), and list hosts that bypass it in NO_PROXY.`,
      cause: error,
    });
  }
  if (problem.cause?.code === 'ERR_PROXY_REFUSED') {
    return new NetworkError('ERR_PROXY_REFUSED', `${service.charAt(0).toUpperCase()}${service.slice(1)} was not reached (${where}): ${String(problem.cause.message)}.`, {
      hint: 'Check the credentials in the proxy URL (http://user:password@proxy:port) and that the proxy allows the host and port; or list the host in NO_PROXY to connect directly.',
      cause: error,
    });
  }
  return undefined;
}

/** The error's code (`ECONNRESET`) or its first words: what a retry or trace line says. */
function shortErrorText(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  return errorText(error).slice(0, 60);
}

function errorText(error: unknown): string {
  // Duck-typed, not `instanceof Error`: fetch's errors may come from another realm (undici, test VMs).
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const { message, cause } = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
    if (typeof cause === 'object' && cause !== null && typeof cause.code === 'string') {
      return `${cause.code}${typeof cause.message === 'string' && cause.message !== '' ? ` (${cause.message})` : ''}`;
    }
    // undici's "fetch failed" says nothing by itself; its cause may (e.g. "bad port").
    if (typeof cause === 'object' && cause !== null && typeof cause.message === 'string' && cause.message !== '') {
      return `${String(message)} (${cause.message})`;
    }
    return String(message);
  }
  return String(error);
}

function throwIfInterrupted(signal: AbortSignal, service: string): void {
  if (!signal.aborted) return;
  const name = signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
  throw new InterruptedError(name, `Interrupted (${name}) while talking to ${service}.`);
}

async function pause(ms: number, deps: HttpDeps, service: string): Promise<void> {
  try {
    await deps.sleep(ms, deps.signal);
  } catch {
    throwIfInterrupted(deps.signal, service);
  }
}

/** Names of headers and body fields whose values are secrets (tokens, keys, assertions, SSO payloads). */
export const SECRET_FIELD = /token|secret|passw|private_?key|assertion|sso|authorization|^code$/i;

/**
 * Registers every secret a request carries (the bearer token, `x-addon-sso`, a posted key, an
 * assertion) so that no echo of it by the service is ever printed.
 */
function registerRequestSecrets(request: HttpRequest, secrets: SecretSink | undefined): void {
  if (secrets === undefined) return;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (SECRET_FIELD.test(name)) secrets.add(value.replace(/^(Bearer|Basic)\s+/i, ''));
  }
  if (typeof request.body !== 'string') return;
  const json = parseJson(request.body);
  if (json !== undefined) registerSecretFields(json, secrets);
  else for (const [name, value] of new URLSearchParams(request.body)) if (SECRET_FIELD.test(name)) secrets.add(value);
}

/** Registers the value of every secret-named field, at any depth (`org.user_auth.access_token`). */
function registerSecretFields(value: unknown, secrets: SecretSink | undefined, depth = 0): void {
  if (secrets === undefined || depth > 8 || typeof value !== 'object' || value === null) return;
  for (const [name, item] of Object.entries(value)) {
    if (typeof item === 'string' && SECRET_FIELD.test(name)) secrets.add(item);
    else registerSecretFields(item, secrets, depth + 1);
  }
}

/** Parses a JSON body; `undefined` when it is empty or not JSON (callers decide what that means). */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
