/**
 * Orb source fixtures for the packer and validator tests: `test/fixtures/orb/valid/src` is a small
 * valid orb; each `test/fixtures/orb/invalid/<name>.yml` describes edits to it (YAML patches,
 * whole files, removals, renames) and the exact findings the validator must report.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/orb/', import.meta.url));
export const VALID_SOURCE = join(FIXTURES, 'valid/src');
export const SCHEMA_PATH = fileURLToPath(new URL('../../../third_party/circleci-config-schema/schema.json', import.meta.url));

export interface ExpectedFinding {
  rule: string;
  /** Relative to the orb root. */
  file: string;
  path: string;
  message: string;
}

export interface InvalidFixture {
  name: string;
  description: string;
  patch?: Record<string, Array<{ path: Array<string | number>; value?: unknown; delete?: boolean }>>;
  write?: Record<string, string>;
  remove?: string[];
  rename?: Record<string, string>;
  findings: ExpectedFinding[];
}

/** Every fixture under test/fixtures/orb/invalid, by file name. */
export async function invalidFixtures(): Promise<InvalidFixture[]> {
  const folder = join(FIXTURES, 'invalid');
  const names = (await readdir(folder)).filter((name) => name.endsWith('.yml')).sort();
  return Promise.all(
    names.map(async (file) => {
      const fixture = YAML.parse(await readFile(join(folder, file), 'utf8')) as Omit<InvalidFixture, 'name'>;
      return { ...fixture, name: file.replace(/\.yml$/, ''), findings: fixture.findings ?? [] };
    }),
  );
}

/** A temporary directory for one test; removed by the returned `cleanup`. */
export async function scratch(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'applink-orb-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `files` (path relative to `root` → text) under `root`. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/** Copies the valid orb into `dir/src` and applies the fixture's edits; returns the orb root. */
export async function materialize(fixture: Omit<InvalidFixture, 'findings' | 'name' | 'description'>, dir: string): Promise<string> {
  const root = join(dir, 'src');
  await cp(VALID_SOURCE, root, { recursive: true });
  for (const [from, to] of Object.entries(fixture.rename ?? {})) await rename(join(root, from), join(root, to));
  for (const file of fixture.remove ?? []) await rm(join(root, file));
  await writeFiles(root, fixture.write ?? {});
  for (const [file, edits] of Object.entries(fixture.patch ?? {})) {
    const document = YAML.parseDocument(await readFile(join(root, file), 'utf8'));
    for (const edit of edits) {
      if (edit.delete) document.deleteIn(edit.path);
      else document.setIn(edit.path, edit.value);
    }
    await writeFile(join(root, file), document.toString());
  }
  return root;
}
