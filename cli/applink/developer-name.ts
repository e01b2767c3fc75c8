/**
 * The naming rules of AppLink authorizations, checked locally so a bad name never reaches the
 * network. The developer-name rule is the one the plugin's help text documents (the plugin itself
 * does not check it; applink-api.md §5).
 */
import { InputError } from '../errors.js';
import { HIDDEN_SECRET, looksLikeSecret } from '../shown-input.js';

/** 3-30 characters, starts with a letter, ends with a letter or digit, single underscores only. */
export const DEVELOPER_NAME_PATTERN = /^(?=.{3,30}$)[A-Za-z](?:_?[A-Za-z0-9])*$/;

/** The longest alias we send; the server's limit is undocumented, so we stay well under any sane one. */
export const MAX_ALIAS_LENGTH = 80;

const DEVELOPER_NAME_RULE =
  'A developer name is 3-30 characters: it starts with a letter, ends with a letter or digit, and holds only letters, digits and single underscores (for example my_org_1).';

/**
 * Checks a developer name against the documented rule. Throws `ERR_DEVELOPER_NAME` naming the
 * exact problem (the hyphenated names of the plugin's own examples are refused here).
 */
export function validateDeveloperName(name: string): string {
  if (DEVELOPER_NAME_PATTERN.test(name)) return name;
  throw new InputError('ERR_DEVELOPER_NAME', `Developer name "${printable(name)}" is invalid: ${whyInvalid(name)}.`, {
    hint: DEVELOPER_NAME_RULE,
  });
}

function whyInvalid(name: string): string {
  if (name.length < 3) return `it has ${name.length} character${name.length === 1 ? '' : 's'}, at least 3 are needed`;
  if (name.length > 30) return `it has ${name.length} characters, at most 30 are allowed`;
  if (!/^[A-Za-z]/.test(name)) return 'it must start with a letter';
  if (/__/.test(name)) return 'it holds two underscores in a row';
  if (/_$/.test(name)) return 'it must end with a letter or digit';
  const bad = [...name].find((char) => !/[A-Za-z0-9_]/.test(char));
  return `it holds ${describeChar(bad ?? '')}, only letters, digits and single underscores are allowed`;
}

/**
 * Checks an alias (`--alias`): 1-80 printable characters without spaces. The server's own rule is
 * unconfirmed; it must allow `:` because the plugin's default is `applink:<developer-name>`.
 */
export function validateAlias(alias: string): string {
  let problem: string | undefined;
  if (alias.length === 0) problem = 'it is empty';
  else if (alias.length > MAX_ALIAS_LENGTH) problem = `it has ${alias.length} characters, at most ${MAX_ALIAS_LENGTH} are allowed`;
  else {
    const bad = [...alias].find((char) => !/^[\x21-\x7e]$/.test(char));
    if (bad !== undefined) problem = `it holds ${describeChar(bad)}, only printable ASCII characters without spaces are allowed`;
  }
  if (problem === undefined) return alias;
  throw new InputError('ERR_ALIAS', `Alias (--alias) "${printable(alias)}" is invalid: ${problem}.`, {
    hint: 'Use letters, digits and punctuation such as : _ - . (the default is applink:<developer-name>), or leave --alias out.',
  });
}

/** The default alias the plugin computes client-side. */
export function defaultAlias(developerName: string): string {
  return `applink:${developerName}`;
}

function describeChar(char: string): string {
  if (char === ' ') return 'a space';
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  if (code > 0x7e) return `a non-ASCII character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  return `"${char}"`;
}

/** A name as it can be shown on one line: control characters escaped, long values cut; never a key or token. */
export function printable(value: string, max = 60): string {
  if (looksLikeSecret(value)) return HIDDEN_SECRET;
  // eslint-disable-next-line no-control-regex
  const escaped = value.replace(/[\x00-\x1f\x7f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}...` : escaped;
}
