/**
 * third_party/: every vendored data file has a license, a source URL and the sha256 its README
 * states, and the bytes on disk still have that sha256.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../support/harness.js';

const THIRD_PARTY = join(ROOT, 'third_party');

/** The `sha256 (FILE): HEX` lines of a third_party README. */
export function statedHashes(readme: string): Array<{ file: string; sha256: string }> {
  return [...readme.matchAll(/^- sha256 \(([^)]+)\): ([0-9a-f]{64})$/gm)].map((match) => ({ file: match[1]!, sha256: match[2]! }));
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

describe('third_party/', () => {
  it('CircleCI\'s config schema is the published file: Apache-2.0, source at the pinned commit, sha256 as stated', async () => {
    const folder = join(THIRD_PARTY, 'circleci-config-schema');
    const readme = await readFile(join(folder, 'README.md'), 'utf8');
    expect(statedHashes(readme)).toEqual([{ file: 'schema.json', sha256: '943887ba97ed0047f4170e83d3e5bf045ae12d824f6da56ca50c2224a7fbb458' }]);
    expect(await sha256(join(folder, 'schema.json'))).toBe('943887ba97ed0047f4170e83d3e5bf045ae12d824f6da56ca50c2224a7fbb458');
    expect(readme).toContain('https://github.com/CircleCI-Public/circleci-yaml-language-server/blob/0c39a2912a390a3e9601455ffb9f29e966f6aa66/schema.json');
    expect(readme).toMatch(/^- License: Apache-2\.0/m);
    const license = await readFile(join(folder, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(license).toContain('Copyright ©2022 CircleCI');
  });

  it('every folder has a LICENSE, a source URL and a README whose sha256 lines match the files', async () => {
    const folders = (await readdir(THIRD_PARTY, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(folders.length).toBeGreaterThan(0);
    const index = await readFile(join(THIRD_PARTY, 'README.md'), 'utf8');
    for (const name of folders) {
      const folder = join(THIRD_PARTY, name);
      const readme = await readFile(join(folder, 'README.md'), 'utf8');
      expect({ name, listed: index.includes(`(${name}/)`) }).toEqual({ name, listed: true });
      expect((await stat(join(folder, 'LICENSE'))).size).toBeGreaterThan(100);
      expect(readme).toMatch(/^- Source: https:\/\/\S+$/m);
      const stated = statedHashes(readme);
      const data = (await readdir(folder)).filter((file) => !['README.md', 'LICENSE'].includes(file)).sort();
      expect(stated.map((entry) => entry.file).sort()).toEqual(data);
      for (const entry of stated) expect({ file: `${name}/${entry.file}`, sha256: await sha256(join(folder, entry.file)) }).toEqual({ file: `${name}/${entry.file}`, sha256: entry.sha256 });
    }
  });

  it('statedHashes reads only well-formed lines', () => {
    expect(statedHashes(`- sha256 (a.json): ${'a'.repeat(64)}\n- sha256 (b.json): short\nsha256 (c.json): ${'c'.repeat(64)}\n`)).toEqual([{ file: 'a.json', sha256: 'a'.repeat(64) }]);
  });
});
