/**
 * The notices file and the SBOM that the build writes into dist/ (scripts/supply-chain.ts): every
 * package esbuild bundled is in both, with its license text in the notices; the SBOM is valid
 * CycloneDX 1.6; a license off the allow-list or a package without license text is refused.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { bundledPackages, licenseProblems, npmPurl, packageRootOf, renderNotices, renderSbom, type BundledPackage } from '../../scripts/supply-chain.js';
import { ROOT } from '../support/harness.js';

interface SbomComponent { name: string; group?: string; version: string; purl: string; 'bom-ref': string; licenses: Array<{ license?: { id?: string } }>; hashes?: Array<{ alg: string; content: string }> }

const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
let metaRoots: string[];
let notices: string;
let sbomText: string;
let sbom: { components: SbomComponent[]; metadata: { component: { name: string; version: string } } };

beforeAll(async () => {
  const meta = JSON.parse(await readFile(join(ROOT, 'dist/meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
  metaRoots = [...new Set(Object.keys(meta.inputs).map(packageRootOf).filter((path): path is string => path !== undefined))].sort();
  notices = await readFile(join(ROOT, 'dist/THIRD_PARTY_NOTICES.md'), 'utf8');
  sbomText = await readFile(join(ROOT, 'dist/sbom.cdx.json'), 'utf8');
  sbom = JSON.parse(sbomText) as typeof sbom;
});

/** The notices file's sections: `## name version` and the text up to the next section. */
function sections(text: string): Map<string, string> {
  const found = new Map<string, string>();
  const parts = text.split(/^## /m).slice(1);
  for (const part of parts) {
    const [heading, ...body] = part.split('\n');
    found.set(heading!, body.join('\n'));
  }
  return found;
}

describe('the built notices file and SBOM (dist/)', () => {
  it('the bundle has third-party packages (all of node_modules that the metafile lists)', () => {
    expect(metaRoots.length).toBeGreaterThan(20);
    expect(metaRoots).toEqual(expect.arrayContaining(['node_modules/commander', 'node_modules/jose', 'node_modules/@peculiar/x509', 'node_modules/asn1js', 'node_modules/ajv', 'node_modules/yaml']));
  });

  it('the notices have a section with a license text for every bundled package', async () => {
    const bySection = sections(notices);
    const missing: string[] = [];
    for (const path of metaRoots) {
      const manifest = JSON.parse(await readFile(join(ROOT, path, 'package.json'), 'utf8')) as { name: string; version: string };
      const body = bySection.get(`${manifest.name} ${manifest.version}`);
      if (body === undefined) missing.push(`${path}: no section "## ${manifest.name} ${manifest.version}"`);
      else if (!/```text\n[^`]*\b(permission|licen[cs]e|copyright)\b/i.test(body)) missing.push(`${path}: no license text`);
    }
    expect(missing).toEqual([]);
    expect(bySection.size).toBe(metaRoots.length);
    expect(bySection.get('commander 14.0.3') ?? '').toContain('Permission is hereby granted, free of charge');
  });

  it('the SBOM lists every bundled package with its version, package URL, license and tarball hash', async () => {
    expect(sbom.metadata.component).toMatchObject({ name: 'applink-jwt', version: (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version });
    expect(sbom.components).toHaveLength(metaRoots.length);
    for (const path of metaRoots) {
      const manifest = JSON.parse(await readFile(join(ROOT, path, 'package.json'), 'utf8')) as { name: string; version: string; license: string };
      const component = sbom.components.find((candidate) => candidate['bom-ref'].endsWith(`#${path}`));
      expect({ path, component: component && { purl: component.purl, version: component.version, license: component.licenses[0]?.license?.id, hash: component.hashes?.[0]?.alg } }).toEqual({
        path,
        component: { purl: npmPurl(manifest.name, manifest.version), version: manifest.version, license: manifest.license, hash: 'SHA-512' },
      });
    }
  });

  it('the SBOM is valid CycloneDX 1.6 JSON (the format\'s own schema), and the validator does reject a broken one', async () => {
    expect(await validator.validate(sbomText)).toBeNull();
    const broken = JSON.parse(sbomText) as { components: Array<Record<string, unknown>> };
    delete broken.components[0]!.name;
    broken.components[1]!.licenses = [{ license: { id: 'Not-A-License' } }];
    expect(await validator.validate(JSON.stringify(broken))).not.toBeNull();
  });
});

describe('bundledPackages, licenseProblems and the renderers', () => {
  let dir: string;
  const pkg = (name: string, license: string, files: Record<string, string>) => ({ name, license, files });
  const fixtures = [
    pkg('plain', 'MIT', { LICENSE: 'MIT License\n\nCopyright (c) Plain\n\nPermission is hereby granted...' }),
    pkg('@scope/dual', '(MIT OR GPL-3.0-only)', { 'LICENSE-MIT': 'MIT text', 'LICENSE-GPL': 'GPL text' }),
    pkg('copyleft', 'GPL-3.0-only', { COPYING: 'GNU GENERAL PUBLIC LICENSE' }),
    pkg('bare', 'ISC', { 'README.md': 'no license file here' }),
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'applink-supply-chain-'));
    for (const fixture of fixtures) {
      const at = join(dir, 'node_modules', fixture.name);
      await mkdir(at, { recursive: true });
      await writeFile(join(at, 'package.json'), JSON.stringify({ name: fixture.name, version: '1.0.0', license: fixture.license }));
      for (const [file, text] of Object.entries(fixture.files)) await writeFile(join(at, file), text);
    }
    // A copy nested under another package (a second version of the same name).
    await mkdir(join(dir, 'node_modules/copyleft/node_modules/plain'), { recursive: true });
    await writeFile(join(dir, 'node_modules/copyleft/node_modules/plain/package.json'), JSON.stringify({ name: 'plain', version: '0.9.0', licenses: [{ type: 'MIT' }] }));
    await writeFile(join(dir, 'node_modules/copyleft/node_modules/plain/LICENSE'), 'old MIT text');
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify({ packages: { 'node_modules/plain': { integrity: `sha512-${Buffer.alloc(64, 1).toString('base64')}` } } }));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function found(): Promise<BundledPackage[]> {
    return bundledPackages({ inputs: {
      'cli/main.ts': {},
      'node_modules/plain/index.js': {},
      'node_modules/plain/lib/more.js': {},
      'node_modules/@scope/dual/dist/esm/index.js': {},
      'node_modules/copyleft/index.js': {},
      'node_modules/copyleft/node_modules/plain/index.js': {},
      'node_modules/bare/index.js': {},
    } }, dir);
  }

  it('finds each package root once, scoped and nested ones too, with license files and integrity', async () => {
    const packages = await found();
    expect(packages.map((entry) => [entry.path, entry.name, entry.version, entry.license, entry.licenseFiles.map((file) => file.file)])).toEqual([
      ['node_modules/@scope/dual', '@scope/dual', '1.0.0', '(MIT OR GPL-3.0-only)', ['LICENSE-GPL', 'LICENSE-MIT']],
      ['node_modules/bare', 'bare', '1.0.0', 'ISC', []],
      ['node_modules/copyleft', 'copyleft', '1.0.0', 'GPL-3.0-only', ['COPYING']],
      ['node_modules/copyleft/node_modules/plain', 'plain', '0.9.0', 'MIT', ['LICENSE']],
      ['node_modules/plain', 'plain', '1.0.0', 'MIT', ['LICENSE']],
    ]);
    expect(packages.find((entry) => entry.path === 'node_modules/plain')!.integrity).toMatch(/^sha512-/);
  });

  it('refuses a license off the allow-list and a package without license text; accepts an OR with an allowed choice', async () => {
    expect(licenseProblems(await found())).toEqual([
      'bare@1.0.0 (node_modules/bare) ships no license text (no LICENSE, LICENCE or COPYING file in its package). Find the text its license requires to travel with copies and add it, or stop bundling it.',
      'copyleft@1.0.0 (node_modules/copyleft) is licensed GPL-3.0-only, which is not on the allow-list (MIT, ISC, BSD-2-Clause, BSD-3-Clause, Apache-2.0, 0BSD). Review its terms; if they allow bundling with notices, add it to ALLOWED_LICENSES in scripts/supply-chain.ts with the reason, or stop bundling it.',
    ]);
    expect(licenseProblems((await found()).filter((entry) => !['bare', 'copyleft'].includes(entry.name)))).toEqual([]);
  });

  it('renders notices with every text and an SBOM that validates, byte for byte the same twice', async () => {
    const packages = (await found()).filter((entry) => !['bare', 'copyleft'].includes(entry.name));
    const project = { name: 'demo-project', version: '1.2.3', license: 'MIT' };
    const text = renderNotices(project, packages);
    expect([...sections(text).keys()]).toEqual(['@scope/dual 1.0.0', 'plain 0.9.0', 'plain 1.0.0']);
    expect(text).toContain('LICENSE-MIT:\n\n```text\nMIT text\n```');
    const first = renderSbom(project, packages);
    expect(renderSbom(project, packages)).toBe(first);
    expect(await validator.validate(first)).toBeNull();
    const parsed = JSON.parse(first) as { serialNumber: string; components: SbomComponent[] };
    expect(parsed.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parsed.components.map((component) => component.purl)).toEqual(['pkg:npm/%40scope/dual@1.0.0', 'pkg:npm/plain@0.9.0', 'pkg:npm/plain@1.0.0']);
  });
});
