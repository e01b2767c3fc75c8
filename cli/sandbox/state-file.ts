/**
 * Loads a sandbox state file (`applink-jwt sandbox --state file.yml`): YAML with the shape of
 * {@link SandboxStateInput}. A certificate may be given as PEM text or as a path relative to the
 * file; paths are read here so the state itself only holds PEM.
 */
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';
import { validateStateInput } from './state-schema.js';
import { parseCertificate, type SandboxStateInput } from './state.js';

/** Reads, parses, schema-checks a state file and inlines certificate files. Errors name the file and path. */
export async function loadStateFile(path: string, deps: Pick<Deps, 'fs' | 'cwd'>): Promise<SandboxStateInput> {
  const absolute = resolve(deps.cwd, path);
  let text: string;
  try {
    text = await deps.fs.readFile(absolute, 'utf8');
  } catch (error) {
    throw new InputError('ERR_SANDBOX_STATE', `Cannot read the sandbox state file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, {
      hint: 'Check the path given to --state.',
      cause: error,
    });
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const line = first.linePos?.[0];
    throw new InputError('ERR_SANDBOX_STATE', `${path}${line ? `:${line.line}:${line.col}` : ''}: not valid YAML (${first.code}).`, {
      hint: 'Fix the YAML syntax (indentation, quotes) at that line.',
    });
  }
  const input = (document.toJS() ?? {}) as unknown;
  validateStateInput(input, path);
  const state = input as SandboxStateInput;
  for (const [orgIndex, org] of (state.orgs ?? []).entries()) {
    for (const [appIndex, app] of (org.externalClientApps ?? []).entries()) {
      if (app.certificate === undefined) continue;
      const where = `${path}: orgs[${orgIndex}].externalClientApps[${appIndex}].certificate`;
      if (!app.certificate.trimStart().startsWith('-----BEGIN')) {
        const certificatePath = resolve(dirname(absolute), app.certificate);
        try {
          app.certificate = await deps.fs.readFile(certificatePath, 'utf8');
        } catch (error) {
          throw new InputError('ERR_SANDBOX_STATE', `${where}: cannot read the certificate file ${app.certificate} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, {
            hint: 'Give the PEM text, or a path relative to the state file.',
            cause: error,
          });
        }
      }
      parseCertificate(app.certificate, where);
    }
  }
  return state;
}
