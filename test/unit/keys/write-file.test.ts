import * as fs from 'node:fs/promises';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FileSystem } from '../../../cli/deps.js';
import { writeFilesAtomically } from '../../../cli/keys/write-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-write-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('writeFilesAtomically', () => {
  it('creates every temporary file 0600 with O_EXCL, then applies the final mode and renames', async () => {
    const opened: Array<{ path: string; flags: unknown; mode: unknown }> = [];
    const chmods: number[] = [];
    const spy: FileSystem = {
      ...fs,
      open: (async (path: string, flags: string, mode: number) => {
        opened.push({ path, flags, mode });
        const handle = await fs.open(path, flags, mode);
        // The secret is written while the file is still 0600.
        const realWrite = handle.writeFile.bind(handle);
        handle.writeFile = (async (data: string) => {
          expect((await handle.stat()).mode & 0o777).toBe(0o600);
          return realWrite(data);
        }) as typeof handle.writeFile;
        const realChmod = handle.chmod.bind(handle);
        handle.chmod = (async (mode: number) => {
          chmods.push(mode);
          return realChmod(mode);
        }) as typeof handle.chmod;
        return handle;
      }) as FileSystem['open'],
    };
    await writeFilesAtomically(spy, [
      { path: join(dir, 'server.key'), content: 'secret', mode: 0o600 },
      { path: join(dir, 'server.crt'), content: 'public', mode: 0o644 },
    ]);
    expect(opened.map((o) => [o.flags, o.mode])).toEqual([
      ['wx', 0o600],
      ['wx', 0o600],
    ]);
    expect(opened.every((o) => /\/\.server\.(key|crt)\.[0-9a-f]{12}\.tmp\.key$/.test(o.path))).toBe(true);
    expect(chmods).toEqual([0o600, 0o644]);
    expect((await stat(join(dir, 'server.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'server.crt'))).mode & 0o777).toBe(0o644);
    expect(await readFile(join(dir, 'server.key'), 'utf8')).toBe('secret');
    expect((await readdir(dir)).sort()).toEqual(['server.crt', 'server.key']);
  });

  it('replaces an existing file in one step', async () => {
    await writeFile(join(dir, 'server.key'), 'old', { mode: 0o644 });
    await writeFilesAtomically(fs, [{ path: join(dir, 'server.key'), content: 'new', mode: 0o600 }]);
    expect(await readFile(join(dir, 'server.key'), 'utf8')).toBe('new');
    expect((await stat(join(dir, 'server.key'))).mode & 0o777).toBe(0o600);
  });

  it('renames nothing and leaves no temporary file when a write fails', async () => {
    let calls = 0;
    const failing: FileSystem = {
      ...fs,
      open: (async (path: string, flags: string, mode: number) => {
        calls += 1;
        if (calls === 2) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        return fs.open(path, flags, mode);
      }) as FileSystem['open'],
    };
    await expect(
      writeFilesAtomically(failing, [
        { path: join(dir, 'server.key'), content: 'secret', mode: 0o600 },
        { path: join(dir, 'server.crt'), content: 'public', mode: 0o644 },
      ]),
    ).rejects.toThrow('no space left on device');
    expect(await readdir(dir)).toEqual([]);
  });

  it('--force replaces the whole set or nothing: a rename failing midway puts every old file back', async () => {
    for (const name of ['server.key', 'server.crt', 'server.pub']) await writeFile(join(dir, name), `old ${name}`);
    let renames = 0;
    const failing: FileSystem = {
      ...fs,
      rename: (async (from: string, to: string) => {
        renames += 1;
        // The three backups succeed, then the second file's temporary fails to move into place.
        if (renames === 5) throw Object.assign(new Error('input/output error'), { code: 'EIO' });
        return fs.rename(from, to);
      }) as FileSystem['rename'],
    };
    await expect(
      writeFilesAtomically(failing, ['server.key', 'server.crt', 'server.pub'].map((name) => ({ path: join(dir, name), content: `new ${name}`, mode: 0o600 }))),
    ).rejects.toThrow('input/output error');
    expect((await readdir(dir)).sort()).toEqual(['server.crt', 'server.key', 'server.pub']);
    for (const name of ['server.key', 'server.crt', 'server.pub']) expect(await readFile(join(dir, name), 'utf8')).toBe(`old ${name}`);
  });
});
