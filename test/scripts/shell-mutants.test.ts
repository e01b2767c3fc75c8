import { describe, expect, it } from '@jest/globals';
import { shellMutants } from '../../scripts/mutation/shell-mutants.js';

const SCRIPT = [
  '#!/bin/bash',
  '# A comment.',
  'set -euo pipefail',
  'eval "${APPLINK_SCRIPT_UTILS:?not set}"',
  '',
  'step() {',
  '  local name',
  '  name="$(applink_subst "${APPLINK_STR_NAME:-}")"',
  '  [ -n "$name" ] || applink_fail "name is empty"',
  '  args=(run "$name" --type "${APPLINK_ENUM_TYPE:-salesforce}" --timeout "${APPLINK_INT_TIMEOUT:-120}")',
  '  if applink_is_true "${APPLINK_BOOL_REPLACE:-false}"; then args+=(--replace); fi',
  '  command -v npm >/dev/null 2>&1 \\',
  '    || fail "npm is not installed"',
  '  [[ "$name" =~ ^[a-z]+$ ]] || exit 1',
  '  exec applink-jwt "${args[@]}"',
  '}',
  '',
  'if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then',
  '  step',
  'fi',
].join('\n');

describe('shellMutants', () => {
  const mutants = shellMutants('step.sh', SCRIPT);
  const summary = mutants.map((mutant) => `${mutant.line} ${mutant.operator}: ${mutant.replacement}`);

  it('makes each mutant by operator, line by line, leaving comments, set, the utils eval, structure and the entry guard alone', () => {
    expect(summary).toEqual([
      '8 drop-statement: :',
      '9 drop-statement: :',
      '9 negate-test: [ -z "$name" ] || applink_fail "name is empty"',
      '9 swap-logic: [ -n "$name" ] && applink_fail "name is empty"',
      '10 drop-statement: :',
      '10 drop-argument: args=(run "$name" --timeout "${APPLINK_INT_TIMEOUT:-120}")',
      '10 drop-argument: args=(run "$name" --type "${APPLINK_ENUM_TYPE:-salesforce}")',
      '10 default-value: args=(run "$name" --type "${APPLINK_ENUM_TYPE:-salesforce}" --timeout "${APPLINK_INT_TIMEOUT:-0}")',
      '10 default-value: args=(run "$name" --type "${APPLINK_ENUM_TYPE:-}" --timeout "${APPLINK_INT_TIMEOUT:-120}")',
      '11 negate-test: if ! applink_is_true "${APPLINK_BOOL_REPLACE:-false}"; then args+=(--replace); fi',
      '11 default-value: if applink_is_true "${APPLINK_BOOL_REPLACE:-true}"; then args+=(--replace); fi',
      '12 drop-statement: :',
      '12 swap-logic: command -v npm >/dev/null 2>&1 && fail "npm is not installed"',
      '14 drop-statement: :',
      '14 swap-logic: [[ "$name" =~ ^[a-z]+$ ]] && exit 1',
      '14 exit-status: [[ "$name" =~ ^[a-z]+$ ]] || exit 0',
      '14 regex-anchor: [[ "$name" =~ [a-z]+$ ]] || exit 1',
      '14 regex-anchor: [[ "$name" =~ ^[a-z]+ ]] || exit 1',
      '15 drop-statement: :',
    ]);
  });

  it('replaces a continued statement as a whole, keeping the indentation and every other line', () => {
    const swap = mutants.find((mutant) => mutant.line === 12 && mutant.operator === 'swap-logic')!;
    expect(swap.original).toBe('command -v npm >/dev/null 2>&1 || fail "npm is not installed"');
    const lines = swap.text.split('\n');
    expect(lines.length).toBe(SCRIPT.split('\n').length - 1);
    expect(lines[11]).toBe('  command -v npm >/dev/null 2>&1 && fail "npm is not installed"');
    expect([...lines.slice(0, 11), ...lines.slice(12)]).toEqual([...SCRIPT.split('\n').slice(0, 11), ...SCRIPT.split('\n').slice(13)]);
  });

  it('never yields the script itself or the same script twice', () => {
    const texts = mutants.map((mutant) => mutant.text);
    expect(texts).not.toContain(SCRIPT);
    expect(new Set(texts).size).toBe(texts.length);
  });
});
