/**
 * test-deploy's integration jobs run here the way CircleCI runs them: the `start_sandbox`
 * pre-steps of .circleci/test-deploy.yml (sha256 check, install of the tarball, key pair, the
 * sandbox as a background step, its environment exported through BASH_ENV), then the packed orb's
 * own `authorize` and `check_key` jobs with the arguments the workflow gives them, then the
 * post-step. The tarball is this repository's `npm pack` (as release:check packs it; scripts
 * ignored: the suite already built dist/), kept by scripts/ci/release-tarball.sh. `applink-jwt` on the job's PATH is a shim that fails,
 * so only the CLI installed from the tarball can do the work.
 *
 * A representative transformation: the config's `/tmp/` paths become a per-test folder, and
 * `checkout` copies scripts/ci/ into the job's working directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { expandCommand, expandJob, runSteps, type ExpandedStep, type RunStep, type StepResult } from '../orb/expand.js';
import { createJob, type Job } from '../orb/job.js';
import { expectNoSecrets } from '../support/leak-guard.js';
import { ROOT } from '../support/harness.js';

type Map = Record<string, unknown>;

let job: Job;
let base: string;
let orb: Map;
let version: string;
let workflow: Array<{ job: string; args: Map }>;
let background: ChildProcess | undefined;
const outputs: StepResult[] = [];

/** The config's absolute /tmp/ paths, moved into this test's folder. */
const relocate = (text: string) => text.replaceAll('/tmp/', `${base}/`);

function relocated<T>(value: T): T {
  return JSON.parse(relocate(JSON.stringify(value))) as T;
}

beforeAll(async () => {
  job = await createJob({}, { shim: '#!/bin/sh\necho "the repository build ran instead of the installed tarball" >&2\nexit 99\n' });
  base = join(job.tmp, 'ci');
  await mkdir(base, { recursive: true });
  ({ version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string });
  // As orb-tools/continue injects it: the packed orb, read back as CircleCI reads YAML.
  orb = YAML.parse((await packOrb(join(ROOT, 'orb/src'), { version })).yaml, { version: '1.1' }) as Map;
  const config = YAML.parse(await readFile(join(ROOT, '.circleci/test-deploy.yml'), 'utf8')) as Map;
  workflow = (((config.workflows as Map)['test-deploy'] as Map).jobs as Map[]).map((entry) => {
    const name = Object.keys(entry)[0]!;
    return { job: name, args: relocated((entry[name] ?? {}) as Map) };
  });

  // npm_pack, into the workspace the jobs attach: release:check's pack step is `npm pack` of a
  // build (the suite's own build here, so --ignore-scripts), then release-tarball.sh keeps it.
  const release = join(base, 'workspace/release');
  await mkdir(release, { recursive: true });
  await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', release], { cwd: ROOT });
  const kept = await execa('bash', [join(ROOT, 'scripts/ci/release-tarball.sh'), release], { reject: false });
  expect(kept).toMatchObject({ exitCode: 0 });
  outputs.push({ name: 'npm_pack', exitCode: kept.exitCode ?? -1, stdout: String(kept.stdout), stderr: String(kept.stderr), status: kept.exitCode === 0 ? 'success' : 'failed' });

  // The start_sandbox pre-steps.
  const steps = relocated(((config.commands as Map).start_sandbox as { steps: unknown[] }).steps);
  for (const step of steps) {
    if (step === 'checkout') {
      await cp(join(ROOT, 'scripts/ci'), join(job.cwd, 'scripts/ci'), { recursive: true });
      continue;
    }
    const run = (step as Map).run as { name: string; command: string; background?: boolean } | undefined;
    if (run === undefined) continue; // attach_workspace: the workspace is already at its path
    const expanded: RunStep = { kind: 'run', name: run.name, command: run.command, environment: {}, background: false, when: 'on_success' };
    if (run.background === true) {
      background = spawn('bash', ['-eo', 'pipefail', '-c', run.command], { cwd: job.cwd, env: job.env, stdio: 'ignore' });
      continue;
    }
    const [result] = await runSteps([expanded], { env: job.env, cwd: job.cwd });
    outputs.push(result!);
    expect({ step: run.name, exitCode: result!.exitCode, stderr: result!.stderr }).toEqual({ step: run.name, exitCode: 0, stderr: expect.any(String) });
  }
}, 120_000);

afterAll(async () => {
  if (background !== undefined && background.exitCode === null) {
    const exited = new Promise((resolve) => background!.once('exit', resolve));
    background.kill('SIGTERM');
    await exited;
  }
  await job.cleanup();
});

const WORKFLOW_KEYS = new Set(['name', 'requires', 'filters', 'context', 'pre-steps', 'post-steps']);
function argumentsOf(name: string): Map {
  const entry = workflow.find((candidate) => candidate.args.name === name)!;
  return Object.fromEntries(Object.entries(entry.args).filter(([key]) => !WORKFLOW_KEYS.has(key)));
}

const ran = (steps: ExpandedStep[]) => steps.filter((step) => step.kind === 'run').map((step) => (step as RunStep).name);

describe("test-deploy's integration jobs on the npm pack tarball", () => {
  it('integration_authorize: the orb job installs the tarball and authorizes against the background sandbox; the post-step removes it', async () => {
    const args = argumentsOf('integration_authorize');
    expect(args).toMatchObject({ package: `${base}/workspace/release/applink-jwt.tgz`, login_url: '$SF_LOGIN_URL' });
    const steps = expandJob(orb, 'authorize', args);
    expect(ran(steps)).toEqual([`Install applink-jwt ${version}`, 'Authorize ci_integration with Heroku AppLink']);
    const results = await runSteps(steps, { env: job.env, cwd: job.cwd, timeoutMs: 90_000 });
    outputs.push(...results);
    expect(results.map((result) => [result.name, result.exitCode])).toEqual([
      [`Install applink-jwt ${version}`, 0],
      ['Authorize ci_integration with Heroku AppLink', 0],
    ]);
    expect(results[0]!.stdout.split('\n').at(-1)).toBe(`Installed applink-jwt ${version}.`);
    const which = await execa('bash', ['-c', 'command -v applink-jwt'], { env: job.env, extendEnv: false, stdin: 'ignore' });
    expect(which.stdout).toBe(join(job.home, `.applink-jwt/${version}/bin/applink-jwt`));

    const postSteps = workflow.find((candidate) => candidate.args.name === 'integration_authorize')!.args['post-steps'] as Map[];
    const [remove] = await runSteps(expandCommand(orb, 'remove', (postSteps[0]!['applink/remove'] ?? {}) as Map), { env: job.env, cwd: job.cwd });
    outputs.push(remove!);
    expect(remove!.exitCode).toBe(0);
  }, 120_000);

  it('integration_check_key: the orb job installs the tarball and checks the certificate the pre-steps generated', async () => {
    const args = argumentsOf('integration_check_key');
    const results = await runSteps(expandJob(orb, 'check_key', args), { env: job.env, cwd: job.cwd, timeoutMs: 90_000 });
    outputs.push(...results);
    expect(results.map((result) => [result.name, result.exitCode])).toEqual([
      [`Install applink-jwt ${version}`, 0],
      ['Check the key and certificate against the rotation policy', 0],
    ]);
  }, 120_000);

  it('printed the tarball sha256 and never the test private key', async () => {
    const sums = await readFile(join(base, 'workspace/release/SHA256SUMS'), 'utf8');
    expect(outputs[0]!.stdout).toContain(`sha256 ${sums.split(' ')[0]}  applink-jwt.tgz`);
    expect(outputs.find((result) => result.name === "Check the packed CLI's sha256")!.stdout).toBe(`applink-jwt.tgz: OK\n${sums.trimEnd()}`);
    const key = await readFile(join(base, 'sandbox-keys/server.key'), 'utf8');
    expectNoSecrets(outputs.flatMap((result) => [result.stdout, result.stderr]), { privateKeys: [key] });
  });
});
