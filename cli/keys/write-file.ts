/**
 * Writes key files so that a private key is never readable by anyone else, not even for a
 * moment: each file is written to a temporary file created with mode 0600 (O_EXCL) in the
 * target directory, then renamed into place, so a reader sees the old file or the whole new one.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { FileSystem } from '../deps.js';

export interface PendingFile {
  path: string;
  content: string;
  /** Final mode; the temporary file is always 0600 until this is applied just before the rename. */
  mode: number;
}

/**
 * Temporary and backup names end in `.key`, so the `*.key` rule `keys generate` writes to
 * `.gitignore` first covers them too: a run killed mid-write (SIGKILL, a cancelled CI job) leaves
 * nothing git would pick up.
 */
export function temporaryName(path: string, kind: 'tmp' | 'bak'): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.${kind}.key`);
}

/**
 * Writes all files to temporaries first, then replaces the set all or nothing: existing files are
 * first moved aside to backups, the temporaries renamed into place, and the backups removed; when
 * any rename fails, what was renamed is undone and the backups are put back, so `--force` never
 * leaves a half-replaced set (a new key beside an old certificate). Temporaries are removed on
 * failure.
 */
export async function writeFilesAtomically(fs: FileSystem, files: readonly PendingFile[]): Promise<void> {
  const temporaries: string[] = [];
  try {
    for (const file of files) {
      const temporary = temporaryName(file.path, 'tmp');
      const handle = await fs.open(temporary, 'wx', 0o600);
      temporaries.push(temporary);
      try {
        await handle.writeFile(file.content, 'utf8');
        // Only ever widens public files (certificate, public key); the key stays 0600 even under umask 0.
        await handle.chmod(file.mode);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    await Promise.all(temporaries.map((temporary) => fs.rm(temporary, { force: true })));
    throw error;
  }
  const backups: Array<{ path: string; backup: string }> = [];
  const placed: string[] = [];
  try {
    for (const file of files) {
      const backup = temporaryName(file.path, 'bak');
      try {
        await fs.rename(file.path, backup);
        backups.push({ path: file.path, backup });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    for (const [index, file] of files.entries()) {
      await fs.rename(temporaries[index]!, file.path);
      placed.push(file.path);
    }
  } catch (error) {
    // Undo: the new files out, the old ones back; best effort, then report the first failure.
    for (const path of placed) await fs.rm(path, { force: true }).catch(() => {});
    for (const { path, backup } of backups) await fs.rename(backup, path).catch(() => {});
    await Promise.all(temporaries.map((temporary) => fs.rm(temporary, { force: true })));
    throw error;
  }
  await Promise.all(backups.map(({ backup }) => fs.rm(backup, { force: true })));
}
