/**
 * Reads an X.509 certificate (PEM or DER) with Node's built-in parser, which is cheaper to load
 * than a full X.509 library, and reports the facts `keys check` prints.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { Deps } from '../deps.js';
import { keyError } from './errors.js';
import { readBoundedFile } from './load.js';

export interface CertificateFacts {
  certificate: X509Certificate;
  path: string;
  /** Subject in the RFC 4514-like order OpenSSL prints (`CN=applink-jwt, O=Acme`). */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** Size of the certificate as PEM, which is what Salesforce's 4 KB upload limit applies to. */
  pemBytes: number;
  encoding: 'pem' | 'der';
}

/** Reads and parses `--cert-file`. Throws ERR_CERT_FILE_NOT_FOUND, ERR_CERT_TOO_LARGE or ERR_CERT_FORMAT. */
export async function readCertificate(path: string, deps: Pick<Deps, 'fs' | 'cwd'>): Promise<CertificateFacts> {
  const { data } = await readBoundedFile(path, deps, 'cert');
  const text = data.toString('utf8').replace(/^\uFEFF/, '');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw keyError('ERR_CERT_FORMAT', { path, what: 'a private key' });
  if (/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(text) && !text.includes('-----BEGIN CERTIFICATE-----')) {
    throw keyError('ERR_CERT_FORMAT', { path, what: 'a public key' });
  }
  const encoding = text.includes('-----BEGIN CERTIFICATE-----') ? 'pem' : 'der';
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(encoding === 'pem' ? text.replace(/\r\n?/g, '\n') : data);
  } catch (error) {
    throw keyError('ERR_CERT_FORMAT', { path }, error);
  }
  return {
    certificate,
    path,
    subject: formatName(certificate.subject),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    pemBytes: Buffer.byteLength(certificate.toString()),
    encoding,
  };
}

/** Node prints names one attribute per line; join them the way `openssl x509 -subject` does. */
function formatName(name: string): string {
  return name
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(', ');
}

/** Whether the certificate's public key is the public half of `privateKey`. */
export function certificateMatchesKey(certificate: X509Certificate, privateKey: KeyObject): boolean {
  return certificate.checkPrivateKey(privateKey);
}
