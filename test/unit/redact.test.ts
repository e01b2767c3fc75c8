import { describe, expect, it } from '@jest/globals';
import { REDACTED, redactingWriter, SecretRegistry } from '../../cli/redact.js';
import { generateKeyPairSync } from 'node:crypto';

describe('SecretRegistry', () => {
  const token = 'HRKU-aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3';

  it('redacts a token inside a sentence, and its JSON, URL and base64 forms', () => {
    const secrets = new SecretRegistry();
    secrets.add(token);
    expect(secrets.redact(`The server said: "bad token ${token}, try again".`)).toBe(`The server said: "bad token ${REDACTED}, try again".`);
    expect(secrets.redact(`b64=${Buffer.from(token).toString('base64')}`)).toBe(`b64=${REDACTED}`);
    expect(secrets.redact(`url=${encodeURIComponent(`${token}/x`)}`)).toBe(`url=${REDACTED}%2Fx`);
  });

  it('redacts part of a long secret (a message cut mid-token) but leaves ordinary text alone', () => {
    const secrets = new SecretRegistry();
    secrets.add(token);
    expect(secrets.redact(`cut: ${token.slice(0, 24)}...`)).toBe(`cut: ${REDACTED}...`);
    expect(secrets.redact('Authorized my_org on add-on applink-sandbox-1 of app acme-app.')).toBe('Authorized my_org on add-on applink-sandbox-1 of app acme-app.');
  });

  it('redacts a private key whole, JSON-escaped, re-wrapped, base64-encoded and in fragments; the armour stays', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const secrets = new SecretRegistry();
    secrets.add(pem);
    const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const texts = [
      pem,
      JSON.stringify({ message: `you sent ${pem}` }),
      body.match(/.{1,76}/g)!.join('\r\n'),
      Buffer.from(pem).toString('base64'),
      `cut at 300: ${JSON.stringify(pem).slice(0, 300)}`,
      body.slice(500, 540),
    ];
    for (const text of texts) {
      const redacted = secrets.redact(text);
      expect(redacted).toContain(REDACTED);
      for (let start = 0; start + 24 <= body.length; start += 24) expect(redacted.replace(/\s|\\[nr]/g, '')).not.toContain(body.slice(start, start + 24));
    }
    expect(secrets.redact('expected -----BEGIN PRIVATE KEY-----')).toBe('expected -----BEGIN PRIVATE KEY-----');
  });

  it('ignores empty and very short values', () => {
    const secrets = new SecretRegistry();
    secrets.add('');
    secrets.add('abc');
    secrets.add(undefined);
    expect(secrets.size).toBe(0);
    expect(secrets.redact('abc')).toBe('abc');
  });
});

describe('SecretRegistry at its edges (mutation survivors)', () => {
  it('redacts a short secret that holds a space, as given and re-wrapped', () => {
    const secrets = new SecretRegistry();
    secrets.add('  my pass word ');
    expect(secrets.redact('password: my pass word.')).toBe(`password: ${REDACTED}.`);
    expect(secrets.redact('password: mypassword.')).toBe(`password: ${REDACTED}.`);
  });

  it('also looks for a short secret without its spaces only when that leaves eight characters', () => {
    const secrets = new SecretRegistry();
    secrets.add('abcd efgh');
    secrets.add('ab cd ef g');
    expect(secrets.redact('abcdefgh; abcdefg; ab cd ef g')).toBe(`${REDACTED}; abcdefg; ${REDACTED}`);
  });

  it('takes a value of eight characters as a secret, and a text of eight characters as text to redact; seven are ignored', () => {
    const secrets = new SecretRegistry();
    secrets.add('s3cr3t-7');
    secrets.add('s3cr3t7');
    expect(secrets.size).toBe(1);
    expect([secrets.redact('s3cr3t-7'), secrets.redact('s3cr3t7 s3cr3t7')]).toEqual([REDACTED, 's3cr3t7 s3cr3t7']);
  });

  it('replaces a secret that contains another one whole, whichever was added first', () => {
    for (const order of [['abcdefgh', 'abcdefghijkl'], ['abcdefghijkl', 'abcdefgh']]) {
      const secrets = new SecretRegistry();
      for (const value of order) secrets.add(value);
      expect(secrets.redact('key=abcdefghijkl;')).toBe(`key=${REDACTED};`);
    }
  });

  it('finds a short secret in its JSON-escaped, URL-encoded, base64 and base64url forms', () => {
    const value = 'pa"ss/wo\\rd?>';
    const secrets = new SecretRegistry();
    secrets.add(value);
    const texts = [
      JSON.stringify({ password: value }),
      `https://x.example/?p=${encodeURIComponent(value)}`,
      `b64 ${Buffer.from(value).toString('base64')}`,
      `b64url ${Buffer.from(value).toString('base64url')}`,
    ];
    expect(texts.map((text) => secrets.redact(text))).toEqual([
      `{"password":"${REDACTED}"}`,
      `https://x.example/?p=${REDACTED}`,
      `b64 ${REDACTED}`,
      `b64url ${REDACTED}`,
    ]);
  });

  it('finds a secret of exactly twenty characters split by a line break, and keeps the break-free text around it', () => {
    const value = 'Zq9xW2vB7nM4kL1pR8tY';
    const secrets = new SecretRegistry();
    secrets.add(value);
    expect(secrets.redact(`a ${value.slice(0, 10)}\n${value.slice(10)} b`)).toBe(`a ${REDACTED} b`);
    expect(secrets.redact(`a ${value.slice(0, 10)}\\r\\n${value.slice(10)} b`)).toBe(`a ${REDACTED} b`);
    expect(secrets.redact(`a ${value.slice(0, 10)}%0D%0A${value.slice(10)} b`)).toBe(`a ${REDACTED} b`);
  });

  it('covers two long secrets printed side by side, and a secret printed twice, with one replacement per stretch', () => {
    const one = 'Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8';
    const two = 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2';
    const secrets = new SecretRegistry();
    secrets.add(one);
    secrets.add(two);
    expect(secrets.redact(`[${one}${two}] and ${one}.`)).toBe(`[${REDACTED}] and ${REDACTED}.`);
  });

  it('leaves the PEM armour and encryption headers, and redacts only the body', () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7';
    const pem = `-----BEGIN ENCRYPTED PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00FF\n\n${body}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
    const secrets = new SecretRegistry();
    secrets.add(pem);
    const redacted = secrets.redact(pem);
    // The IV after DEK-Info may go too (it borders the body in the secret's URL-encoded form); the header names stay.
    expect(redacted.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,')).toBe(true);
    expect(redacted.endsWith(`${REDACTED}\n-----END ENCRYPTED PRIVATE KEY-----\n`)).toBe(true);
    expect(redacted).not.toContain(body.slice(0, 8));
  });

  it('redactingWriter passes every write through the registry', () => {
    const secrets = new SecretRegistry();
    secrets.add('HRKU-token-value-1');
    const written: string[] = [];
    const write = redactingWriter((text) => written.push(text), secrets);
    write('token HRKU-token-value-1\n');
    write('nothing secret\n');
    expect(written).toEqual(['token [REDACTED]\n', 'nothing secret\n']);
  });
});
