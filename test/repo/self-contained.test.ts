/**
 * The repository works alone: no file of it names the developers' reference folder beside the
 * checkout (`shared/`), which a fresh clone, a user and CI do not have. `.ci/run` also runs the
 * whole suite from a copy in an empty temporary directory, so a read that this scan cannot see
 * (a path built at run time) fails there.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../support/harness.js';

// .stryker-tmp and reports: npm run test:mutation's working copies and reports (git-ignored).
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.git', 'coverage', '.stryker-tmp', 'reports']);
// The folder's name is built from parts so that this file does not match itself.
const FOLDER = ['sha', 'red'].join('');
const OUTSIDE = new RegExp(`\\.\\.[/\\\\]${FOLDER}\\b|/work/${FOLDER}\\b`);

/** Every file of the repository (without dependencies, build output and git's own folder). */
async function repositoryFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIPPED_FOLDERS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await repositoryFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** `file:line: text` for each line that names the reference folder beside the checkout. */
export function outsideReferences(file: string, text: string): string[] {
  return text
    .split('\n')
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => OUTSIDE.test(line))
    .map(({ line, index }) => `${file}:${index + 1}: ${line.trim()}`);
}

describe('the repository is self-contained', () => {
  it('no file names the reference folder beside the checkout (for developers only; facts from it live in the repository)', async () => {
    const found: string[] = [];
    for (const path of await repositoryFiles(ROOT)) {
      const text = await readFile(path, 'latin1');
      found.push(...outsideReferences(relative(ROOT, path), text));
    }
    expect(found).toEqual([]);
  });

  it('finds the forms a path to it takes', () => {
    const parent = '..';
    expect(outsideReferences('a.ts', `ok\nnew URL('${parent}/${parent}/${FOLDER}/circleci/schema.json')\n`)).toEqual([`a.ts:2: new URL('${parent}/${parent}/${FOLDER}/circleci/schema.json')`]);
    expect(outsideReferences('b.mjs', `const p = \`\${root}${parent}/${FOLDER}/x\`;`)).toHaveLength(1);
    expect(outsideReferences('c.sh', `cat /work/${FOLDER}/DESIGN.md`)).toHaveLength(1);
    expect(outsideReferences('d.md', `the ${FOLDER} HTTP client; a ${FOLDER} context; ${FOLDER}/ alone`)).toEqual([]);
  });

  it('.ci/run runs the suite from a copy in an empty temporary directory, with nothing beside it', async () => {
    const ciRun = await readFile(join(ROOT, '.ci/run'), 'utf8');
    expect(ciRun).toMatch(/mktemp -d/);
    expect(ciRun).toMatch(/^cd "\$clone"$/m);
  });
});
