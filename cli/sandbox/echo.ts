/**
 * The sandbox's "echo secrets" mode (`settings.echoSecrets`): a hostile or careless service that
 * quotes what it received in its error messages. Every error answer then carries each secret of the
 * request (bearer token, `x-addon-sso`, a posted key, an assertion, a token being exchanged), and a
 * `failed` authorization's message carries the key it was posted with. The leak guard of the tests
 * proves the CLI prints none of it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Reply, SandboxRequest } from './routing.js';

const SECRET_HEADERS = ['authorization', 'x-addon-sso'];
const SECRET_FIELDS = /token|secret|passw|private_?key|assertion/i;

/** What the request carried that is secret, as one sentence (empty when nothing). */
export function echoOfSecrets(request: Pick<SandboxRequest, 'headers' | 'json' | 'form'> & Partial<Pick<SandboxRequest, 'rawBody'>>): string {
  const parts: string[] = [];
  for (const name of SECRET_HEADERS) {
    const value = headerValue(request.headers, name);
    if (value) parts.push(`${name}: ${value}`);
  }
  const fields: Array<[string, unknown]> = request.form
    ? [...request.form.entries()]
    : typeof request.json === 'object' && request.json !== null
      ? Object.entries(request.json as Record<string, unknown>)
      : [];
  for (const [name, value] of fields) if (typeof value === 'string' && SECRET_FIELDS.test(name)) parts.push(`${name}: ${value}`);
  // A SOAP call (the Metadata API) carries its session in the SOAP header.
  for (const match of (request.rawBody ?? '').matchAll(/<(?:[\w.-]+:)?sessionId>([^<]*)</g)) parts.push(`sessionId: ${match[1]}`);
  return parts.length === 0 ? '' : ` (you sent ${parts.join(', ')})`;
}

/**
 * `reply` with the echo appended to its error text (`message`, `error_description`, `detail`; each
 * `message` of a Salesforce REST error list; a SOAP fault's `faultstring`).
 */
export function withEcho(reply: Reply, echo: string): Reply {
  if (echo === '' || reply.status < 400) return reply;
  if (typeof reply.body === 'string' && reply.body.includes('</faultstring>')) {
    const escaped = echo.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    return { ...reply, body: reply.body.replace('</faultstring>', `${escaped}</faultstring>`) };
  }
  if (Array.isArray(reply.body)) {
    return { ...reply, body: reply.body.map((item: unknown) => (typeof item === 'object' && item !== null && typeof (item as { message?: unknown }).message === 'string' ? { ...item, message: `${(item as { message: string }).message}${echo}` } : item)) };
  }
  if (typeof reply.body !== 'object' || reply.body === null) return reply;
  const body = { ...(reply.body as Record<string, unknown>) };
  let echoed = false;
  for (const field of ['message', 'error_description', 'detail']) {
    if (typeof body[field] === 'string') {
      body[field] = `${body[field] as string}${echo}`;
      echoed = true;
    }
  }
  if (!echoed) body.message = echo.trim();
  return { ...reply, body };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
