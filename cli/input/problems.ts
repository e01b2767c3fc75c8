/**
 * The one local validation phase: every check of local input (flags, variables, files) runs, and
 * every problem found is reported at once, so a run with five missing inputs says so in one go.
 * A single problem is reported as it is (its own code, message and hint); several become one
 * {@link InputProblemsError} that lists them all, each with its code, input and fix.
 */
import { AppError, ExitCode, InputError } from '../errors.js';

/** One problem as `--json` reports it under `error.details.problems`. */
export interface ProblemReport {
  code: string;
  message: string;
  hint?: string;
  /** The flags and variables the problem concerns (`--client-id`, `SF_CLIENT_ID`), when known. */
  inputs?: string[];
}

/** Several local input problems, reported together (exit 3). */
export class InputProblemsError extends InputError {
  readonly problems: readonly AppError[];

  constructor(problems: readonly AppError[]) {
    const lines = problems.map((problem) => `  - ${problem.message}${problem.hint ? `\n    Fix: ${problem.hint}` : ''}`);
    super('ERR_INPUT_PROBLEMS', `${problems.length} inputs are missing or invalid:\n${lines.join('\n')}`, {
      hint: 'Fix each of them (see the Fix line under each), then run the command again.',
      details: { problems: problems.map(reportOf) },
    });
    this.problems = problems;
  }
}

function reportOf(problem: AppError): ProblemReport {
  const inputs = problem.details?.inputs;
  return {
    code: problem.code,
    message: problem.message,
    ...(problem.hint === undefined ? {} : { hint: problem.hint }),
    ...(Array.isArray(inputs) ? { inputs: inputs.map(String) } : {}),
  };
}

/** Whether an error is a problem with local input (exit 3), which the phase collects. */
function isInputProblem(error: unknown): error is AppError {
  return error instanceof AppError && error.exitCode === ExitCode.input;
}

/**
 * Collects the problems of one validation phase. Each check runs in `check`/`checkAsync`; an input
 * problem is recorded (a nested {@link InputProblemsError} is flattened) and `undefined` returned;
 * any other error propagates at once. `throwIfAny` ends the phase.
 */
export class InputProblems {
  private readonly found: AppError[] = [];

  /** Runs a synchronous check; its value, or `undefined` when it found a problem. */
  check<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      this.add(error);
      return undefined;
    }
  }

  /** Runs an asynchronous check; its value, or `undefined` when it found a problem. */
  async checkAsync<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      this.add(error);
      return undefined;
    }
  }

  /** Records a problem; rethrows anything that is not a local input problem. */
  add(error: unknown): void {
    if (!isInputProblem(error)) throw error;
    const problems = error instanceof InputProblemsError ? error.problems : [error];
    for (const problem of problems) {
      // The same problem reached through two checks (a shared input) is reported once.
      if (!this.found.some((seen) => seen.code === problem.code && seen.message === problem.message)) this.found.push(problem);
    }
  }

  /** Whether a problem with one of these codes was found. */
  has(...codes: string[]): boolean {
    return this.found.some((problem) => codes.includes(problem.code));
  }

  get count(): number {
    return this.found.length;
  }

  /** Ends the phase: throws the one problem found as it is, or all of them together. */
  throwIfAny(): void {
    if (this.found.length === 1) throw this.found[0];
    if (this.found.length > 1) throw new InputProblemsError(this.found);
  }
}
