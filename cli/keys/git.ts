/**
 * What git says about a key file: inside a work tree, tracked, ignored. Asked through
 * `deps.run` (cli/run-program.ts in production, a table in unit tests, real git in end-to-end tests).
 */
import { basename, dirname, join } from 'node:path';
import type { FileSystem, Runner } from '../deps.js';

export interface GitStatus {
  /** The work tree's top-level directory, or undefined outside a work tree (or without git). */
  topLevel?: string;
  /** Whether git tracks the file; undefined outside a work tree. */
  tracked?: boolean;
  /** Whether the file is git-ignored; undefined outside a work tree. */
  ignored?: boolean;
  /** True when git could not be started at all. */
  gitMissing?: boolean;
}

/** The work tree that holds `dir`, if any. */
export async function findWorkTree(run: Runner, dir: string): Promise<{ topLevel?: string; gitMissing?: boolean }> {
  const result = await run('git', ['rev-parse', '--show-toplevel'], { cwd: dir });
  if (result.exitCode === 127) return { gitMissing: true };
  if (result.exitCode !== 0) return {};
  return { topLevel: result.stdout.trim() };
}

/** Tracked and ignored status of the file at absolute path `file`. */
export async function gitStatusOf(run: Runner, file: string): Promise<GitStatus> {
  const dir = dirname(file);
  const name = basename(file);
  const tree = await findWorkTree(run, dir);
  if (!tree.topLevel) return tree;
  const tracked = await run('git', ['ls-files', '--error-unmatch', '--', name], { cwd: dir });
  const ignored = await run('git', ['check-ignore', '-q', '--', name], { cwd: dir });
  return { topLevel: tree.topLevel, tracked: tracked.exitCode === 0, ignored: ignored.exitCode === 0 };
}

/** What {@link ensureKeyPatternIgnored} did. */
export interface GitignoreResult {
  /** Path of the work tree's `.gitignore`, when `dir` is inside a work tree. */
  path?: string;
  /** True when `*.key` was added. */
  added: boolean;
  gitMissing?: boolean;
}

/**
 * When `dir` is inside a git work tree, makes sure the work tree's top-level `.gitignore` has a
 * `*.key` line (appends it when missing).
 */
export async function ensureKeyPatternIgnored(
  run: Runner,
  fs: Pick<FileSystem, 'readFile' | 'writeFile'>,
  dir: string,
): Promise<GitignoreResult> {
  const tree = await findWorkTree(run, dir);
  if (!tree.topLevel) return { added: false, ...(tree.gitMissing ? { gitMissing: true } : {}) };
  const path = join(tree.topLevel, '.gitignore');
  let current = '';
  try {
    current = await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (current.split(/\r?\n/).some((line) => line.trim() === '*.key')) return { path, added: false };
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  await fs.writeFile(path, `${current}${separator}*.key\n`, 'utf8');
  return { path, added: true };
}
