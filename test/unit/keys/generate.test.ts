import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../../cli/errors.js';
import { generateKeyMaterial, normaliseSubject } from '../../../cli/keys/generate.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0, 500);

describe('generateKeyMaterial', () => {
  it('makes an RSA key, a self-signed SHA-256 certificate of it, and its SPKI public key', async () => {
    const material = await generateKeyMaterial({ bits: 2048, days: 10, subject: 'CN=my-app, O=Acme', nowMs: NOW });
    const key = createPrivateKey(material.privateKeyPem);
    expect(material.privateKeyPem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const certificate = new X509Certificate(material.certificatePem);
    expect(certificate.subject).toBe('CN=my-app\nO=Acme');
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.checkPrivateKey(key)).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.ca).toBe(true);
    // Whole seconds: the clock's 500 ms are dropped.
    expect(new Date(certificate.validFrom).toISOString()).toBe('2026-11-28T12:00:00.000Z');
    expect(new Date(certificate.validTo).toISOString()).toBe('2026-12-08T12:00:00.000Z');
    expect(material.notAfter.toISOString()).toBe('2026-12-08T12:00:00.000Z');
    expect(material.publicKeyPem).toBe(createPublicKey(key).export({ type: 'spki', format: 'pem' }));
    expect(material.fingerprint).toBe(certificate.fingerprint256);
    expect(material.certificatePem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
    expect(certificate.toString()).toBe(material.certificatePem);
    expect(Number.parseInt(material.serialNumber.slice(0, 2), 16) & 0x80).toBe(0);
  });

  it('accepts the OpenSSL subject form', () => {
    expect(normaliseSubject('/CN=my-app/O=Acme')).toBe('CN=my-app, O=Acme');
    expect(normaliseSubject(' CN=x ')).toBe('CN=x');
  });

  it.each(['my-app', '', 'CN=', '=x'])('rejects the subject %j with ERR_CERT_SUBJECT', async (subject) => {
    const error = (await generateKeyMaterial({ bits: 2048, days: 1, subject, nowMs: NOW }).catch((e: unknown) => e)) as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('ERR_CERT_SUBJECT');
    expect(error.message).toBe(`--subject "${subject}" is not a distinguished name.`);
    expect(error.hint).toBe('Use the form CN=my-app,O=Acme (or the OpenSSL form /CN=my-app/O=Acme).');
    expect(error.exitCode).toBe(3);
  });
});
