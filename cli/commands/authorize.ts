/**
 * `applink-jwt authorize <developer-name>`: what `heroku salesforce:authorizations:jwt:add` and
 * `heroku datacloud:authorizations:jwt:add` do, without the Heroku CLI, and checked end to end:
 * local input first (no network when it is bad), the Salesforce preflight, the add-on resolution,
 * the POST (or a rotation with `--replace`), then a poll until the authorization settles.
 */
import { defaultAlias, validateAlias, validateDeveloperName } from '../applink/developer-name.js';
import { addJwtAuthorization, type IfExists } from '../applink/jwt-authorization.js';
import { describeAuthorization, stripTokens, type Authorization } from '../applink/authorization.js';
import { appendHandoff, checkAppendable, handoffLines } from '../applink/env-handoff.js';
import { planTarget, resolveTarget, targetJson, type AddonSelectionOptions, type TargetJson } from '../applink/target.js';
import type { Deps } from '../deps.js';
import { AppError, InterruptedError } from '../errors.js';
import type { CommandResult } from '../output.js';
import { InputProblems } from '../input/problems.js';
import { loadPrivateKey, type KeySourceOptions } from '../keys/load.js';
import { SALESFORCE_ERRORS } from '../salesforce/catalogue.js';
import { resolveLogin, type LoginOptions } from '../salesforce/login-input.js';
import { runPreflight, type PreflightResult } from '../salesforce/preflight.js';

export interface AuthorizeOptions extends KeySourceOptions, AddonSelectionOptions, LoginOptions {
  developerName: string;
  /** `--alias`. */
  alias?: string;
  replace: boolean;
  /** `--if-exists fail|skip|replace` (`replace` is `--replace`). */
  ifExists?: IfExists;
  preflight: boolean;
  /** How long to wait for the authorization to settle. */
  timeoutMs: number;
  json: boolean;
  /** `--append-env <file>`: export lines for later CI steps (cli/applink/env-handoff.ts). */
  appendEnv?: string;
}

/** Timeout of each Salesforce request of the preflight. */
const PREFLIGHT_TIMEOUT_MS = 15_000;

/** The `result` of `authorize --json`: what was done, and the authorization as the AppLink API has it. */
export interface AuthorizeJson extends TargetJson {
  developerName: string;
  type: 'salesforce' | 'datacloud';
  /** Whether an existing authorization was replaced (`--replace`). */
  rotated: boolean;
  /** What the preflight found; `null` with `--no-preflight`. */
  preflight: { orgId: string; userId: string; username: string } | null;
  /** The AppLink API's authorization object, unchanged (snake_case), without any token. */
  authorization: Authorization;
}

/**
 * Runs the whole authorization. Exit 0 only when the authorization is `authorized`; `--json`
 * prints the final authorization without any token field.
 */
export async function runAuthorize(options: AuthorizeOptions, deps: Deps): Promise<CommandResult<AuthorizeJson>> {
  // 1. Everything local, before any network call; every problem at once.
  const problems = new InputProblems();
  const developerName = problems.check(() => validateDeveloperName(options.developerName));
  // The default alias derives from the name: a bad name is one problem, not two.
  const alias = options.alias === undefined && developerName === undefined ? undefined : problems.check(() => validateAlias(options.alias ?? defaultAlias(developerName!)));
  const plan = await problems.checkAsync(() => planTarget(options, deps));
  const login = await problems.checkAsync(() => resolveLogin(options, deps));
  const key = await problems.checkAsync(() => loadPrivateKey(options, deps));
  const appendTo = options.appendEnv === undefined ? undefined : await problems.checkAsync(() => checkAppendable(options.appendEnv!, deps));
  problems.throwIfAny();
  if (developerName === undefined || alias === undefined || plan === undefined || login === undefined || key === undefined) throw new Error('unreachable');
  for (const note of plan.notes ?? []) deps.progress.note(note);
  const input = login.input;
  const preflightOptions = { ...login.options, timeoutMs: PREFLIGHT_TIMEOUT_MS };
  const warnings = [...plan.warnings, ...key.warnings, ...input.warnings];
  // --timeout bounds the whole run from here: every request and pause inside ends by it.
  deps = { ...deps, deadlineAt: deps.now() + options.timeoutMs, timeoutOption: true } as Deps;

  try {
    // 2. The preflight: nothing goes to Heroku when Salesforce refuses the key.
    let preflight: PreflightResult | undefined;
    if (options.preflight) {
      preflight = await runPreflight(key.privateKey, preflightOptions, deps);
      for (const warning of preflight.warnings) if (!warnings.includes(warning)) warnings.push(warning);
    }

    // 3. The add-on.
    const where = plan.mode === 'platform' ? plan.resolve.app : 'the add-on in HEROKU_APPLINK_API_URL';
    deps.progress.start(`Adding credentials for ${input.username} to ${where} as ${developerName}`);
    let target;
    try {
      target = await resolveTarget(plan, deps);
    } catch (error) {
      deps.progress.stop('failed');
      throw error;
    }

    // 4-5. The POST (or rotation) and the poll.
    let result;
    try {
      result = await addJwtAuthorization(
        {
          target,
          request: {
            type: options.type,
            developerName,
            alias,
            clientId: input.clientId,
            username: input.username,
            ...(login.loginUrlGiven ? { loginUrl: input.loginUrl.origin } : {}),
            privateKeyPem: key.uploadPem,
          },
          replace: options.replace || options.ifExists === 'replace',
          ifExists: options.ifExists,
          ...(preflight ? { expectedOrgId: preflight.orgId } : {}),
          timeoutMs: options.timeoutMs,
          salesforceHint,
        },
        deps,
      );
    } catch (error) {
      deps.progress.stop(error instanceof AppError && error.code === 'ERR_AUTHORIZATION_FAILED' ? 'failed' : 'stopped');
      throw error;
    }
    deps.progress.stop(result.skipped ? 'Already authorized (skipped)' : result.rotated ? 'Authorized (rotated)' : 'Authorized');

    const authorization = stripTokens(result.authorization);
    const on = target.mode === 'platform' ? `add-on ${target.addonName} of app ${target.appName}` : `add-on ${target.addonId} (direct mode)`;
    const lines = [
      result.skipped
        ? `Left ${developerName} (${options.type === 'datacloud' ? 'Data Cloud' : 'Salesforce'}) on ${on} as it was (--if-exists skip): it is authorized for the same org, client id and username.`
        : `${result.rotated ? 'Rotated' : 'Authorized'} ${developerName} (${options.type === 'datacloud' ? 'Data Cloud' : 'Salesforce'}) on ${on}${result.rotated ? ': the previous authorization was replaced with one using the new key' : ''}.`,
      ...(preflight ? [`Preflight: Salesforce accepted the key for ${preflight.username} (org ${preflight.orgId}).`] : ['Preflight: skipped (--no-preflight).']),
      '',
      ...describeAuthorization(authorization),
    ];
    const json: AuthorizeJson = {
      developerName,
      type: options.type,
      rotated: result.rotated,
      ...targetJson(target),
      preflight: preflight ? { orgId: preflight.orgId, userId: preflight.userId, username: preflight.username } : null,
      authorization,
    };
    if (appendTo !== undefined) {
      const handoff = handoffLines({
        APPLINK_DEVELOPER_NAME: developerName,
        APPLINK_ALIAS: authorization.alias ?? alias,
        APPLINK_ORG_ID: authorization.org.id ?? undefined,
        APPLINK_INSTANCE_URL: authorization.org.instance_url ?? undefined,
      });
      await appendHandoff(appendTo, handoff.text, deps);
      warnings.push(...handoff.warnings);
      lines.splice(2, 0, `Appended ${handoff.written.join(', ')} to ${options.appendEnv} for later steps.`);
    }
    return { json, text: lines.join('\n'), warnings };
  } catch (error) {
    throw withNothingSent(error);
  }
}

/**
 * An error before the AppLink flow started (preflight, add-on lookup) changed nothing: record it as
 * `details.state: unchanged`, and say so in the message of an interrupt.
 */
function withNothingSent(error: unknown): unknown {
  if (!(error instanceof AppError) || error.details?.state !== undefined) return error;
  if (!(error instanceof InterruptedError)) {
    const copy = new AppError(error.code, error.message, error.exitCode, { hint: error.hint, cause: error, details: { ...error.details, state: 'unchanged' } });
    copy.name = error.name;
    return copy;
  }
  const signal = error.code === 'ERR_TERMINATED' ? 'SIGTERM' : 'SIGINT';
  return new InterruptedError(signal, `${error.message} Nothing was sent to the AppLink API; no authorization was created or changed.`, {
    hint: 'Run the command again when ready.',
    details: { state: 'unchanged' },
    cause: error,
  });
}

/**
 * The catalogue's fix for a Salesforce error quoted in the AppLink API's `error.message` (the
 * AppLink API runs the same JWT bearer exchange as our preflight, so it fails the same ways).
 */
export function salesforceHint(message: string): string | undefined {
  const text = message.toLowerCase();
  const entry =
    SALESFORCE_ERRORS.find((candidate) => candidate.descriptions.some((description) => text.includes(description))) ??
    SALESFORCE_ERRORS.find((candidate) => candidate.error !== undefined && candidate.descriptions.length === 0 && new RegExp(`\\b${candidate.error}\\b`).test(text) && candidate.error !== 'invalid_grant');
  return entry === undefined ? undefined : `Salesforce refused the key (${entry.title}): ${entry.hint}`;
}
