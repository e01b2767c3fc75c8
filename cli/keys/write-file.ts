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
 * Writes all files to temporaries first and renames them only when every write succeeded, so a
 * failure (disk full) leaves no half-written set. Temporaries are removed on failure.
 */
export async function writeFilesAtomically(fs: FileSystem, files: readonly PendingFile[]): Promise<void> {
  const temporaries: string[] = [];
  try {
    for (const file of files) {
      const temporary = join(dirname(file.path), `.${basename(file.path)}.${randomBytes(6).toString('hex')}.tmp`);
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
    for (const [index, file] of files.entries()) {
      await fs.rename(temporaries[index]!, file.path);
    }
  } catch (error) {
    await Promise.all(temporaries.map((temporary) => fs.rm(temporary, { force: true })));
    throw error;
  }
}
