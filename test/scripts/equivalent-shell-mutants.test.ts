import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { EQUIVALENT_SHELL_MUTANTS, equivalentEntry } from '../../scripts/mutation/equivalent-shell-mutants.js';
import { shellMutants } from '../../scripts/mutation/shell-mutants.js';

describe('equivalent orb script mutants', () => {
  it('each listed one is still made from the script as it is today, and has a reason', async () => {
    for (const entry of EQUIVALENT_SHELL_MUTANTS) {
      const made = shellMutants(entry.file, await readFile(entry.file, 'utf8')).filter((mutant) => equivalentEntry(mutant, [entry]) !== undefined);
      expect([entry.file, entry.replacement, made.length]).toEqual([entry.file, entry.replacement, 1]);
      expect(entry.why.length).toBeGreaterThan(40);
    }
  });

  it('matches on script, operator and both statements, so a changed line is mutated again', () => {
    const [entry] = EQUIVALENT_SHELL_MUTANTS;
    const mutant = { file: entry!.file, line: 1, operator: entry!.operator, original: entry!.original, replacement: entry!.replacement, text: '' };
    expect(equivalentEntry(mutant)).toBe(entry);
    expect([{ ...mutant, file: 'orb/src/scripts/other.sh' }, { ...mutant, operator: 'drop-statement' as const }, { ...mutant, original: `${mutant.original} ` }, { ...mutant, replacement: ':' }].map((other) => equivalentEntry(other))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
