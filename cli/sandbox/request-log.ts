/**
 * The sandbox's request log: what each request carried (method, path, header names and values,
 * body field names and values) and how it was answered, with every secret value replaced by
 * `[REDACTED]`. Response bodies are never logged: they carry tokens.
 */

export const REDACTED = '[REDACTED]';

/** Headers whose values are secrets (bearer tokens, CircleCI's token, the add-on SSO payload, cookies). */
const SECRET_HEADERS = new Set(['authorization', 'x-addon-sso', 'cookie', 'proxy-authorization', 'circle-token']);

/** Body fields whose values are secrets (keys, assertions, tokens). */
const SECRET_FIELDS = new Set([
  'jwt_private_key',
  'assertion',
  'subject_token',
  'access_token',
  'refresh_token',
  'token',
  'client_secret',
  'password',
  'certificate',
  // A CircleCI context variable's value (PUT .../environment-variable/{name}): the CI secret.
  'value',
  // The Metadata API's SOAP session header (readMetadata), the admin's access token.
  'sessionid',
]);

export interface LoggedRequest {
  /** Sequence number, from 1. */
  seq: number;
  method: string;
  /** The origin the request arrived at (which service's host). */
  host: string;
  /** Path and query string. */
  path: string;
  /** Request headers (lower-case names); secret values redacted. */
  headers: Record<string, string>;
  /** Top-level body fields (form or JSON object) with their values; secret values redacted. */
  bodyFields: Record<string, string>;
  /** Response status; 0 when the connection was reset before any response. */
  status: number;
  /** Route name (`salesforce.token`, `applink.create`, ...), or `unknown`. */
  route: string;
  /** Set when a fault was injected: `latency`, `status`, `rate-limit`, `reset`. */
  faults: string[];
  /** True for requests the sandbox's own AppLink double sent (its JWT bearer and Data Cloud exchanges). */
  internal: boolean;
}

/** Header values with secrets redacted. */
export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    out[lower] = SECRET_HEADERS.has(lower) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Body fields (form or JSON object) with secrets redacted; other bodies give `{}`. */
export function redactBodyFields(fields: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields ?? {})) {
    if (SECRET_FIELDS.has(name.toLowerCase())) out[name] = REDACTED;
    else out[name] = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  }
  return out;
}
