/**
 * Orb script mutants that cannot change what a user gets, left out of the orb scripts' mutation
 * check with the reason (as Stryker's disable comments do for TypeScript). Matched by script, operator,
 * and the statement before and after, so a listed mutant comes back when its line changes.
 * Kept short: every entry is a claim that no test could tell the mutant apart.
 */
import type { ShellMutant } from './shell-mutants.js';

export interface EquivalentShellMutant {
  file: string;
  operator: ShellMutant['operator'];
  original: string;
  replacement: string;
  why: string;
}

const MAX_AGE_CHECK = 'if [[ ! "$max_age" =~ ^[0-9]+$ ]] || [ "$max_age" -lt 1 ] || [ "$max_age" -gt 36500 ]; then';
const INTEGER_PARAMETER =
  'max_age_days is an orb parameter of type integer (CircleCI refuses anything else when it compiles the config), so the value is digits with an optional minus sign; with either anchor dropped, every such value is still accepted or refused by the range test alone, with the same message.';

export const EQUIVALENT_SHELL_MUTANTS: readonly EquivalentShellMutant[] = [
  { file: 'orb/src/scripts/check_key.sh', operator: 'regex-anchor', original: MAX_AGE_CHECK, replacement: MAX_AGE_CHECK.replace('=~ ^', '=~ '), why: INTEGER_PARAMETER },
  { file: 'orb/src/scripts/check_key.sh', operator: 'regex-anchor', original: MAX_AGE_CHECK, replacement: MAX_AGE_CHECK.replace('$ ]]', ' ]]'), why: INTEGER_PARAMETER },
];

/** The listed entry `mutant` is, if any. */
export function equivalentEntry(mutant: ShellMutant, list: readonly EquivalentShellMutant[] = EQUIVALENT_SHELL_MUTANTS): EquivalentShellMutant | undefined {
  return list.find((entry) => entry.file === mutant.file && entry.operator === mutant.operator && entry.original === mutant.original && entry.replacement === mutant.replacement);
}
