/**
 * `applink-jwt verify`: the Salesforce preflight alone. Loads the key, signs an assertion and
 * runs the JWT bearer exchange (and the Data Cloud exchange with `--type datacloud`) against
 * Salesforce, then prints what Salesforce said about the org and user. Never prints a token.
 */
import type { Deps } from '../deps.js';
import { InputProblems } from '../input/problems.js';
import { loadPrivateKey, type KeySourceOptions, type LoadedKey } from '../keys/load.js';
import type { CommandResult } from '../output.js';
import { resolveLogin, type LoginOptions } from '../salesforce/login-input.js';
import { runPreflight, type PreflightResult } from '../salesforce/preflight.js';

export interface VerifyOptions extends KeySourceOptions, LoginOptions {
  /** `--timeout`: of each Salesforce request. */
  timeoutMs: number;
  json: boolean;
}

/** The `--json` document of a successful verify (plus `warnings` when there are any). */
export interface VerifyJson extends Omit<PreflightResult, 'warnings'> {
  type: 'salesforce' | 'datacloud';
  key: { source: string; bits: number; format: LoadedKey['format'] };
}

/**
 * Runs the preflight. Local input (client id, username, login URL, audience, data space, key) is
 * checked before anything is sent; a Salesforce refusal is a catalogued error (exit 4).
 */
export async function runVerify(options: VerifyOptions, deps: Deps): Promise<CommandResult<VerifyJson>> {
  // Every local problem at once; nothing is sent yet.
  const problems = new InputProblems();
  const login = await problems.checkAsync(() => resolveLogin(options, deps));
  const key = await problems.checkAsync(() => loadPrivateKey(options, deps));
  problems.throwIfAny();
  if (login === undefined || key === undefined) throw new Error('unreachable');
  // verify has --timeout: its timeout hints name it, as authorize's do.
  const result = await runPreflight(key.privateKey, { ...login.options, timeoutMs: options.timeoutMs }, { ...deps, timeoutOption: true } as Deps);
  const json: VerifyJson = {
    type: options.type,
    orgId: result.orgId,
    userId: result.userId,
    username: result.username,
    instanceUrl: result.instanceUrl,
    loginUrl: result.loginUrl,
    audience: result.audience,
    scopes: result.scopes,
    ...(result.dataCloud ? { dataCloud: result.dataCloud } : {}),
    key: { source: key.source, bits: key.bits, format: key.format },
  };
  return { json, text: formatVerify(result, key, options.type), warnings: [...key.warnings, ...result.warnings] };
}

function formatVerify(result: PreflightResult, key: LoadedKey, type: 'salesforce' | 'datacloud'): string {
  const rows: Array<[string, string]> = [
    ['Org ID', result.orgId],
    ['User ID', result.userId],
    ['Username', result.username],
    ['Instance URL', result.instanceUrl],
    ['Login URL', result.loginUrl],
    ['Audience', result.audience],
    ['Scopes', result.scopes.join(' ') || '(none)'],
  ];
  if (result.dataCloud) rows.push(['Data Cloud', result.dataCloud.tenantUrl]);
  rows.push(['Key', `${key.source} (RSA ${key.bits})`]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  const heading =
    type === 'datacloud'
      ? `Salesforce accepted the assertion for ${result.username}, and Data Cloud issued a token.`
      : `Salesforce accepted the assertion for ${result.username}.`;
  return [heading, ...rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)} ${value}`)].join('\n');
}
