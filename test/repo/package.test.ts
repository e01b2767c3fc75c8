/**
 * The npm package is complete: prepack builds; package.json has repository, homepage, bugs,
 * keywords, license and engines; the repository's address is defined once (repository.url) and
 * the homepage, the issue tracker, the orb's display URLs, README's links to the docs and the URL
 * at the end of --help derive from it. README's links work in the installed package: relative ones
 * point at files the package ships, absolute ones into the repository at files that exist.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import YAML from 'yaml';
import { BIN, ROOT } from '../support/harness.js';

interface PackageJson {
  name: string;
  version: string;
  repository: { type: string; url: string };
  homepage: string;
  bugs: { url: string };
  keywords: string[];
  license: string;
  engines: { node: string };
  scripts: Record<string, string>;
  files: string[];
  bin: Record<string, string>;
  dependencies?: Record<string, string>;
}

let pkg: PackageJson;
let repository: string;
let packed: string[];

beforeAll(async () => {
  pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  repository = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
  // What npm would pack from the dist/ this run built (--ignore-scripts: no rebuild under the other tests).
  const result = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
  packed = (JSON.parse(result.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((file) => file.path);
});

/** Relative Markdown links (`[text](target)`) of a page, without anchors; absolute URLs and pure anchors left out. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.replace(/[#?].*$/, ''))
    .filter((target) => target !== '');
}

describe('package.json', () => {
  it('has the metadata a registry page and a security review need, and no runtime dependencies', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/) });
    expect(pkg.keywords).toEqual(expect.arrayContaining(['heroku', 'applink', 'salesforce', 'jwt', 'circleci']));
    expect(pkg.license).toBe('MIT');
    expect(pkg.engines.node).toBe('>=20.19');
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.bin).toEqual({ 'applink-jwt': 'dist/main.js' });
  });

  it('prepack builds, so npm pack and npm publish after npm ci ship dist/', () => {
    expect(pkg.scripts.prepack).toBe('node scripts/build.mjs');
  });

  it('defines the repository once: the homepage and the issue tracker derive from it', () => {
    expect(pkg.homepage).toBe(`${repository}#readme`);
    expect(pkg.bugs).toEqual({ url: `${repository}/issues` });
  });

  it('no other file spells the repository\'s address, except the orb source\'s display and README\'s links (both checked)', async () => {
    const slug = repository.replace(/^https:\/\/github\.com\//, '');
    const tracked = (await execa('git', ['ls-files'], { cwd: ROOT })).stdout.split('\n').filter((file) => file !== '' && file !== 'package.json' && file !== 'package-lock.json');
    const spelling: string[] = [];
    for (const file of tracked) {
      const text = await readFile(join(ROOT, file), 'latin1').catch(() => '');
      if (text.includes(slug)) spelling.push(file);
    }
    expect(spelling.filter((file) => !file.startsWith('test/'))).toEqual(['README.md', 'orb/src/@orb.yml']);
    const source = YAML.parse(await readFile(join(ROOT, 'orb/src/@orb.yml'), 'utf8')) as { display: unknown };
    expect(source.display).toEqual({ home_url: pkg.homepage, source_url: repository });
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const outsideLinks = readme.split(repository).length - 1 - [...readme.matchAll(/\]\(https:\/\/github\.com\/[^)]+\)/g)].filter((match) => match[0].startsWith(`](${repository}/blob/main/`)).length;
    expect(outsideLinks).toBe(0);
  });

  it('npm run orb:pack sets the orb\'s display URLs from package.json', async () => {
    const script = "import { orbDisplay } from './scripts/orb-pack.mjs'; process.stdout.write(JSON.stringify(await orbDisplay()));";
    const result = await execa(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(JSON.parse(result.stdout)).toEqual({ home_url: pkg.homepage, source_url: repository });
    const packer = await readFile(join(ROOT, 'scripts/orb-pack.mjs'), 'utf8');
    expect(packer).toContain('display: await orbDisplay()');
  });

  it('the built CLI ends its --help with the documentation and issue tracker URLs', async () => {
    const result = await execa(process.execPath, [BIN, '--help'], { cwd: ROOT });
    expect(result.stdout.split('\n').slice(-2)).toEqual([`Documentation: ${pkg.homepage}`, `Report a problem: ${pkg.bugs.url}`]);
  });
});

describe('the packed files', () => {
  it('are the bundle, its notices and SBOM, README, LICENSE and package.json', () => {
    const unexpected = packed.filter((path) => !/^(package\.json|README\.md|LICENSE|dist\/main\.js|dist\/chunks\/[\w.-]+\.js|dist\/THIRD_PARTY_NOTICES\.md|dist\/sbom\.cdx\.json)$/.test(path));
    expect(unexpected).toEqual([]);
    expect(packed).toEqual(expect.arrayContaining(['dist/main.js', 'dist/THIRD_PARTY_NOTICES.md', 'dist/sbom.cdx.json', 'README.md', 'LICENSE']));
  });

  it('README\'s links work from the installed package: relative ones to shipped files, absolute ones to files of this repository', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const broken: string[] = [];
    for (const link of relativeLinks(readme)) {
      if (!packed.includes(posix.normalize(link))) broken.push(`${link}: relative, but the package does not ship it; link to ${repository}/blob/main/${link} instead`);
    }
    const absolute = [...readme.matchAll(/\]\((https:\/\/github\.com\/[\w.-]+\/[\w.-]+)\/(?:blob|tree)\/main\/([^)#\s]+)(#[^)]*)?\)/g)];
    for (const [, base, path] of absolute) {
      if (base !== repository) broken.push(`${base}/.../${path}: not the repository in package.json (${repository})`);
      else if (!(await access(join(ROOT, path!)).then(() => true, () => false))) broken.push(`${path}: no such file in this repository`);
    }
    expect(broken).toEqual([]);
    expect(absolute.length).toBeGreaterThan(5);
  });

  it('every relative link between the pages of docs/ resolves to a file of the repository', async () => {
    const pages = (await readdir(join(ROOT, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
    const broken: string[] = [];
    for (const page of pages) {
      for (const link of relativeLinks(await readFile(join(ROOT, page), 'utf8'))) {
        const target = posix.normalize(posix.join(posix.dirname(page), link));
        if (!(await access(join(ROOT, target)).then(() => true, () => false))) broken.push(`${page} links to ${link}, which does not exist`);
      }
    }
    expect(broken).toEqual([]);
  });
});
