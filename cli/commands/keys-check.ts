/**
 * `applink-jwt keys check`: the facts about the private key and/or the certificate (type, size,
 * format, subject, validity, age, key/certificate match, file mode, git status), judged against
 * the rotation policy. A failed check is exit 9; warnings do not change the exit code.
 */
import { resolve } from 'node:path';
import type { Deps } from '../deps.js';
import { ExitCode } from '../errors.js';
import { certificateMatchesKey, readCertificate, type CertificateFacts } from '../keys/certificate.js';
import { keyFinding, type KeyFinding } from '../keys/errors.js';
import { gitStatusOf, type GitStatus } from '../keys/git.js';
import { formatMode, loadPrivateKey, type KeySourceOptions, type LoadedKey } from '../keys/load.js';
import type { CommandResult } from '../output.js';
import { DAY_MS } from '../keys/policy.js';

export interface KeysCheckOptions extends KeySourceOptions {
  certFile?: string;
  maxAgeDays: number;
  expiryWarningDays: number;
  json: boolean;
}

/** The `--json` document: the same facts as the table; `null` where a fact does not apply. */
export interface KeysCheckJson {
  ok: boolean;
  keySource: string | null;
  type: string | null;
  bits: number | null;
  format: LoadedKey['format'] | null;
  repairs: string[];
  certFile: string | null;
  subject: string | null;
  notBefore: string | null;
  notAfter: string | null;
  daysLeft: number | null;
  ageDays: number | null;
  maxAgeDays: number;
  certPemBytes: number | null;
  match: boolean | null;
  fileMode: string | null;
  gitTracked: boolean | null;
  gitIgnored: boolean | null;
  passed: string[];
  warnings: KeyFinding[];
  failures: KeyFinding[];
}


const FORMAT_NAMES: Record<LoadedKey['format'], string> = {
  pkcs8: 'PKCS#8 PEM',
  pkcs1: 'PKCS#1 PEM',
  'encrypted-pkcs8': 'encrypted PKCS#8 PEM',
  'encrypted-pkcs1': 'encrypted PKCS#1 PEM',
  der: 'DER',
};

/**
 * Checks the key (from `--jwt-key-file`, or the key variable when it is set or no certificate is
 * given) and the certificate (`--cert-file`). Key and certificate input errors throw (exit 3).
 */
export async function runKeysCheck(options: KeysCheckOptions, deps: Deps): Promise<CommandResult<KeysCheckJson>> {
  const keyVariableSet = Boolean(deps.env[options.jwtKeyEnv]);
  const wantKey = Boolean(options.jwtKeyFile) || keyVariableSet || !options.certFile;
  const key = wantKey ? await loadPrivateKey(options, deps) : undefined;
  const cert = options.certFile ? await readCertificate(options.certFile, deps) : undefined;
  const now = deps.now();

  const passed: string[] = [];
  const warnings: KeyFinding[] = [...(key?.findings ?? [])];
  const failures: KeyFinding[] = [];

  let git: GitStatus = {};
  if (key) {
    passed.push(`RSA ${key.bits}-bit private key (${FORMAT_NAMES[key.format]})`);
    if (key.fileMode !== undefined && (key.fileMode & 0o077) === 0) passed.push(`key file mode ${formatMode(key.fileMode)}`);
    if (key.path !== undefined) {
      git = await gitStatusOf(deps.run, resolve(deps.cwd, key.path));
      if (git.tracked) failures.push(keyFinding('ERR_KEY_GIT_TRACKED', { path: key.path }));
      else if (git.topLevel) passed.push('key file not tracked by git');
      if (git.topLevel && !git.tracked && !git.ignored) warnings.push(keyFinding('WARN_KEY_NOT_IGNORED', { path: key.path }));
      if (git.ignored) passed.push('key file git-ignored');
    }
  }

  let daysLeft: number | null = null;
  let ageDays: number | null = null;
  let match: boolean | null = null;
  if (cert) {
    // Whole days, truncated toward zero, so the two sides of a date agree: expired 700.5 days ago
    // is daysLeft -700 and "700 days ago", never -701 beside 700.
    daysLeft = wholeDays(cert.notAfter.getTime() - now);
    ageDays = wholeDays(now - cert.notBefore.getTime());
    checkValidity(cert, now, options, passed, warnings, failures);
    if (ageDays > options.maxAgeDays) {
      failures.push(keyFinding('ERR_CERT_TOO_OLD', { days: ageDays, maxDays: options.maxAgeDays }));
    } else if (now >= cert.notBefore.getTime()) {
      passed.push(`certificate age ${ageDays} days (--max-age-days ${options.maxAgeDays})`);
    }
    if (cert.pemBytes > 4096) warnings.push(keyFinding('WARN_CERT_PEM_OVER_4KB', { path: cert.path, bytes: cert.pemBytes }));
    if (key) {
      match = certificateMatchesKey(cert.certificate, key.privateKey);
      if (match) passed.push('private key matches the certificate');
      else failures.push(keyFinding('ERR_CERT_KEY_MISMATCH', { source: key.source, path: cert.path }));
    }
  }

  const json: KeysCheckJson = {
    ok: failures.length === 0,
    keySource: key?.source ?? null,
    type: key ? 'RSA' : null,
    bits: key?.bits ?? null,
    format: key?.format ?? null,
    repairs: key?.repairs ?? [],
    certFile: cert?.path ?? null,
    subject: cert?.subject ?? null,
    notBefore: cert?.notBefore.toISOString() ?? null,
    notAfter: cert?.notAfter.toISOString() ?? null,
    daysLeft,
    ageDays,
    maxAgeDays: options.maxAgeDays,
    certPemBytes: cert?.pemBytes ?? null,
    match,
    fileMode: key?.fileMode === undefined ? null : formatMode(key.fileMode),
    gitTracked: git.topLevel ? Boolean(git.tracked) : null,
    gitIgnored: git.topLevel ? Boolean(git.ignored) : null,
    passed,
    warnings,
    failures,
  };
  return {
    json,
    text: renderText(json),
    ...(failures.length > 0 ? { exitCode: ExitCode.checkFailed } : {}),
  };
}

/** Whole days in `ms`, truncated toward zero (the same number either side of a date). */
function wholeDays(ms: number): number {
  return Math.trunc(ms / DAY_MS) + 0;
}

function checkValidity(
  cert: CertificateFacts,
  now: number,
  options: KeysCheckOptions,
  passed: string[],
  warnings: KeyFinding[],
  failures: KeyFinding[],
): void {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  if (now >= cert.notAfter.getTime()) {
    failures.push(keyFinding('ERR_CERT_EXPIRED', { date: day(cert.notAfter), days: wholeDays(now - cert.notAfter.getTime()) }));
    return;
  }
  if (now < cert.notBefore.getTime()) {
    failures.push(keyFinding('ERR_CERT_NOT_YET_VALID', { date: cert.notBefore.toISOString() }));
    return;
  }
  const daysLeft = wholeDays(cert.notAfter.getTime() - now);
  if (daysLeft < options.expiryWarningDays) {
    warnings.push(keyFinding('WARN_CERT_EXPIRING', { days: daysLeft, date: day(cert.notAfter) }));
  } else {
    passed.push(`certificate valid for ${daysLeft} more days`);
  }
}

function renderText(json: KeysCheckJson): string {
  const rows: Array<[string, string]> = [];
  const yesNo = (value: boolean) => (value ? 'yes' : 'no');
  if (json.keySource) {
    rows.push(['Key', json.keySource]);
    rows.push(['Type', `${json.type}, ${json.bits} bits`]);
    rows.push(['Format', `${FORMAT_NAMES[json.format!]}${json.repairs.length > 0 ? ` (${json.repairs.join(', ')})` : ''}`]);
    if (json.fileMode) rows.push(['File mode', json.fileMode]);
    if (json.gitTracked !== null) rows.push(['Git', `tracked: ${yesNo(json.gitTracked)}, ignored: ${yesNo(Boolean(json.gitIgnored))}`]);
  }
  if (json.certFile) {
    rows.push(['Certificate', json.certFile]);
    rows.push(['Subject', json.subject!]);
    rows.push(['Not before', json.notBefore!]);
    rows.push(['Not after', `${json.notAfter} (${json.daysLeft! < 0 || json.failures.some((f) => f.code === 'ERR_CERT_EXPIRED') ? `expired ${-json.daysLeft!} days ago` : `${json.daysLeft} days left`})`]);
    rows.push(['Age', `${json.ageDays} days (max ${json.maxAgeDays})`]);
    if (json.match !== null) rows.push(['Key match', yesNo(json.match)]);
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}${value}`);
  lines.push('');
  for (const text of json.passed) lines.push(`OK    ${text}`);
  for (const finding of json.warnings) lines.push(`WARN  ${finding.message}`, `      Fix: ${finding.hint}`);
  for (const finding of json.failures) lines.push(`FAIL  ${finding.message}`, `      Fix: ${finding.hint}`);
  lines.push(
    '',
    json.ok
      ? `Result: OK${json.warnings.length > 0 ? ` (${json.warnings.length} warning${json.warnings.length === 1 ? '' : 's'})` : ''}`
      : `Result: FAILED (${json.failures.length} failure${json.failures.length === 1 ? '' : 's'}, ${json.warnings.length} warning${json.warnings.length === 1 ? '' : 's'})`,
  );
  return lines.join('\n');
}
