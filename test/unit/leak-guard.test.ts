import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { findSecrets } from '../support/leak-guard.js';

describe('leak guard', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const body = pem.split('\n').slice(1, -2).join('');

  it('finds nothing in clean output', () => {
    expect(findSecrets(['Authorized my_org', '{"status":"authorized"}'], { privateKeys: [pem], tokens: ['00D000000000001!abcdefghijkl'] })).toEqual([]);
  });

  it('catches a 32-character run of the key body, even re-wrapped or JSON-escaped', () => {
    const leak = JSON.stringify({ message: `bad key ${body.slice(100, 140).replace(/(.{10})/g, '$1\n')}` });
    expect(findSecrets(['ok', leak], { privateKeys: [pem] })).toEqual(['private key #0 (a 32-character run at offset 100) in text #1']);
  });

  it('catches a whole token', () => {
    expect(findSecrets(['Bearer 00D000000000001!abcdefghijkl'], { tokens: ['00D000000000001!abcdefghijkl'] })).toHaveLength(1);
  });
});
