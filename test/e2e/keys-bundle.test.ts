/**
 * The X.509 library is loaded only by `keys generate`: the entry and the chunks `verify`,
 * `authorize` and `keys check` import statically never reach it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../support/harness.js';
import { expectNoSecrets } from '../support/leak-guard.js';

const DIST = join(ROOT, 'dist');

/** Every file reachable from `entry` through static imports (not `import()`). */
async function staticClosure(entry: string): Promise<Set<string>> {
  const seen = new Set<string>();
  const visit = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = await readFile(file, 'utf8');
    for (const match of code.matchAll(/(?:from|import)\s*"(\.{1,2}\/[^"]+)"/g)) {
      await visit(join(file, '..', match[1]!));
    }
  };
  await visit(entry);
  return seen;
}

describe('lazy loading of @peculiar/x509', () => {
  it('is reached only through a dynamic import of keys generate', async () => {
    const chunks = await readdir(join(DIST, 'chunks'));
    const x509Chunks = chunks.filter((name) => /^(x509|Reflect)/.test(name));
    expect(x509Chunks).toHaveLength(2);
    const entries = [join(DIST, 'main.js'), ...chunks.filter((name) => /^(verify|authorize|keys-check)-/.test(name)).map((name) => join(DIST, 'chunks', name))];
    expect(entries.length).toBeGreaterThanOrEqual(2);
    for (const entry of entries) {
      const reachable = [...(await staticClosure(entry))].map((file) => file.split('/').pop());
      expect({ entry, x509: reachable.filter((name) => x509Chunks.includes(name!)) }).toEqual({ entry, x509: [] });
    }
    const generate = chunks.find((name) => name.startsWith('keys-generate-'))!;
    const closure = [...(await staticClosure(join(DIST, 'chunks', generate)))];
    const code = (await Promise.all(closure.map((file) => readFile(file, 'utf8')))).join('\n');
    for (const name of x509Chunks) expect(code).toContain(`import("./${name}")`);
  });

  it('the shipped bundle embeds no key: neither a PEM private key block nor the committed test keys', async () => {
    const files = [join(DIST, 'main.js'), ...(await readdir(join(DIST, 'chunks'))).map((name) => join(DIST, 'chunks', name))];
    const code = await Promise.all(files.map((file) => readFile(file, 'utf8')));
    expect(code.filter((text) => /-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----\s*[A-Za-z0-9+/]{40}/.test(text))).toEqual([]);
    const testKeys = await Promise.all(['key-a.pem', 'key-b.pem'].map((name) => readFile(join(ROOT, 'test/fixtures/sandbox', name), 'utf8')));
    expectNoSecrets(code, { privateKeys: testKeys });
  });
});
