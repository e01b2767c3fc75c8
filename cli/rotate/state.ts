/**
 * The `--state-dir` of a rotation: what a second run needs to resume where the first stopped.
 * `rotation.json` records the rotation (which slot to which, the new certificate, the steps done)
 * and `new.key` holds the new private key; both are mode 0600, written before anything remote
 * changes, replaced atomically, and the key is removed once the rotation is complete (it is then in
 * AppLink and CI, and nothing needs it here).
 */
import { join } from 'node:path';
import type { FileSystem } from '../deps.js';
import { InputError } from '../errors.js';
import { writeFilesAtomically } from '../keys/write-file.js';
import type { SlotId } from './slots.js';

export const STATE_FILE = 'rotation.json';
export const KEY_FILE = 'new.key';

export type StepId = 'generate-key' | 'deploy-certificate' | 'wait-for-login' | 'create-authorization' | 'switch-app' | 'update-ci' | 'remove-old-authorization';

export const STEP_IDS: readonly StepId[] = ['generate-key', 'deploy-certificate', 'wait-for-login', 'create-authorization', 'switch-app', 'update-ci', 'remove-old-authorization'];

/** One rotation, as recorded in `rotation.json` (never a secret: the key is in its own file). */
export interface RotationRecord {
  version: 1;
  app: string;
  configVar: string;
  from: { slot: SlotId; authorization: string; eca: string };
  to: { slot: SlotId; authorization: string; eca: string };
  startedAt: string;
  /** The new certificate (public). */
  certificatePem: string;
  /** The certificate the target ECA held before this rotation (public; a single-slot rollback needs it). */
  previousCertificatePem?: string;
  /** Steps done, with when, and facts a resume checks (the authorization id, `updated_at`). */
  steps: Partial<Record<StepId, { at: string; facts?: Record<string, string> }>>;
  completedAt?: string;
}

export interface RotationStateStore {
  /** The recorded rotation, or undefined when there is none. */
  load(): Promise<{ record: RotationRecord; privateKeyPem?: string } | undefined>;
  /** Records the rotation (and the key, when given) atomically, mode 0600. */
  save(record: RotationRecord, privateKeyPem?: string): Promise<void>;
  /** Removes the key file (the rotation is complete). */
  forgetKey(): Promise<void>;
  /** Where it lives, for messages. */
  readonly dir: string;
}

/** The store in `dir` (created with mode 0700 on the first save). */
export function stateStore(dir: string, fs: FileSystem): RotationStateStore {
  const statePath = join(dir, STATE_FILE);
  const keyPath = join(dir, KEY_FILE);
  const read = async (path: string): Promise<string | undefined> => {
    try {
      return await fs.readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  return {
    dir,
    async load() {
      const text = await read(statePath);
      if (text === undefined) return undefined;
      let record: RotationRecord;
      try {
        record = JSON.parse(text) as RotationRecord;
      } catch (error) {
        throw stateError(`${statePath} is not JSON (${(error as Error).message})`, error);
      }
      if (record?.version !== 1 || typeof record.app !== 'string' || typeof record.steps !== 'object' || typeof record.to?.authorization !== 'string') {
        throw stateError(`${statePath} is not a rotation record of this version of applink-jwt`);
      }
      const privateKeyPem = await read(keyPath);
      if (privateKeyPem !== undefined) {
        const mode = (await fs.stat(keyPath)).mode & 0o777;
        if ((mode & 0o077) !== 0) {
          throw new InputError('ERR_ROTATE_STATE', `${keyPath} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); the rotation will not use a key others could have read.`, {
            hint: `Start over: remove ${dir} and run the command again (a new key is made), or chmod 600 ${keyPath} if nobody else could read it.`,
          });
        }
      }
      return { record, ...(privateKeyPem === undefined ? {} : { privateKeyPem }) };
    },
    async save(record, privateKeyPem) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const files = [{ path: statePath, content: `${JSON.stringify(record, null, 2)}\n`, mode: 0o600 }];
      if (privateKeyPem !== undefined) files.unshift({ path: keyPath, content: privateKeyPem, mode: 0o600 });
      await writeFilesAtomically(fs, files);
    },
    async forgetKey() {
      await fs.rm(keyPath, { force: true });
    },
  };

  function stateError(what: string, cause?: unknown): InputError {
    return new InputError('ERR_ROTATE_STATE', `${what}; it cannot be resumed from.`, {
      hint: `Move ${dir} away and run the command again: the rotation starts over from what it finds (each step checks before it acts).`,
      cause,
    });
  }
}
