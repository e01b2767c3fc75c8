/**
 * The orb's install step on the Node.js it finds: which versions it refuses before calling npm, and
 * what it says (a fake `node` on an otherwise empty PATH; no npm, so an accepted version stops at npm).
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { packOrb } from '../../scripts/orb/pack.js';
import { ROOT } from '../support/harness.js';
import { expandCommand, runSteps } from './expand.js';
import { createJob, type Job } from './job.js';

let orb: Record<string, unknown>;
const jobs: Job[] = [];
const TOO_OLD = 'is too old: applink-jwt needs Node.js 20.19 or newer. Use the applink/default executor (cimg/node:lts), or install a newer Node.js before this step.';
const NO_NPM = 'is, without npm): applink-jwt is installed with npm. Use the applink/default executor (cimg/node), or install npm before this step.';

beforeAll(async () => {
  const version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
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
