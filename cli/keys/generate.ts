/**
 * Makes what `openssl req -x509 -newkey rsa:N -nodes` makes: an RSA key (PKCS#8 PEM), a
 * self-signed X.509 certificate (SHA-256 with RSA) and its public key (SPKI PEM).
 * `@peculiar/x509` is imported lazily so that only `keys generate` pays for loading it.
 */
import { generateKeyPair, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { keyError } from './errors.js';

export interface GenerateOptions {
  bits: 2048 | 3072 | 4096 | number;
  days: number;
  /** `CN=applink-jwt,O=Acme` or the OpenSSL form `/CN=applink-jwt/O=Acme`. */
  subject: string;
  /** The injected clock: notBefore. */
  nowMs: number;
}

export interface GeneratedMaterial {
  /** PKCS#8 PEM. Secret: write it only to the 0600 key file. */
  privateKeyPem: string;
  certificatePem: string;
  publicKeyPem: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** Hex serial number of the certificate. */
  serialNumber: string;
  /** SHA-256 fingerprint of the certificate (colon-separated hex), as Salesforce shows it. */
  fingerprint: string;
}

const DAY_MS = 86_400_000;

/** `/CN=a/O=b` (OpenSSL) or `CN=a, O=b` to the comma form @peculiar/x509 parses. */
export function normaliseSubject(subject: string): string {
  const trimmed = subject.trim();
  if (trimmed.startsWith('/')) {
    return trimmed
      .slice(1)
      .split(/(?<!\\)\//)
      .map((part) => part.trim())
      .filter(Boolean)
      .join(', ');
  }
  return trimmed;
}

/** Generates the key pair and the self-signed certificate. Throws ERR_CERT_SUBJECT for a bad subject. */
export async function generateKeyMaterial(options: GenerateOptions): Promise<GeneratedMaterial> {
  const subject = normaliseSubject(options.subject);
  if (!/^[A-Za-z][A-Za-z0-9.]*\s*=\s*[^,=]+(\s*,\s*[A-Za-z][A-Za-z0-9.]*\s*=\s*[^,=]+)*$/.test(subject)) {
    throw keyError('ERR_CERT_SUBJECT', { subject: options.subject });
  }
  await import('reflect-metadata');
  const x509 = await loadX509();
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

  let name: InstanceType<typeof x509.Name>;
  try {
    name = new x509.Name(subject);
  } catch (error) {
    throw keyError('ERR_CERT_SUBJECT', { subject: options.subject }, error);
  }

  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: options.bits,
    publicExponent: 0x10001,
  });
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', derOf(privateKey, 'pkcs8'), algorithm, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', derOf(publicKey, 'spki'), algorithm, true, ['verify']),
  };

  // Certificates carry whole seconds; a positive serial (high bit clear) as RFC 5280 4.1.2.2 asks.
  const notBefore = new Date(Math.floor(options.nowMs / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + options.days * DAY_MS);
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f | 0x01;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name,
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [
      // Like `openssl req -x509`: a CA:TRUE self-signed certificate, so `openssl verify -CAfile` accepts it.
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  const fingerprint = Buffer.from(await certificate.getThumbprint('SHA-256'))
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');

  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certificatePem: `${certificate.toString('pem').replace(/\r\n/g, '\n').trim()}\n`,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    subject: certificate.subject,
    notBefore,
    notAfter,
    serialNumber: certificate.serialNumber,
    fingerprint,
  };
}

/** The bundle sees the CommonJS build, whose exports arrive on `default` through a dynamic import. */
async function loadX509(): Promise<typeof import('@peculiar/x509')> {
  const module = (await import('@peculiar/x509')) as typeof import('@peculiar/x509') & { default?: typeof import('@peculiar/x509') };
  return module.cryptoProvider ? module : module.default!;
}

function derOf(key: KeyObject, type: 'pkcs8' | 'spki'): Buffer {
  return key.export({ type, format: 'der' } as never) as Buffer;
}
