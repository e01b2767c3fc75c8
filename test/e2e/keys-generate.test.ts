/**
 * `keys generate` through the built binary, proven with the real `openssl` and a real git repo.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { runBin } from '../support/harness.js';
import { expectNoSecrets } from '../support/leak-guard.js';
import { jsonResult } from '../support/envelope.js';

const DAY_S = 86_400;
let dir: string;
let result: Awaited<ReturnType<typeof runBin>>;
let key: string;

const openssl = (args: string[]) => execa('openssl', args, { cwd: dir, reject: false });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-e2e-generate-'));
  await execa('git', ['init', '-q', dir]);
  await mkdir(join(dir, 'keys'));
  result = await runBin(['keys', 'generate', '--dir', 'keys', '--bits', '3072', '--days', '30', '--subject', '/CN=applink-e2e/O=Acme'], { cwd: dir });
  key = await readFile(join(dir, 'keys/server.key'), 'utf8');
}, 60000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('keys generate (built binary, real openssl and git)', () => {
  it('succeeds and never prints the key', () => {
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Wrote keys/server.key (RSA 3072 bits, PKCS#8, mode 0600)');
    expectNoSecrets([result.stdout, result.stderr], { privateKeys: [key] });
  });

  it('writes the key 0600 and the certificate and public key 0644, leaving no temporary file', async () => {
    expect((await stat(join(dir, 'keys/server.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keys/server.crt'))).mode & 0o777).toBe(0o644);
    expect((await stat(join(dir, 'keys/server.pub'))).mode & 0o777).toBe(0o644);
    const { stdout } = await execa('ls', ['-A', join(dir, 'keys')]);
    expect(stdout.split('\n').sort()).toEqual(['server.crt', 'server.key', 'server.pub']);
  });

  it('writes an unencrypted PKCS#8 RSA key of the requested size', async () => {
    expect(key.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
    const text = await openssl(['pkey', '-in', 'keys/server.key', '-noout', '-text']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('Private-Key: (3072 bit, 2 primes)');
  });

  it("the key's modulus equals the certificate's", async () => {
    const keyModulus = await openssl(['rsa', '-in', 'keys/server.key', '-noout', '-modulus']);
    const certModulus = await openssl(['x509', '-in', 'keys/server.crt', '-noout', '-modulus']);
    expect(keyModulus.exitCode).toBe(0);
    expect(keyModulus.stdout).toMatch(/^Modulus=[0-9A-F]{768}$/);
    expect(certModulus.stdout).toBe(keyModulus.stdout);
  });

  it('openssl x509 -checkend agrees with --days 30', async () => {
    expect((await openssl(['x509', '-in', 'keys/server.crt', '-noout', '-checkend', String(29 * DAY_S)])).exitCode).toBe(0);
    const beyond = await openssl(['x509', '-in', 'keys/server.crt', '-noout', '-checkend', String(30 * DAY_S + 60)]);
    expect(beyond.exitCode).toBe(1);
    expect(beyond.stdout).toBe('Certificate will expire');
  });

  it('openssl verify accepts the self-signed certificate', async () => {
    const verify = await openssl(['verify', '-CAfile', 'keys/server.crt', 'keys/server.crt']);
    expect(verify.exitCode).toBe(0);
    expect(verify.stdout).toBe('keys/server.crt: OK');
  });

  it('is SHA-256 with RSA, with the subject given, issued by itself', async () => {
    const text = await openssl(['x509', '-in', 'keys/server.crt', '-noout', '-text']);
    expect(text.stdout).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text.stdout).toContain('Subject: CN = applink-e2e, O = Acme');
    expect(text.stdout).toContain('Issuer: CN = applink-e2e, O = Acme');
  });

  it('server.pub equals openssl x509 -pubkey of the certificate', async () => {
    const pubkey = await execa('openssl', ['x509', '-in', 'keys/server.crt', '-pubkey', '-noout'], { cwd: dir, stripFinalNewline: false });
    expect(await readFile(join(dir, 'keys/server.pub'), 'utf8')).toBe(pubkey.stdout);
  });

  it('adds *.key to the repository .gitignore so git ignores the key', async () => {
    expect(result.stdout).toContain(`Added *.key to ${join(dir, '.gitignore')}`);
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('*.key\n');
    expect((await execa('git', ['check-ignore', '-q', 'keys/server.key'], { cwd: dir, reject: false })).exitCode).toBe(0);
    const status = await execa('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir });
    expect(status.stdout.split('\n').sort()).toEqual(['?? .gitignore', '?? keys/server.crt', '?? keys/server.pub']);
  });

  it('refuses to overwrite without --force and names the file', async () => {
    const again = await runBin(['keys', 'generate', '--dir', 'keys'], { cwd: dir });
    expect(again.exitCode).toBe(3);
    expect(again.stderr).toBe(
      'Error: keys/server.key already exists.\nFix: Pass --force to overwrite it (the old key stops working once the new certificate is uploaded), or choose another --dir.\n(ERR_FILE_EXISTS, exit 3)',
    );
    expect(await readFile(join(dir, 'keys/server.key'), 'utf8')).toBe(key);
  });

  it('keys check accepts the generated pair', async () => {
    const check = await runBin(['keys', 'check', '--jwt-key-file', 'keys/server.key', '--cert-file', 'keys/server.crt', '--json'], { cwd: dir });
    expect(check.exitCode).toBe(0);
    const json = jsonResult(check.stdout);
    expect(json).toMatchObject({ ok: true, bits: 3072, format: 'pkcs8', match: true, fileMode: '0600', gitTracked: false, gitIgnored: true, subject: 'CN=applink-e2e, O=Acme', daysLeft: 29 });
    expect(json.warnings.map((w: { code: string }) => w.code)).toEqual(['WARN_CERT_EXPIRING']);
    expectNoSecrets([check.stdout, check.stderr], { privateKeys: [key] });
  });
});
