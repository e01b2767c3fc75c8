import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ensureKeyPatternIgnored, gitStatusOf } from '../../../cli/keys/git.js';
import { tableRunner } from '../../support/harness.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-git-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('gitStatusOf', () => {
  it('reports tracked and ignored inside a work tree', async () => {
    const run = tableRunner({
      'git rev-parse --show-toplevel': { exitCode: 0, stdout: '/repo\n' },
      'git ls-files --error-unmatch -- server.key': { exitCode: 0, stdout: 'server.key\n' },
      'git check-ignore -q -- server.key': { exitCode: 1 },
    });
    expect(await gitStatusOf(run, '/repo/keys/server.key')).toEqual({ topLevel: '/repo', tracked: true, ignored: false });
  });

  it('reports nothing outside a work tree, and notes a missing git', async () => {
    expect(await gitStatusOf(tableRunner({ 'git rev-parse --show-toplevel': { exitCode: 128, stderr: 'fatal: not a git repository' } }), '/tmp/server.key')).toEqual({});
    expect(await gitStatusOf(tableRunner({ 'git rev-parse --show-toplevel': { exitCode: 127 } }), '/tmp/server.key')).toEqual({ gitMissing: true });
  });
});

describe('ensureKeyPatternIgnored', () => {
  const inTree = () => tableRunner({ 'git rev-parse --show-toplevel': { exitCode: 0, stdout: `${dir}\n` } });

  it('creates .gitignore with *.key', async () => {
    expect(await ensureKeyPatternIgnored(inTree(), fs, join(dir, 'keys'))).toEqual({ path: join(dir, '.gitignore'), added: true });
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('*.key\n');
  });

  it('appends *.key on its own line to a .gitignore without a final newline', async () => {
    await writeFile(join(dir, '.gitignore'), 'node_modules\ndist');
    expect((await ensureKeyPatternIgnored(inTree(), fs, dir)).added).toBe(true);
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('node_modules\ndist\n*.key\n');
  });

  it('leaves a .gitignore that has *.key alone', async () => {
    await writeFile(join(dir, '.gitignore'), 'dist\r\n*.key\r\n');
    expect(await ensureKeyPatternIgnored(inTree(), fs, dir)).toEqual({ path: join(dir, '.gitignore'), added: false });
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('dist\r\n*.key\r\n');
  });

  it('does nothing outside a work tree', async () => {
    const run = tableRunner({ 'git rev-parse --show-toplevel': { exitCode: 128 } });
    expect(await ensureKeyPatternIgnored(run, fs, dir)).toEqual({ added: false });
  });
});
