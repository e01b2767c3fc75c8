/**
 * A CircleCI-like job environment for the orb execution tests: its own HOME, TMPDIR and working
 * directory, BASH_ENV, CIRCLECI=true, the harness's model of the `circleci` CLI on the PATH (only
 * `circleci env subst`, expanded by the orb's own applink_envsubst from orb/src/scripts/utils.sh:
 * the same expansion as the scripts' fallback), and, unless `shim: false`, `applink-jwt` as a shim
 * that runs this repository's built dist/main.js (so `install` finds the pinned version and skips).
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../support/harness.js';

export interface Job {
  home: string;
  tmp: string;
  cwd: string;
  /** The job's environment (add context variables to it). */
  env: Record<string, string>;
  /** Every file under the job's HOME, TMPDIR and working directory, as text. */
  files(): Promise<Array<{ path: string; text: string }>>;
  cleanup(): Promise<void>;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Creates the job's folders and the CLI shim; `context` is merged into the environment. */
/** The harness's `circleci`: `circleci env subst [text]` (text from stdin when absent), nothing else. */
export const CIRCLECI_MODEL = `#!/bin/bash
set -euo pipefail
if [ "\${1:-} \${2:-}" != "env subst" ]; then
  echo "circleci (test model): only 'circleci env subst' is modelled" >&2
  exit 2
fi
# shellcheck source=/dev/null
source "${join(ROOT, 'orb/src/scripts/utils.sh')}"
if [ "$#" -ge 3 ]; then applink_envsubst "$3"; else applink_envsubst "$(cat)"; fi
`;

export async function createJob(context: Record<string, string> = {}, options: { shim?: string | false; circleci?: boolean } = {}): Promise<Job> {
  const base = await mkdtemp(join(tmpdir(), 'applink-orb-job-'));
  const home = join(base, 'home');
  const tmp = join(base, 'tmp');
  const cwd = join(base, 'project');
  const bin = join(base, 'bin');
  for (const dir of [home, tmp, cwd, bin]) await mkdir(dir, { recursive: true });
  const bashEnv = join(tmp, 'bash_env');
  await writeFile(bashEnv, '');
  const shim = options.shim ?? `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`;
  if (shim !== false) {
    await writeFile(join(bin, 'applink-jwt'), shim);
    await chmod(join(bin, 'applink-jwt'), 0o755);
  }
  if (options.circleci !== false) {
    await writeFile(join(bin, 'circleci'), CIRCLECI_MODEL);
    await chmod(join(bin, 'circleci'), 0o755);
  }
  const env: Record<string, string> = {
    HOME: home,
    TMPDIR: tmp,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    BASH_ENV: bashEnv,
    CIRCLECI: 'true',
    CI: 'true',
    ...context,
  };
  return {
    home,
    tmp,
    cwd,
    env,
    files: async () => {
      const paths = [...(await listFiles(home)), ...(await listFiles(tmp)), ...(await listFiles(cwd))];
      return Promise.all(paths.map(async (path) => ({ path, text: await readFile(path, 'latin1') })));
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}
