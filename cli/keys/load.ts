/**
 * Loads the RSA private key every command signs with, from `--jwt-key-file` (a path or `-` for
 * standard input) or the environment variable named by `--jwt-key-env`, and validates it:
 * RSA, 2048 bits or more, decrypted with the passphrase from `--passphrase-env`.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Deps } from '../deps.js';
import { emptyValueError } from '../input/sources.js';
import { decodeKeyInput, derLengthStatus, type DecodedKey } from './decode.js';
import { keyError, keyFinding, type KeyFinding } from './errors.js';

/** Where the private key comes from (the key flags of every command that signs). */
export interface KeySourceOptions {
  /** `--jwt-key-file`: path of a PEM/DER key file, or `-` for standard input. */
  jwtKeyFile?: string;
  /** `--jwt-key-env`: name of the environment variable that holds the key. */
  jwtKeyEnv: string;
  /** `--passphrase-env`: name of the environment variable that holds the key's passphrase. */
  passphraseEnv?: string;
}

/** No key input is read beyond this many bytes: an RSA 4096 PEM is about 3.3 KiB. */
export const MAX_KEY_INPUT_BYTES = 64 * 1024;

/** The smallest RSA modulus RS256 accepts (jose and Salesforce alike). */
export const MIN_RSA_BITS = 2048;

export interface LoadedKey {
  /** RSA, >= 2048 bits; jose's SignJWT.sign() accepts it. */
  privateKey: KeyObject;
  bits: number;
  format: 'pkcs8' | 'pkcs1' | 'encrypted-pkcs8' | 'encrypted-pkcs1' | 'der';
  /** "file keys/server.key" | "environment variable JWT_PRIVATE_KEY" | "standard input". */
  source: string;
  /**
   * Unencrypted PEM to send to AppLink: the input PEM itself (trimmed, LF line ends, unescaped)
   * when it was a plain unencrypted PEM; otherwise the PKCS#8 PEM export. Never print it.
   */
  uploadPem: string;
  /** Printable warnings, e.g. a key file readable by group or others. */
  warnings: string[];
  /** The same warnings with their catalogue codes. */
  findings: KeyFinding[];
  /** What was done to the input to read it ("base64-decoded", "CRLF line ends converted"). */
  repairs: string[];
  /** The key file's path as given, when the key came from a file. */
  path?: string;
  /** The key file's permission bits (e.g. 0o600), when the key came from a file. */
  fileMode?: number;
}

interface KeyInput {
  data: Buffer | string;
  source: string;
  path?: string;
  fileMode?: number;
}

/**
 * Loads and validates the private key. Throws an InputError with a catalogued code
 * (cli/keys/errors.ts) naming the source, never its content.
 */
export async function loadPrivateKey(
  options: KeySourceOptions,
  deps: Pick<Deps, 'env' | 'fs' | 'cwd' | 'readStdin' | 'secrets'>,
): Promise<LoadedKey> {
  const input = await readKeyInput(options, deps);
  // Registered before anything can fail: an error must never quote the key (cli/redact.ts), as
  // text or as base64 (the form binary DER would be shown in), nor the passphrase.
  deps.secrets?.add(input.data.toString());
  deps.secrets?.add(Buffer.from(input.data).toString('base64'));
  deps.secrets?.add(options.passphraseEnv && deps.env[options.passphraseEnv]);
  const findings: KeyFinding[] = [];
  if (((input.fileMode ?? 0) & 0o077) !== 0) {
    findings.push(keyFinding('WARN_KEY_FILE_MODE', { path: input.path, mode: formatMode(input.fileMode!) }));
  }
  const decoded = decodeKeyInput(input.data, input.source);
  const { privateKey, format } = parseKey(decoded, input.source, options, deps.env, findings);

  // Node gives every private key object its type, and an RSA key its modulus length.
  const keyType = privateKey.asymmetricKeyType!;
  if (keyType !== 'rsa') throw keyError('ERR_KEY_NOT_RSA', { source: input.source, keyType: describeKeyType(keyType) });
  const bits = privateKey.asymmetricKeyDetails!.modulusLength!;
  if (bits < MIN_RSA_BITS) throw keyError('ERR_KEY_TOO_SMALL', { source: input.source, bits });

  const pkcs8 = (privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).trim();
  deps.secrets?.add(pkcs8);
  const uploadPem = decoded.original ?? pkcs8;
  deps.secrets?.add(uploadPem);
  return {
    privateKey,
    bits,
    format,
    source: input.source,
    uploadPem,
    warnings: findings.map((finding) => `${finding.message} ${finding.hint}`),
    findings,
    repairs: decoded.repairs,
    ...(input.path === undefined ? {} : { path: input.path }),
    ...(input.fileMode === undefined ? {} : { fileMode: input.fileMode }),
  };
}

/** `0o644` as "0644". */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

function describeKeyType(type: string): string {
  const names: Record<string, string> = {
    ec: 'an EC',
    ed25519: 'an Ed25519',
    ed448: 'an Ed448',
    dsa: 'a DSA',
    'rsa-pss': 'an RSA-PSS',
    x25519: 'an X25519',
    x448: 'an X448',
    dh: 'a Diffie-Hellman',
  };
  // Stryker disable next-line StringLiteral: not reachable in tests: every private key type Node 20 and 22 make is named above (the fallback is for types later versions add)
  return names[type] ?? `a ${type}`;
}

async function readKeyInput(options: KeySourceOptions, deps: Pick<Deps, 'env' | 'fs' | 'cwd' | 'readStdin' | 'secrets'>): Promise<KeyInput> {
  if (options.jwtKeyFile === '-') {
    const source = 'standard input';
    const data = await deps.readStdin(MAX_KEY_INPUT_BYTES);
    // Reading stopped past the limit, so the size read is not the size sent: name no byte count.
    if (Buffer.byteLength(data) > MAX_KEY_INPUT_BYTES) throw keyError('ERR_KEY_TOO_LARGE', { source });
    return { data, source };
  }
  if (options.jwtKeyFile !== undefined && options.jwtKeyFile.trim() === '') {
    throw emptyValueError('--jwt-key-file', [options.jwtKeyEnv]);
  }
  if (options.jwtKeyFile !== undefined) {
    const path = options.jwtKeyFile;
    const { data, mode } = await readBoundedFile(path, deps, 'key');
    return { data, source: `file ${path}`, path, fileMode: mode };
  }
  const variable = options.jwtKeyEnv;
  const value = deps.env[variable];
  if (value === undefined || value === '') throw keyError('ERR_KEY_ENV_MISSING', { variable });
  const source = `environment variable ${variable}`;
  if (Buffer.byteLength(value) > MAX_KEY_INPUT_BYTES) throw keyError('ERR_KEY_TOO_LARGE', { source, bytes: Buffer.byteLength(value) });
  return { data: value, source };
}

/**
 * Reads at most {@link MAX_KEY_INPUT_BYTES} of a file (a device or a growing file never makes it
 * read further). `what` selects the catalogue codes (key or certificate).
 */
export async function readBoundedFile(
  path: string,
  deps: Pick<Deps, 'fs' | 'cwd'>,
  what: 'key' | 'cert',
): Promise<{ data: Buffer; mode: number }> {
  const notFound = what === 'key' ? 'ERR_KEY_FILE_NOT_FOUND' : 'ERR_CERT_FILE_NOT_FOUND';
  const fullPath = isAbsolute(path) ? path : resolve(deps.cwd, path);
  const tooLarge = (bytes?: number) =>
    what === 'key'
      ? keyError('ERR_KEY_TOO_LARGE', { source: `file ${path}`, bytes })
      : keyError('ERR_CERT_TOO_LARGE', { path, bytes: bytes ?? MAX_KEY_INPUT_BYTES + 1 });
  let handle;
  try {
    handle = await deps.fs.open(fullPath, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw keyError(notFound, code === 'ENOENT' ? { path } : { path, reason: code ?? 'unreadable' }, error);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw keyError(notFound, { path, reason: 'it is a directory' });
    if (stat.size > MAX_KEY_INPUT_BYTES) throw tooLarge(stat.size);
    const buffer = Buffer.alloc(MAX_KEY_INPUT_BYTES + 1);
    let total = 0;
    while (total < buffer.length) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > MAX_KEY_INPUT_BYTES) throw tooLarge();
    return { data: buffer.subarray(0, total), mode: stat.mode & 0o777 };
  } finally {
    await handle.close();
  }
}

function parseKey(
  decoded: DecodedKey,
  source: string,
  options: KeySourceOptions,
  env: Deps['env'],
  findings: KeyFinding[],
): { privateKey: KeyObject; format: LoadedKey['format'] } {
  if (decoded.encoding === 'pem') {
    const format: LoadedKey['format'] =
      decoded.label === 'ENCRYPTED PRIVATE KEY'
        ? 'encrypted-pkcs8'
        : decoded.label === 'RSA PRIVATE KEY'
          ? decoded.encrypted
            ? 'encrypted-pkcs1'
            : 'pkcs1'
          : 'pkcs8';
    if (!decoded.encrypted) {
      warnIfPassphraseUnused(options, findings, source);
      try {
        return { privateKey: createPrivateKey({ key: decoded.pem, format: 'pem' }), format };
      } catch (error) {
        throw keyError('ERR_KEY_FORMAT', { source, reason: `the "${decoded.label}" PEM does not parse` }, stripped(error));
      }
    }
    const passphrase = passphraseFrom(options, env, source);
    try {
      return { privateKey: createPrivateKey({ key: decoded.pem, format: 'pem', passphrase }), format };
    } catch (error) {
      throw keyError('ERR_KEY_PASSPHRASE_WRONG', { source, variable: options.passphraseEnv }, stripped(error));
    }
  }

  const der = decoded.der;
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    try {
      const privateKey = createPrivateKey({ key: der, format: 'der', type });
      warnIfPassphraseUnused(options, findings, source);
      return { privateKey, format: 'der' };
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_MISSING_PASSPHRASE') {
        const passphrase = passphraseFrom(options, env, source);
        try {
          return { privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase }), format: 'der' };
        } catch (inner) {
          throw keyError('ERR_KEY_PASSPHRASE_WRONG', { source, variable: options.passphraseEnv }, stripped(inner));
        }
      }
    }
  }
  if (isCertificate(der)) throw keyError('ERR_KEY_NOT_PRIVATE', { source, what: 'a certificate', block: 'DER' });
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      createPublicKey({ key: der, format: 'der', type });
      throw keyError('ERR_KEY_NOT_PRIVATE', { source, what: 'a public key', block: 'DER' });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_KEY_NOT_PRIVATE') throw error;
    }
  }
  if (derLengthStatus(der) === 'short') throw keyError('ERR_KEY_TRUNCATED', { source, block: 'DER key', reason: 'shorter than its encoding declares' });
  throw keyError('ERR_KEY_FORMAT', { source, reason: 'binary data that is not a DER private key' });
}

function isCertificate(der: Buffer): boolean {
  try {
    new X509Certificate(der);
  } catch {
    return false;
  }
  return true;
}

function passphraseFrom(options: KeySourceOptions, env: Deps['env'], source: string): string {
  const passphrase = options.passphraseEnv && env[options.passphraseEnv];
  if (!passphrase) throw keyError('ERR_KEY_PASSPHRASE_REQUIRED', { source, variable: options.passphraseEnv });
  return passphrase;
}

function warnIfPassphraseUnused(options: KeySourceOptions, findings: KeyFinding[], source: string): void {
  if (options.passphraseEnv) findings.push(keyFinding('WARN_PASSPHRASE_UNUSED', { source, variable: options.passphraseEnv }));
}

/** OpenSSL's error for a cause, without anything from the input (its messages hold none, but be sure). */
function stripped(error: unknown): Error {
  return new Error(`OpenSSL could not read the key (${(error as { code?: string }).code})`);
}
