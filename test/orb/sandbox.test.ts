/**
 * The orb's `sandbox` command, run as the `rehearse_with_sandbox` example uses it: install, the
 * sandbox (its background step started as CircleCI starts one, the others run in order), then the
 * unchanged authorize and remove commands against it through the environment it exported in
 * BASH_ENV, with the faults of the example injected.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { ROOT } from '../support/harness.js';
import { findSecretShapes } from '../support/leak-guard.js';
import { expandCommand, runSteps, type ExpandedStep, type RunStep } from './expand.js';
import { createJob, type Job } from './job.js';

let orb: Record<string, unknown>;
const jobs: Job[] = [];

beforeAll(async () => {
  const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  orb = YAML.parse((await packOrb(join(ROOT, 'orb/src'), { version })).yaml, { version: '1.1' }) as Record<string, unknown>;
});

afterEach(async () => {
  await Promise.all(jobs.splice(0).map((job) => job.cleanup()));
});

/** The steps of the example's job, each expanded as CircleCI expands `applink/<command>`. */
function exampleSteps(keyDir: string): ExpandedStep[] {
  const examples = orb.examples as Record<string, { usage: { jobs: Record<string, { steps: Array<string | Record<string, Record<string, unknown>>> }> } }>;
  return examples.rehearse_with_sandbox!.usage.jobs.rehearse!.steps.flatMap((step) => {
    const [name, args] = typeof step === 'string' ? [step, {}] : Object.entries(step)[0]!;
    // The throwaway key pair in the job's own temporary folder (the default is /tmp/applink-sandbox-keys).
    const values = name === 'applink/sandbox' ? { ...args, key_dir: keyDir } : args;
    return expandCommand(orb, name.replace(/^applink\//, ''), values as Record<string, string>);
  });
}

describe('applink/sandbox', () => {
  it('runs the rehearse_with_sandbox example: the sandbox in the background, then authorize and remove against it', async () => {
    const job = await createJob();
    jobs.push(job);
    job.env.TMPDIR = job.tmp;
    const steps = exampleSteps(join(job.tmp, 'keys'));
    const background = steps.filter((step): step is RunStep => step.kind === 'run' && step.background);
    expect(background.map((step) => step.name)).toEqual(['Run the applink-jwt sandbox']);
    const server = background[0]!;
    const index = steps.indexOf(server);

    const before = await runSteps(steps.slice(0, index), job);
    expect(before.map((result) => [result.name, result.exitCode])).toEqual(before.map((result) => [result.name, 0]));
    // CircleCI starts a background step and goes on with the next one at once.
    const sandbox = execa('bash', ['-eo', 'pipefail', '-c', server.command], { env: { ...job.env, ...server.environment }, extendEnv: false, cwd: job.cwd, reject: false, all: true });
    try {
      const after = await runSteps(steps.slice(index + 1), { ...job, timeoutMs: 90_000 });
      const outputs = after.map((result) => `${result.stdout}\n${result.stderr}`);
      expect(after.map((result) => [result.exitCode, result.exitCode === 0 ? '' : result.stderr])).toEqual([
        [0, ''],
        [0, ''],
        [0, ''],
      ]);
      expect(after[0]!.name).toBe('Export the sandbox environment to later steps');
      expect(after[1]!.stdout).toMatch(/^Authorized rehearsal_org \(Salesforce\) on add-on applink-sandbox-1 of app acme-app\./m);
      // The later steps got the sandbox's environment and the throwaway key; no step printed a key or a token.
      const bashEnv = await readFile(job.env.BASH_ENV!, 'utf8');
      expect(bashEnv).toMatch(/^export SF_LOGIN_URL='http:\/\/127\.0\.0\.3:\d+'$/m);
      expect(bashEnv).toMatch(/^export JWT_PRIVATE_KEY=/m);
      expect(findSecretShapes(outputs)).toEqual([]);
    } finally {
      sandbox.kill('SIGINT');
    }
    const stopped = await sandbox;
    expect(stopped.exitCode).toBe(0);
    // The example's faults were injected (and survived by the authorize step's retries).
    expect(String(stopped.all)).toContain('# Faults: applink.create=429:1 salesforce.token=503x2');
  }, 120_000);
});
