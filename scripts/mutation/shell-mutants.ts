/**
 * Mutants of a bash script, for the orb scripts' mutation check (StrykerJS mutates TypeScript
 * only). Generated from the script's text by a few operators, so the set follows the scripts as
 * they change: drop a statement, drop one argument of an argv array, negate a test, swap `||` and
 * `&&`, change a `${VAR:-default}` fallback, turn a failing exit into a success, drop a regex
 * anchor. A mutant that is not valid bash is discarded by the runner (`bash -n`), as Stryker
 * discards mutants that do not compile.
 */

export type ShellOperator = 'drop-statement' | 'drop-argument' | 'negate-test' | 'swap-logic' | 'default-value' | 'exit-status' | 'regex-anchor';

export interface ShellMutant {
  /** Path of the script, as given. */
  file: string;
  /** 1-based number of the first line changed. */
  line: number;
  operator: ShellOperator;
  /** The statement before and after (one line; a continued statement is joined with a space). */
  original: string;
  replacement: string;
  /** The whole script with the mutation applied. */
  text: string;
}

/** A statement: one line, or several joined by a trailing backslash. */
interface Statement {
  first: number;
  last: number;
  text: string;
}

const STRUCTURAL = /^(if |elif |while |until |for |case |else$|fi$|done$|esac$|then$|do$|\}$|;;$|local |[A-Za-z_][A-Za-z0-9_]*\(\) \{$)/;
/** Lines that are not the script's logic: `set` options and the utils `eval`. */
const SKIPPED = /^(set -[a-z]+|eval "\$\{APPLINK_SCRIPT_UTILS)/;
/** The guard that runs the script's function when executed (not sourced): it and what follows are not mutated. */
const ENTRY_GUARD = /^if \[ "\$\{BASH_SOURCE/;

function statementsOf(lines: readonly string[]): Statement[] {
  const statements: Statement[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const first = index;
    const parts = [lines[index]!.trim()];
    while (lines[index]!.endsWith('\\') && index + 1 < lines.length) {
      parts[parts.length - 1] = parts[parts.length - 1]!.replace(/\s*\\$/, '');
      index += 1;
      parts.push(lines[index]!.trim());
    }
    statements.push({ first, last: index, text: parts.join(' ') });
  }
  return statements;
}

/** Splits the inside of `( ... )` (or an `exec` line) into words, keeping quoted words whole. */
function words(text: string): string[] {
  const found: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const char of text) {
    if (quote) {
      current += char;
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      current += char;
      quote = char;
    } else if (char === ' ') {
      if (current) found.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current) found.push(current);
  return found;
}

/** Each way to remove one `--flag` (with its value when one follows) from an argv statement. */
function argumentDrops(statement: string): string[] {
  const array = /^(args\+?=\()(.*)(\))(.*)$/.exec(statement);
  const exec = /^(exec applink-jwt )(.*)()()$/.exec(statement);
  const match = array ?? exec;
  if (!match) return [];
  const [, head, inner, close, tail] = match as unknown as [string, string, string, string, string];
  const list = words(inner);
  const drops: string[] = [];
  list.forEach((word, index) => {
    if (!/^"?--?[a-z]/.test(word)) return;
    const next = list[index + 1];
    const span = next !== undefined && !/^"?--?[a-z]/.test(next) ? 2 : 1;
    const kept = [...list.slice(0, index), ...list.slice(index + span)];
    // Dropping the only argument is the drop-statement mutant.
    if (kept.length > 0) drops.push(`${head}${kept.join(' ')}${close}${tail}`);
  });
  return drops;
}

/** Every replacement of one occurrence of `from` by `to` in `text`. */
function eachOccurrence(text: string, from: RegExp, to: (match: string) => string): string[] {
  const results: string[] = [];
  const global = new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`);
  for (const match of text.matchAll(global)) {
    const start = match.index;
    results.push(text.slice(0, start) + to(match[0]) + text.slice(start + match[0].length));
  }
  return results;
}

function mutationsOf(statement: string): Array<{ operator: ShellOperator; replacement: string }> {
  const out: Array<{ operator: ShellOperator; replacement: string }> = [];
  const add = (operator: ShellOperator, replacements: string[]) => replacements.forEach((replacement) => out.push({ operator, replacement }));
  if (!STRUCTURAL.test(statement)) add('drop-statement', [':']);
  add('drop-argument', argumentDrops(statement));
  add('negate-test', [
    ...eachOccurrence(statement, /\[ -z /, () => '[ -n '),
    ...eachOccurrence(statement, /\[ -n /, () => '[ -z '),
    ...eachOccurrence(statement, /\[ -([fxd]) /, (m) => `[ ! ${m.slice(2)}`),
    ...eachOccurrence(statement, /\[\[ ! /, () => '[[ '),
    ...eachOccurrence(statement, /" = "/, () => '" != "'),
    ...eachOccurrence(statement, /" != "/, () => '" = "'),
    ...eachOccurrence(statement, /\bif applink_is_true /, () => 'if ! applink_is_true '),
    ...eachOccurrence(statement, /\bif ! applink_is_true /, () => 'if applink_is_true '),
    ...eachOccurrence(statement, /\bif command -v /, () => 'if ! command -v '),
  ]);
  add('swap-logic', [...eachOccurrence(statement, / \|\| /, () => ' && '), ...eachOccurrence(statement, / && /, () => ' || ')]);
  add('default-value', [
    ...eachOccurrence(statement, /:-true\}/, () => ':-false}'),
    ...eachOccurrence(statement, /:-false\}/, () => ':-true}'),
    ...eachOccurrence(statement, /:-[0-9]+\}/, () => ':-0}'),
    // Not true/false: an empty fallback of a boolean is the false one (or the swap above).
    ...eachOccurrence(statement, /:-(?!true\}|false\})[A-Za-z][A-Za-z0-9.:/_-]*\}/, () => ':-}'),
  ]);
  add('exit-status', [...eachOccurrence(statement, /\bexit 1\b/, () => 'exit 0'), ...eachOccurrence(statement, /\breturn 0\b/, () => 'return 1')]);
  add('regex-anchor', [...eachOccurrence(statement, /=~ \^/, () => '=~ '), ...eachOccurrence(statement, /\$ \]\]/, () => ' ]]')]);
  return out;
}

/** Every mutant of `text` (a bash script), deduplicated by the resulting script. */
export function shellMutants(file: string, text: string): ShellMutant[] {
  const lines = text.split('\n');
  const seen = new Set<string>([text]);
  const mutants: ShellMutant[] = [];
  for (const statement of statementsOf(lines)) {
    const trimmed = statement.text;
    if (ENTRY_GUARD.test(trimmed)) break;
    if (trimmed === '' || trimmed.startsWith('#') || SKIPPED.test(trimmed)) continue;
    const indent = /^\s*/.exec(lines[statement.first]!)![0];
    for (const { operator, replacement } of mutationsOf(trimmed)) {
      const mutated = [...lines.slice(0, statement.first), `${indent}${replacement}`, ...lines.slice(statement.last + 1)].join('\n');
      if (seen.has(mutated)) continue;
      seen.add(mutated);
      mutants.push({ file, line: statement.first + 1, operator, original: trimmed, replacement, text: mutated });
    }
  }
  return mutants;
}
