import type { Deps } from '../deps.js';
import { AppError, ExitCode } from '../errors.js';
import type { CommandResult } from '../output.js';

/** Not built yet: see the open issue for this command. */
export async function runSandbox(_options: unknown, _deps: Deps): Promise<CommandResult> {
  throw new AppError('ERR_NOT_IMPLEMENTED', 'sandbox is not implemented yet.', ExitCode.internal);
}
