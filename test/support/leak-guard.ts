/**
 * The secret-leak guard every end-to-end and orb test uses: scans text (stdout, stderr, `--json`
 * output, the sandbox's request log) for any secret the test knows about.
 *
 * A private key counts as leaked when any 32-character run of its base64 body appears (so a
 * partial or re-wrapped key is caught too); a token when its whole value appears.
 */
import { expect } from '@jest/globals';

export interface Secrets {
  /** Private keys in any textual form (PEM of any kind, or base64 of DER). */
  privateKeys?: string[];
  /** Opaque secrets that must never appear whole: access tokens, HEROKU_API_KEY, add-on tokens, assertions. */
  tokens?: string[];
}

const WINDOW = 32;

/** The base64 body of a PEM (armour and whitespace removed), or the text itself when not PEM. */
function keyBody(key: string): string {
  return key
    .replace(/-----(BEGIN|END)[^-]*-----/g, '')
    .replace(/^(Proc-Type|DEK-Info):.*$/gm, '')
    .replace(/\s+/g, '');
}

/** Every secret occurrence found in `texts`, described without the secret itself. */
export function findSecrets(texts: readonly string[], secrets: Secrets): string[] {
  const findings: string[] = [];
  const haystacks = texts.map((text) => ({ raw: text, compact: text.replace(/\\n|\\r|\s+/g, '') }));
  (secrets.privateKeys ?? []).forEach((key, keyIndex) => {
    const body = keyBody(key);
    for (let start = 0; start + WINDOW <= body.length; start += 1) {
      const run = body.slice(start, start + WINDOW);
      const where = haystacks.findIndex((h) => h.compact.includes(run));
      if (where !== -1) {
        findings.push(`private key #${keyIndex} (a 32-character run at offset ${start}) in text #${where}`);
        break;
      }
    }
  });
  (secrets.tokens ?? []).forEach((token, tokenIndex) => {
    if (token.length < 8) return; // too short to be a meaningful secret to search for
    const where = haystacks.findIndex((h) => h.raw.includes(token));
    if (where !== -1) findings.push(`token #${tokenIndex} (${token.length} characters) in text #${where}`);
  });
  return findings;
}

/** Fails the test when any secret appears in any of `texts`. */
export function expectNoSecrets(texts: readonly string[], secrets: Secrets): void {
  expect(findSecrets(texts, secrets)).toEqual([]);
}

/**
 * Secrets found by their shape, for output whose secrets the test cannot know (they were made
 * inside the process under test, as in `applink-jwt demo`): PEM armour, a long base64 run (a key
 * body without armour), an access token (`<org id>!<secret>`), the sandbox's Heroku, add-on and
 * CircleCI tokens, a JWT (an assertion or a Data Cloud token).
 */
export function findSecretShapes(texts: readonly string[]): string[] {
  const shapes: Array<[string, RegExp]> = [
    ['a PEM private key', /PRIVATE KEY/],
    ['a base64 run of 64+ characters (a key body?)', /[A-Za-z0-9+/]{64,}={0,2}/],
    ['an access token (<org id>!<secret>)', /00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]{8,}/],
    ['the sandbox HEROKU_API_KEY', /HRKU-sandbox-[0-9a-f]{8,}/],
    ['an add-on token', /applink-sandbox-[0-9a-f]{16,}/],
    ['the sandbox CIRCLE_TOKEN', /CCIPAT_sandbox_[0-9a-f]{16,}/],
    ['an assertion or JWT', /eyJ[A-Za-z0-9_-]{10,}\.eyJ/],
  ];
  return texts.flatMap((text, index) => shapes.filter(([, pattern]) => pattern.test(text)).map(([name]) => `${name} in text #${index}`));
}
