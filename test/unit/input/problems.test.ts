import { describe, expect, it } from '@jest/globals';
import { InputError, NetworkError } from '../../../cli/errors.js';
import { InputProblems, InputProblemsError } from '../../../cli/input/problems.js';
import { failureOf } from '../../support/app-error.js';

const problem = (code: string, message: string) => () => {
  throw new InputError(code, message, { hint: `Fix ${code}.`, details: { inputs: [`--${code}`] } });
};

describe('InputProblems', () => {
  it('throws nothing without problems, and a single problem as it is', () => {
    const none = new InputProblems();
    expect(none.check(() => 42)).toBe(42);
    expect(() => none.throwIfAny()).not.toThrow();
    const one = new InputProblems();
    expect(one.check(problem('ERR_A', 'A is wrong.'))).toBeUndefined();
    const error = failureOf(() => one.throwIfAny());
    expect([error.code, error.message]).toEqual(['ERR_A', 'A is wrong.']);
  });

  it('reports several problems together, flattening nested ones and dropping repeats', async () => {
    const problems = new InputProblems();
    problems.check(problem('ERR_A', 'A is wrong.'));
    await problems.checkAsync(async () => {
      throw new InputProblemsError([new InputError('ERR_B', 'B is missing.'), new InputError('ERR_A', 'A is wrong.')]);
    });
    problems.check(problem('ERR_C', 'C is wrong.'));
    const error = failureOf(() => problems.throwIfAny());
    expect([error.code, error.exitCode]).toEqual(['ERR_INPUT_PROBLEMS', 3]);
    expect(error.message).toBe(
      ['3 inputs are missing or invalid:', '  - A is wrong.', '    Fix: Fix ERR_A.', '  - B is missing.', '  - C is wrong.', '    Fix: Fix ERR_C.'].join('\n'),
    );
    expect(error.details).toEqual({
      problems: [
        { code: 'ERR_A', message: 'A is wrong.', hint: 'Fix ERR_A.', inputs: ['--ERR_A'] },
        { code: 'ERR_B', message: 'B is missing.' },
        { code: 'ERR_C', message: 'C is wrong.', hint: 'Fix ERR_C.', inputs: ['--ERR_C'] },
      ],
    });
  });

  it('lets any other error through at once', () => {
    const problems = new InputProblems();
    expect(() =>
      problems.check(() => {
        throw new NetworkError('ERR_NETWORK', 'down');
      }),
    ).toThrow('down');
  });
});
