import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyMaterial, type GeneratedMaterial } from '../../../cli/keys/generate.js';
import { runProgram, tableRunner } from '../../support/harness.js';
import { expectNoSecrets } from '../../support/leak-guard.js';
import { jsonResult } from '../../support/envelope.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const DAY = 86_400_000;
let dir: string;
const made: Record<string, GeneratedMaterial> = {};

/** A key and certificate whose validity starts `startDays` from NOW and lasts `days`. */
async function pair(name: string, startDays: number, days: number, subject = 'CN=check'): Promise<void> {
  const material = await generateKeyMaterial({ bits: 2048, days, subject, nowMs: NOW + startDays * DAY });
  made[name] = material;
  await writeFile(join(dir, `${name}.key`), material.privateKeyPem, { mode: 0o600 });
  await writeFile(join(dir, `${name}.crt`), material.certificatePem);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-check-'));
  await pair('fresh', -10, 365);
  await pair('old', -100, 365);
  await pair('expired', -400, 365);
  await pair('future', 2, 365);
  await pair('expiring', -5, 20);
  await pair('big', -1, 365, ['CN=big', ...Array.from({ length: 60 }, (_, i) => `OU=${'u'.repeat(60)}${i}`)].join(', '));
}, 60000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

const outsideGit = tableRunner({ 'git rev-parse --show-toplevel': { exitCode: 128 } });

async function check(args: string[], options: { env?: Record<string, string>; run?: ReturnType<typeof tableRunner> } = {}) {
  const result = await runProgram(['keys', 'check', ...args], { cwd: dir, env: options.env ?? {}, run: options.run ?? outsideGit, now: () => NOW });
  expectNoSecrets([result.stdout, result.stderr], { privateKeys: Object.values(made).map((m) => m.privateKeyPem) });
  return result;
}

async function checkJson(args: string[], options: Parameters<typeof check>[1] = {}) {
  const result = await check([...args, '--json'], options);
  return { exitCode: result.exitCode, json: jsonResult(result.stdout), stderr: result.stderr };
}

describe('keys check', () => {
  it('prints an aligned table of facts and OK lines for a good pair', async () => {
    const result = await check(['--jwt-key-file', 'fresh.key', '--cert-file', 'fresh.crt']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'Key          file fresh.key',
        'Type         RSA, 2048 bits',
        'Format       PKCS#8 PEM',
        'File mode    0600',
        'Certificate  fresh.crt',
        'Subject      CN=check',
        'Not before   2026-11-18T12:00:00.000Z',
        'Not after    2027-11-18T12:00:00.000Z (355 days left)',
        'Age          10 days (max 90)',
        'Key match    yes',
        '',
        'OK    RSA 2048-bit private key (PKCS#8 PEM)',
        'OK    key file mode 0600',
        'OK    certificate valid for 355 more days',
        'OK    certificate age 10 days (--max-age-days 90)',
        'OK    private key matches the certificate',
        '',
        'Result: OK',
        '',
      ].join('\n'),
    );
  });

  it('--json gives the same facts as one object', async () => {
    const { exitCode, json } = await checkJson(['--jwt-key-file', 'fresh.key', '--cert-file', 'fresh.crt']);
    expect(exitCode).toBe(0);
    expect(json).toEqual({
      ok: true,
      keySource: 'file fresh.key',
      type: 'RSA',
      bits: 2048,
      format: 'pkcs8',
      repairs: [],
      certFile: 'fresh.crt',
      subject: 'CN=check',
      notBefore: '2026-11-18T12:00:00.000Z',
      notAfter: '2027-11-18T12:00:00.000Z',
      daysLeft: 355,
      ageDays: 10,
      maxAgeDays: 90,
      certPemBytes: Buffer.byteLength(made.fresh!.certificatePem),
      match: true,
      fileMode: '0600',
      gitTracked: null,
      gitIgnored: null,
      passed: expect.any(Array),
      warnings: [],
      failures: [],
    });
  });

  it('fails (exit 9) when the certificate is older than --max-age-days', async () => {
    const { exitCode, json } = await checkJson(['--jwt-key-file', 'old.key', '--cert-file', 'old.crt']);
    expect(exitCode).toBe(9);
    expect(json.ok).toBe(false);
    expect(json.failures).toEqual([
      {
        code: 'ERR_CERT_TOO_OLD',
        message: 'The certificate is 100 days old, more than --max-age-days 90.',
        hint: 'Rotate: Generate a new pair with `applink-jwt keys generate`, upload the new server.crt to the external client app, and store the new server.key. Then run `applink-jwt authorize <developer-name> --replace`.',
      },
    ]);
    expect((await checkJson(['--jwt-key-file', 'old.key', '--cert-file', 'old.crt', '--max-age-days', '120'])).exitCode).toBe(0);
  });

  it('counts whole days the same way on both sides of a date (half a day past: -35 and 35, not -36)', async () => {
    const result = await runProgram(['keys', 'check', '--jwt-key-file', 'expired.key', '--cert-file', 'expired.crt', '--max-age-days', '1000', '--json'], {
      cwd: dir,
      run: outsideGit,
      now: () => NOW + DAY / 2,
    });
    const json = jsonResult(result.stdout);
    expect([json.daysLeft, json.ageDays, json.failures[0].message]).toEqual([-35, 400, 'The certificate expired on 2026-10-24 (35 days ago); keys check fails an expired certificate.']);
  });

  it('fails an expired certificate, with FAIL lines in the text', async () => {
    const result = await check(['--jwt-key-file', 'expired.key', '--cert-file', 'expired.crt', '--max-age-days', '1000']);
    expect(result.exitCode).toBe(9);
    expect(result.stdout).toContain('\nFAIL  The certificate expired on 2026-10-24 (35 days ago); keys check fails an expired certificate.\n      Fix: Rotate it: ');
    // One number of days for the same date: never "-36 days left" beside "35 days ago".
    expect(result.stdout).toContain('Not after    2026-10-24T12:00:00.000Z (expired 35 days ago)\n');
    expect(result.stdout).toContain('\nResult: FAILED (1 failure, 0 warnings)\n');
  });

  it('fails a certificate that is not valid yet', async () => {
    const { exitCode, json } = await checkJson(['--jwt-key-file', 'future.key', '--cert-file', 'future.crt']);
    expect(exitCode).toBe(9);
    expect(json.failures.map((f: { message: string }) => f.message)).toEqual(['The certificate is not valid until 2026-11-30T12:00:00.000Z.']);
  });

  it('warns when the certificate expires within --expiry-warning-days', async () => {
    const { exitCode, json } = await checkJson(['--jwt-key-file', 'expiring.key', '--cert-file', 'expiring.crt']);
    expect(exitCode).toBe(0);
    expect(json.warnings).toEqual([
      {
        code: 'WARN_CERT_EXPIRING',
        message: 'The certificate expires in 15 days (on 2026-12-13).',
        hint: 'Plan the rotation: `applink-jwt keys generate`, upload the new certificate, then `applink-jwt authorize --replace`.',
      },
    ]);
    expect((await checkJson(['--jwt-key-file', 'expiring.key', '--cert-file', 'expiring.crt', '--expiry-warning-days', '10'])).json.warnings).toEqual([]);
  });

  it('fails when the key does not match the certificate', async () => {
    const { exitCode, json } = await checkJson(['--jwt-key-file', 'fresh.key', '--cert-file', 'expiring.crt']);
    expect(exitCode).toBe(9);
    expect(json.match).toBe(false);
    expect(json.failures).toEqual([
      {
        code: 'ERR_CERT_KEY_MISMATCH',
        message: 'The private key (file fresh.key) does not match the certificate expiring.crt.',
        hint: 'Salesforce will answer "invalid assertion". Upload the certificate made with this key, or use the key that made this certificate.',
      },
    ]);
  });

  it('warns when the certificate PEM is over 4 KB', async () => {
    const { json } = await checkJson(['--cert-file', 'big.crt']);
    expect(json.certPemBytes).toBeGreaterThan(4096);
    expect(json.warnings.map((w: { code: string }) => w.code)).toEqual(['WARN_CERT_PEM_OVER_4KB']);
  });

  it('checks the certificate alone when no key is given and the key variable is unset', async () => {
    const { exitCode, json } = await checkJson(['--cert-file', 'fresh.crt']);
    expect(exitCode).toBe(0);
    expect(json).toMatchObject({ keySource: null, type: null, bits: null, match: null, fileMode: null, subject: 'CN=check' });
  });

  it('checks the key from the variable against the certificate', async () => {
    const { json } = await checkJson(['--cert-file', 'fresh.crt'], { env: { JWT_PRIVATE_KEY: made.fresh!.privateKeyPem.replace(/\n/g, '\\n') } });
    expect(json).toMatchObject({ keySource: 'environment variable JWT_PRIVATE_KEY', match: true, fileMode: null, repairs: ['literal \\n escapes expanded'] });
  });

  it('without a key or a certificate, says which variable to set', async () => {
    const result = await check([]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('Error: Environment variable JWT_PRIVATE_KEY is not set or is empty.\n');
    expect(result.stderr).toContain('(ERR_KEY_ENV_MISSING, exit 3)');
  });

  it('warns on a group-readable key file', async () => {
    await writeFile(join(dir, 'readable.key'), made.fresh!.privateKeyPem);
    await chmod(join(dir, 'readable.key'), 0o640);
    const { exitCode, json } = await checkJson(['--jwt-key-file', 'readable.key']);
    expect(exitCode).toBe(0);
    expect(json.fileMode).toBe('0640');
    expect(json.warnings).toEqual([
      { code: 'WARN_KEY_FILE_MODE', message: 'Key file readable.key is readable by group or others (mode 0640).', hint: 'Run `chmod 600 readable.key`.' },
    ]);
  });

  it('fails when git tracks the key file, warns when it is not ignored', async () => {
    const tracked = tableRunner({
      'git rev-parse --show-toplevel': { exitCode: 0, stdout: `${dir}\n` },
      'git ls-files --error-unmatch -- fresh.key': { exitCode: 0, stdout: 'fresh.key\n' },
      'git check-ignore -q -- fresh.key': { exitCode: 1 },
    });
    const result = await checkJson(['--jwt-key-file', 'fresh.key'], { run: tracked });
    expect(result.exitCode).toBe(9);
    expect(result.json).toMatchObject({ gitTracked: true, gitIgnored: false });
    expect(result.json.failures).toEqual([
      {
        code: 'ERR_KEY_GIT_TRACKED',
        message: 'Key file fresh.key is tracked by git.',
        hint: 'Run `git rm --cached fresh.key`, add *.key to .gitignore, and rotate the key: anyone with the repository has it. Generate a new pair with `applink-jwt keys generate`, upload the new server.crt to the external client app, and store the new server.key.',
      },
    ]);

    const untracked = tableRunner({
      'git rev-parse --show-toplevel': { exitCode: 0, stdout: `${dir}\n` },
      'git ls-files --error-unmatch -- fresh.key': { exitCode: 1, stderr: "error: pathspec 'fresh.key' did not match" },
      'git check-ignore -q -- fresh.key': { exitCode: 1 },
    });
    const second = await checkJson(['--jwt-key-file', 'fresh.key'], { run: untracked });
    expect(second.exitCode).toBe(0);
    expect(second.json).toMatchObject({ gitTracked: false, gitIgnored: false });
    expect(second.json.warnings.map((w: { code: string; message: string }) => [w.code, w.message])).toEqual([
      ['WARN_KEY_NOT_IGNORED', 'Key file fresh.key is inside a git work tree and not ignored.'],
    ]);
  });

  it('reports a bad certificate file as invalid input (exit 3)', async () => {
    const result = await check(['--cert-file', 'fresh.key']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      'Error: Certificate file fresh.key does not hold an X.509 certificate; it holds a private key.\nFix: Pass the certificate (server.crt) with --cert-file and the private key with --jwt-key-file; keep the private key out of places meant for certificates.\n(ERR_CERT_FORMAT, exit 3)\n',
    );
  });
});
