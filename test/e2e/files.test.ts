/**
 * Files: the CLI writes a key only where it is asked to (`keys generate --dir`), never with wider
 * permissions than 0600, even for a moment; and no run of verify, authorize, list, keys check or
 * demo leaves a key or a token in HOME, TMPDIR or the working directory.
 */
import { watch } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { binRunner, makeKeys, platformEnv, sandboxForTest, sandboxSecrets, type TestKey } from '../support/applink-e2e.js';
import { BIN } from '../support/harness.js';
import { findSecrets } from '../support/leak-guard.js';

let keys: TestKey[];
let cleanupKeys: () => Promise<void>;
let root: string;

beforeAll(async () => {
  ({ keys, cleanup: cleanupKeys } = await makeKeys(1));
  root = await mkdtemp(join(tmpdir(), 'applink-jwt-files-'));
});
afterAll(async () => {
  await cleanupKeys();
  await rm(root, { recursive: true, force: true });
});

/** Every regular file under `dir`, with its content. */
async function filesUnder(dir: string): Promise<Array<{ path: string; text: string }>> {
  const found: Array<{ path: string; text: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else if (entry.isFile()) found.push({ path, text: await readFile(path, 'latin1') });
  }
  return found;
}

describe('keys generate', () => {
  it('never lets the key file (or its temporary) exist with a mode wider than 0600, even under umask 000', async () => {
    const dir = join(root, 'generate');
    await mkdir(dir);
    const observed: Array<{ name: string; mode: number }> = [];
    const pending: Array<Promise<void>> = [];
    const watcher = watch(dir, (_event, name) => {
      if (!name || !/key/.test(name)) return;
      pending.push(
        lstat(join(dir, name)).then(
          (info) => {
            observed.push({ name, mode: info.mode & 0o777 });
          },
          () => {}, // renamed away between the event and the stat
        ),
      );
    });
    try {
      // umask 000: a plain writeFile would create the key 0666; the CLI must not rely on the umask.
      const result = await execa('sh', ['-c', `umask 000; exec "${process.execPath}" "${BIN}" keys generate --dir "${dir}" --bits 2048`], { reject: false, env: { PATH: process.env.PATH, HOME: root }, extendEnv: false });
      expect(result.exitCode).toBe(0);
    } finally {
      watcher.close();
    }
    await Promise.all(pending);
    const keyObservations = observed.filter((entry) => /server\.key/.test(entry.name));
    expect(keyObservations.length).toBeGreaterThan(0);
    expect(keyObservations.filter((entry) => entry.mode !== 0o600)).toEqual([]);
    expect((await stat(join(dir, 'server.key'))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['server.crt', 'server.key', 'server.pub']);
  }, 60_000);
});

describe('no key or token written anywhere else', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await sandboxForTest();
    sandbox.registerCertificate(keys[0]!.certificatePem);
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('verify, authorize (with --replace), list, info, remove, keys check and demo leave HOME, TMPDIR and the working directory clean', async () => {
    const home = join(root, 'home');
    const temp = join(root, 'tmp');
    const work = join(root, 'work');
    for (const dir of [home, temp, work]) await mkdir(dir);
    const bin = binRunner(() => sandbox, () => keys);
    const env = { ...platformEnv(sandbox), HOME: home, TMPDIR: temp, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache'), JWT_PRIVATE_KEY: keys[0]!.pem, DEBUG: '1' };
    const run = async (args: string[]) => {
      const { runBin } = await import('../support/harness.js');
      const result = await runBin(args, { env, cwd: work });
      bin.record(result.stdout, result.stderr);
      return result;
    };
    const login = ['--login-url', sandbox.urls.login];
    const codes = [
      (await run(['verify', ...login])).exitCode,
      (await run(['authorize', 'files_org', '-a', 'acme-app', ...login])).exitCode,
      (await run(['authorize', 'files_org', '-a', 'acme-app', ...login, '--replace', '--json'])).exitCode,
      (await run(['list', '-a', 'acme-app'])).exitCode,
      (await run(['info', 'files_org', '-a', 'acme-app', '--json'])).exitCode,
      (await run(['keys', 'check'])).exitCode,
      (await run(['remove', 'files_org', '-a', 'acme-app', '--yes'])).exitCode,
      (await run(['demo'])).exitCode,
    ];
    expect(codes).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const files = [...(await filesUnder(home)), ...(await filesUnder(temp)), ...(await filesUnder(work))];
    // Whatever a run left behind holds no private key (ours or the demo's own) and no token.
    expect(files.filter((file) => /PRIVATE KEY-----/.test(file.text)).map((file) => file.path)).toEqual([]);
    expect(findSecrets(files.map((file) => file.text), sandboxSecrets(sandbox, keys))).toEqual([]);
    expect(bin.leaks()).toEqual([]);
  }, 120_000);
});
