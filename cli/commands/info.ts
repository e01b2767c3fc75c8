/** `applink-jwt info <developer-name>`: one AppLink authorization (by developer name, alias or id). */
import { getAuthorization } from '../applink/applink-api.js';
import { describeAuthorization, stripTokens, type Authorization } from '../applink/authorization.js';
import { validateAlias } from '../applink/developer-name.js';
import { planTarget, resolveTarget, targetJson, type AddonSelectionOptions, type TargetJson } from '../applink/target.js';
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';
import { InputProblems } from '../input/problems.js';
import type { CommandResult } from '../output.js';

export interface InfoOptions extends AddonSelectionOptions {
  developerName: string;
  json: boolean;
}

/** The `result` of `info --json`. */
export interface InfoJson extends TargetJson {
  /** The AppLink API's authorization object, unchanged (snake_case), without any token. */
  authorization: Authorization;
}

/**
 * Shows one authorization. An unknown name is `ERR_AUTHORIZATION_NOT_FOUND` (exit 5), whose hint
 * says how to list the authorizations.
 */
export async function runInfo(options: InfoOptions, deps: Deps): Promise<CommandResult<InfoJson>> {
  const problems = new InputProblems();
  const name = problems.check(() => checkLookupName(options.developerName));
  const plan = await problems.checkAsync(() => planTarget(options, deps));
  problems.throwIfAny();
  if (name === undefined || plan === undefined) throw new Error('unreachable');
  for (const note of plan.notes ?? []) deps.progress.note(note);
  const target = await resolveTarget(plan, deps);
  const authorization = stripTokens(await getAuthorization(target, name, deps));
  return { json: { ...targetJson(target), authorization }, text: describeAuthorization(authorization).join('\n'), warnings: plan.warnings };
}

/**
 * A name to look up: a developer name, an alias or an id. Authorizations made elsewhere may not
 * follow our developer-name rule (the plugin's examples use hyphens), so only the alias rule applies.
 */
export function checkLookupName(name: string): string {
  if (!/[A-Za-z0-9]/.test(name) && name !== '') {
    // `.` or `..` would address another resource (`remove .. --yes` would DELETE /addons/<id>/).
    throw new InputError('ERR_DEVELOPER_NAME', `Developer name "${name.slice(0, 60)}" is invalid: it holds no letter or digit.`, {
      hint: 'Give the developer name (or alias) as applink-jwt list shows it.',
    });
  }
  try {
    return validateAlias(name);
  } catch (error) {
    throw new InputError('ERR_DEVELOPER_NAME', (error as Error).message.replace('Alias (--alias)', 'Developer name'), {
      hint: 'Give the developer name (or alias) as applink-jwt list shows it.',
    });
  }
}
