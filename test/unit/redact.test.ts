import { describe, expect, it } from '@jest/globals';
import { REDACTED, SecretRegistry } from '../../cli/redact.js';
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
