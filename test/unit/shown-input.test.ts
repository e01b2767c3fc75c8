import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { HIDDEN_SECRET, looksLikeSecret } from '../../cli/shown-input.js';
import { printable } from '../../cli/applink/developer-name.js';
import { checkUsername } from '../../cli/salesforce/preflight.js';
import { parseLoginUrl } from '../../cli/salesforce/login-url.js';
import { findSecrets } from '../support/leak-guard.js';

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const der = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer;

describe('looksLikeSecret', () => {
  it.each([
    ['a PEM', pem],
    ['a PEM with literal \\n', pem.replace(/\n/g, '\\n')],
    ['base64 of a PEM', Buffer.from(pem).toString('base64')],
    ['base64 of DER', der.toString('base64')],
    ['a Heroku token', 'HRKU-AAbCdEf0123456789_abcdefGHIJKLmnopQRSTuvwx'],
    ['a Salesforce access token', '00D5g000004XyZ1!AQ4AQFvA3b2nK8mZP0qT9sLrW1xY2zC3dE4fG5hI6jK7lM8nO9pQ.r'],
  ])('%s: yes', (_name, value) => {
    expect(looksLikeSecret(value)).toBe(true);
  });
  it.each([
    ['a developer name', 'my_org_1'],
    ['a long developer name', 'a'.repeat(45)],
    ['a username', 'integration.user@acme.example.com.uat'],
    ['a URL', 'https://acme--uat.sandbox.my.salesforce.com/services/oauth2/token'],
    ['an app name', 'acme-app-production-eu'],
    ['a UUID', '01234567-89ab-cdef-0123-456789abcdef'],
  ])('%s: no', (_name, value) => {
    expect(looksLikeSecret(value)).toBe(false);
  });
});

describe('messages never quote a secret given in the wrong place', () => {
  it('printable, the username check and the login URL check describe it instead', () => {
    expect(printable(pem)).toBe('[not shown: it looks like a private key or a token]');
    expect(printable('my-org')).toBe('my-org');
    const messages: string[] = [];
    for (const check of [() => checkUsername(pem), () => parseLoginUrl(pem), () => parseLoginUrl(Buffer.from(pem).toString('base64'))]) {
      try {
        check();
      } catch (error) {
        messages.push((error as Error).message);
      }
    }
    expect(messages).toEqual([
      `The username (--username or SF_USERNAME) ${HIDDEN_SECRET} has leading or trailing whitespace (a newline from a copied secret?).`,
      `--login-url ${HIDDEN_SECRET} is not an https URL.`,
      `--login-url ${HIDDEN_SECRET} is not an https URL.`,
    ]);
    expect(findSecrets(messages, { privateKeys: [pem] })).toEqual([]);
  });
});

describe('looksLikeSecret: a token needs upper case, lower case and digits, and nothing else (mutation survivors)', () => {
  const token = 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0h';
  it.each([
    [token, true],
    [token.toLowerCase(), false],
    [token.toUpperCase(), false],
    [token.replace(/\d/g, 'x'), false],
    [`https://example.com/${token}`, false],
    [`${token}@example.com`, false],
  ])('%s: %s', (value, expected) => {
    expect(looksLikeSecret(value)).toBe(expected);
  });
});
