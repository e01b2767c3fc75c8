import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../../cli/errors.js';
import { decodeKeyInput, derLengthStatus } from '../../../cli/keys/decode.js';

// Decoding only looks at the structure, so a small key keeps these tests fast; loadPrivateKey's
// tests (load.test.ts) refuse it as too small.
const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
const pkcs1 = rsa.export({ type: 'pkcs1', format: 'pem' }) as string;
const pkcs8Der = rsa.export({ type: 'pkcs8', format: 'der' });
const SOURCE = 'environment variable JWT_PRIVATE_KEY';

function decodeError(input: string | Buffer): { code: string; message: string } {
  try {
    decodeKeyInput(input, SOURCE);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return { code: (error as AppError).code, message: (error as AppError).message };
  }
  throw new Error('expected decodeKeyInput to fail');
}

describe('derLengthStatus: how a DER SEQUENCE compares with the length it declares', () => {
  it.each<[string, number[], 'ok' | 'short' | 'bad']>([
    ['an empty SEQUENCE', [0x30, 0x00], 'ok'],
    ['a short-form length that is all there', [0x30, 0x02, 0xaa, 0xbb], 'ok'],
    ['a short-form length with a byte missing', [0x30, 0x03, 0xaa, 0xbb], 'short'],
    ['a one-octet long form, complete', [0x30, 0x81, 0x02, 0xaa, 0xbb], 'ok'],
    ['a one-octet long form with a byte missing', [0x30, 0x81, 0x03, 0xaa, 0xbb], 'short'],
    ['a one-octet long form declaring nothing', [0x30, 0x81, 0x00], 'ok'],
    ['a four-octet long form, complete', [0x30, 0x84, 0x00, 0x00, 0x00, 0x01, 0xaa], 'ok'],
    ['length octets cut off', [0x30, 0x82, 0x01], 'short'],
    ['a five-octet long form (not DER)', [0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0xaa], 'bad'],
    ['an indefinite length (BER, not DER)', [0x30, 0x80, 0x00, 0x00], 'bad'],
    ['a lone SEQUENCE tag', [0x30], 'bad'],
    ['nothing', [], 'bad'],
    ['not a SEQUENCE', [0x02, 0x01, 0x00], 'bad'],
  ])('%s', (_name, bytes, status) => {
    expect(derLengthStatus(Buffer.from(bytes))).toBe(status);
  });

  it('reads a two-octet length: a whole key is ok, the same key cut by one byte is short', () => {
    expect(pkcs8Der[1]).toBe(0x82);
    expect(derLengthStatus(pkcs8Der)).toBe('ok');
    expect(derLengthStatus(pkcs8Der.subarray(0, -1))).toBe('short');
  });
});

describe('decodeKeyInput: what the input holds', () => {
  it.each([0x00, 0x08, 0x0e, 0x1f, 0x7f])('takes bytes with control byte %d as DER, not text', (byte) => {
    const decoded = decodeKeyInput(Buffer.from([0x41, 0x42, byte]), 'file key.der');
    expect(decoded).toEqual({ encoding: 'der', der: Buffer.from([0x41, 0x42, byte]), repairs: [] });
  });

  it('takes a PEM file with tabs, CRLF line ends, vertical tabs and form feeds as text', () => {
    const decoded = decodeKeyInput(Buffer.from(`\t\v\f${pkcs1.replace(/\n/g, '\r\n')}`), 'file key.pem');
    expect(decoded).toMatchObject({ encoding: 'pem', label: 'RSA PRIVATE KEY', pem: pkcs1, repairs: ['CRLF line ends converted'] });
  });

  it('decodes base64 of DER to DER', () => {
    expect(decodeKeyInput(pkcs8Der.toString('base64'), SOURCE)).toEqual({ encoding: 'der', der: pkcs8Der, repairs: ['base64-decoded DER'] });
  });

  it('refuses base64 with a stray character or a character outside base64, even when it starts like DER', () => {
    const base64 = pkcs8Der.toString('base64').slice(0, 400);
    for (const input of [`${base64}A`, `${base64.slice(0, 20)}*${base64.slice(21)}`]) {
      expect(decodeError(input)).toEqual({ code: 'ERR_KEY_FORMAT', message: `The ${SOURCE} does not hold a private key in a known form (neither PEM, base64 nor DER).` });
    }
  });

  it('converts lone CR line ends (classic Mac) and keeps the block as given', () => {
    const decoded = decodeKeyInput(pkcs1.replace(/\n/g, '\r'), SOURCE);
    expect(decoded).toEqual({ encoding: 'pem', label: 'RSA PRIVATE KEY', pem: pkcs1, original: pkcs1.trim(), encrypted: false, repairs: ['CRLF line ends converted'] });
  });

  it('removes quotes only when they surround the value', () => {
    const opened = decodeKeyInput(`"${pkcs1.trim()}`, SOURCE);
    expect(opened).toMatchObject({ encoding: 'pem', pem: pkcs1, repairs: [] });
    expect(decodeError('"')).toEqual({ code: 'ERR_KEY_FORMAT', message: `The ${SOURCE} does not hold a private key in a known form (neither PEM, base64 nor DER).` });
  });

  it('finds nothing in a value of literal \\n escapes alone', () => {
    expect(decodeError('\\n\\r\\n')).toEqual({ code: 'ERR_KEY_EMPTY', message: `The ${SOURCE} is empty.` });
  });
});

describe('decodeKeyInput: PEM blocks that are not an RSA private key', () => {
  it('names an EC or DSA key even when it is encrypted (before asking for a passphrase)', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }) as string;
    expect(ec).toContain('Proc-Type: 4,ENCRYPTED');
    expect(decodeError(ec)).toEqual({ code: 'ERR_KEY_NOT_RSA', message: `The ${SOURCE} holds an EC key; Salesforce's JWT bearer flow needs RSA (2048 bits or more).` });
    const dsa = '-----BEGIN DSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END DSA PRIVATE KEY-----\n';
    expect(decodeError(dsa)).toEqual({ code: 'ERR_KEY_NOT_RSA', message: `The ${SOURCE} holds a DSA key; Salesforce's JWT bearer flow needs RSA (2048 bits or more).` });
  });

  it('names a PEM block of another kind, complete or cut', () => {
    const params = '-----BEGIN DH PARAMETERS-----\nMAYCAQACAQI=\n-----END DH PARAMETERS-----\n';
    expect(decodeError(params)).toEqual({ code: 'ERR_KEY_FORMAT', message: `The ${SOURCE} does not hold a private key in a known form (a "DH PARAMETERS" PEM block).` });
    const pgp = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0AAAA=\n-----END PGP PRIVATE KEY BLOCK-----\n';
    expect(decodeError(pgp)).toEqual({ code: 'ERR_KEY_FORMAT', message: `The ${SOURCE} does not hold a private key in a known form (a "PGP PRIVATE KEY BLOCK" PEM block).` });
    expect(decodeError(params.slice(0, 40))).toEqual({ code: 'ERR_KEY_TRUNCATED', message: `The ${SOURCE} holds a truncated "DH PARAMETERS" PEM (no "-----END DH PARAMETERS-----" line).` });
  });

  it('says a key cut after a whole certificate is truncated (a combined PEM cut by a size limit)', () => {
    const certificate = '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n';
    expect(decodeError(`${certificate}${pkcs1.slice(0, 200)}`)).toEqual({
      code: 'ERR_KEY_TRUNCATED',
      message: `The ${SOURCE} holds a truncated "RSA PRIVATE KEY" PEM (no "-----END RSA PRIVATE KEY-----" line).`,
    });
  });

  it('takes encryption headers only at the top of the block', () => {
    const lines = pkcs1.trim().split('\n');
    const misplaced = [lines[0], 'AAAA', 'Proc-Type: 4,ENCRYPTED', 'DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF', '', ...lines.slice(1)].join('\n');
    expect(decodeError(misplaced)).toEqual({ code: 'ERR_KEY_FORMAT', message: `The ${SOURCE} does not hold a private key in a known form (the "RSA PRIVATE KEY" PEM body is not base64).` });
  });
});
