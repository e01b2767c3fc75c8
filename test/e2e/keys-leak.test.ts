/**
 * Key-leak test: every fixture key, in several broken forms, through every failing path of key
 * loading and `keys check` (in-process and through the built binary, with --json and DEBUG);
 * stdout and stderr must never hold a 32-character run of any key's body, nor the passphrase.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { makeKeyFixtures, privateKeysOf, removeKeyFixtures, type KeyFixtures } from '../fixtures/keys/key-fixtures.js';
import { realRunner, runBin, runProgram } from '../support/harness.js';
import { expectNoSecrets, findSecrets } from '../support/leak-guard.js';
import { jsonResult } from '../support/envelope.js';

let fx: KeyFixtures;
beforeAll(async () => {
  fx = await makeKeyFixtures();
}, 60000);
afterAll(async () => removeKeyFixtures(fx));

/** Broken (or, for `as-is` of a good key, mismatching) forms of one key's text. */
function mutations(key: string): Array<[string, string]> {
  const lines = key.trim().split('\n');
  const middle = Math.floor(lines.length / 2);
  return [
    ['as-is', key],
    ['truncated', key.slice(0, Math.max(Math.floor(key.length / 2), 80))],
    ['two keys', `${key}\n${key}`],
    ['not base64 inside', [...lines.slice(0, middle), `*${lines[middle]}`, ...lines.slice(middle + 1)].join('\n')],
    ['lines missing', [...lines.slice(0, 3), ...lines.slice(-2)].join('\n')],
    ['escaped and quoted', `"${key.replace(/\n/g, '\\n')}"`],
    ['base64 of a truncated PEM', Buffer.from(key.slice(0, key.length - 40)).toString('base64')],
  ];
}

describe('no key material in any output', () => {
  it('in-process: env, file and stdin sources, human and --json, with DEBUG', async () => {
    const secrets = { privateKeys: privateKeysOf(fx), tokens: [fx.passphrase] };
    let runs = 0;
    let failures = 0;
    const keys = privateKeysOf(fx).filter((key) => key.includes('-----BEGIN'));
    for (const [keyIndex, key] of keys.entries()) {
      for (const [name, input] of mutations(key)) {
        // The input itself holds the key, so a leak of it would be caught (base64 hides it from the guard).
        if (!name.startsWith('base64')) expect({ keyIndex, name, found: findSecrets([input], { privateKeys: [key] }).length }).toEqual({ keyIndex, name, found: 1 });
        const file = join(fx.dir, `leak-${keyIndex}.pem`);
        await writeFile(file, input, { mode: 0o600 });
        const sources: Array<{ args: string[]; env: Record<string, string>; stdin?: string }> = [
          { args: [], env: { JWT_PRIVATE_KEY: input } },
          { args: ['--jwt-key-file', file], env: {} },
          { args: ['--jwt-key-file', '-'], env: {}, stdin: input },
        ];
        for (const source of sources) {
          for (const extra of [[], ['--json']]) {
            const result = await runProgram(
              ['keys', 'check', ...source.args, '--cert-file', join(fx.dir, 'cert.pem'), '--passphrase-env', 'KEY_PASS', ...extra],
              { env: { ...source.env, KEY_PASS: 'wrong', DEBUG: 'applink-jwt' }, cwd: fx.dir, run: realRunner, now: () => Date.now(), readStdin: async () => source.stdin ?? '' },
            );
            runs += 1;
            expect({ name, exitCode: [0, 3, 9].includes(result.exitCode) }).toEqual({ name, exitCode: true });
            if (result.exitCode !== 0) failures += 1;
            expect({ key: keyIndex, name, secrets: findSecrets([result.stdout, result.stderr], secrets) }).toEqual({ key: keyIndex, name, secrets: [] });
          }
        }
      }
    }
    // Only the main key as-is and escaped (PKCS#8 and PKCS#1, 3 sources, 2 outputs) may pass: its certificate matches.
    expect(runs).toBe(keys.length * 7 * 6);
    expect(failures).toBe(runs - 2 * 2 * 3 * 2);
  }, 120000);

  it('a key given as --cert-file, and a key whose certificate does not match', async () => {
    const secrets = { privateKeys: privateKeysOf(fx) };
    const asCert = await runProgram(['keys', 'check', '--cert-file', 'pkcs8.pem', '--json'], { cwd: fx.dir, env: { DEBUG: '1' }, run: realRunner, now: () => Date.now() });
    expect(asCert.exitCode).toBe(3);
    const mismatch = await runProgram(['keys', 'check', '--jwt-key-file', 'other.pem', '--cert-file', 'cert.pem', '--json'], { cwd: fx.dir, env: { DEBUG: '1' }, run: realRunner, now: () => Date.now() });
    expect(mismatch.exitCode).toBe(9);
    expectNoSecrets([asCert.stdout, asCert.stderr, mismatch.stdout, mismatch.stderr], secrets);
  });

  it('built binary: every key, broken, from the environment with DEBUG and --json', async () => {
    const secrets = { privateKeys: privateKeysOf(fx), tokens: [fx.passphrase] };
    const keys = privateKeysOf(fx).filter((key) => key.includes('-----BEGIN'));
    const results = await Promise.all(
      keys.flatMap((key) =>
        [mutations(key)[1]!, mutations(key)[2]!, mutations(key)[0]!].map(async ([name, input]) => ({
          name,
          result: await runBin(['keys', 'check', '--cert-file', 'cert.pem', '--json'], { cwd: fx.dir, env: { JWT_PRIVATE_KEY: input, DEBUG: 'applink-jwt' } }),
        })),
      ),
    );
    for (const { name, result } of results) {
      expect({ name, exitCode: result.exitCode === 0 || result.exitCode === 3 || result.exitCode === 9 }).toEqual({ name, exitCode: true });
      expectNoSecrets([result.stdout, result.stderr], secrets);
    }
    expect(results.filter(({ result }) => result.exitCode !== 0).length).toBeGreaterThanOrEqual(results.length - 3);
  }, 120000);

  it('built binary: encrypted keys with the right passphrase never echo it', async () => {
    for (const file of ['encrypted-pkcs1.pem', 'encrypted-pkcs8.pem']) {
      const result = await runBin(['keys', 'check', '--jwt-key-file', file, '--cert-file', 'cert.pem', '--passphrase-env', 'KEY_PASS', '--json'], {
        cwd: fx.dir,
        env: { KEY_PASS: fx.passphrase, DEBUG: '1' },
      });
      expect(result.exitCode).toBe(0);
      expect(jsonResult(result.stdout).match).toBe(true);
      expectNoSecrets([result.stdout, result.stderr], { privateKeys: privateKeysOf(fx), tokens: [fx.passphrase] });
    }
  }, 60000);
});
