/**
 * The packer against CircleCI's own `orb pack`: each test/fixtures/orb/pack/<case>/src was packed by
 * the circleci CLI's pack code (scripts/orb/record-pack-goldens.sh, run by hand) into packed.yml, or
 * refused with error.txt; test/fixtures/orb/pack-orb-src/packed.yml is orb/src. The packer must give
 * the same data: both texts are read as CircleCI reads them (YAML 1.1, merge keys) with maps kept in
 * order, so key order counts too; layout (indentation, quoting style) may differ.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { compareKeys, packOrb } from '../../../scripts/orb/pack.js';
import { ROOT } from '../../support/harness.js';

const CASES = join(ROOT, 'test/fixtures/orb/pack');

/** The data of a YAML text as CircleCI reads it, maps as ordered entry lists. */
function data(text: string): unknown {
  const normal = (value: unknown): unknown => {
    if (value instanceof Map) return [...value.entries()].map(([key, child]) => [String(key), normal(child)]);
    if (Array.isArray(value)) return value.map(normal);
    if (value instanceof Date) return { timestamp: value.toISOString() };
    return value;
  };
  return normal(YAML.parse(text, { version: '1.1', merge: true, mapAsMap: true }));
}

const read = (path: string) => readFile(path, 'utf8').catch(() => undefined);

describe('packOrb gives the data of circleci orb pack', () => {
  it('has at least 20 recorded cases', async () => {
    expect((await readdir(CASES)).length).toBeGreaterThanOrEqual(20);
  });

  it.each(['at-files-in-folders', 'cross-file-anchors', 'dotfiles-and-extensions', 'duplicate-keys', 'empty-and-comment-only-files',
    'examples-keep-every-key', 'file-not-a-map', 'file-scalar-root', 'include-embedded-in-text', 'include-escapes-heredoc-and-parameters',
    'include-inside-literal-block', 'include-missing-file', 'include-path-forms', 'include-twice-in-one-value',
    'include-where-pack-does-not-resolve', 'key-natural-sort', 'merge-keys', 'mixed-types-and-nulls', 'nested-folder-collision',
    'nested-folders-flattened', 'no-orb-yml', 'orb-yml-and-folder-merge', 'root-version-forms', 'strings-needing-quotes',
    'unknown-top-level-keys-and-folders', 'yaml11-scalars'])('%s', async (name) => {
    const src = join(CASES, name, 'src');
    const golden = await read(join(CASES, name, 'packed.yml'));
    const refusal = await read(join(CASES, name, 'error.txt'));
    const result = await packOrb(src).then(
      (packed) => ({ yaml: packed.yaml }),
      (error: Error) => ({ error: `Error: Could not pack "src": ${error.message.replaceAll(src, '<src>')}\n` }),
    );
    if (golden !== undefined) {
      expect(result).toHaveProperty('yaml');
      expect(data((result as { yaml: string }).yaml)).toEqual(data(golden));
    } else {
      expect(refusal).toBeDefined();
      expect(result).toEqual({ error: refusal });
    }
  });

  // When orb/src changes, re-record: scripts/orb/record-pack-goldens.sh <circleci-orb-pack binary>.
  it('packs orb/src to the data CircleCI packs it to (after a change to orb/src, re-record the golden)', async () => {
    const golden = await readFile(join(ROOT, 'test/fixtures/orb/pack-orb-src/packed.yml'), 'utf8');
    expect(data((await packOrb(join(ROOT, 'orb/src'))).yaml)).toEqual(data(golden));
  });

  it('every case directory is in the list above and has a golden', async () => {
    for (const name of await readdir(CASES)) {
      const files = await readdir(join(CASES, name));
      expect([name, files.includes('packed.yml') || files.includes('error.txt')]).toEqual([name, true]);
    }
  });

  it('orders keys as yaml.v3 does', () => {
    const keys = ['STEP10', 'b1', 'STEP9', 'A1', 'A_B', '_x', 'AB', 'STEP01', 'STEP1', 'x10y', 'x9y', 'é', 'z', '10', '9'];
    expect([...keys].sort(compareKeys)).toEqual(['_x', '9', '10', 'A_B', 'A1', 'AB', 'STEP1', 'STEP01', 'STEP9', 'STEP10', 'b1', 'x9y', 'x10y', 'z', 'é']);
  });
});
