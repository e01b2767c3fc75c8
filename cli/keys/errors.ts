/**
 * The catalogue of key and certificate problems: every code `keys` code paths raise or report,
 * with its message template and its fix. README's table is generated from {@link KEY_CATALOGUE}.
 * Templates take the input's name (a file path, a variable name), never its content.
 */
import { CheckFailedError, InputError, type AppError } from '../errors.js';

/** Parameters a template may use. `source` is e.g. "file keys/server.key". */
export interface KeyErrorParams {
  source?: string;
  path?: string;
  variable?: string;
  what?: string;
  block?: string;
  keyType?: string;
  bits?: number;
  count?: number;
  bytes?: number;
  days?: number;
  maxDays?: number;
  date?: string;
  mode?: string;
  subject?: string;
  reason?: string;
}

/**
 * How a code is reported: `input` is thrown as an InputError (exit 3); `failure` is a failed
 * `keys check` verdict (exit 9); `warning` is printed and does not change the exit code.
 */
export type KeyProblemKind = 'input' | 'failure' | 'warning';

export interface KeyProblem {
  kind: KeyProblemKind;
  /** One line for README. */
  summary: string;
  message: (p: KeyErrorParams) => string;
  hint: (p: KeyErrorParams) => string;
}

const GENERATE = 'Generate a new pair with `applink-jwt keys generate`, upload the new server.crt to the external client app, and store the new server.key.';
const PEM_FORMS = 'PKCS#8 ("-----BEGIN PRIVATE KEY-----") or PKCS#1 ("-----BEGIN RSA PRIVATE KEY-----") PEM, optionally encrypted, with literal \\n escapes, quoted, or base64-encoded; or DER';

export const KEY_CATALOGUE = {
  ERR_KEY_ENV_MISSING: {
    kind: 'input',
    summary: 'The key variable is not set or is empty.',
    message: (p) => `Environment variable ${p.variable} is not set or is empty.`,
    hint: (p) =>
      `Set ${p.variable} to the RSA private key (in CircleCI: a context secret; the PEM or \`base64 -w0 server.key\`), name another variable with --jwt-key-env, or use --jwt-key-file PATH.`,
  },
  ERR_KEY_FILE_NOT_FOUND: {
    kind: 'input',
    summary: 'The key file does not exist or cannot be read.',
    message: (p) => (p.reason ? `Key file ${p.path} cannot be read (${p.reason}).` : `Key file ${p.path} does not exist.`),
    hint: () => 'Check the --jwt-key-file path (relative to the working directory), or create a key with `applink-jwt keys generate --dir DIR`.',
  },
  ERR_KEY_EMPTY: {
    kind: 'input',
    summary: 'The key input is empty (or only whitespace).',
    message: (p) => `The ${p.source} is empty.`,
    hint: (p) => `Put the RSA private key (${PEM_FORMS}) in the ${p.source}.`,
  },
  ERR_KEY_TOO_LARGE: {
    kind: 'input',
    summary: 'The key input is larger than 64 KiB (a key is under 4 KiB); nothing beyond the limit is read.',
    message: (p) => `The ${p.source} is larger than 64 KiB${p.bytes === undefined ? '' : ` (${p.bytes} bytes)`}; an RSA private key is under 4 KiB.`,
    hint: () => 'Point the key option at the private key itself, not at a bundle, an archive or a log.',
  },
  ERR_KEY_FORMAT: {
    kind: 'input',
    summary: 'The key input is not a PEM, base64 or DER private key.',
    message: (p) => `The ${p.source} does not hold a private key in a known form${p.reason ? ` (${p.reason})` : ''}.`,
    hint: () => `Expected ${PEM_FORMS}. Generate a key with \`applink-jwt keys generate\`.`,
  },
  ERR_KEY_TRUNCATED: {
    kind: 'input',
    summary: 'The PEM is cut short: END line missing or the body shorter than its encoding says.',
    message: (p) => `The ${p.source} holds a truncated ${p.block ?? 'PEM'} (${p.reason ?? 'the body is cut short'}).`,
    hint: () =>
      'Copy the whole key, from the BEGIN line through the END line. If the secret store cuts multi-line values, store `base64 -w0 server.key` instead: applink-jwt decodes it.',
  },
  ERR_KEY_NOT_PRIVATE: {
    kind: 'input',
    summary: 'A certificate or a public key where the private key was expected (a key in the wrong variable).',
    message: (p) => `The ${p.source} holds ${p.what} (${p.block}), not a private key.`,
    hint: (p) =>
      `${p.what === 'a certificate' ? 'The certificate (server.crt) belongs in the Salesforce external client app ("Use digital signatures")' : 'The public key (server.pub) is not needed to authorize'}; the ${p.source} must hold the private key (server.key, "-----BEGIN PRIVATE KEY-----").`,
  },
  ERR_KEY_NOT_RSA: {
    kind: 'input',
    summary: 'An EC, Ed25519, DSA or other non-RSA key.',
    message: (p) => `The ${p.source} holds ${p.keyType} key; Salesforce's JWT bearer flow needs RSA (2048 bits or more).`,
    hint: () => GENERATE,
  },
  ERR_KEY_TOO_SMALL: {
    kind: 'input',
    summary: 'An RSA key below 2048 bits.',
    message: (p) => `The ${p.source} holds a ${p.bits}-bit RSA key; RS256 needs at least 2048 bits.`,
    hint: () => GENERATE,
  },
  ERR_KEY_PASSPHRASE_REQUIRED: {
    kind: 'input',
    summary: 'An encrypted key without a passphrase (no --passphrase-env, or its variable is empty).',
    message: (p) =>
      p.variable
        ? `The ${p.source} holds an encrypted key, and environment variable ${p.variable} (named by --passphrase-env) is not set or is empty.`
        : `The ${p.source} holds an encrypted key and no passphrase was given.`,
    hint: (p) =>
      p.variable
        ? `Set ${p.variable} to the key's passphrase.`
        : 'Put the passphrase in an environment variable and pass its name with --passphrase-env NAME (never the passphrase itself on the command line).',
  },
  ERR_KEY_PASSPHRASE_WRONG: {
    kind: 'input',
    summary: 'The passphrase does not decrypt the key.',
    message: (p) => `The passphrase in environment variable ${p.variable} does not decrypt the ${p.source}.`,
    hint: (p) => `Check the value of ${p.variable} (no trailing newline or quotes), and that --passphrase-env names the right variable.`,
  },
  WARN_PASSPHRASE_UNUSED: {
    kind: 'warning',
    summary: '--passphrase-env was given but the key is not encrypted.',
    message: (p) => `The ${p.source} is not encrypted; --passphrase-env ${p.variable} is ignored.`,
    hint: () => 'Drop --passphrase-env, or store the encrypted key.',
  },
  ERR_KEY_AMBIGUOUS: {
    kind: 'input',
    summary: 'The input holds more than one private key.',
    message: (p) => `The ${p.source} holds ${p.count} private keys; expected exactly one.`,
    hint: () => 'Keep only the private key whose certificate is uploaded to the external client app.',
  },
  ERR_KEY_GIT_TRACKED: {
    kind: 'failure',
    summary: '`keys check`: git tracks the key file.',
    message: (p) => `Key file ${p.path} is tracked by git.`,
    hint: (p) =>
      `Run \`git rm --cached ${p.path}\`, add *.key to .gitignore, and rotate the key: anyone with the repository has it. ${GENERATE}`,
  },
  WARN_KEY_FILE_MODE: {
    kind: 'warning',
    summary: 'The key file is readable by group or others.',
    message: (p) => `Key file ${p.path} is readable by group or others (mode ${p.mode}).`,
    hint: (p) => `Run \`chmod 600 ${p.path}\`.`,
  },
  WARN_KEY_NOT_IGNORED: {
    kind: 'warning',
    summary: '`keys check`: the key file is inside a git work tree and not git-ignored.',
    message: (p) => `Key file ${p.path} is inside a git work tree and not ignored.`,
    hint: () => 'Add *.key to .gitignore so that it is never committed.',
  },
  ERR_FILE_EXISTS: {
    kind: 'input',
    summary: '`keys generate` would overwrite a file.',
    message: (p) => `${p.path} already exists.`,
    hint: () => 'Pass --force to overwrite it (the old key stops working once the new certificate is uploaded), or choose another --dir.',
  },
  ERR_CERT_SUBJECT: {
    kind: 'input',
    summary: '`keys generate --subject` is not a distinguished name.',
    message: (p) => `--subject "${p.subject}" is not a distinguished name.`,
    hint: () => 'Use the form CN=my-app,O=Acme (or the OpenSSL form /CN=my-app/O=Acme).',
  },
  ERR_CERT_FILE_NOT_FOUND: {
    kind: 'input',
    summary: 'The certificate file does not exist or cannot be read.',
    message: (p) => (p.reason ? `Certificate file ${p.path} cannot be read (${p.reason}).` : `Certificate file ${p.path} does not exist.`),
    hint: () => 'Check the --cert-file path (relative to the working directory).',
  },
  ERR_CERT_TOO_LARGE: {
    kind: 'input',
    summary: 'The certificate file is larger than 64 KiB.',
    message: (p) => `Certificate file ${p.path} is larger than 64 KiB (${p.bytes} bytes).`,
    hint: () => 'Point --cert-file at the certificate itself (server.crt).',
  },
  ERR_CERT_FORMAT: {
    kind: 'input',
    summary: 'The certificate file is not an X.509 certificate (PEM or DER), e.g. a key in the wrong file.',
    message: (p) => `Certificate file ${p.path} does not hold an X.509 certificate${p.what ? `; it holds ${p.what}` : ''}.`,
    hint: (p) =>
      p.what === 'a private key'
        ? 'Pass the certificate (server.crt) with --cert-file and the private key with --jwt-key-file; keep the private key out of places meant for certificates.'
        : 'Pass a PEM ("-----BEGIN CERTIFICATE-----") or DER certificate, e.g. the server.crt from `applink-jwt keys generate`.',
  },
  ERR_CERT_EXPIRED: {
    kind: 'failure',
    summary: '`keys check`: the certificate has expired.',
    message: (p) => `The certificate expired on ${p.date} (${p.days} ${Number(p.days) === 1 ? 'day' : 'days'} ago); keys check fails an expired certificate.`,
    hint: () => `Rotate it: ${GENERATE} Then run \`applink-jwt authorize <developer-name> --replace\`. (Salesforce itself may still accept the expired certificate, so the check is what stops it.)`,
  },
  ERR_CERT_NOT_YET_VALID: {
    kind: 'failure',
    summary: '`keys check`: the certificate is not valid yet.',
    message: (p) => `The certificate is not valid until ${p.date}.`,
    hint: () => 'Check the clock of the machine that made it, or generate a new pair with `applink-jwt keys generate`.',
  },
  ERR_CERT_TOO_OLD: {
    kind: 'failure',
    summary: '`keys check`: the certificate is older than --max-age-days (rotation policy, default 90).',
    message: (p) => `The certificate is ${p.days} days old, more than --max-age-days ${p.maxDays}.`,
    hint: () => `Rotate: ${GENERATE} Then run \`applink-jwt authorize <developer-name> --replace\`.`,
  },
  ERR_CERT_KEY_MISMATCH: {
    kind: 'failure',
    summary: '`keys check`: the private key does not belong to the certificate.',
    message: (p) => `The private key (${p.source}) does not match the certificate ${p.path}.`,
    hint: () => 'Salesforce will answer "invalid assertion". Upload the certificate made with this key, or use the key that made this certificate.',
  },
  WARN_CERT_EXPIRING: {
    kind: 'warning',
    summary: '`keys check`: the certificate expires within --expiry-warning-days (default 30).',
    message: (p) => `The certificate expires in ${p.days} days (on ${p.date}).`,
    hint: () => 'Plan the rotation: `applink-jwt keys generate`, upload the new certificate, then `applink-jwt authorize --replace`.',
  },
  WARN_CERT_PEM_OVER_4KB: {
    kind: 'warning',
    summary: "`keys check`: the certificate PEM is over 4 KB, Salesforce's upload limit.",
    message: (p) => `Certificate ${p.path} is ${p.bytes} bytes as PEM; Salesforce accepts at most 4 KB.`,
    hint: (p) => `Upload it as DER: \`openssl x509 -in ${p.path} -outform der -out server.der\`.`,
  },
} satisfies Record<string, KeyProblem>;

export type KeyProblemCode = keyof typeof KEY_CATALOGUE;

/** The InputError for a catalogued input problem. */
export function keyError(code: KeyProblemCode, params: KeyErrorParams, cause?: unknown): AppError {
  const entry: KeyProblem = KEY_CATALOGUE[code];
  const options = { hint: entry.hint(params), ...(cause === undefined ? {} : { cause }) };
  return entry.kind === 'failure'
    ? new CheckFailedError(code, entry.message(params), options)
    : new InputError(code, entry.message(params), options);
}

/** A reported (not thrown) problem: a `keys check` failure or a warning. */
export interface KeyFinding {
  code: KeyProblemCode;
  message: string;
  hint: string;
}

export function keyFinding(code: KeyProblemCode, params: KeyErrorParams): KeyFinding {
  const entry: KeyProblem = KEY_CATALOGUE[code];
  return { code, message: entry.message(params), hint: entry.hint(params) };
}

/** The catalogue as a Markdown table (README's "Key and certificate errors"). */
export function renderKeyCatalogue(): string {
  const rows = Object.entries(KEY_CATALOGUE as Record<string, KeyProblem>).map(
    ([code, entry]) => `| \`${code}\` | ${entry.kind === 'input' ? '3' : entry.kind === 'failure' ? '9' : 'warning'} | ${entry.summary.replace(/\|/g, '\\|')} |`,
  );
  return ['| Code | Exit | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
