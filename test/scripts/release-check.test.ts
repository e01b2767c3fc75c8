/**
 * `npm run release:check` (scripts/release-check.mjs), step by step as the release pipeline runs
 * it: the tag/version agreement, the package contents (a tarball without its bin fails), two
 * builds from clean copies giving the same tarball (and a build that differs failing the check),
 * and the packed tarball installed in an empty project running --version, --help and demo.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { ROOT } from '../support/harness.js';

const SCRIPT = join(ROOT, 'scripts/release-check.mjs');
let scratch: string;
let version: string;

/** Runs the release check with `args`, with CIRCLE_TAG cleared unless given. */
function releaseCheck(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [SCRIPT, ...args], { cwd: ROOT, reject: false, env: { CIRCLE_TAG: '', ...env }, timeout: 240_000 });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'applink-release-check-'));
  version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('--step version (scripts/release-tag.ts, as the pipeline runs it)', () => {
  it('fails when the release tag differs from package.json\'s version, naming both and the fix', async () => {
    const result = await releaseCheck(['--step', 'version', '--tag', 'v9.9.9']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `release check failed: Release tag v9.9.9 does not match package.json version ${version}. Fix: set "version" to 9.9.9 in package.json (npm version 9.9.9 --no-git-tag-version), commit, and move the tag to that commit; or delete the tag (git push --delete origin v9.9.9) and tag v${version}.`,
    );
    const fromCircle = await releaseCheck(['--step', 'version'], { CIRCLE_TAG: `v${version}.1` });
    expect(fromCircle.exitCode).toBe(1);
    expect(fromCircle.stderr).toContain(`Release tag v${version}.1 does not match package.json version ${version}`);
  });

  it('passes when they agree (from --tag or CIRCLE_TAG), and says when there is no tag to compare', async () => {
    expect((await releaseCheck(['--step', 'version', '--tag', `v${version}`])).stdout).toBe(`version: Release tag v${version} matches package.json version ${version}.`);
    expect((await releaseCheck(['--step', 'version'], { CIRCLE_TAG: `v${version}` })).exitCode).toBe(0);
    const untagged = await releaseCheck(['--step', 'version']);
    expect(untagged).toMatchObject({ exitCode: 0, stdout: 'version: No tag (CIRCLE_TAG is empty): not a release, nothing to compare.' });
  });

  it('refuses an unknown step, naming the steps', async () => {
    const result = await releaseCheck(['--step', 'publish']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe('release check failed: unknown step "publish" (steps: version, reproducible, pack, contents, orb, install).');
  });
});

describe('--step contents', () => {
  it('fails on a tarball without the bin (npm pack of a package whose dist/ was never built)', async () => {
    const out = join(scratch, 'no-bin');
    await mkdir(out, { recursive: true });
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: join(ROOT, 'test/fixtures/release/no-bin') });
    const tarball = join(out, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
    const result = await releaseCheck(['--step', 'contents', '--tarball', tarball]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      `release check failed: ${tarball}:`,
      '- the bin "applink-jwt" is dist/main.js, which is not in the tarball (was it built? npm pack runs prepack, which builds; files in package.json must list it)',
      '- dist/THIRD_PARTY_NOTICES.md is missing',
      '- dist/sbom.cdx.json is missing',
      '- README.md links to docs/commands.md, which is not in the package (ship it, or link to it absolutely)',
    ]);
  });
});

describe('clean builds, the tarball, and the installed package', () => {
  let reproducible: Awaited<ReturnType<typeof releaseCheck>>;
  let differing: Awaited<ReturnType<typeof releaseCheck>>;
  const out = () => join(scratch, 'release');

  beforeAll(async () => {
    // Four builds in all; the two checks run side by side.
    [reproducible, differing] = await Promise.all([
      releaseCheck(['--step', 'reproducible', '--out', out()]),
      releaseCheck(['--step', 'reproducible', '--inject-timestamp', '--out', join(scratch, 'stamped')]),
    ]);
  }, 300_000);

  it('two builds from clean copies of the checkout give the same tarball, whose sha256 is printed', () => {
    expect(reproducible.stderr).toBe('');
    expect(reproducible.exitCode).toBe(0);
    const [line, sum] = reproducible.stdout.split('\n');
    const hash = /^reproducible: two clean builds gave the same tarball, sha256 ([0-9a-f]{64}) \(Node\.js v[\d.]+, npm [\d.]+\)$/.exec(line ?? '')?.[1];
    expect(hash).toBeDefined();
    expect(sum).toBe(`${hash}  applink-jwt-${version}.tgz`);
  });

  it('fails when the two builds differ (a timestamp injected into each build), naming the files', () => {
    expect(differing.exitCode).toBe(1);
    expect(differing.stderr).toMatch(/^release check failed: two builds from clean copies of the same checkout gave different tarballs: sha256 ([0-9a-f]{64}) and (?!\1)[0-9a-f]{64}\. Differing files \(\d+\): package\/dist\/main\.js, .*\. Something in the build depends on the time, the path or the machine; make it deterministic\.$/);
  });

  it('the tarball passes the contents check, and installed in an empty project runs --version, --help and demo', async () => {
    const result = await releaseCheck(['--step', 'contents', '--step', 'install', '--out', out()]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').slice(0, 2)).toEqual([
      expect.stringMatching(/^contents: \d+ files; bin dist\/main\.js executable with its chunks; notices, SBOM, README and LICENSE present; README's relative links resolve$/),
      expect.stringMatching(new RegExp(`^install: npm install of the tarball in an empty project; npx applink-jwt --version \\(${version.replace(/\./g, '\\.')}\\), --help and demo ran; the installed README's \\d+ relative link\\(s\\) resolve$`)),
    ]);
  }, 120_000);
});
