/**
 * Identifiers and timestamps the doubles hand out, shaped like the real services' ones:
 * Salesforce record ids (15 characters plus the 3-character case-safe suffix), opaque access
 * tokens, UUIDs, and timestamps with fractional seconds.
 */
import { randomBytes, randomUUID } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/**
 * The 18-character case-insensitive form of a 15-character Salesforce id: one suffix character
 * per 5-character chunk, whose bits say which characters of the chunk are upper case.
 */
export function toId18(id15: string): string {
  if (id15.length === 18) return id15;
  if (!/^[A-Za-z0-9]{15}$/.test(id15)) throw new Error(`not a 15-character Salesforce id: ${id15}`);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk += 1) {
    let bits = 0;
    for (let position = 0; position < 5; position += 1) {
      const char = id15[chunk * 5 + position]!;
      if (char >= 'A' && char <= 'Z') bits |= 1 << position;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return id15 + suffix;
}

/** The 15-character form of a 15- or 18-character id. */
export function toId15(id: string): string {
  return id.slice(0, 15);
}

/** Whether `id` is a well-formed 15- or 18-character id (the suffix is checked for 18). */
export function isSalesforceId(id: string): boolean {
  if (/^[A-Za-z0-9]{15}$/.test(id)) return true;
  return /^[A-Za-z0-9]{18}$/.test(id) && toId18(id.slice(0, 15)) === id;
}

/** Deterministic ids for a key prefix (`00D` orgs, `005` users): prefix + pod + counter. */
export function sequentialId(keyPrefix: string, sequence: number): string {
  let digits = '';
  let rest = sequence;
  do {
    digits = BASE62[rest % 62] + digits;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return toId18(`${keyPrefix}SB${digits.padStart(10, '0')}`);
}

/** An opaque session token the way Salesforce shapes them: `<orgId15>!<random>`. */
export function accessToken(orgId: string): string {
  return `${toId15(orgId)}!AQ${randomBytes(48).toString('base64url').replace(/-/g, '.')}`;
}

/** A random secret for the Heroku API key and the add-on tokens. */
export function randomSecret(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('hex')}`;
}

export { randomUUID };

/**
 * ISO 8601 UTC with six fractional digits (`2026-11-28T12:00:00.123456Z`), the form the AppLink
 * API uses and the Python SDK requires (`%Y-%m-%dT%H:%M:%S.%fZ`). The clock has milliseconds; the
 * extra three digits come from `micros` (0-999) so successive stamps in one millisecond differ.
 */
export function timestampMicros(nowMs: number, micros = 0): string {
  const iso = new Date(nowMs).toISOString(); // 2026-11-28T12:00:00.123Z
  return `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
}

/** ISO 8601 UTC without fractional seconds, the Heroku Platform API's form. */
export function timestampSeconds(nowMs: number): string {
  return `${new Date(nowMs).toISOString().slice(0, 19)}Z`;
}
