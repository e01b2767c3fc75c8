/** `applink-jwt list`: the AppLink authorizations of the add-on, as a table or JSON (no tokens). */
import { listAuthorizations } from '../applink/applink-api.js';
import { developerNameOf, formatAuthorizationTable, stripTokens, type Authorization } from '../applink/authorization.js';
import { planTarget, resolveTarget, targetJson, type AddonSelectionOptions, type TargetJson } from '../applink/target.js';
import type { Deps } from '../deps.js';
import type { CommandResult } from '../output.js';
import { DEFAULT_COLUMNS, wrapText } from '../text.js';

export interface ListOptions extends AddonSelectionOptions {
  json: boolean;
}

/** The `result` of `list --json`. */
export interface ListJson extends TargetJson {
  /** The AppLink API's authorization objects, unchanged (snake_case), without any token. */
  authorizations: Authorization[];
}

/** Lists the authorizations: developer name, type, status, alias, org id, username, last modified. */
export async function runList(options: ListOptions, deps: Deps): Promise<CommandResult<ListJson>> {
  const plan = await planTarget(options, deps);
  for (const note of plan.notes ?? []) deps.progress.note(note);
  const target = await resolveTarget(plan, deps);
  const authorizations = stripTokens(await listAuthorizations(target, deps));
  const on = target.mode === 'platform' ? `add-on ${target.addonName} on app ${target.appName}` : `add-on ${target.addonId} (direct mode)`;
  if (authorizations.length === 0) {
    return { json: { ...targetJson(target), authorizations }, text: `There are no Heroku AppLink authorizations for ${on}.`, warnings: plan.warnings };
  }
  const failed = authorizations.filter((authorization) => ['failed', 'error', 'disconnected'].includes(authorization.status));
  const lines = [formatAuthorizationTable(authorizations, deps.columns ?? DEFAULT_COLUMNS)];
  if (failed.length > 0) {
    const names = failed.map((authorization) => developerNameOf(authorization) ?? String(authorization.id)).join(', ');
    lines.push('', `Not working: ${names}. See why with applink-jwt info <developer-name>${target.mode === 'platform' ? ` -a ${target.appName}` : ''}; re-create with applink-jwt authorize <developer-name> --replace.`);
  }
  return { json: { ...targetJson(target), authorizations }, text: wrapText(lines.join('\n'), deps.columns), warnings: plan.warnings };
}
