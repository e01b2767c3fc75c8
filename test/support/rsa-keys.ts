/**
 * RSA key pairs with a self-signed certificate for tests, made with WebCrypto and @peculiar/x509
 * (the way a user's `openssl req -x509` pair looks): the private key as a KeyObject and PKCS#8
 * PEM, the public key, and the certificate PEM Salesforce would hold.
 */
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface TestKeyPair {
  privateKey: KeyObject;
  privateKeyPem: string;
  publicKey: KeyObject;
  certificatePem: string;
}

const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

/** A fresh 2048-bit RSA key pair and a self-signed certificate valid for a year from `nowMs`. */
export async function createTestKeyPair(nowMs: number = Date.now(), subject = 'CN=applink-jwt-test'): Promise<TestKeyPair> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: subject,
    notBefore: new Date(nowMs - 60_000),
    notAfter: new Date(nowMs + 365 * 86_400_000),
    signingAlgorithm: ALGORITHM,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return {
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: createPublicKey(privateKey),
    certificatePem: certificate.toString('pem'),
  };
}
