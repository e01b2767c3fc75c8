import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { expectNoSecrets } from '../../support/leak-guard.js';
import { runProgram, tableRunner } from '../../support/harness.js';
import { jsonResult } from '../../support/envelope.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-generate-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const outsideGit = tableRunner({ 'git rev-parse --show-toplevel': { exitCode: 128, stderr: 'fatal: not a git repository' } });

describe('keys generate', () => {
  it('writes server.key 0600, server.crt and server.pub, and prints the facts and next steps', async () => {
    const result = await runProgram(['keys', 'generate', '--dir', 'keys', '--bits', '2048', '--days', '30', '--subject', '/CN=ci/O=Acme'], { cwd: dir, run: outsideGit });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect((await readdir(join(dir, 'keys'))).sort()).toEqual(['server.crt', 'server.key', 'server.pub']);
    expect((await stat(join(dir, 'keys/server.key'))).mode & 0o777).toBe(0o600);
    const key = await readFile(join(dir, 'keys/server.key'), 'utf8');
    expectNoSecrets([result.stdout, result.stderr], { privateKeys: [key] });
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Wrote keys/server.key (RSA 2048 bits, PKCS#8, mode 0600)');
    expect(lines[1]).toBe('Wrote keys/server.crt (self-signed X.509, SHA-256 with RSA, CN=ci, O=Acme, valid until 2026-12-28)');
    expect(lines[2]).toBe('Wrote keys/server.pub (public key, SPKI PEM)');
    expect(lines[3]).toMatch(/^Certificate SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(result.stdout).toContain('Next steps:\n  1. In Salesforce Setup, External Client App Manager');
    expect(result.stdout).toContain('callback URL http://localhost:1717/OauthRedirect');
    expect(result.stdout).toContain('"Use digital signatures" and upload keys/server.crt');
    expect(result.stdout).toContain('"Admin approved users are pre-authorized"');
    expect(result.stdout).toContain('CircleCI context secret named JWT_PRIVATE_KEY');
    expect(result.stdout).toContain('  4. Check the pair: applink-jwt keys check --jwt-key-file keys/server.key --cert-file keys/server.crt');
  });

  it('--json gives the facts, with no key material', async () => {
    const result = await runProgram(['keys', 'generate', '--bits', '2048', '--json'], { cwd: dir, run: outsideGit });
    expect(result.exitCode).toBe(0);
    const json = jsonResult(result.stdout);
    expect(json).toMatchObject({
      dir: '.',
      bits: 2048,
      subject: 'CN=applink-jwt',
      notBefore: '2026-11-28T12:00:00.000Z',
      notAfter: '2027-11-28T12:00:00.000Z',
      files: {
        privateKey: { path: 'server.key', mode: '0600' },
        certificate: { path: 'server.crt', mode: '0644' },
        publicKey: { path: 'server.pub', mode: '0644' },
      },
      gitignore: null,
    });
    expect(json.nextSteps).toHaveLength(5);
    expectNoSecrets([result.stdout], { privateKeys: [await readFile(join(dir, 'server.key'), 'utf8')] });
  });

  it('adds *.key to the .gitignore of the work tree it writes into', async () => {
    const run = tableRunner({ 'git rev-parse --show-toplevel': { exitCode: 0, stdout: `${dir}\n` } });
    const result = await runProgram(['keys', 'generate', '--bits', '2048', '--dir', 'a/b'], { cwd: dir, run });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`\nAdded *.key to ${join(dir, '.gitignore')}\n`);
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('*.key\n');
    await rm(join(dir, 'a'), { recursive: true });
    const again = await runProgram(['keys', 'generate', '--bits', '2048', '--dir', 'a/b'], { cwd: dir, run });
    expect(again.stdout).toContain(`\n*.key is already in ${join(dir, '.gitignore')}\n`);
  });

  it('writes the ignore rule before any key byte, and every file it writes meanwhile is covered by *.key (a SIGKILL leaves nothing git would add)', async () => {
    const run = tableRunner({ 'git rev-parse --show-toplevel': { exitCode: 0, stdout: `${dir}\n` } });
    const written: Array<{ path: string; ignoreRule: string }> = [];
    const fs = await import('node:fs/promises');
    const spy = {
      ...fs,
      open: (async (path: string, flags: string, mode: number) => {
        written.push({ path, ignoreRule: await readFile(join(dir, '.gitignore'), 'utf8').catch(() => '') });
        return fs.open(path, flags, mode);
      }) as typeof fs.open,
    };
    const result = await runProgram(['keys', 'generate', '--bits', '2048', '--dir', 'k'], { cwd: dir, run, fs: spy });
    expect(result.exitCode).toBe(0);
    expect(written.length).toBe(3);
    for (const entry of written) {
      expect(entry.ignoreRule).toBe('*.key\n');
      expect(entry.path).toMatch(/\.key$/);
    }
  });

  it('warns when git is not installed', async () => {
    const run = tableRunner({ 'git rev-parse --show-toplevel': { exitCode: 127 } });
    const result = await runProgram(['keys', 'generate', '--bits', '2048', '--days', '90'], { cwd: dir, run });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('Warning: git was not found, so .gitignore was not checked: never commit server.key.\n');
  });

  it('never overwrites an existing file without --force, and writes nothing then', async () => {
    await writeFile(join(dir, 'server.crt'), 'old certificate');
    const result = await runProgram(['keys', 'generate', '--bits', '2048'], { cwd: dir, run: outsideGit });
    expect(result).toEqual({
      exitCode: 3,
      stdout: '',
      stderr:
        'Error: server.crt already exists.\nFix: Pass --force to overwrite it (the old key stops working once the new certificate is uploaded), or choose another --dir.\n(ERR_FILE_EXISTS, exit 3)\n',
    });
    expect(await readdir(dir)).toEqual(['server.crt']);
    expect(await readFile(join(dir, 'server.crt'), 'utf8')).toBe('old certificate');
  });

  it('--force replaces the files, and the key file ends 0600 even if it was 0644', async () => {
    await writeFile(join(dir, 'server.key'), 'old key', { mode: 0o644 });
    const result = await runProgram(['keys', 'generate', '--bits', '2048', '--force'], { cwd: dir, run: outsideGit });
    expect(result.exitCode).toBe(0);
    expect((await stat(join(dir, 'server.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'server.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect((await readdir(dir)).sort()).toEqual(['server.crt', 'server.key', 'server.pub']);
  });

  it('rejects --bits outside 2048, 3072, 4096 as a usage error', async () => {
    const result = await runProgram(['keys', 'generate', '--bits', '1024'], { cwd: dir, run: outsideGit });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("error: option '--bits <bits>' argument '1024' is invalid. Allowed choices are 2048, 3072, 4096.");
    expect(await readdir(dir)).toEqual([]);
  });
});
