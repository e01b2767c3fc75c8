/**
 * The orb's install step on the Node.js it finds: which versions it refuses before calling npm, and
 * what it says (a fake `node` on an otherwise empty PATH; no npm, so an accepted version stops at npm).
 */
import { execSync } from 'node:child_process';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { ROOT } from '../support/harness.js';
import { expandCommand, runSteps } from './expand.js';
import { createJob, type Job } from './job.js';

let orb: Record<string, unknown>;
let version: string;
const jobs: Job[] = [];
const TOO_OLD = 'is too old: applink-jwt needs Node.js 20.19 or newer. Use the applink/default executor (cimg/node:lts), or install a newer Node.js before this step.';
const NO_NPM = 'is, without npm): applink-jwt is installed with npm. Use the applink/default executor (cimg/node), or install npm before this step.';

beforeAll(async () => {
  version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  orb = YAML.parse((await packOrb(join(ROOT, 'orb/src'), { version })).yaml, { version: '1.1' }) as Record<string, unknown>;
});

afterEach(async () => {
  await Promise.all(jobs.splice(0).map((job) => job.cleanup()));
});

/** Runs the install step with only `node` (this script, or none) on the PATH. */
async function installWith(node: string | undefined): Promise<{ exitCode: number | undefined; stderr: string }> {
  const job = await createJob({}, { shim: false });
  jobs.push(job);
  const bin = job.env.PATH!.split(':')[0]!;
  if (node !== undefined) {
    await writeFile(join(bin, 'node'), `#!/bin/sh\n${node}\n`);
    await chmod(join(bin, 'node'), 0o755);
  }
  const [result] = await runSteps(expandCommand(orb, 'install', { cache: false }), { env: { ...job.env, PATH: bin }, cwd: job.cwd });
  return { exitCode: result!.exitCode ?? undefined, stderr: result!.stderr };
}

describe('install checks the Node.js it finds before calling npm (mutation survivors)', () => {
  it('says Node.js is not installed when there is none', async () => {
    expect(await installWith(undefined)).toEqual({
      exitCode: 1,
      stderr: 'applink: Node.js is not installed: applink-jwt needs Node.js 20.19 or newer, with npm. Use the applink/default executor (cimg/node), or install Node.js before this step.',
    });
  });

  it('says the version is unknown when node --version fails', async () => {
    expect(await installWith('exit 1')).toEqual({ exitCode: 1, stderr: `applink: Node.js of an unknown version ${TOO_OLD}` });
  });

  it.each(['20', '19.9.0', 'x22.1.0', '22x.1.0', '20.x19.0', '20.19x.0', '20.18.3'])('refuses v%s as too old (or not a version)', async (version) => {
    expect(await installWith(`echo v${version}`)).toEqual({ exitCode: 1, stderr: `applink: Node.js ${version} ${TOO_OLD}` });
  });

  it.each(['20.19.0', '21.0.0', '22.11.0'])('accepts v%s and goes on to npm', async (version) => {
    expect(await installWith(`echo v${version}`)).toEqual({ exitCode: 1, stderr: `applink: npm is not installed (Node.js ${version} ${NO_NPM}` });
  });
});

describe('install finds the CLI a cache restored under $HOME/.applink-jwt/<version> (mutation survivor)', () => {
  it('puts it on the PATH, for this step and later ones, and installs nothing', async () => {
    const job = await createJob({}, { shim: false });
    jobs.push(job);
    const cached = join(job.home, '.applink-jwt', version, 'bin');
    await mkdir(cached, { recursive: true });
    await writeFile(join(cached, 'applink-jwt'), `#!/bin/sh\necho ${version}\n`);
    await chmod(join(cached, 'applink-jwt'), 0o755);
    // No node and no npm on the PATH (an install would fail), only dirname.
    await symlink(execSync('command -v dirname', { encoding: 'utf8' }).trim(), join(job.env.PATH!.split(':')[0]!, 'dirname'));
    const [result] = await runSteps(expandCommand(orb, 'install', { cache: false }), { env: { ...job.env, PATH: job.env.PATH!.split(':')[0]! }, cwd: job.cwd });
    expect([result!.exitCode, result!.stdout, result!.stderr]).toEqual([0, `applink-jwt ${version} is already installed at ${cached}/applink-jwt; skipping the install.`, '']);
    expect(await readFile(job.env.BASH_ENV!, 'utf8')).toBe(`export PATH="${cached}:\${PATH}"\n`);
  });
});

describe('install replaces a CLI on the PATH that does not say its version (mutation survivor)', () => {
  it('says so and goes on to install, instead of stopping silently', async () => {
    const job = await createJob({}, { shim: '#!/bin/sh\nexit 1\n' });
    jobs.push(job);
    const bin = job.env.PATH!.split(':')[0]!;
    await writeFile(join(bin, 'node'), '#!/bin/sh\necho v22.11.0\n');
    await chmod(join(bin, 'node'), 0o755);
    const [result] = await runSteps(expandCommand(orb, 'install', { cache: false }), { env: { ...job.env, PATH: bin }, cwd: job.cwd });
    expect([result!.exitCode, result!.stdout, result!.stderr]).toEqual([1, `applink-jwt of an unknown version is on the PATH; installing ${version}.`, `applink: npm is not installed (Node.js 22.11.0 ${NO_NPM}`]);
  });
});
