/**
 * `applink-jwt keys generate`: server.key (PKCS#8, 0600), server.crt (self-signed X.509) and
 * server.pub (SPKI) in `--dir`, `*.key` in the work tree's .gitignore, and the next steps.
 */
import { join, resolve } from 'node:path';
import type { Deps } from '../deps.js';
import { keyError } from '../keys/errors.js';
import { generateKeyMaterial } from '../keys/generate.js';
import { ensureKeyPatternIgnored } from '../keys/git.js';
import { writeFilesAtomically } from '../keys/write-file.js';
import type { CommandResult } from '../output.js';
import { DAY_MS, DEFAULT_MAX_AGE_DAYS } from '../keys/policy.js';

export interface KeysGenerateOptions {
  dir: string;
  bits: number;
  days: number;
  subject: string;
  force: boolean;
  json: boolean;
}

export interface KeysGenerateJson {
  dir: string;
  bits: number;
  subject: string;
  notBefore: string;
  notAfter: string;
  serialNumber: string;
  fingerprintSha256: string;
  files: { privateKey: FileFact; certificate: FileFact; publicKey: FileFact };
  gitignore: { path: string; added: boolean } | null;
  /** When to rotate: the end of validity, or earlier the age `keys check` fails at by default. */
  rotateBy: string;
  nextSteps: string[];
}

interface FileFact {
  path: string;
  mode: string;
}

const FILES = [
  { role: 'privateKey', name: 'server.key', mode: 0o600 },
  { role: 'certificate', name: 'server.crt', mode: 0o644 },
  { role: 'publicKey', name: 'server.pub', mode: 0o644 },
] as const;

/** The steps after generating, with the paths the user gave. */
export function nextSteps(keyPath: string, certPath: string): string[] {
  return [
    `In Salesforce Setup, External Client App Manager: create (or edit) the external client app; enable OAuth with callback URL http://localhost:1717/OauthRedirect and the scopes "Manage user data via APIs (api)" and "Perform requests at any time (refresh_token, offline_access)"; enable "Use digital signatures" and upload ${certPath}.`,
    'In the app\'s policies, set Permitted Users to "Admin approved users are pre-authorized" and add the integration user\'s profile or permission set.',
    `Store the key as a CircleCI context secret named JWT_PRIVATE_KEY without committing it: Organization Settings > Contexts > your context > Add Environment Variable, value = the output of \`base64 -w0 ${keyPath}\` (or the PEM itself); applink-jwt decodes either. Never commit ${keyPath}.`,
    `Check the pair: applink-jwt keys check --jwt-key-file ${keyPath} --cert-file ${certPath}`,
    `Authorize: applink-jwt authorize <developer-name> -a <app> --client-id <consumer key> --username <user> --jwt-key-file ${keyPath}`,
  ];
}

/** Generates the key pair and certificate; never overwrites without `--force`. */
export async function runKeysGenerate(options: KeysGenerateOptions, deps: Deps): Promise<CommandResult<KeysGenerateJson>> {
  const dir = resolve(deps.cwd, options.dir);
  const shown = (name: string) => join(options.dir, name);
  await deps.fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (!options.force) {
    for (const file of FILES) {
      if (await exists(deps, join(dir, file.name))) throw keyError('ERR_FILE_EXISTS', { path: shown(file.name) });
    }
  }

  deps.progress.start(`Generating a ${options.bits}-bit RSA key and a certificate valid for ${options.days} days`);
  let material;
  try {
    material = await generateKeyMaterial({ bits: options.bits, days: options.days, subject: options.subject, nowMs: deps.now() });
  } catch (error) {
    deps.progress.stop('failed');
    throw error;
  }
  deps.progress.stop('done');

  const content = { privateKey: material.privateKeyPem, certificate: material.certificatePem, publicKey: material.publicKeyPem };
  // The ignore rule first: a run killed while writing leaves only files it already covers.
  const gitignore = await ensureKeyPatternIgnored(deps.run, deps.fs, dir);
  await writeFilesAtomically(
    deps.fs,
    FILES.map((file) => ({ path: join(dir, file.name), content: content[file.role], mode: file.mode })),
  );

  const keyPath = shown('server.key');
  const certPath = shown('server.crt');
  const steps = nextSteps(keyPath, certPath);
  const files = Object.fromEntries(FILES.map((file) => [file.role, { path: shown(file.name), mode: `0${file.mode.toString(8)}` }])) as KeysGenerateJson['files'];
  const json: KeysGenerateJson = {
    dir: options.dir,
    bits: options.bits,
    subject: material.subject,
    notBefore: material.notBefore.toISOString(),
    notAfter: material.notAfter.toISOString(),
    serialNumber: material.serialNumber,
    fingerprintSha256: material.fingerprint,
    files,
    gitignore: gitignore.path ? { path: gitignore.path, added: gitignore.added } : null,
    rotateBy: new Date(material.notBefore.getTime() + Math.min(options.days, DEFAULT_MAX_AGE_DAYS) * DAY_MS).toISOString(),
    nextSteps: steps,
  };

  const lines = [
    `Wrote ${files.privateKey.path} (RSA ${options.bits} bits, PKCS#8, mode 0600)`,
    `Wrote ${files.certificate.path} (self-signed X.509, SHA-256 with RSA, ${material.subject}, valid until ${json.notAfter.slice(0, 10)})`,
    `Wrote ${files.publicKey.path} (public key, SPKI PEM)`,
    `Certificate SHA-256 fingerprint: ${material.fingerprint}`,
  ];
  if (gitignore.path) {
    lines.push(gitignore.added ? `Added *.key to ${gitignore.path}` : `*.key is already in ${gitignore.path}`);
  }
  const rotateBy = json.rotateBy.slice(0, 10);
  lines.push(`Rotate by ${rotateBy} (${Math.min(options.days, DEFAULT_MAX_AGE_DAYS)} days: ${options.days > DEFAULT_MAX_AGE_DAYS ? `keys check fails an older certificate, --max-age-days ${DEFAULT_MAX_AGE_DAYS} by default` : 'the end of validity'}).`);
  lines.push('', 'Next steps:', ...steps.map((step, index) => `  ${index + 1}. ${step}`));
  const warnings = gitignore.gitMissing ? ['git was not found, so .gitignore was not checked: never commit server.key.'] : [];
  if (options.days > DEFAULT_MAX_AGE_DAYS) {
    warnings.push(
      `--days ${options.days} outlasts the rotation policy keys check enforces (--max-age-days ${DEFAULT_MAX_AGE_DAYS} by default): keys check fails this certificate from ${rotateBy}. Rotate by then (applink-jwt keys generate, then authorize --replace), or pass --days ${DEFAULT_MAX_AGE_DAYS}, or run keys check with --max-age-days ${options.days}.`,
    );
  }
  return { json, text: lines.join('\n'), warnings };
}

async function exists(deps: Deps, path: string): Promise<boolean> {
  try {
    await deps.fs.stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
