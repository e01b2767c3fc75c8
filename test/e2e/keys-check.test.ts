/**
 * `keys check` through the built binary on a real git repository made in a temp dir.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { runBin } from '../support/harness.js';
import { expectNoSecrets } from '../support/leak-guard.js';
import { jsonResult } from '../support/envelope.js';

let repo: string;
let key: string;
const git = (...args: string[]) => execa('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo });

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'applink-jwt-e2e-check-'));
  await execa('git', ['init', '-q', repo]);
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.crt', '-days', '365', '-subj', '/CN=seed-recipe'], { cwd: repo });
  await chmod(join(repo, 'server.key'), 0o600);
  key = await readFile(join(repo, 'server.key'), 'utf8');
}, 60000);
afterAll(async () => rm(repo, { recursive: true, force: true }));

async function check(args: string[]) {
  const result = await runBin(['keys', 'check', '--jwt-key-file', 'server.key', '--cert-file', 'server.crt', ...args], { cwd: repo });
  expectNoSecrets([result.stdout, result.stderr], { privateKeys: [key] });
  return result;
}

describe('keys check (built binary, real git repository)', () => {
  it('reads the pair made by the seed openssl recipe; warns that the key is not git-ignored', async () => {
    const result = await check([]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('\nGit          tracked: no, ignored: no\n');
    expect(result.stdout).toContain('\nKey match    yes\n');
    expect(result.stdout).toContain('\nWARN  Key file server.key is inside a git work tree and not ignored.\n      Fix: Add *.key to .gitignore so that it is never committed.\n');
    expect(result.stdout).toContain('\nResult: OK (1 warning)');
  });

  it('is quiet once *.key is ignored', async () => {
    await writeFile(join(repo, '.gitignore'), '*.key\n');
    const result = await check(['--json']);
    expect(result.exitCode).toBe(0);
    expect(jsonResult(result.stdout)).toMatchObject({ ok: true, gitTracked: false, gitIgnored: true, warnings: [], failures: [], subject: 'CN=seed-recipe' });
  });

  it('fails with exit 9 when git tracks the key file', async () => {
    await git('add', '-f', 'server.key');
    await git('commit', '-q', '-m', 'oops');
    const result = await check([]);
    expect(result.exitCode).toBe(9);
    expect(result.stdout).toContain('\nGit          tracked: yes, ignored: no\n');
    expect(result.stdout).toContain(
      '\nFAIL  Key file server.key is tracked by git.\n      Fix: Run `git rm --cached server.key`, add *.key to .gitignore, and rotate the key',
    );
    expect(result.stdout).toContain('\nResult: FAILED (1 failure, 0 warnings)');
  });

  it('warns about a world-readable key', async () => {
    await chmod(join(repo, 'server.key'), 0o644);
    const result = await check(['--json']);
    const json = jsonResult(result.stdout);
    expect(json.fileMode).toBe('0644');
    expect(json.warnings.map((w: { code: string }) => w.code)).toEqual(['WARN_KEY_FILE_MODE']);
    await chmod(join(repo, 'server.key'), 0o600);
  });
});
