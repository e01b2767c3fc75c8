/**
 * Turns key input in the forms CI secrets take (PEM with CRLF, literal `\n` escapes, quotes, a
 * BOM, newlines collapsed to spaces, base64 of a PEM, base64 of DER, raw DER) into one canonical
 * PEM block or one DER buffer, and recognises what it holds before any parsing by OpenSSL.
 */
import { keyError } from './errors.js';

/** The result of decoding: one private key, as canonical PEM or as DER. */
export type DecodedKey =
  | {
      encoding: 'pem';
      /** The PEM label, e.g. `RSA PRIVATE KEY`. */
      label: string;
      /** Canonical PEM: LF line ends, body wrapped at 64 characters, encryption headers kept. */
      pem: string;
      /** The block as given (after unescaping), when it needed no repair and is not encrypted. */
      original?: string;
      encrypted: boolean;
      repairs: string[];
    }
  | { encoding: 'der'; der: Buffer; original?: undefined; repairs: string[] };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether a buffer is binary (DER) rather than text. */
function isBinary(data: Buffer): boolean {
  for (const byte of data.subarray(0, 512)) {
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20) || byte === 0x7f) return true;
  }
  return false;
}

/**
 * How a DER buffer's outer SEQUENCE compares with its declared length: `short` means cut off
 * (a truncated secret), `bad` means not DER at all.
 */
export function derLengthStatus(der: Buffer): 'ok' | 'short' | 'bad' {
  if (der.length < 2 || der[0] !== 0x30) return 'bad';
  let length = der[1]!;
  let offset = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4) return 'bad';
    if (der.length < 2 + octets) return 'short';
    length = 0;
    for (let i = 0; i < octets; i += 1) length = length * 256 + der[2 + i]!;
    offset = 2 + octets;
  }
  return der.length < offset + length ? 'short' : 'ok';
}

/** `body` is never empty here (an empty body is refused before). */
function wrap64(body: string): string {
  return body.match(/.{1,64}/g)!.join('\n');
}

const NOT_RSA_LABELS: Record<string, string> = {
  'EC PRIVATE KEY': 'an EC',
  'DSA PRIVATE KEY': 'a DSA',
};

/**
 * Decodes key input. `source` names the input in errors ("file keys/server.key").
 * Throws the catalogued InputError for empty, garbage, truncated, ambiguous, public or
 * certificate input.
 */
export function decodeKeyInput(input: Buffer | string, source: string): DecodedKey {
  if (Buffer.isBuffer(input) && isBinary(input)) {
    return { encoding: 'der', der: input, repairs: [] };
  }
  const text = Buffer.isBuffer(input) ? input.toString('utf8') : input;
  return decodeText(text, source, []);
}

function decodeText(input: string, source: string, repairs: string[]): DecodedKey {
  // trim() removes a byte order mark as it does white space.
  if (input.startsWith('\uFEFF')) repairs.push('UTF-8 byte order mark removed');
  let text = input.trim();
  if (text.length >= 2 && (text[0] === '"' || text[0] === "'") && text.endsWith(text[0]!)) {
    text = text.slice(1, -1);
    repairs.push('surrounding quotes removed');
  }
  if (/\\[nr]/.test(text)) {
    text = text.replace(/\\r\\n|\\n|\\r/g, '\n');
    repairs.push('literal \\n escapes expanded');
  }
  if (text.includes('\r')) {
    text = text.replace(/\r\n?/g, '\n');
    repairs.push('CRLF line ends converted');
  }
  text = text.trim();
  if (text === '') throw keyError('ERR_KEY_EMPTY', { source });
  if (text.includes('-----BEGIN ')) return decodePem(text, source, repairs);

  const compact = text.replace(/\s/g, '');
  // Base64 never has a length of 4n + 1: such text is cut or has a stray character.
  if (BASE64.test(compact) && compact.length % 4 !== 1) {
    const decoded = Buffer.from(compact, 'base64');
    const decodedText = decoded.toString('utf8');
    // Decoded once only: the text holds a BEGIN line, so this call goes to decodePem.
    if (decodedText.includes('-----BEGIN ')) return decodeText(decodedText, source, [...repairs, 'base64-decoded']);
    if (decoded[0] === 0x30) return { encoding: 'der', der: decoded, repairs: [...repairs, 'base64-decoded DER'] };
  }
  throw keyError('ERR_KEY_FORMAT', { source, reason: 'neither PEM, base64 nor DER' });
}

function decodePem(text: string, source: string, repairs: string[]): DecodedKey {
  const begins = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]!);
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)].map((m) => ({
    label: m[1]!,
    inner: m[2]!,
    whole: m[0],
  }));
  const privateBegins = begins.filter((label) => label.endsWith('PRIVATE KEY'));
  const privateBlocks = blocks.filter((block) => block.label.endsWith('PRIVATE KEY'));

  if (privateBegins.length > 1) throw keyError('ERR_KEY_AMBIGUOUS', { source, count: privateBegins.length });
  if (privateBegins.length === 1 && privateBlocks.length === 0) {
    throw keyError('ERR_KEY_TRUNCATED', { source, block: `"${privateBegins[0]}" PEM`, reason: `no "-----END ${privateBegins[0]}-----" line` });
  }
  if (privateBlocks.length === 0) {
    const label = begins[0]!;
    if (label.includes('CERTIFICATE')) throw keyError('ERR_KEY_NOT_PRIVATE', { source, what: 'a certificate', block: `-----BEGIN ${label}-----` });
    if (label.includes('PUBLIC KEY')) throw keyError('ERR_KEY_NOT_PRIVATE', { source, what: 'a public key', block: `-----BEGIN ${label}-----` });
    if (blocks.length === 0) throw keyError('ERR_KEY_TRUNCATED', { source, block: `"${label}" PEM`, reason: `no "-----END ${label}-----" line` });
    throw keyError('ERR_KEY_FORMAT', { source, reason: `a "${label}" PEM block` });
  }

  const block = privateBlocks[0]!;
  const label = block.label;
  if (NOT_RSA_LABELS[label]) throw keyError('ERR_KEY_NOT_RSA', { source, keyType: NOT_RSA_LABELS[label] });
  if (label === 'OPENSSH PRIVATE KEY') {
    throw keyError('ERR_KEY_FORMAT', { source, reason: 'an OpenSSH key; convert it with `ssh-keygen -p -m PKCS8 -f FILE`' });
  }

  let inner = block.inner;
  let headers = '';
  // A legacy encrypted PEM (RFC 1421 headers), spelled as OpenSSL reads it: one space after each colon.
  const headerMatch = /^\s*Proc-Type: 4,ENCRYPTED\s+DEK-Info: (\S+)/.exec(inner);
  if (headerMatch) {
    headers = `Proc-Type: 4,ENCRYPTED\nDEK-Info: ${headerMatch[1]}\n\n`;
    inner = inner.slice(headerMatch[0].length);
  }
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || headerMatch !== null;
  const body = inner.replace(/\s/g, '');
  if (body === '') throw keyError('ERR_KEY_TRUNCATED', { source, block: `"${label}" PEM`, reason: 'the body is empty' });
  if (!BASE64.test(body)) throw keyError('ERR_KEY_FORMAT', { source, reason: `the "${label}" PEM body is not base64` });
  if (!headers) {
    const status = derLengthStatus(Buffer.from(body, 'base64'));
    if (status === 'short') throw keyError('ERR_KEY_TRUNCATED', { source, block: `"${label}" PEM`, reason: 'the body is shorter than its encoding declares' });
    if (status === 'bad') throw keyError('ERR_KEY_FORMAT', { source, reason: `the "${label}" PEM body is not DER` });
  }

  const pem = `-----BEGIN ${label}-----\n${headers}${wrap64(body)}\n-----END ${label}-----\n`;
  const wellFormed = inner.split('\n').every((line) => line === '' || /^[A-Za-z0-9+/=]{1,76}$/.test(line));
  if (!wellFormed) repairs.push('line breaks restored in the PEM body');
  return {
    encoding: 'pem',
    label,
    pem,
    ...(wellFormed && !encrypted ? { original: block.whole } : {}),
    encrypted,
    repairs,
  };
}
