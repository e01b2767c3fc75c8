/**
 * `applink-jwt remove <developer-name>`: removes an AppLink authorization. It never removes
 * without a confirmation: `--yes`, `--confirm <developer-name>`, or an answer on a terminal.
 *
 * The authorization is looked up before the DELETE: a retried DELETE that ends in 404 is then
 * known to have removed it (an earlier attempt's answer was lost), and an unknown name is never
 * reported as removed. A DELETE that keeps failing is followed by a GET, and the error says
 * whether the authorization is still there (`details.state`: `unchanged` or `unknown`).
 */
import { deleteAuthorization, findAuthorization, notFoundError } from '../applink/applink-api.js';
import { developerNameOf } from '../applink/authorization.js';
import { annotate } from '../applink/jwt-authorization.js';
import type { AppLinkTarget } from '../applink/platform-api.js';
import { planTarget, resolveTarget, type AddonSelectionOptions } from '../applink/target.js';
import type { Deps } from '../deps.js';
import { AppError, InputError, InterruptedError } from '../errors.js';
import { InputProblems } from '../input/problems.js';
import type { CommandResult } from '../output.js';
import { checkLookupName } from './info.js';

export interface RemoveOptions extends AddonSelectionOptions {
  developerName: string;
  yes: boolean;
  /** `--confirm <developer-name>`: must repeat the developer name. */
  confirm?: string;
  /** `--ignore-missing`: no authorization of that name is a success (nothing removed). */
  ignoreMissing?: boolean;
  json: boolean;
}

export interface RemoveResult {
  /** The name removed; null when there was none (`--ignore-missing`). */
  removed: string | null;
  developerName: string;
  addon: string;
  app?: string;
  mode: 'platform' | 'direct';
}

/** Removes the authorization once confirmed. An unknown name is `ERR_AUTHORIZATION_NOT_FOUND`. */
export async function runRemove(options: RemoveOptions, deps: Deps): Promise<CommandResult<RemoveResult>> {
  const problems = new InputProblems();
  const name = problems.check(() => checkLookupName(options.developerName));
  const plan = await problems.checkAsync(() => planTarget(options, deps));
  // Which app a git remote chose, before any confirmation prompt.
  for (const note of plan?.notes ?? []) deps.progress.note(note);
  // A terminal prompt only once everything else is right; a refusal without one is another problem.
  const prompts = options.confirm === undefined && !options.yes && deps.stdinIsTTY && deps.prompt !== undefined && !options.json;
  if (name !== undefined && (!prompts || problems.count === 0)) await problems.checkAsync(() => confirmRemoval(name, options, deps));
  problems.throwIfAny();
  if (name === undefined || plan === undefined) throw new Error('unreachable');
  const target = await resolveTarget(plan, deps);
  const on = target.mode === 'platform' ? `add-on ${target.addonName} of app ${target.appName}` : `add-on ${target.addonId} (direct mode)`;
  const where = { addon: target.addonName, ...(target.appName ? { app: target.appName } : {}), mode: target.mode };
  const missing = (text: string) => {
    if (!options.ignoreMissing) throw notFoundError(target, name);
    return { json: { removed: null, developerName: name, ...where }, text, warnings: plan.warnings };
  };
  // Re-read before acting: the DELETE names the id read here, never whatever holds the name later.
  const found = await findAuthorization(target, name, deps);
  if (found === undefined) return missing(`No authorization ${name} on ${on}: nothing to remove (--ignore-missing).`);
  const removed = await removeFound(target, String(found.id), developerNameOf(found) ?? name, deps);
  if (!removed) return missing(`Authorization ${name} was removed by someone else before this run's DELETE: nothing removed (--ignore-missing).`);
  return {
    json: { removed: name, developerName: name, ...where },
    text: `Removed authorization ${name} from ${on}.`,
    warnings: plan.warnings,
  };
}

/**
 * The DELETE, by id, of an authorization just read; a failure is checked with a GET before it is
 * reported. False when the first DELETE found it gone (someone else removed it): not "removed".
 */
async function removeFound(target: AppLinkTarget, id: string, developerName: string, deps: Deps): Promise<boolean> {
  try {
    return (await deleteAuthorization(target, id, deps)) !== 'not-found';
  } catch (error) {
    if (!(error instanceof AppError) || error instanceof InterruptedError) throw error;
    let stillThere: boolean;
    try {
      stillThere = (await findAuthorization(target, id, deps)) !== undefined;
    } catch {
      const app = target.mode === 'platform' ? ` -a ${target.appName}` : '';
      throw annotate(error, 'unknown', `Authorization ${developerName} may or may not have been removed: check with applink-jwt info ${developerName}${app}.`);
    }
    // Gone: an attempt whose answer was lost removed it, which is what was asked for.
    if (!stillThere) return true;
    throw annotate(error, 'unchanged', `Authorization ${developerName} was not removed.`);
  }
}

async function confirmRemoval(name: string, options: RemoveOptions, deps: Deps): Promise<void> {
  if (options.confirm !== undefined) {
    if (options.confirm === name) return;
    throw new InputError('ERR_CONFIRM_MISMATCH', `--confirm "${options.confirm.slice(0, 60)}" does not match the developer name ${name}; nothing was removed.`, {
      hint: `Pass --confirm ${name} (or --yes) to remove it.`,
    });
  }
  if (options.yes) return;
  if (!deps.stdinIsTTY || deps.prompt === undefined || options.json) {
    throw new InputError('ERR_CONFIRM_REQUIRED', `Refusing to remove ${name} without a confirmation: standard input is not a terminal${options.json ? ' (or --json was given)' : ''}.`, {
      hint: `Pass --yes, or --confirm ${name}, to remove it.`,
    });
  }
  const answer = (await deps.prompt(`Remove the AppLink authorization ${name}? Type its developer name to confirm: `)).trim();
  if (answer !== name) {
    throw new InputError('ERR_CONFIRM_MISMATCH', `The answer did not match the developer name ${name}; nothing was removed.`, {
      hint: `Type ${name} exactly, or pass --yes.`,
    });
  }
}
