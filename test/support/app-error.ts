/**
 * The AppError a failure test expects: what a promise rejects with, or what a call throws. Any
 * other outcome (no error, or an error that is not an AppError) fails the test.
 */
import { expect } from '@jest/globals';
import { AppError } from '../../cli/errors.js';

/** The AppError `promise` rejects with; fails the test on any other error, and throws when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a failure');
}

/** The AppError `run` throws; fails the test on any other error, and throws when it returns. */
export function failureOf(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a failure');
}
