/**
 * The admin credential of step 2 (deploying the ECA's settings needs an admin, not the integration
 * user): an access token from an environment variable with the instance URL, or a command that
 * prints `sf org display --json`'s shape (`{"result": {"accessToken", "instanceUrl"}}`), run without
 * a shell. The token is registered for redaction as soon as it is read and never printed.
 */
import { isLoopbackHost } from '../applink/hosts.js';
import { checkToken } from '../applink/target.js';
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';
import { parseJson } from '../http.js';
import type { AdminCredential } from './ports.js';

export interface AdminCredentialOptions {
  /** `--admin-token-env`: the variable holding the access token. */
  adminTokenEnv: string;
  /** `--admin-instance-url` (else `SF_ADMIN_INSTANCE_URL`). */
  adminInstanceUrl?: string;
  /** `--admin-command`: prints `sf org display --json` output. */
  adminCommand?: string;
}

const HINT =
  'Give an admin access token in SF_ADMIN_ACCESS_TOKEN (or the variable --admin-token-env names) with --admin-instance-url, or --admin-command "sf org display --target-org <admin alias> --json".';

/** Splits a command line into argv: whitespace separates words, '...' and "..." group them (no other shell syntax). */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const char of line) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else word = (word ?? '') + char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word = word ?? '';
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + char;
  }
  if (quote !== undefined) throw new InputError('ERR_ROTATE_COMMAND', `The command "${line.slice(0, 80)}" has an unclosed ${quote} quote.`, { hint: 'Close the quote, or leave quotes out of the command.' });
  if (word !== undefined) words.push(word);
  return words;
}

/** The instance URL the Metadata API is called at: https, or http to loopback (the sandbox). */
export function checkInstanceUrl(raw: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new InputError('ERR_ROTATE_ADMIN_CREDENTIAL', `${source} is not a URL.`, { hint: 'Give the org instance URL, such as https://acme.my.salesforce.com (instanceUrl of sf org display --json).' });
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return new URL(url.origin);
  throw new InputError('ERR_ROTATE_ADMIN_CREDENTIAL', `${source} is ${url.origin}: the admin token is only sent over https (plain http only to a loopback address).`, {
    hint: 'Use the https:// instance URL of the org.',
  });
}

/**
 * Checks the admin options locally (no command run yet): what {@link resolveAdminCredential}
 * will do. Throws when neither form is given, or both.
 */
export function planAdminCredential(options: AdminCredentialOptions, env: Deps['env']): { command: string[] } | { tokenVariable: string; instanceUrl: URL } {
  if (options.adminCommand !== undefined) {
    if (options.adminInstanceUrl !== undefined) {
      throw new InputError('ERR_ROTATE_ADMIN_CREDENTIAL', '--admin-command and --admin-instance-url are both given; the command prints the instance URL.', { hint: 'Give one of them.' });
    }
    const command = splitCommand(options.adminCommand);
    if (command.length === 0) throw new InputError('ERR_ROTATE_ADMIN_CREDENTIAL', '--admin-command is empty.', { hint: HINT });
    return { command };
  }
  const token = env[options.adminTokenEnv];
  const instance = options.adminInstanceUrl ?? env.SF_ADMIN_INSTANCE_URL;
  const missing = [token ? undefined : `${options.adminTokenEnv} is not set`, instance ? undefined : '--admin-instance-url is not given and SF_ADMIN_INSTANCE_URL is not set'].filter(Boolean);
  if (missing.length > 0) {
    throw new InputError('ERR_ROTATE_ADMIN_CREDENTIAL', `No admin credential for the Metadata API deploy: ${missing.join(', and ')}, and no --admin-command is given.`, {
      hint: HINT,
      details: { inputs: [options.adminTokenEnv, '--admin-instance-url', 'SF_ADMIN_INSTANCE_URL', '--admin-command'] },
    });
  }
  checkToken(token!, options.adminTokenEnv);
  return { tokenVariable: options.adminTokenEnv, instanceUrl: checkInstanceUrl(instance!, options.adminInstanceUrl !== undefined ? '--admin-instance-url' : 'SF_ADMIN_INSTANCE_URL') };
}

/** Reads the credential (running the command when that is the form), registering the token as a secret. */
export async function resolveAdminCredential(
  plan: ReturnType<typeof planAdminCredential>,
  deps: Pick<Deps, 'env' | 'run' | 'cwd' | 'secrets'>,
): Promise<AdminCredential> {
  if ('tokenVariable' in plan) {
    const accessToken = checkToken(deps.env[plan.tokenVariable]!, plan.tokenVariable);
    deps.secrets?.add(accessToken);
    return { accessToken, instanceUrl: plan.instanceUrl.origin };
  }
  const [file, ...args] = plan.command;
  const shown = plan.command.join(' ');
  const result = await deps.run(file!, args, { cwd: deps.cwd });
  const body = parseJson(result.stdout);
  const record = typeof body === 'object' && body !== null ? ((body as Record<string, unknown>).result ?? body) : undefined;
  const fields = typeof record === 'object' && record !== null ? (record as Record<string, unknown>) : {};
  if (typeof fields.accessToken === 'string') deps.secrets?.add(fields.accessToken);
  if (result.exitCode !== 0 || typeof fields.accessToken !== 'string' || typeof fields.instanceUrl !== 'string') {
    const why = result.exitCode !== 0 ? `exited ${result.exitCode}` : body === undefined ? 'did not print JSON' : 'printed JSON without result.accessToken and result.instanceUrl';
    throw new InputError('ERR_ROTATE_ADMIN_CREDENTIAL', `The admin command (${shown}) ${why}.`, {
      hint: `Check that it runs on its own and prints sf org display --json output (log in first: sf org login web --alias <admin alias>). ${HINT}`,
      details: { exitCode: result.exitCode },
    });
  }
  return { accessToken: checkToken(fields.accessToken, `the accessToken printed by ${shown}`), instanceUrl: checkInstanceUrl(fields.instanceUrl, `the instanceUrl printed by ${shown}`).origin };
}
