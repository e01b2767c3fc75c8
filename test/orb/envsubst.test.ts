/**
 * One expander: `applink_subst` (orb/src/scripts/utils.sh) expands string parameters with
 * `circleci env subst` when the `circleci` CLI is on the PATH, otherwise with its own fallback,
 * applink_envsubst. The harness's model of `circleci env subst` (job.ts) is that same function, and
 * the table (test/fixtures/orb/envsubst-cases.json, facts about a8m/envsubst) must hold for both.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { ROOT } from '../support/harness.js';
import { createJob, type Job } from './job.js';

interface Case {
  input: string;
  output?: string;
  error?: string;
  why: string;
}
const table = JSON.parse(await readFile(join(ROOT, 'test/fixtures/orb/envsubst-cases.json'), 'utf8')) as { env: Record<string, string>; cases: Case[] };

let withCli: Job;
let withoutCli: Job;
beforeAll(async () => {
  withCli = await createJob(table.env, { shim: false });
  withoutCli = await createJob(table.env, { shim: false, circleci: false });
});
afterAll(async () => {
  await Promise.all([withCli.cleanup(), withoutCli.cleanup()]);
});

/** Runs applink_subst on every input in one bash; each result is `<exit code>:<output>` between NULs. */
async function expandAll(job: Job): Promise<Array<{ output?: string; error?: string }>> {
  const script = `source "${join(ROOT, 'orb/src/scripts/utils.sh')}"
for input in "$@"; do
  if out="$(applink_subst "$input" 2>/tmp/applink-envsubst-err-$$)"; then printf '0:%s\\0' "$out"; else printf '1:%s\\0' "$(cat /tmp/applink-envsubst-err-$$)"; fi
done
rm -f /tmp/applink-envsubst-err-$$
command -v circleci || echo "no circleci"`;
  const result = await execa('bash', ['-c', script, 'bash', ...table.cases.map((entry) => entry.input)], { env: job.env, extendEnv: false, stdin: 'ignore' });
  const parts = result.stdout.split('\0');
  const where = parts.pop()!;
  expect(where.trim().endsWith('/circleci') || where.trim() === 'no circleci').toBe(true);
  return parts.map((part) => (part.startsWith('0:') ? { output: part.slice(2) } : { error: part.slice(2) }));
}

describe('the expander table (circleci env subst semantics)', () => {
  const expected = table.cases.map((entry) => ({ input: entry.input, ...(entry.error === undefined ? { output: entry.output } : { error: entry.error }) }));

  it('holds for the scripts\' fallback (no circleci on the PATH)', async () => {
    const got = await expandAll(withoutCli);
    expect(table.cases.map((entry, index) => ({ input: entry.input, ...got[index] }))).toEqual(expected);
  });

  it('holds for the harness\'s model of circleci env subst', async () => {
    const got = await expandAll(withCli);
    expect(table.cases.map((entry, index) => ({ input: entry.input, ...got[index] }))).toEqual(expected);
    const direct = await execa('circleci', ['env', 'subst', '${ORG_PREFIX:-prod}_org'], { env: withCli.env, extendEnv: false, stdin: 'ignore' });
    expect(direct.stdout).toBe('prod_org');
  });
});
