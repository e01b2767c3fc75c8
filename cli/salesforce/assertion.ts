/**
 * The JWT bearer assertion Salesforce expects (RFC 7523 as Salesforce reads it): header exactly
 * `{"alg":"RS256"}`, claims `iss` (consumer key), `sub` (username), `aud`, `exp` and `iat` in
 * seconds. Shared by the CLI's preflight and the sandbox's AppLink double.
 */
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

/** Salesforce's documented lifetime: "within 3 minutes". */
export const ASSERTION_LIFETIME_SECONDS = 180;

export interface AssertionClaims {
  /** Consumer key of the external client app. */
  clientId: string;
  /** Salesforce username. */
  username: string;
  /** Authorization server URL: `https://login.salesforce.com`, `https://test.salesforce.com` or a My Domain origin. */
  audience: string;
}

/** Signs an assertion with an RSA private key; `nowMs` is the injected clock. */
export async function signAssertion(privateKey: KeyObject, claims: AssertionClaims, nowMs: number): Promise<string> {
  // Seconds, never milliseconds: Salesforce tolerates a far-future exp, but it is a classic bug.
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ iss: claims.clientId, sub: claims.username, aud: claims.audience })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
    .sign(privateKey);
}
