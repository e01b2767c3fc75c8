/**
 * What the Heroku Platform API and the AppLink API answer, read defensively: JSON bodies that may be
 * empty, HTML or truncated, error bodies in Heroku (`{id, message}`) or problem (`{title, detail}`)
 * style, and statuses nobody documented. Never puts a request body or a secret in an error.
 */
import { randomUUID } from 'node:crypto';
import { HerokuError, NetworkError, type AppError } from '../errors.js';
import { parseJson, type HttpResponse } from '../http.js';
import { VERSION } from '../version.js';
import { printable } from './developer-name.js';

/** `user-agent` of every request we send. */
export const USER_AGENT = `applink-jwt/${VERSION}`;

/** A fresh `request-id` (the header the Heroku CLI sends; one id per request). */
export function newRequestId(): string {
  return randomUUID();
}

/** What kind of body a service sent, for messages ("an HTML page", "an empty body"). */
export function describeBody(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'an empty body';
  if (/^<(!doctype|html|head|body|\?xml)/i.test(trimmed)) return 'an HTML page';
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return 'truncated or invalid JSON';
  return `text that is not JSON (${text.length} bytes)`;
}

/** The service's own error text (`message`, or `title - detail`), on one line and bounded. */
export function serverMessage(text: string): string | undefined {
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  let message: string | undefined;
  if (typeof record.message === 'string') message = record.message;
  else if (typeof record.detail === 'string') message = typeof record.title === 'string' ? `${record.title} - ${record.detail}` : record.detail;
  else if (typeof record.error === 'string') message = record.error;
  return message === undefined ? undefined : printable(message.replace(/\s+/g, ' ').trim(), 300);
}

/** The service's error id (`{id: "conflict"}`), if any. */
export function serverErrorId(text: string): string | undefined {
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null) return undefined;
  const id = (body as Record<string, unknown>).id;
  return typeof id === 'string' ? printable(id, 60) : undefined;
}

/** ` (the server said: "...")` or nothing. */
export function saying(text: string): string {
  const message = serverMessage(text);
  return message === undefined ? '' : ` The server said: "${message}".`;
}

/**
 * Parses a 2xx JSON body, or throws `ERR_BAD_RESPONSE` naming the service, the request and what the
 * body was instead (empty, HTML, truncated JSON).
 */
export function readJson(response: HttpResponse, service: string, where: string): unknown {
  const body = parseJson(response.text);
  if (body === undefined) {
    throw new HerokuError('ERR_BAD_RESPONSE', `${capitalize(service)} answered ${where} with HTTP ${response.status} and ${describeBody(response.text)} instead of JSON.`, {
      hint: 'A proxy or captive portal may be in the way, or the URL does not point at the service. Check the URL and run the command again.',
      details: { status: response.status },
    });
  }
  return body;
}

/** `ERR_BAD_RESPONSE` for a JSON body of the wrong shape. */
export function unexpectedShape(service: string, where: string, expected: string, status: number): HerokuError {
  return new HerokuError('ERR_BAD_RESPONSE', `${capitalize(service)} answered ${where} with HTTP ${status} but not ${expected}.`, {
    hint: 'The service may have changed its API, or the URL points at something else. Check the URL; run with DEBUG=applink-jwt and report it if it persists.',
    details: { status },
  });
}

/**
 * The error for a status the caller has no specific meaning for: 5xx and 429 (still failing after
 * the retries) become `ERR_SERVICE_UNAVAILABLE` (exit 8); anything else `ERR_UNEXPECTED_STATUS`.
 */
export function statusError(response: HttpResponse, service: string, where: string): AppError {
  const details = { status: response.status, ...(serverErrorId(response.text) ? { id: serverErrorId(response.text) } : {}) };
  if (response.status >= 500 || response.status === 429) {
    const tries = response.attempts === 1 ? '' : ` after ${response.attempts} attempts`;
    return new NetworkError('ERR_SERVICE_UNAVAILABLE', `${capitalize(service)} kept failing${tries}: ${where} answered HTTP ${response.status}.${saying(response.text)}`, {
      hint: 'The service is unavailable or rate-limiting; wait a minute and run the command again (nothing is duplicated by a rerun).',
      details,
    });
  }
  const body = serverMessage(response.text) === undefined ? ` with ${describeBody(response.text)}` : '';
  return new HerokuError('ERR_UNEXPECTED_STATUS', `${capitalize(service)} answered ${where} with an unexpected HTTP ${response.status}${body}.${saying(response.text)}`, {
    hint: 'Check the URL and the add-on; run with DEBUG=applink-jwt and report it if it persists.',
    details,
  });
}

/** "the AppLink API" -> "The AppLink API", for the start of a sentence. */
export function capitalize(text: string): string {
  return text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1);
}
