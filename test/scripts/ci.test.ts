/**
 * The shell scripts the CircleCI pipeline runs (scripts/ci/*.sh), run here with bash: the orb
 * source with the CLI version pinned (what orb-tools/pack packs), the tarball release:check packed
 * kept with its sha256, npm publish of that tarball (a fake npm on the PATH records what it is asked), and the sandbox's
 * environment exported from a real `applink-jwt sandbox --json` started in the background.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { packOrb } from '../../scripts/orb/pack.js';
import { BIN, ROOT } from '../support/harness.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'applink-ci-'));
  dirs.push(dir);
  return dir;
}

const script = (name: string) => join(ROOT, 'scripts/ci', name);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('orb-release-source.sh', () => {
  it('writes orb/src with the version pinned: circleci orb pack of it gives what npm run orb:pack gives', async () => {
    const out = join(await scratch(), 'orb/src');
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await execa('bash', [script('orb-release-source.sh'), out], { cwd: ROOT, reject: false });
    expect(result).toMatchObject({ exitCode: 0, stdout: `Wrote ${out}: orb/src with the CLI version ${version} pinned.`, stderr: '' });
    const [released, packed] = await Promise.all([packOrb(out), packOrb(join(ROOT, 'orb/src'), { version })]);
    expect(released.yaml).toBe(packed.yaml);
    expect(released.yaml).toContain(`default: ${version}\n`);
  });

  it('refuses to run outside the repository root', async () => {
    const dir = await scratch();
    const result = await execa('bash', [script('orb-release-source.sh'), join(dir, 'out')], { cwd: dir, reject: false });
    expect(result).toMatchObject({ exitCode: 1, stderr: 'scripts/ci/orb-release-source.sh: run it from the repository root (package.json and orb/src).' });
  });
});

/** A directory holding what `npm run release:check -- --out <dir>` leaves: one packed tarball. */
async function packedRelease(dir: string, version = '1.2.3'): Promise<string> {
  const pkg = join(dir, 'package');
  await mkdir(pkg, { recursive: true });
  await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'applink-jwt', version, files: ['index.js'] }, null, 2));
  await writeFile(join(pkg, 'index.js'), 'export {};\n');
  await mkdir(join(dir, 'release'));
  await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', join(dir, 'release')], { cwd: pkg });
  return join(dir, 'release');
}

describe('release-tarball.sh', () => {
  it('keeps the tarball as applink-jwt.tgz, and writes and prints its sha256', async () => {
    const release = await packedRelease(await scratch());
    const result = await execa('bash', [script('release-tarball.sh'), release], { reject: false });
    const tarball = await readFile(join(release, 'applink-jwt.tgz'));
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(result.stdout.split('\n')).toEqual([`Kept applink-jwt-1.2.3.tgz as ${release}/applink-jwt.tgz`, `sha256 ${sha256(tarball)}  applink-jwt.tgz`]);
    expect(await readFile(join(release, 'SHA256SUMS'), 'utf8')).toBe(`${sha256(tarball)}  applink-jwt.tgz\n`);
    expect((await readdir(release)).sort()).toEqual(['SHA256SUMS', 'applink-jwt.tgz']);
  });

  it('fails unless release:check left exactly one tarball', async () => {
    const dir = await scratch();
    const empty = await execa('bash', [script('release-tarball.sh'), dir], { reject: false });
    expect(empty).toMatchObject({ exitCode: 1, stderr: `scripts/ci/release-tarball.sh: expected one applink-jwt-*.tgz in ${dir} (from npm run release:check -- --out ${dir}), found 0.` });
  });
});

describe('npm-publish.sh', () => {
  const TOKEN = 'npm_0123456789abcdefTOKENvalue';

  let packed: string;
  beforeAll(async () => {
    packed = await mkdtemp(join(tmpdir(), 'applink-ci-packed-'));
    await execa('bash', [script('release-tarball.sh'), await packedRelease(packed)]);
  });
  afterAll(() => rm(packed, { recursive: true, force: true }));

  /** A copy of a packed release directory, and a fake npm that logs its argv and its user config's text. */
  async function setup() {
    const pkg = await scratch();
    await cp(join(packed, 'release'), join(pkg, 'release'), { recursive: true });
    const bin = await scratch();
    const log = join(bin, 'npm.log');
    await writeFile(
      join(bin, 'npm'),
      [
        '#!/bin/bash',
        `{ printf 'argv:'; printf ' %s' "$@"; printf '\\n'; printf 'userconfig: %s\\n' "$(cat "$npm_config_userconfig")"; } >>"${log}"`,
        'if [ "$1" = view ]; then [ -n "${FAKE_PUBLISHED:-}" ] || exit 1; echo "$FAKE_PUBLISHED"; fi',
        '',
      ].join('\n'),
    );
    await chmod(join(bin, 'npm'), 0o755);
    const tarball = await readFile(join(pkg, 'release/applink-jwt.tgz'));
    const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    const run = (env: Record<string, string> = {}) =>
      execa('bash', [script('npm-publish.sh'), join(pkg, 'release')], { cwd: pkg, reject: false, env: { PATH: `${bin}:${process.env.PATH}`, NPM_TOKEN: TOKEN, ...env } });
    const calls = async () => (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
    return { pkg, run, calls, integrity };
  }

  it('checks the sum, then publishes that tarball with the token named (not written) in a temporary npm config', async () => {
    const { pkg, run, calls, integrity } = await setup();
    const result = await run();
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(result.stdout.split('\n')).toEqual(['applink-jwt.tgz: OK', `Published applink-jwt@1.2.3 (${integrity}).`]);
    expect(await calls()).toEqual([
      'argv: view applink-jwt@1.2.3 dist.integrity --registry https://registry.npmjs.org/',
      'userconfig: //registry.npmjs.org/:_authToken=${NPM_TOKEN}',
      `argv: publish ${join(pkg, 'release/applink-jwt.tgz')} --access public --registry https://registry.npmjs.org/`,
      'userconfig: //registry.npmjs.org/:_authToken=${NPM_TOKEN}',
    ]);
    expect(`${result.stdout}${result.stderr}${(await calls()).join('\n')}`).not.toContain(TOKEN);
  });

  it('skips a rerun (the same tarball is published) and fails when another tarball holds the version', async () => {
    const { run, calls, integrity } = await setup();
    const same = await run({ FAKE_PUBLISHED: integrity });
    expect(same).toMatchObject({ exitCode: 0, stdout: 'applink-jwt.tgz: OK\napplink-jwt@1.2.3 is already published with this tarball; nothing to do.' });
    const other = await run({ FAKE_PUBLISHED: 'sha512-other' });
    expect(other).toMatchObject({
      exitCode: 1,
      stderr: 'scripts/ci/npm-publish.sh: applink-jwt@1.2.3 is already published with another tarball (sha512-other). Bump the version in package.json and tag again.',
    });
    expect((await calls()).filter((line) => line.startsWith('argv: publish'))).toEqual([]);
  });

  it('publishes nothing when the tarball is not the one packed (sha256) or NPM_TOKEN is empty', async () => {
    const { pkg, run, calls } = await setup();
    const noToken = await run({ NPM_TOKEN: '' });
    expect(noToken).toMatchObject({ exitCode: 1, stderr: 'scripts/ci/npm-publish.sh: NPM_TOKEN is empty. Add an npm automation token as NPM_TOKEN to the context this job uses.' });
    await writeFile(join(pkg, 'release/applink-jwt.tgz'), 'not the tarball');
    const changed = await run();
    expect(changed.exitCode).toBe(1);
    expect(changed.stderr).toContain('scripts/ci/npm-publish.sh: ');
    expect(changed.stderr.split('\n').at(-1)).toBe(`scripts/ci/npm-publish.sh: ${join(pkg, 'release')}/applink-jwt.tgz is not the tarball the tests installed (sha256 differs).`);
    expect(await calls()).toEqual([]);
  });
});

describe('sandbox-env.sh', () => {
  it("exports the environment of a sandbox started in the background, and the key file's text", async () => {
    const dir = await scratch();
    const jsonl = join(dir, 'sandbox.jsonl');
    const key = join(dir, 'server.key');
    await writeFile(key, '-----BEGIN PRIVATE KEY-----\nline "two" $x\n-----END PRIVATE KEY-----\n');
    const output = await open(jsonl, 'w');
    // As the pipeline's background step: the sandbox writes its JSON line to a file.
    const child = spawn(process.execPath, [BIN, 'sandbox', '--json'], { stdio: ['ignore', output.fd, 'inherit'] });
    try {
      const result = await execa('bash', [script('sandbox-env.sh'), jsonl, key], { reject: false });
      expect(result).toMatchObject({ exitCode: 0, stderr: '' });
      const started = (JSON.parse((await readFile(jsonl, 'utf8')).split('\n')[0]!) as { result: { url: string; env: Record<string, string> } }).result;
      // What later steps get: BASH_ENV sourced by each step's bash.
      await writeFile(join(dir, 'bash_env'), result.stdout);
      const sourced = await execa('bash', ['-c', 'printf "%s\\n%s" "$SF_LOGIN_URL" "$JWT_PRIVATE_KEY"'], { reject: false, env: { BASH_ENV: join(dir, 'bash_env') } });
      expect(sourced.stdout).toBe(`${started.env.SF_LOGIN_URL}\n-----BEGIN PRIVATE KEY-----\nline "two" $x\n-----END PRIVATE KEY-----`);
      expect(result.stdout.split('\n').filter((line) => line.startsWith('export ')).length).toBe(Object.keys(started.env).length + 1);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await output.close();
    }
  });

  it('fails naming the file when the sandbox writes nothing in time', async () => {
    const dir = await scratch();
    const result = await execa('bash', [script('sandbox-env.sh'), join(dir, 'sandbox.jsonl')], { reject: false, env: { SANDBOX_WAIT_SECONDS: '1' } });
    expect(result).toMatchObject({
      exitCode: 1,
      stdout: '',
      stderr: `scripts/ci/sandbox-env.sh: the sandbox wrote no environment to ${join(dir, 'sandbox.jsonl')} within 1 s. See the output of the step that starts it.`,
    });
  });
});
