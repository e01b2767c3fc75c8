/**
 * The harness executes like CircleCI (see expand.ts for what it models and what it does not): the
 * BASH_ENV hand-off between steps with a real install, logic statements, and the run-step keys.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { ROOT } from '../support/harness.js';
import { evaluateLogic, expandCommand, layerEnvironment, runSteps, type ExpandedStep } from './expand.js';
import { createJob, type Job } from './job.js';
import { startRegistry, type Registry } from './registry.js';

let orb: Record<string, unknown>;
let registry: Registry;
const jobs: Job[] = [];

beforeAll(async () => {
  const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  orb = YAML.parse((await packOrb(join(ROOT, 'orb/src'), { version })).yaml, { version: '1.1' }) as Record<string, unknown>;
  registry = await startRegistry();
});
afterAll(async () => {
  await registry.close();
});
afterEach(async () => {
  await Promise.all(jobs.splice(0).map((job) => job.cleanup()));
});

async function job(context: Record<string, string> = {}, options: Parameters<typeof createJob>[1] = {}) {
  const created = await createJob(context, options);
  jobs.push(created);
  return created;
}

const run = (command: string, extra: Record<string, unknown> = {}): ExpandedStep => ({ kind: 'run', name: String(extra.name ?? command), command, environment: {}, background: false, when: 'on_success', ...extra });

describe('BASH_ENV between steps', () => {
  it('an install in step 1 puts applink-jwt on the PATH of step 2, with no shim anywhere', async () => {
    const current = await job({ npm_config_registry: registry.url }, { shim: false });
    expect((await execa('bash', ['-c', 'command -v applink-jwt || echo none'], { env: current.env, extendEnv: false })).stdout).toBe('none');
    const steps = [...expandCommand(orb, 'install', { cache: false }), run('applink-jwt --version; command -v applink-jwt', { name: 'Use it' })];
    const results = await runSteps(steps, { env: current.env, cwd: current.cwd });
    expect(results.map((result) => [result.name, result.exitCode])).toEqual([[`Install applink-jwt ${registry.version}`, 0], ['Use it', 0]]);
    expect(results[0]!.stdout).toContain(`Installed applink-jwt ${registry.version}.`);
    expect(results[1]!.stdout.split('\n')).toEqual([registry.version, join(current.home, '.applink-jwt', registry.version, 'bin/applink-jwt')]);
    expect(registry.requests).toContain('/applink-jwt');
  });

  it('is sourced because stdin is not a socket: bash -c with a pipe from node (a socket) skips BASH_ENV', async () => {
    const current = await job();
    await writeFile(current.env.BASH_ENV!, 'export FROM_BASH_ENV=yes\n');
    const [harness] = await runSteps([run('echo "${FROM_BASH_ENV:-no}"; [ -S /dev/stdin ] && echo socket || echo not-a-socket')], { env: current.env, cwd: current.cwd });
    expect(harness!.stdout).toBe('yes\nnot-a-socket');
    const socket = await execa('bash', ['-eo', 'pipefail', '-c', 'echo "${FROM_BASH_ENV:-no}"'], { env: { ...current.env, SHLVL: '0' }, extendEnv: false, input: '' });
    expect(socket.stdout).toBe('no');
  });
});

describe('logic statements', () => {
  it.each([
    [true, true], [false, false], ['', false], ['text', true], [0, false], [1, true], [null, false], [Number.NaN, false], [[], true], [{}, true],
    [{ and: [true, 'x', 1] }, true], [{ and: [true, false] }, false], [{ and: [] }, false],
    [{ or: [false, ''] }, false], [{ or: [false, 'x'] }, true], [{ or: [] }, false],
    [{ not: false }, true], [{ not: 'x' }, false], [{ not: { equal: [1, 2] } }, true],
    [{ equal: ['main', 'main'] }, true], [{ equal: ['main', 'main', 'dev'] }, false], [{ equal: [1, '1'] }, false], [{ equal: [{ a: [1] }, { a: [1] }] }, true],
    [{ matches: { pattern: '^release-.*$', value: 'release-1' } }, true], [{ matches: { pattern: 'main', value: 'not-main' } }, false],
    [{ matches: { pattern: 'v\\d+', value: 'v12' } }, true],
    [{ and: [{ not: { matches: { pattern: 'dev-.+', value: 'main' } } }, { or: [{ equal: ['a', 'a'] }, false] }] }, true],
  ])('%j is %s', (statement, expected) => {
    expect(evaluateLogic(statement)).toBe(expected);
  });

  it('chooses when/unless steps by them', () => {
    const tiny = {
      commands: {
        pick: {
          parameters: { branch: { type: 'string', default: 'main' } },
          steps: [
            { when: { condition: { equal: ['main', '<< parameters.branch >>'] }, steps: [{ run: { name: 'on main', command: 'true' } }] } },
            { unless: { condition: { matches: { pattern: '^feat/.*', value: '<< parameters.branch >>' } }, steps: [{ run: { name: 'not a feature', command: 'true' } }] } },
          ],
        },
      },
    };
    expect(expandCommand(tiny, 'pick').map((step) => (step as { name: string }).name)).toEqual(['on main', 'not a feature']);
    expect(expandCommand(tiny, 'pick', { branch: 'feat/x' }).map((step) => (step as { name: string }).name)).toEqual([]);
  });
});

describe('run step keys', () => {
  it('honours shell, working_directory (relative and ~) and environment with CircleCI\'s precedence', async () => {
    const current = await job();
    await execa('mkdir', ['-p', join(current.cwd, 'sub'), join(current.home, 'h')]);
    const env = {
      ...current.env,
      ...layerEnvironment({ project: { LEVEL: 'project', P: 'p' }, context: { LEVEL: 'context', C: 'c' }, builtin: { LEVEL: 'builtin' }, executor: { LEVEL: 'executor' }, job: { LEVEL: 'job', J: 'j' } }),
    };
    const results = await runSteps(
      [
        run('echo "$0 ${BASH_VERSION:-no-bash}"', { shell: '/bin/sh', name: 'sh' }),
        run('pwd', { workingDirectory: 'sub', name: 'relative' }),
        run('pwd', { workingDirectory: '~/h', name: 'home' }),
        run('echo "$LEVEL $P $C $J"', { name: 'job env' }),
        run('echo "$LEVEL"', { environment: { LEVEL: 'step' }, name: 'step env' }),
      ],
      { env, cwd: current.cwd },
    );
    expect(results.map((result) => result.stdout)).toEqual([
      expect.stringMatching(/^\S+step-0\.sh no-bash$/), join(current.cwd, 'sub'), join(current.home, 'h'), 'job p c j', 'step',
    ]);
  });

  it('runs on_fail and always steps after a failure, skips on_success ones', async () => {
    const current = await job();
    const results = await runSteps(
      [run('echo one'), run('exit 3', { name: 'fails' }), run('echo skipped'), run('echo cleanup', { when: 'always' }), run('echo report', { when: 'on_fail' })],
      { env: current.env, cwd: current.cwd },
    );
    expect(results.map((result) => [result.name, result.status, result.exitCode])).toEqual([
      ['echo one', 'success', 0], ['fails', 'failed', 3], ['echo cleanup', 'success', 0], ['echo report', 'success', 0],
    ]);
    const ok = await runSteps([run('true'), run('echo report', { when: 'on_fail' })], { env: current.env, cwd: current.cwd });
    expect(ok.map((result) => result.name)).toEqual(['true']);
  });

  it('fails a step after no_output_timeout without output', async () => {
    const current = await job();
    const [quiet, next] = await runSteps([run('echo started; sleep 30', { noOutputTimeout: '1s', name: 'quiet' }), run('echo never')], { env: current.env, cwd: current.cwd });
    expect(quiet).toMatchObject({ status: 'failed', exitCode: -1, stdout: 'started', stderr: 'Too long with no output (exceeded 1s): context deadline exceeded' });
    expect(next).toBeUndefined();
  });

  it('starts a background step without waiting, and stops it when the job ends', async () => {
    const current = await job();
    const results = await runSteps(
      [run('echo up > ready; sleep 60', { background: true, name: 'server' }), run('for i in $(seq 100); do [ -f ready ] && break; sleep 0.1; done; cat ready', { name: 'client' })],
      { env: current.env, cwd: current.cwd },
    );
    expect(results.map((result) => [result.name, result.status, result.stdout])).toEqual([['server', 'background', ''], ['client', 'success', 'up']]);
  });
});
