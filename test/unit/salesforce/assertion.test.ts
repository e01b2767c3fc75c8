import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { ASSERTION_LIFETIME_SECONDS, signAssertion } from '../../../cli/salesforce/assertion.js';
import { createTestKeyPair, type TestKeyPair } from '../../support/rsa-keys.js';

const NOW_MS = Date.UTC(2026, 10, 28, 12, 0, 0, 789);
const NOW_S = Math.floor(NOW_MS / 1000);
const claims = { clientId: '3MVG9test.consumer_key', username: 'ci@example.com', audience: 'https://login.salesforce.com' };

describe('signAssertion', () => {
  let pair: TestKeyPair;
  beforeAll(async () => {
    pair = await createTestKeyPair(NOW_MS);
  });

  it('signs header exactly {"alg":"RS256"} and the claims in seconds, verified with the certificate by jose', async () => {
    const assertion = await signAssertion(pair.privateKey, claims, NOW_MS);
    const [header] = assertion.split('.');
    expect(Buffer.from(header!, 'base64url').toString('utf8')).toBe('{"alg":"RS256"}');
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'RS256' });
    const certificate = await importX509(pair.certificatePem, 'RS256');
    const { payload } = await jwtVerify(assertion, certificate, {
      algorithms: ['RS256'],
      issuer: claims.clientId,
      subject: claims.username,
      audience: claims.audience,
      currentDate: new Date(NOW_MS),
    });
    expect(payload).toEqual({ iss: claims.clientId, sub: claims.username, aud: claims.audience, iat: NOW_S, exp: NOW_S + 180 });
    expect(payload.exp! - payload.iat!).toBe(180);
    expect(ASSERTION_LIFETIME_SECONDS).toBe(180);
  });

  it('verifies with jsonwebtoken and the certificate PEM too (an independent implementation)', async () => {
    const assertion = await signAssertion(pair.privateKey, claims, NOW_MS);
    const payload = jsonwebtoken.verify(assertion, pair.certificatePem, { algorithms: ['RS256'], clockTimestamp: NOW_S, audience: claims.audience, issuer: claims.clientId, subject: claims.username }) as jsonwebtoken.JwtPayload;
    expect(payload.exp).toBe(NOW_S + 180);
    expect(payload.iat).toBe(NOW_S);
    const decoded = jsonwebtoken.decode(assertion, { complete: true });
    expect(decoded?.header).toEqual({ alg: 'RS256' });
  });

  it('does not verify with another key pair (a wrong certificate is caught)', async () => {
    const other = await createTestKeyPair(NOW_MS);
    const assertion = await signAssertion(pair.privateKey, claims, NOW_MS);
    await expect(jwtVerify(assertion, await importX509(other.certificatePem, 'RS256'), { currentDate: new Date(NOW_MS) })).rejects.toThrow('signature verification failed');
    expect(() => jsonwebtoken.verify(assertion, other.certificatePem, { clockTimestamp: NOW_S })).toThrow('invalid signature');
  });

  it('uses the clock it is given, not the system clock, and is expired 181 s later', async () => {
    const past = Date.UTC(2020, 0, 1, 0, 0, 0);
    const assertion = await signAssertion(pair.privateKey, claims, past);
    const payload = jsonwebtoken.verify(assertion, pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), { clockTimestamp: past / 1000 }) as jsonwebtoken.JwtPayload;
    expect(payload.iat).toBe(past / 1000);
    expect(() => jsonwebtoken.verify(assertion, pair.certificatePem, { clockTimestamp: past / 1000 + 181 })).toThrow('jwt expired');
  });

  it('refuses a key under 2048 bits before anything is sent', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await expect(signAssertion(privateKey, claims, NOW_MS)).rejects.toThrow('RS256 requires key modulusLength to be 2048 bits or larger');
  });

  it('refuses an EC key', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(signAssertion(privateKey, claims, NOW_MS)).rejects.toThrow();
  });
});
