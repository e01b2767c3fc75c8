import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { findSecretShapes, findSecrets } from '../support/leak-guard.js';

describe('leak guard', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const body = pem.split('\n').slice(1, -2).join('');

  it('finds nothing in clean output', () => {
    expect(findSecrets(['Authorized my_org', '{"status":"authorized"}'], { privateKeys: [pem], tokens: ['00D000000000001!abcdefghijkl'] })).toEqual([]);
  });

  it('catches a 32-character run of the key body, even re-wrapped or JSON-escaped', () => {
    const leak = JSON.stringify({ message: `bad key: ${body.slice(100, 140).replace(/(.{10})/g, '$1\n')}` });
    expect(findSecrets(['ok', leak], { privateKeys: [pem] })).toEqual(['private key #0 (a 32-character run at offset 100) in text #1']);
  });

  it('catches a whole token', () => {
    expect(findSecrets(['Bearer 00D000000000001!abcdefghijkl'], { tokens: ['00D000000000001!abcdefghijkl'] })).toHaveLength(1);
  });

  it('finds secrets by shape when their values are unknown (a key body without armour, tokens, JWTs)', () => {
    expect(findSecretShapes(['Authorized demo_org (org 00DSB00000000012AA), certificate 8A:F9:6B:8B', '{"durationMs": 12}'])).toEqual([]);
    expect(findSecretShapes([`key: ${body.slice(0, 80)}`])).toEqual(['a base64 run of 64+ characters (a key body?) in text #0']);
    expect(findSecretShapes(['ok', pem])).toEqual(['a PEM private key in text #1', 'a base64 run of 64+ characters (a key body?) in text #1']);
    expect(findSecretShapes(['token 00DSB00000000012!AbCdEfGh12345'])).toEqual(['an access token (<org id>!<secret>) in text #0']);
    expect(findSecretShapes(['eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.sig'])).toEqual(['an assertion or JWT in text #0']);
  });
});

describe('the end-to-end helper (binRunner.leaks) fails when a secret appears', () => {
  it('catches a key, HEROKU_API_KEY, an add-on token and an issued access token in recorded output or the request log', async () => {
    const { makeKeys, binRunner, sandboxForTest } = await import('../support/applink-e2e.js');
    const { keys, cleanup } = await makeKeys(1);
    const sandbox = await sandboxForTest();
    try {
      const bin = binRunner(() => sandbox, () => keys);
      expect(bin.leaks()).toEqual([]);
      // A real run of the built binary is clean...
      const clean = await bin.run(['list', '-a', 'acme-app', '--json'], { HEROKU_API_KEY: sandbox.env().HEROKU_API_KEY, HEROKU_API_URL: sandbox.urls.platform, DEBUG: '1' });
      expect(clean.exitCode).toBe(0);
      expect(bin.leaks()).toEqual([]);
      // ...and each deliberately leaked secret is caught, wherever it appears.
      const keyBody = keys[0]!.pem.split('\n')[5]!;
      bin.record(`Error: could not parse: ${keyBody}`); // the colon: a letter before the body could extend the run one character back
      expect(bin.leaks()).toEqual(['private key #0 (a 32-character run at offset 256) in text #2']);
      const leaky = binRunner(() => sandbox, () => keys);
      leaky.record(`curl -H "Authorization: Bearer ${sandbox.env().HEROKU_API_KEY}"`, `HEROKU_APPLINK_TOKEN=${sandbox.env().HEROKU_APPLINK_TOKEN}`);
      expect(leaky.leaks()).toEqual([
        `token #0 (${sandbox.env().HEROKU_API_KEY!.length} characters) in text #0`,
        `token #1 (${sandbox.env().HEROKU_APPLINK_TOKEN!.length} characters) in text #1`,
      ]);
      // A token the Salesforce double issued, found in the request log.
      sandbox.state.tokens.set('00D000000000001!issued-token-for-the-guard', { kind: 'core', orgId: '00D', userId: '005', username: 'u', clientId: 'c', expiresAtMs: Date.now() + 60_000, revoked: false });
      sandbox.requestLog.push({ seq: 999, method: 'GET', host: sandbox.urls.instance, path: '/services/data', headers: { authorization: 'Bearer 00D000000000001!issued-token-for-the-guard' }, bodyFields: {}, status: 200, route: 'salesforce.query', faults: [], internal: false });
      const fresh = binRunner(() => sandbox, () => keys);
      expect(fresh.leaks()).toEqual(['token #2 (42 characters) in text #0']); // #0 HEROKU_API_KEY, #1 the add-on token, #2 the issued token
    } finally {
      await sandbox.close();
      await cleanup();
    }
  });

});
