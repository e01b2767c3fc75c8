/**
 * Keeps the error catalogues (docs/troubleshooting.md is generated from them) equal to what the
 * CLI really raises: every `ERR_`/`WARN_` code in cli/ is in exactly one catalogue, every entry of
 * the AppLink and general catalogues is raised somewhere, and each `new <Class>Error('ERR_...')`
 * site ends with the exit code its catalogue entry documents.
 */
import { describe, expect, it } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { APPLINK_ERRORS } from '../../cli/applink/catalogue.js';
import { CIRCLECI_ERRORS } from '../../cli/circleci/catalogue.js';
import { GENERAL_ERRORS, SALESFORCE_INPUT_ERRORS } from '../../cli/error-catalogue.js';
import { ExitCode } from '../../cli/errors.js';
import { KEY_CATALOGUE } from '../../cli/keys/errors.js';
import { SALESFORCE_ERRORS } from '../../cli/salesforce/catalogue.js';
import { SALESFORCE_METADATA_ERRORS } from '../../cli/salesforce/metadata-catalogue.js';
import { ROOT } from '../support/harness.js';

/** Files that define catalogues (their codes are data, not raise sites). */
const CATALOGUE_FILES = ['cli/applink/catalogue.ts', 'cli/circleci/catalogue.ts', 'cli/error-catalogue.ts', 'cli/keys/errors.ts', 'cli/salesforce/catalogue.ts', 'cli/salesforce/metadata-catalogue.ts'];
/** Directories under cli/ that raise no CLI error codes (none today; orb tooling lives in scripts/orb). */
const SKIPPED_DIRS: string[] = [];
/** Codes in cli/ that belong to something else. */
const FOREIGN_CODES: Record<string, string> = { ERR_MISSING_PASSPHRASE: "Node.js's own error code, tested by cli/keys/load.ts" };

const CLASS_EXIT: Record<string, number> = {
  UsageError: ExitCode.usage,
  InputError: ExitCode.input,
  SalesforceError: ExitCode.salesforce,
  HerokuError: ExitCode.heroku,
  AuthorizationFailedError: ExitCode.authorizationFailed,
  TimeoutError: ExitCode.timeout,
  NetworkError: ExitCode.network,
  CheckFailedError: ExitCode.checkFailed,
};

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.includes(path)) files.push(...(await sourceFiles(path)));
    } else if (entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

const catalogues: Record<string, string[]> = {
  SALESFORCE_ERRORS: [...new Set(SALESFORCE_ERRORS.map((entry) => entry.code))],
  KEY_CATALOGUE: Object.keys(KEY_CATALOGUE),
  APPLINK_ERRORS: APPLINK_ERRORS.map((entry) => entry.code),
  CIRCLECI_ERRORS: CIRCLECI_ERRORS.map((entry) => entry.code),
  SALESFORCE_INPUT_ERRORS: SALESFORCE_INPUT_ERRORS.map((entry) => entry.code),
  GENERAL_ERRORS: GENERAL_ERRORS.map((entry) => entry.code),
  SALESFORCE_METADATA_ERRORS: SALESFORCE_METADATA_ERRORS.map((entry) => entry.code),
};
const exitOf = new Map<string, number>([
  ...SALESFORCE_ERRORS.map((entry) => [entry.code, entry.exitCode] as const),
  ...Object.entries(KEY_CATALOGUE).map(([code, entry]) => [code, entry.kind === 'input' ? 3 : entry.kind === 'failure' ? 9 : 0] as const),
  ...[...APPLINK_ERRORS, ...CIRCLECI_ERRORS, ...SALESFORCE_INPUT_ERRORS, ...GENERAL_ERRORS, ...SALESFORCE_METADATA_ERRORS].map((entry) => [entry.code, entry.exitCode] as const),
]);

async function raiseSites(): Promise<{ codes: Map<string, string[]>; sites: Array<{ file: string; code: string; exitCode: number; how: string }> }> {
  const codes = new Map<string, string[]>();
  const sites: Array<{ file: string; code: string; exitCode: number; how: string }> = [];
  for (const file of await sourceFiles('cli')) {
    if (CATALOGUE_FILES.includes(file)) continue;
    const text = await readFile(join(ROOT, file), 'utf8');
    for (const match of text.matchAll(/'((?:ERR|WARN)_[A-Z0-9_]+)'/g)) codes.set(match[1]!, [...(codes.get(match[1]!) ?? []), file]);
    for (const match of text.matchAll(/new (\w+Error)\(\s*'(ERR_[A-Z0-9_]+)'/g)) {
      const exitCode = CLASS_EXIT[match[1]!];
      if (exitCode !== undefined) sites.push({ file, code: match[2]!, exitCode, how: `new ${match[1]}` });
    }
    for (const match of text.matchAll(/new AppError\(\s*'(ERR_[A-Z0-9_]+)'[^;]*?ExitCode\.(\w+)/g)) {
      sites.push({ file, code: match[1]!, exitCode: ExitCode[match[2] as keyof typeof ExitCode], how: 'new AppError' });
    }
  }
  return { codes, sites };
}

describe('error catalogues', () => {
  it('hold each code once, across all catalogues', () => {
    const all = Object.values(catalogues).flat();
    expect(all.filter((code, index) => all.indexOf(code) !== index)).toEqual([]);
  });

  it('cover every code cli/ raises or reports', async () => {
    const { codes } = await raiseSites();
    const documented = new Set(Object.values(catalogues).flat());
    const missing = [...codes.keys()].filter((code) => !documented.has(code) && !(code in FOREIGN_CODES)).map((code) => `${code} (${codes.get(code)!.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('hold no AppLink or general entry that cli/ never raises', async () => {
    const { codes } = await raiseSites();
    const stale = [...catalogues.APPLINK_ERRORS!, ...catalogues.CIRCLECI_ERRORS!, ...catalogues.SALESFORCE_INPUT_ERRORS!, ...catalogues.GENERAL_ERRORS!, ...catalogues.SALESFORCE_METADATA_ERRORS!].filter((code) => !codes.has(code));
    expect(stale).toEqual([]);
  });

  it('document the exit code each raise site ends with', async () => {
    const { sites } = await raiseSites();
    expect(sites.length).toBeGreaterThan(50);
    const wrong = sites
      .filter((site) => exitOf.get(site.code) !== site.exitCode)
      .map((site) => `${relative('.', site.file)}: ${site.how}('${site.code}') exits ${site.exitCode}, the catalogue says ${exitOf.get(site.code)}`);
    expect(wrong).toEqual([]);
  });

  it('are plain data with a title, cause and fix for every entry', () => {
    for (const entry of [...APPLINK_ERRORS, ...CIRCLECI_ERRORS, ...SALESFORCE_INPUT_ERRORS, ...GENERAL_ERRORS, ...SALESFORCE_METADATA_ERRORS]) {
      expect(entry.code).toMatch(/^ERR_[A-Z0-9_]+$/);
      expect(entry.title.length).toBeGreaterThan(3);
      expect(entry.cause).toMatch(/\.$/);
      expect(entry.fix).toMatch(/\.$/);
      expect(entry.commands.length).toBeGreaterThan(0);
    }
    expect(JSON.parse(JSON.stringify(APPLINK_ERRORS))).toEqual(APPLINK_ERRORS);
  });
});
