import { describe, expect, it } from '@jest/globals';
import { defaultAlias, validateAlias, validateDeveloperName } from '../../../cli/applink/developer-name.js';
import { failureOf } from '../../support/app-error.js';

const RULE = 'A developer name is 3-30 characters: it starts with a letter, ends with a letter or digit, and holds only letters, digits and single underscores (for example my_org_1).';

describe('validateDeveloperName', () => {
  it.each(['abc', 'my_org', 'My_Org_2', 'a1b', 'a'.repeat(30), 'a_b_c'])('accepts %s', (name) => {
    expect(validateDeveloperName(name)).toBe(name);
  });

  it.each([
    ['ab', 'it has 2 characters, at least 3 are needed'],
    ['a'.repeat(31), 'it has 31 characters, at most 30 are allowed'],
    ['1abc', 'it must start with a letter'],
    ['_abc', 'it must start with a letter'],
    ['my__org', 'it holds two underscores in a row'],
    ['my_org_', 'it must end with a letter or digit'],
    ['my-org', 'it holds "-", only letters, digits and single underscores are allowed'],
    ['my org', 'it holds a space, only letters, digits and single underscores are allowed'],
    ['mÿorg', 'it holds a non-ASCII character (U+00FF), only letters, digits and single underscores are allowed'],
    ['my\norg', 'it holds a control character (U+000A), only letters, digits and single underscores are allowed'],
  ])('refuses %j: %s', (name, why) => {
    const error = failureOf(() => validateDeveloperName(name));
    expect([error.code, error.exitCode, error.hint]).toEqual(['ERR_DEVELOPER_NAME', 3, RULE]);
    expect(error.message).toBe(`Developer name "${name.replace('\n', '\\x0a')}" is invalid: ${why}.`);
  });
});

describe('validateAlias', () => {
  it('accepts the default and printable aliases', () => {
    expect(validateAlias(defaultAlias('my_org'))).toBe('applink:my_org');
    expect(validateAlias('team.ci-prod_1')).toBe('team.ci-prod_1');
  });
  it.each([
    ['', 'it is empty'],
    ['a'.repeat(81), 'it has 81 characters, at most 80 are allowed'],
    ['has space', 'it holds a space, only printable ASCII characters without spaces are allowed'],
    ['é', 'it holds a non-ASCII character (U+00E9), only printable ASCII characters without spaces are allowed'],
  ])('refuses %j', (alias, why) => {
    const error = failureOf(() => validateAlias(alias));
    expect([error.code, error.message]).toEqual(['ERR_ALIAS', `Alias (--alias) "${alias.length > 60 ? `${alias.slice(0, 60)}...` : alias}" is invalid: ${why}.`]);
  });
});
