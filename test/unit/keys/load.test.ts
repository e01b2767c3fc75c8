import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compactVerify, importSPKI } from 'jose';
import { AppError } from '../../../cli/errors.js';
import { SecretRegistry } from '../../../cli/redact.js';
import { formatMode, loadPrivateKey, MAX_KEY_INPUT_BYTES, type LoadedKey } from '../../../cli/keys/load.js';
import type { KeySourceOptions } from '../../../cli/keys/load.js';
import { signAssertion } from '../../../cli/salesforce/assertion.js';
import { makeKeyFixtures, removeKeyFixtures, type KeyFixtures } from '../../fixtures/keys/key-fixtures.js';
import { testDeps } from '../../support/harness.js';

let fx: KeyFixtures;
beforeAll(async () => {
  fx = await makeKeyFixtures();
}, 60000);
afterAll(async () => removeKeyFixtures(fx));

type Env = Record<string, string | undefined>;

function load(options: Partial<KeySourceOptions>, env: Env = {}, stdin = ''): Promise<LoadedKey> {
  return loadPrivateKey(
    { jwtKeyEnv: 'JWT_PRIVATE_KEY', ...options },
    testDeps({ env, cwd: fx.dir, readStdin: async () => stdin }),
  );
}

async function failure(options: Partial<KeySourceOptions>, env: Env = {}, stdin = '') {
  try {
    await load(options, env, stdin);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const { code, message, hint, exitCode } = error as AppError;
    return { code, message, hint, exitCode };
  }
  throw new Error('expected loadPrivateKey to fail');
}

/** The loaded key is the fixture key: same public half, and it signs an RS256 assertion jose verifies. */
async function expectFixtureKey(key: LoadedKey): Promise<void> {
  const expected = createPublicKey(fx.pkcs8).export({ type: 'spki', format: 'pem' });
  expect(createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' })).toBe(expected);
  const assertion = await signAssertion(key.privateKey, { clientId: 'cid', username: 'u@example.com', audience: 'https://login.salesforce.com' }, Date.UTC(2026, 10, 28));
  await compactVerify(assertion, await importSPKI(expected as string, 'RS256'));
  expect(key.bits).toBe(2048);
}

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

describe('loadPrivateKey: accepted forms', () => {
  const cases: Array<{
    name: string;
    options?: Partial<KeySourceOptions>;
    env?: () => Env;
    stdin?: () => string;
    format: LoadedKey['format'];
    repairs: string[];
    /** The uploadPem expected: `input` = the PEM as given (trimmed), `export` = the PKCS#8 export. */
    upload: 'input-pkcs8' | 'input-pkcs1' | 'export';
  }> = [
    { name: 'PKCS#8 PEM', env: () => ({ JWT_PRIVATE_KEY: fx.pkcs8 }), format: 'pkcs8', repairs: [], upload: 'input-pkcs8' },
    { name: 'PKCS#1 PEM', env: () => ({ JWT_PRIVATE_KEY: fx.pkcs1 }), format: 'pkcs1', repairs: [], upload: 'input-pkcs1' },
    {
      name: 'encrypted PKCS#1 PEM (Proc-Type: 4,ENCRYPTED)',
      options: { passphraseEnv: 'KEY_PASS' },
      env: () => ({ JWT_PRIVATE_KEY: fx.encryptedPkcs1, KEY_PASS: fx.passphrase }),
      format: 'encrypted-pkcs1',
      repairs: [],
      upload: 'export',
    },
    {
      name: 'encrypted PKCS#8 PEM',
      options: { passphraseEnv: 'KEY_PASS' },
      env: () => ({ JWT_PRIVATE_KEY: fx.encryptedPkcs8, KEY_PASS: fx.passphrase }),
      format: 'encrypted-pkcs8',
      repairs: [],
      upload: 'export',
    },
    {
      name: 'PEM with literal \\n escapes',
      env: () => ({ JWT_PRIVATE_KEY: fx.pkcs8.replace(/\n/g, '\\n') }),
      format: 'pkcs8',
      repairs: ['literal \\n escapes expanded'],
      upload: 'input-pkcs8',
    },
    {
      name: 'PEM with CRLF line ends',
      env: () => ({ JWT_PRIVATE_KEY: fx.pkcs1.replace(/\n/g, '\r\n') }),
      format: 'pkcs1',
      repairs: ['CRLF line ends converted'],
      upload: 'input-pkcs1',
    },
    {
      name: 'PEM with surrounding whitespace and double quotes',
      env: () => ({ JWT_PRIVATE_KEY: `  \n"${fx.pkcs8}"\n\t ` }),
      format: 'pkcs8',
      repairs: ['surrounding quotes removed'],
      upload: 'input-pkcs8',
    },
    {
      name: "PEM in single quotes with literal \\r\\n escapes",
      env: () => ({ JWT_PRIVATE_KEY: `'${fx.pkcs8.replace(/\n/g, '\\r\\n')}'` }),
      format: 'pkcs8',
      repairs: ['surrounding quotes removed', 'literal \\n escapes expanded'],
      upload: 'input-pkcs8',
    },
    { name: 'base64 of a PEM', env: () => ({ JWT_PRIVATE_KEY: b64(fx.pkcs8) }), format: 'pkcs8', repairs: ['base64-decoded'], upload: 'input-pkcs8' },
    {
      name: 'base64 of a PEM, wrapped at 76 columns (base64 without -w0)',
      env: () => ({ JWT_PRIVATE_KEY: b64(fx.pkcs1).replace(/.{76}/g, '$&\n') }),
      format: 'pkcs1',
      repairs: ['base64-decoded'],
      upload: 'input-pkcs1',
    },
    { name: 'base64 of PKCS#8 DER', env: () => ({ JWT_PRIVATE_KEY: b64(fx.pkcs8Der) }), format: 'der', repairs: ['base64-decoded DER'], upload: 'export' },
    { name: 'base64 of PKCS#1 DER', env: () => ({ JWT_PRIVATE_KEY: b64(fx.pkcs1Der) }), format: 'der', repairs: ['base64-decoded DER'], upload: 'export' },
    { name: 'a PKCS#8 DER file', options: { jwtKeyFile: 'pkcs8.der' }, format: 'der', repairs: [], upload: 'export' },
    { name: 'a PKCS#1 DER file', options: { jwtKeyFile: 'pkcs1.der' }, format: 'der', repairs: [], upload: 'export' },
    {
      name: 'an encrypted PKCS#8 DER file with a passphrase',
      options: { jwtKeyFile: 'encrypted-pkcs8.der', passphraseEnv: 'KEY_PASS' },
      env: () => ({ KEY_PASS: fx.passphrase }),
      format: 'der',
      repairs: [],
      upload: 'export',
    },
    { name: 'a PKCS#8 PEM file', options: { jwtKeyFile: 'pkcs8.pem' }, format: 'pkcs8', repairs: [], upload: 'input-pkcs8' },
    {
      name: 'a UTF-8 byte order mark',
      env: () => ({ JWT_PRIVATE_KEY: `\uFEFF${fx.pkcs8}` }),
      format: 'pkcs8',
      repairs: ['UTF-8 byte order mark removed'],
      upload: 'input-pkcs8',
    },
    {
      name: 'newlines collapsed to spaces (a pasted secret)',
      env: () => ({ JWT_PRIVATE_KEY: fx.pkcs8.trim().replace(/\n/g, ' ') }),
      format: 'pkcs8',
      repairs: ['line breaks restored in the PEM body'],
      upload: 'export',
    },
    {
      name: 'encrypted PKCS#1 with newlines collapsed to spaces (headers kept)',
      options: { passphraseEnv: 'KEY_PASS' },
      env: () => ({ JWT_PRIVATE_KEY: fx.encryptedPkcs1.trim().replace(/\n+/g, ' '), KEY_PASS: fx.passphrase }),
      format: 'encrypted-pkcs1',
      repairs: ['line breaks restored in the PEM body'],
      upload: 'export',
    },
    {
      name: 'encrypted PKCS#1 with CRLF line ends turned into two spaces each',
      options: { passphraseEnv: 'KEY_PASS' },
      env: () => ({ JWT_PRIVATE_KEY: fx.encryptedPkcs1.trim().replace(/\n/g, '  '), KEY_PASS: fx.passphrase }),
      format: 'encrypted-pkcs1',
      repairs: ['line breaks restored in the PEM body'],
      upload: 'export',
    },
    {
      name: 'the PEM body on one line',
      env: () => ({ JWT_PRIVATE_KEY: fx.pkcs8.replace(/\n(?!-----END)/g, '').replace('-----BEGIN PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----\n') }),
      format: 'pkcs8',
      repairs: ['line breaks restored in the PEM body'],
      upload: 'export',
    },
    {
      name: 'a key followed by its certificate (a combined PEM)',
      env: () => ({ JWT_PRIVATE_KEY: `${fx.pkcs8}${fx.certificate}` }),
      format: 'pkcs8',
      repairs: [],
      upload: 'input-pkcs8',
    },
    { name: 'standard input (--jwt-key-file -)', options: { jwtKeyFile: '-' }, stdin: () => fx.pkcs1, format: 'pkcs1', repairs: [], upload: 'input-pkcs1' },
    {
      name: '--jwt-key-file wins over the variable',
      options: { jwtKeyFile: 'pkcs1.pem' },
      env: () => ({ JWT_PRIVATE_KEY: 'garbage' }),
      format: 'pkcs1',
      repairs: [],
      upload: 'input-pkcs1',
    },
    {
      name: 'a variable named by --jwt-key-env',
      options: { jwtKeyEnv: 'SF_KEY' },
      env: () => ({ SF_KEY: fx.pkcs8, JWT_PRIVATE_KEY: 'garbage' }),
      format: 'pkcs8',
      repairs: [],
      upload: 'input-pkcs8',
    },
  ];

  it.each(cases)('$name', async ({ options = {}, env, stdin, format, repairs, upload }) => {
    const key = await load(options, env?.() ?? {}, stdin?.() ?? '');
    await expectFixtureKey(key);
    expect(key.format).toBe(format);
    expect(key.repairs).toEqual(repairs);
    expect(key.privateKey.asymmetricKeyType).toBe('rsa');
    const expectedUpload = { 'input-pkcs8': fx.pkcs8.trim(), 'input-pkcs1': fx.pkcs1.trim(), export: fx.pkcs8.trim() }[upload];
    expect(key.uploadPem).toBe(expectedUpload);
    expect(key.warnings).toEqual([]);
  });

  it('names the source: file (with its path and mode), variable, standard input', async () => {
    const fromFile = await load({ jwtKeyFile: 'pkcs8.pem' });
    expect([fromFile.source, fromFile.path, fromFile.fileMode]).toEqual(['file pkcs8.pem', 'pkcs8.pem', 0o600]);
    const fromVariable = await load({}, { JWT_PRIVATE_KEY: fx.pkcs8 });
    expect(fromVariable.source).toBe('environment variable JWT_PRIVATE_KEY');
    expect(fromVariable).not.toHaveProperty('path');
    expect(fromVariable).not.toHaveProperty('fileMode');
    const fromStdin = await load({ jwtKeyFile: '-' }, {}, fx.pkcs8);
    expect(fromStdin.source).toBe('standard input');
    expect(fromStdin).not.toHaveProperty('path');
  });

  it('reads a key padded to exactly the 64 KiB limit, from a file, a variable or standard input', async () => {
    const padded = fx.pkcs8 + ' '.repeat(MAX_KEY_INPUT_BYTES - Buffer.byteLength(fx.pkcs8));
    expect(Buffer.byteLength(padded)).toBe(MAX_KEY_INPUT_BYTES);
    await writeFile(join(fx.dir, 'padded.pem'), padded, { mode: 0o600 });
    for (const key of [await load({ jwtKeyFile: 'padded.pem' }), await load({}, { JWT_PRIVATE_KEY: padded }), await load({ jwtKeyFile: '-' }, {}, padded)]) {
      await expectFixtureKey(key);
    }
  });

  it('shows a file mode as four octal digits', () => {
    expect([formatMode(0o644), formatMode(0o044), formatMode(0o004), formatMode(0o100640)]).toEqual(['0644', '0044', '0004', '0640']);
  });

  it('reports the file mode and warns when group or others can read the key file', async () => {
    const path = join(fx.dir, 'readable.pem');
    await writeFile(path, fx.pkcs8);
    await chmod(path, 0o644);
    const key = await load({ jwtKeyFile: 'readable.pem' });
    expect(key.fileMode).toBe(0o644);
    expect(key.warnings).toEqual(['Key file readable.pem is readable by group or others (mode 0644). Run `chmod 600 readable.pem`.']);
    expect(key.findings.map((finding) => finding.code)).toEqual(['WARN_KEY_FILE_MODE']);
    expect((await load({ jwtKeyFile: 'pkcs8.pem' })).fileMode).toBe(0o600);
  });

  it('warns when --passphrase-env is given for an unencrypted key', async () => {
    const key = await load({ passphraseEnv: 'KEY_PASS' }, { JWT_PRIVATE_KEY: fx.pkcs8, KEY_PASS: 'x' });
    expect(key.warnings).toEqual([
      'The environment variable JWT_PRIVATE_KEY is not encrypted; --passphrase-env KEY_PASS is ignored. Drop --passphrase-env, or store the encrypted key.',
    ]);
  });

  it('signs with PKCS#1 v1.5 SHA-256 (what RS256 is)', async () => {
    const key = await load({}, { JWT_PRIVATE_KEY: fx.pkcs1 });
    const { sign } = await import('node:crypto');
    const signature = sign('sha256', Buffer.from('data'), key.privateKey);
    expect(verify('sha256', Buffer.from('data'), createPublicKey(fx.pkcs8), signature)).toBe(true);
  });
});

describe('loadPrivateKey: rejections', () => {
  const VAR = 'environment variable JWT_PRIVATE_KEY';
  const REGENERATE =
    'Generate a new pair with `applink-jwt keys generate`, upload the new server.crt to the external client app, and store the new server.key.';
  const cases: Array<{
    name: string;
    options?: Partial<KeySourceOptions>;
    env?: () => Env;
    stdin?: () => string;
    code: string;
    message: string;
    hint?: string;
  }> = [
    {
      name: 'variable not set',
      code: 'ERR_KEY_ENV_MISSING',
      message: 'Environment variable JWT_PRIVATE_KEY is not set or is empty.',
      hint: 'Set JWT_PRIVATE_KEY to the RSA private key (in CircleCI: a context secret; the PEM or `base64 -w0 server.key`), name another variable with --jwt-key-env, or use --jwt-key-file PATH.',
    },
    {
      name: 'variable named by --jwt-key-env empty',
      options: { jwtKeyEnv: 'SF_KEY' },
      env: () => ({ SF_KEY: '' }),
      code: 'ERR_KEY_ENV_MISSING',
      message: 'Environment variable SF_KEY is not set or is empty.',
    },
    {
      name: 'file not found',
      options: { jwtKeyFile: 'missing/server.key' },
      code: 'ERR_KEY_FILE_NOT_FOUND',
      message: 'Key file missing/server.key does not exist.',
      hint: 'Check the --jwt-key-file path (relative to the working directory), or create a key with `applink-jwt keys generate --dir DIR`.',
    },
    { name: 'a directory', options: { jwtKeyFile: '.' }, code: 'ERR_KEY_FILE_NOT_FOUND', message: 'Key file . cannot be read (it is a directory).' },
    {
      name: 'whitespace only',
      env: () => ({ JWT_PRIVATE_KEY: ' \n\t ' }),
      code: 'ERR_KEY_EMPTY',
      message: `The ${VAR} is empty.`,
      hint: `Put the RSA private key (PKCS#8 ("-----BEGIN PRIVATE KEY-----") or PKCS#1 ("-----BEGIN RSA PRIVATE KEY-----") PEM, optionally encrypted, with literal \\n escapes, quoted, or base64-encoded; or DER) in the ${VAR}.`,
    },
    { name: 'empty quotes', env: () => ({ JWT_PRIVATE_KEY: '""' }), code: 'ERR_KEY_EMPTY', message: `The ${VAR} is empty.` },
    { name: 'empty standard input', options: { jwtKeyFile: '-' }, code: 'ERR_KEY_EMPTY', message: 'The standard input is empty.' },
    {
      name: 'garbage text',
      env: () => ({ JWT_PRIVATE_KEY: 'this is not a key!' }),
      code: 'ERR_KEY_FORMAT',
      message: `The ${VAR} does not hold a private key in a known form (neither PEM, base64 nor DER).`,
      hint: 'Expected PKCS#8 ("-----BEGIN PRIVATE KEY-----") or PKCS#1 ("-----BEGIN RSA PRIVATE KEY-----") PEM, optionally encrypted, with literal \\n escapes, quoted, or base64-encoded; or DER. Generate a key with `applink-jwt keys generate`.',
    },
    {
      name: 'base64 of random text',
      env: () => ({ JWT_PRIVATE_KEY: b64('hello, this is not a key at all') }),
      code: 'ERR_KEY_FORMAT',
      message: `The ${VAR} does not hold a private key in a known form (neither PEM, base64 nor DER).`,
    },
    {
      name: 'a PEM body that is not base64',
      env: () => ({ JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nnot*base64!\n-----END PRIVATE KEY-----' }),
      code: 'ERR_KEY_FORMAT',
      message: `The ${VAR} does not hold a private key in a known form (the "PRIVATE KEY" PEM body is not base64).`,
    },
    {
      name: 'a PEM body that is base64 but not DER',
      env: () => ({ JWT_PRIVATE_KEY: `-----BEGIN PRIVATE KEY-----\n${b64('x'.repeat(60))}\n-----END PRIVATE KEY-----` }),
      code: 'ERR_KEY_FORMAT',
      message: `The ${VAR} does not hold a private key in a known form (the "PRIVATE KEY" PEM body is not DER).`,
    },
    {
      name: 'an OpenSSH private key',
      env: () => ({ JWT_PRIVATE_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----' }),
      code: 'ERR_KEY_FORMAT',
      message: `The ${VAR} does not hold a private key in a known form (an OpenSSH key; convert it with \`ssh-keygen -p -m PKCS8 -f FILE\`).`,
    },
    {
      name: 'random binary file',
      options: { jwtKeyFile: 'random.bin' },
      code: 'ERR_KEY_FORMAT',
      message: 'The file random.bin does not hold a private key in a known form (binary data that is not a DER private key).',
    },
    {
      name: 'PEM without its END line',
      env: () => ({ JWT_PRIVATE_KEY: fx.pkcs8.slice(0, 900) }),
      code: 'ERR_KEY_TRUNCATED',
      message: `The ${VAR} holds a truncated "PRIVATE KEY" PEM (no "-----END PRIVATE KEY-----" line).`,
      hint: 'Copy the whole key, from the BEGIN line through the END line. If the secret store cuts multi-line values, store `base64 -w0 server.key` instead: applink-jwt decodes it.',
    },
    {
      name: 'PEM with lines missing in the middle',
      env: () => {
        const lines = fx.pkcs1.trim().split('\n');
        return { JWT_PRIVATE_KEY: [...lines.slice(0, 6), ...lines.slice(-2)].join('\n') };
      },
      code: 'ERR_KEY_TRUNCATED',
      message: `The ${VAR} holds a truncated "RSA PRIVATE KEY" PEM (the body is shorter than its encoding declares).`,
    },
    {
      name: 'an empty PEM body',
      env: () => ({ JWT_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----' }),
      code: 'ERR_KEY_TRUNCATED',
      message: `The ${VAR} holds a truncated "RSA PRIVATE KEY" PEM (the body is empty).`,
    },
    {
      name: 'truncated DER file',
      options: { jwtKeyFile: 'truncated.der' },
      code: 'ERR_KEY_TRUNCATED',
      message: 'The file truncated.der holds a truncated DER key (shorter than its encoding declares).',
    },
    {
      name: 'a certificate in the key variable',
      env: () => ({ JWT_PRIVATE_KEY: fx.certificate }),
      code: 'ERR_KEY_NOT_PRIVATE',
      message: `The ${VAR} holds a certificate (-----BEGIN CERTIFICATE-----), not a private key.`,
      hint: `The certificate (server.crt) belongs in the Salesforce external client app ("Use digital signatures"); the ${VAR} must hold the private key (server.key, "-----BEGIN PRIVATE KEY-----").`,
    },
    {
      name: 'a public key in the key variable',
      env: () => ({ JWT_PRIVATE_KEY: fx.publicKey }),
      code: 'ERR_KEY_NOT_PRIVATE',
      message: `The ${VAR} holds a public key (-----BEGIN PUBLIC KEY-----), not a private key.`,
      hint: `The public key (server.pub) is not needed to authorize; the ${VAR} must hold the private key (server.key, "-----BEGIN PRIVATE KEY-----").`,
    },
    {
      name: 'a PKCS#1 public key, base64-encoded',
      env: () => ({ JWT_PRIVATE_KEY: b64(fx.rsaPublicKey) }),
      code: 'ERR_KEY_NOT_PRIVATE',
      message: `The ${VAR} holds a public key (-----BEGIN RSA PUBLIC KEY-----), not a private key.`,
    },
    {
      name: 'a DER certificate file',
      options: { jwtKeyFile: 'cert.der' },
      code: 'ERR_KEY_NOT_PRIVATE',
      message: 'The file cert.der holds a certificate (DER), not a private key.',
    },
    {
      name: 'an EC key (SEC1)',
      env: () => ({ JWT_PRIVATE_KEY: fx.ecSec1 }),
      code: 'ERR_KEY_NOT_RSA',
      message: `The ${VAR} holds an EC key; Salesforce's JWT bearer flow needs RSA (2048 bits or more).`,
      hint: REGENERATE,
    },
    { name: 'an EC key (PKCS#8)', env: () => ({ JWT_PRIVATE_KEY: fx.ecPkcs8 }), code: 'ERR_KEY_NOT_RSA', message: `The ${VAR} holds an EC key; Salesforce's JWT bearer flow needs RSA (2048 bits or more).` },
    { name: 'an Ed25519 key', env: () => ({ JWT_PRIVATE_KEY: fx.ed25519 }), code: 'ERR_KEY_NOT_RSA', message: `The ${VAR} holds an Ed25519 key; Salesforce's JWT bearer flow needs RSA (2048 bits or more).` },
    { name: 'a DSA key', options: { jwtKeyFile: 'dsa.pem' }, code: 'ERR_KEY_NOT_RSA', message: "The file dsa.pem holds a DSA key; Salesforce's JWT bearer flow needs RSA (2048 bits or more)." },
    {
      name: 'a 1024-bit RSA key',
      env: () => ({ JWT_PRIVATE_KEY: fx.rsa1024 }),
      code: 'ERR_KEY_TOO_SMALL',
      message: `The ${VAR} holds a 1024-bit RSA key; RS256 needs at least 2048 bits.`,
      hint: REGENERATE,
    },
    {
      name: 'an encrypted key without --passphrase-env',
      env: () => ({ JWT_PRIVATE_KEY: fx.encryptedPkcs8 }),
      code: 'ERR_KEY_PASSPHRASE_REQUIRED',
      message: `The ${VAR} holds an encrypted key and no passphrase was given.`,
      hint: 'Put the passphrase in an environment variable and pass its name with --passphrase-env NAME (never the passphrase itself on the command line).',
    },
    {
      name: 'an encrypted PKCS#1 key whose passphrase variable is not set',
      options: { passphraseEnv: 'KEY_PASS' },
      env: () => ({ JWT_PRIVATE_KEY: fx.encryptedPkcs1 }),
      code: 'ERR_KEY_PASSPHRASE_REQUIRED',
      message: `The ${VAR} holds an encrypted key, and environment variable KEY_PASS (named by --passphrase-env) is not set or is empty.`,
      hint: 'Set KEY_PASS to the key\'s passphrase.',
    },
    {
      name: 'an encrypted DER key without a passphrase',
      options: { jwtKeyFile: 'encrypted-pkcs8.der' },
      code: 'ERR_KEY_PASSPHRASE_REQUIRED',
      message: 'The file encrypted-pkcs8.der holds an encrypted key and no passphrase was given.',
    },
    {
      name: 'encrypted PKCS#8 with the wrong passphrase',
      options: { passphraseEnv: 'KEY_PASS' },
      env: () => ({ JWT_PRIVATE_KEY: fx.encryptedPkcs8, KEY_PASS: 'wrong' }),
      code: 'ERR_KEY_PASSPHRASE_WRONG',
      message: `The passphrase in environment variable KEY_PASS does not decrypt the ${VAR}.`,
      hint: 'Check the value of KEY_PASS (no trailing newline or quotes), and that --passphrase-env names the right variable.',
    },
    {
      name: 'encrypted PKCS#1 with the wrong passphrase',
      options: { passphraseEnv: 'KEY_PASS' },
      env: () => ({ JWT_PRIVATE_KEY: fx.encryptedPkcs1, KEY_PASS: `${fx.passphrase}\n` }),
      code: 'ERR_KEY_PASSPHRASE_WRONG',
      message: `The passphrase in environment variable KEY_PASS does not decrypt the ${VAR}.`,
    },
    {
      name: 'two private keys in one PEM',
      env: () => ({ JWT_PRIVATE_KEY: `${fx.pkcs8}${fx.otherPkcs8}` }),
      code: 'ERR_KEY_AMBIGUOUS',
      message: `The ${VAR} holds 2 private keys; expected exactly one.`,
      hint: 'Keep only the private key whose certificate is uploaded to the external client app.',
    },
    {
      name: 'a PKCS#1 and an EC key',
      env: () => ({ JWT_PRIVATE_KEY: `${fx.pkcs1}\n${fx.ecSec1}` }),
      code: 'ERR_KEY_AMBIGUOUS',
      message: `The ${VAR} holds 2 private keys; expected exactly one.`,
    },
    {
      name: 'a huge variable',
      env: () => ({ JWT_PRIVATE_KEY: 'A'.repeat(70_000) }),
      code: 'ERR_KEY_TOO_LARGE',
      message: `The ${VAR} is larger than 64 KiB (70000 bytes); an RSA private key is under 4 KiB.`,
      hint: 'Point the key option at the private key itself, not at a bundle, an archive or a log.',
    },
    {
      name: 'a huge file',
      options: { jwtKeyFile: 'huge.pem' },
      code: 'ERR_KEY_TOO_LARGE',
      message: `The file huge.pem is larger than 64 KiB (${MAX_KEY_INPUT_BYTES * 2} bytes); an RSA private key is under 4 KiB.`,
    },
    {
      name: 'an endless device (/dev/zero): stops reading at the bound',
      options: { jwtKeyFile: '/dev/zero' },
      code: 'ERR_KEY_TOO_LARGE',
      message: 'The file /dev/zero is larger than 64 KiB; an RSA private key is under 4 KiB.',
    },
    {
      name: 'huge standard input',
      options: { jwtKeyFile: '-' },
      stdin: () => 'A'.repeat(MAX_KEY_INPUT_BYTES + 1),
      code: 'ERR_KEY_TOO_LARGE',
      message: 'The standard input is larger than 64 KiB; an RSA private key is under 4 KiB.',
    },
  ];

  beforeAll(async () => {
    await writeFile(join(fx.dir, 'random.bin'), Buffer.from([0x01, 0x02, 0x00, 0xff, 0x10, 0x00]));
    await writeFile(join(fx.dir, 'truncated.der'), fx.pkcs8Der.subarray(0, 300));
    await writeFile(join(fx.dir, 'huge.pem'), Buffer.alloc(MAX_KEY_INPUT_BYTES * 2, 'A'));
  });

  it.each(cases)('$name', async ({ options = {}, env, stdin, code, message, hint }) => {
    const error = await failure(options, env?.() ?? {}, stdin?.() ?? '');
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(3);
    if (hint !== undefined) expect(error.hint).toBe(hint);
    else expect(error.hint).toEqual(expect.any(String));
  });
});

describe('loadPrivateKey: more rejections', () => {
  it.each([
    ['Ed448', () => generateKeyPairSync('ed448').privateKey, 'an Ed448'],
    ['RSA-PSS', () => generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).privateKey, 'an RSA-PSS'],
    ['X25519', () => generateKeyPairSync('x25519').privateKey, 'an X25519'],
    ['X448', () => generateKeyPairSync('x448').privateKey, 'an X448'],
    // @types/node does not list 'dh', which Node supports.
    ['Diffie-Hellman', () => (generateKeyPairSync as (type: string, options: object) => { privateKey: KeyObject })('dh', { group: 'modp14' }).privateKey, 'a Diffie-Hellman'],
  ])('names an %s key as not RSA', async (_name, make, described) => {
    const pem = make().export({ type: 'pkcs8', format: 'pem' }) as string;
    const error = await failure({}, { JWT_PRIVATE_KEY: pem });
    expect([error.code, error.message]).toEqual(['ERR_KEY_NOT_RSA', `The environment variable JWT_PRIVATE_KEY holds ${described} key; Salesforce's JWT bearer flow needs RSA (2048 bits or more).`]);
  });

  it('says a PEM whose body is DER but not a key does not parse', async () => {
    const error = await failure({}, { JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n' });
    expect([error.code, error.message]).toEqual(['ERR_KEY_FORMAT', 'The environment variable JWT_PRIVATE_KEY does not hold a private key in a known form (the "PRIVATE KEY" PEM does not parse).']);
  });

  it('names a DER public key (SPKI or PKCS#1) as not private', async () => {
    const publicKey = createPublicKey(fx.pkcs8);
    await writeFile(join(fx.dir, 'public.der'), publicKey.export({ type: 'spki', format: 'der' }));
    await writeFile(join(fx.dir, 'rsa-public.der'), publicKey.export({ type: 'pkcs1', format: 'der' }));
    for (const file of ['public.der', 'rsa-public.der']) {
      const error = await failure({ jwtKeyFile: file });
      expect([error.code, error.message]).toEqual(['ERR_KEY_NOT_PRIVATE', `The file ${file} holds a public key (DER), not a private key.`]);
    }
  });

  it('refuses an encrypted DER key with the wrong passphrase, and an empty passphrase variable', async () => {
    const wrong = await failure({ jwtKeyFile: 'encrypted-pkcs8.der', passphraseEnv: 'KEY_PASS' }, { KEY_PASS: 'wrong' });
    expect([wrong.code, wrong.message]).toEqual(['ERR_KEY_PASSPHRASE_WRONG', 'The passphrase in environment variable KEY_PASS does not decrypt the file encrypted-pkcs8.der.']);
    const empty = await failure({ passphraseEnv: 'KEY_PASS' }, { JWT_PRIVATE_KEY: fx.encryptedPkcs8, KEY_PASS: '' });
    expect([empty.code, empty.message]).toEqual([
      'ERR_KEY_PASSPHRASE_REQUIRED',
      'The environment variable JWT_PRIVATE_KEY holds an encrypted key, and environment variable KEY_PASS (named by --passphrase-env) is not set or is empty.',
    ]);
  });

  it("keeps OpenSSL's error code as the cause, and nothing of the key or the passphrase", async () => {
    const passphrase = 'wrong-passphrase-42';
    for (const [options, env] of [
      [{ passphraseEnv: 'KEY_PASS' }, { JWT_PRIVATE_KEY: fx.encryptedPkcs8, KEY_PASS: passphrase }],
      [{ jwtKeyFile: 'encrypted-pkcs8.der', passphraseEnv: 'KEY_PASS' }, { KEY_PASS: passphrase }],
      [{}, { JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n' }],
    ] as const) {
      const cause = await load(options, env).then(
        () => undefined,
        (error: AppError) => error.cause as Error,
      );
      expect(cause?.message).toMatch(/^OpenSSL could not read the key \(ERR_OSSL_[A-Z_]+\)$/);
    }
  });

  it('says why a key file cannot be opened', async () => {
    const notDirectory = await failure({ jwtKeyFile: 'pkcs8.pem/server.key' });
    expect([notDirectory.code, notDirectory.message]).toEqual(['ERR_KEY_FILE_NOT_FOUND', 'Key file pkcs8.pem/server.key cannot be read (ENOTDIR).']);
    const codeless = await loadPrivateKey(
      { jwtKeyEnv: 'JWT_PRIVATE_KEY', jwtKeyFile: 'server.key' },
      testDeps({ cwd: fx.dir, fs: { ...fs, open: async () => Promise.reject(new Error('no such thing')) } }),
    ).then(
      () => {
        throw new Error('expected loadPrivateKey to fail');
      },
      (error: AppError) => error,
    );
    expect([codeless.code, codeless.message]).toEqual(['ERR_KEY_FILE_NOT_FOUND', 'Key file server.key cannot be read (unreadable).']);
  });

  it('closes the key file it opened, whether it reads it or refuses it', async () => {
    await writeFile(join(fx.dir, 'large.pem'), Buffer.alloc(MAX_KEY_INPUT_BYTES + 1, 'A'));
    const closed: string[] = [];
    const countingFs = {
      ...fs,
      open: (async (path: string, flags: string) => {
        const handle = await fs.open(path, flags);
        const close = handle.close.bind(handle);
        handle.close = async () => {
          closed.push(path.slice(fx.dir.length + 1));
          await close();
        };
        return handle;
      }) as typeof fs.open,
    };
    const deps = testDeps({ cwd: fx.dir, fs: countingFs });
    await loadPrivateKey({ jwtKeyEnv: 'JWT_PRIVATE_KEY', jwtKeyFile: 'pkcs8.pem' }, deps);
    for (const jwtKeyFile of ['large.pem', '.']) {
      await expect(loadPrivateKey({ jwtKeyEnv: 'JWT_PRIVATE_KEY', jwtKeyFile }, deps)).rejects.toThrow(AppError);
    }
    expect(closed).toEqual(['pkcs8.pem', 'large.pem', '']);
  });
});

describe('loadPrivateKey: what it registers for redaction', () => {
  it('registers the key as given and the passphrase before anything can fail', async () => {
    const passphrase = 'wrong-passphrase-42';
    const fromVariable = new SecretRegistry();
    await expect(
      loadPrivateKey(
        { jwtKeyEnv: 'JWT_PRIVATE_KEY', passphraseEnv: 'KEY_PASSPHRASE' },
        testDeps({ env: { JWT_PRIVATE_KEY: fx.encryptedPkcs1, KEY_PASSPHRASE: passphrase }, secrets: fromVariable }),
      ),
    ).rejects.toThrow(AppError);
    expect(fromVariable.redact(`${fx.encryptedPkcs1.split('\n')[4]} ${passphrase}`)).toBe('[REDACTED] [REDACTED]');
    // The variable's name is no secret: hints name it.
    expect(fromVariable.redact('Check the value of KEY_PASSPHRASE')).toBe('Check the value of KEY_PASSPHRASE');
    const fromFile = new SecretRegistry();
    await expect(
      loadPrivateKey(
        { jwtKeyEnv: 'JWT_PRIVATE_KEY', jwtKeyFile: 'encrypted-pkcs8.der', passphraseEnv: 'KEY_PASSPHRASE' },
        testDeps({ cwd: fx.dir, env: { KEY_PASSPHRASE: passphrase }, secrets: fromFile }),
      ),
    ).rejects.toThrow(AppError);
    expect(fromFile.redact(`${fx.encryptedPkcs8Der.toString('base64')} ${passphrase}`)).toBe('[REDACTED] [REDACTED]');
  });

  it('registers the unencrypted key it will upload', async () => {
    const secrets = new SecretRegistry();
    const key = await loadPrivateKey({ jwtKeyEnv: 'JWT_PRIVATE_KEY', passphraseEnv: 'KEY_PASS' }, testDeps({ env: { JWT_PRIVATE_KEY: fx.encryptedPkcs8, KEY_PASS: fx.passphrase }, secrets }));
    expect(secrets.redact(key.uploadPem.split('\n')[5]!)).toBe('[REDACTED]');
  });
});

describe('--jwt-key-file given an empty value', () => {
  it.each(['', ' '])('is refused (%j), never a fall-back to the variable', async (jwtKeyFile) => {
    const error = await failure({ jwtKeyFile }, { JWT_PRIVATE_KEY: fx.pkcs8 });
    expect([error.code, error.message]).toEqual(['ERR_EMPTY_VALUE', '--jwt-key-file was given an empty value; an empty value does not fall back to JWT_PRIVATE_KEY.']);
  });
});
