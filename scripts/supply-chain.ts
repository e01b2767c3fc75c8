/**
 * What the CLI bundle is made of, from esbuild's metafile: the third-party packages whose files went
 * into dist/, each with its version and license (identifier and full text from its own package),
 * rendered as the notices file and as a CycloneDX SBOM. scripts/build.mjs writes both into dist/;
 * a package whose license is not on the allow-list, or that ships no license text, fails the build.
 * Repository tooling: never part of the CLI bundle.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';

/**
 * Licenses whose terms the notices file satisfies (keep the notice and the license text with the
 * copies). Apache-2.0 also asks that a NOTICE file travel along: the notices file carries it too.
 */
export const ALLOWED_LICENSES: readonly string[] = ['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0', '0BSD'];

/** The part of esbuild's metafile this module reads. */
export interface Metafile {
  inputs: Record<string, unknown>;
}

export interface LicenseFile {
  /** The file's name in the package (LICENSE, LICENSE.md, NOTICE, ...). */
  file: string;
  text: string;
}

export interface BundledPackage {
  name: string;
  version: string;
  /** The package.json `license` (an SPDX identifier or expression), or `UNKNOWN`. */
  license: string;
  /** Where it was installed, relative to the project root (`node_modules/jose`). */
  path: string;
  /** License, licence, copying and notice files of the package root, in name order. */
  licenseFiles: LicenseFile[];
  /** The npm tarball's integrity from package-lock.json (`sha512-<base64>`), when known. */
  integrity?: string;
  /** The package.json `homepage`, when given. */
  homepage?: string;
}

export interface Project {
  name: string;
  version: string;
  license: string;
  description?: string;
  homepage?: string;
}

/** The package root of a bundled input path (`node_modules/@scope/name/...` → `node_modules/@scope/name`), or undefined for the project's own files. */
export function packageRootOf(inputPath: string): string | undefined {
  const path = inputPath.replace(/\\/g, '/');
  // From the project's node_modules on (what precedes it is where the project is).
  const first = path.indexOf('node_modules/');
  if (first < 0) return undefined;
  const normalized = path.slice(first);
  const at = normalized.lastIndexOf('node_modules/');
  const rest = normalized.slice(at + 'node_modules/'.length).split('/');
  const depth = rest[0]?.startsWith('@') ? 2 : 1;
  if (rest.length <= depth) return undefined;
  return normalized.slice(0, at + 'node_modules/'.length) + rest.slice(0, depth).join('/');
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

function licenseOf(manifest: Record<string, unknown>): string {
  if (typeof manifest.license === 'string' && manifest.license.trim() !== '') return manifest.license.trim();
  // The deprecated form: "licenses": [{ "type": "MIT" }].
  if (Array.isArray(manifest.licenses)) {
    const types = manifest.licenses.map((entry) => (entry as { type?: unknown })?.type).filter((type): type is string => typeof type === 'string');
    if (types.length > 0) return types.length === 1 ? types[0]! : `(${types.join(' OR ')})`;
  }
  return 'UNKNOWN';
}

/**
 * Every third-party package with at least one file among the metafile's inputs, sorted by path,
 * with its license texts read from the package itself.
 */
export async function bundledPackages(metafile: Metafile, root: string): Promise<BundledPackage[]> {
  const roots = [...new Set(Object.keys(metafile.inputs).map(packageRootOf).filter((path): path is string => path !== undefined))].sort();
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8').catch(() => '{}')) as { packages?: Record<string, { integrity?: string }> };
  return Promise.all(
    roots.map(async (path) => {
      const manifest = JSON.parse(await readFile(join(root, path, 'package.json'), 'utf8')) as Record<string, unknown>;
      const names = (await readdir(join(root, path), { withFileTypes: true })).filter((entry) => entry.isFile() && LICENSE_FILE.test(entry.name)).map((entry) => entry.name).sort();
      const licenseFiles = await Promise.all(names.map(async (file) => ({ file, text: (await readFile(join(root, path, file), 'utf8')).replace(/\r\n/g, '\n').trimEnd() })));
      const found: BundledPackage = { name: String(manifest.name), version: String(manifest.version), license: licenseOf(manifest), path, licenseFiles };
      const integrity = lock.packages?.[path]?.integrity;
      if (integrity !== undefined) found.integrity = integrity;
      if (typeof manifest.homepage === 'string') found.homepage = manifest.homepage;
      return found;
    }),
  );
}

/** The SPDX identifiers an expression allows choosing between (`(MIT OR Apache-2.0)`), or that it requires all of (AND). */
function licenseAllowed(expression: string, allowed: readonly string[]): boolean {
  const inner = expression.replace(/^\((.*)\)$/, '$1').trim();
  if (/\sOR\s/i.test(inner)) return inner.split(/\s+OR\s+/i).some((part) => licenseAllowed(part, allowed));
  if (/\sAND\s/i.test(inner)) return inner.split(/\s+AND\s+/i).every((part) => licenseAllowed(part, allowed));
  return allowed.includes(inner);
}

/** What keeps these packages from being shipped: a license off the allow-list, or no license text. Empty when none. */
export function licenseProblems(packages: readonly BundledPackage[], allowed: readonly string[] = ALLOWED_LICENSES): string[] {
  const problems: string[] = [];
  for (const pkg of packages) {
    if (!licenseAllowed(pkg.license, allowed)) {
      problems.push(`${pkg.name}@${pkg.version} (${pkg.path}) is licensed ${pkg.license}, which is not on the allow-list (${allowed.join(', ')}). Review its terms; if they allow bundling with notices, add it to ALLOWED_LICENSES in scripts/supply-chain.ts with the reason, or stop bundling it.`);
    }
    if (!pkg.licenseFiles.some((file) => !/^notice/i.test(file.file) && file.text.trim() !== '')) {
      problems.push(`${pkg.name}@${pkg.version} (${pkg.path}) ships no license text (no LICENSE, LICENCE or COPYING file in its package). Find the text its license requires to travel with copies and add it, or stop bundling it.`);
    }
  }
  return problems;
}

/** THIRD_PARTY_NOTICES.md: every bundled package with its version, license and full license text. */
export function renderNotices(project: Project, packages: readonly BundledPackage[]): string {
  const lines = [
    `# Third-party notices for ${project.name} ${project.version}`,
    '',
    `${project.name} is licensed ${project.license} (see LICENSE). Its bundle (dist/main.js and dist/chunks/)`,
    `includes code from the ${packages.length} packages below, listed by where npm installed them, each`,
    'with the license text from its own package. sbom.cdx.json lists the same packages as a CycloneDX SBOM.',
    '',
    '| Package | Version | License |',
    '| --- | --- | --- |',
    ...packages.map((pkg) => `| ${pkg.name} | ${pkg.version} | ${pkg.license} |`),
  ];
  for (const pkg of packages) {
    lines.push('', `## ${pkg.name} ${pkg.version}`, '', `License: ${pkg.license}${pkg.homepage ? `. Home: ${pkg.homepage}` : ''}`);
    for (const file of pkg.licenseFiles) {
      const fence = file.text.includes('```') ? '~~~~' : '```';
      lines.push('', `${file.file}:`, '', `${fence}text`, file.text, fence);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The package URL of an npm package (`pkg:npm/%40peculiar/x509@2.2.0`). */
export function npmPurl(name: string, version: string): string {
  const [namespace, base] = name.startsWith('@') ? (name.split('/', 2) as [string, string]) : [undefined, name];
  return new PackageURL('npm', namespace, base, version, undefined, undefined).toString();
}

function licensesOf(expression: string): Models.LicenseRepository {
  const inner = expression.replace(/^\((.*)\)$/, '$1').trim();
  if (/^[A-Za-z0-9.+-]+$/.test(inner) && inner !== 'UNKNOWN') return new Models.LicenseRepository([new Models.SpdxLicense(inner)]);
  if (inner === 'UNKNOWN') return new Models.LicenseRepository([new Models.NamedLicense('UNKNOWN')]);
  return new Models.LicenseRepository([new Models.LicenseExpression(expression)]);
}

/** `sha512-<base64>` (npm's integrity) as CycloneDX hex content. */
function sha512Hex(integrity: string | undefined): string | undefined {
  const match = /^sha512-([A-Za-z0-9+/=]+)$/.exec(integrity ?? '');
  return match ? Buffer.from(match[1]!, 'base64').toString('hex') : undefined;
}

/**
 * The CycloneDX 1.6 JSON SBOM of the bundled packages: name, group, version, package URL, license,
 * and the npm tarball's SHA-512. Deterministic (sorted lists, no timestamp, a serial number derived
 * from the content), so two builds of one commit give the same bytes.
 */
export function renderSbom(project: Project, packages: readonly BundledPackage[]): string {
  const bom = new Models.Bom();
  const main = new Models.Component(Enums.ComponentType.Application, project.name, {
    version: project.version,
    bomRef: npmPurl(project.name, project.version),
    purl: npmPurl(project.name, project.version),
    licenses: licensesOf(project.license),
    description: project.description,
  });
  if (project.homepage) main.externalReferences.add(new Models.ExternalReference(project.homepage, Enums.ExternalReferenceType.Website));
  bom.metadata.component = main;
  for (const pkg of packages) {
    const [group, name] = pkg.name.startsWith('@') ? (pkg.name.split('/', 2) as [string, string]) : [undefined, pkg.name];
    const purl = npmPurl(pkg.name, pkg.version);
    const component = new Models.Component(Enums.ComponentType.Library, name, {
      group,
      version: pkg.version,
      // One package name can be installed twice in different versions (tslib 1 and 2): the path tells them apart.
      bomRef: `${purl}#${pkg.path}`,
      purl: purl,
      licenses: licensesOf(pkg.license),
      scope: Enums.ComponentScope.Required,
    });
    const hex = sha512Hex(pkg.integrity);
    if (hex !== undefined) component.hashes.set(Enums.HashAlgorithm['SHA-512'], hex);
    if (pkg.homepage && URL.canParse(pkg.homepage)) component.externalReferences.add(new Models.ExternalReference(pkg.homepage, Enums.ExternalReferenceType.Website));
    bom.components.add(component);
    main.dependencies.add(component.bomRef);
  }
  const digest = createHash('sha256').update(JSON.stringify([project.name, project.version, packages.map((pkg) => [pkg.path, pkg.name, pkg.version, pkg.license, pkg.integrity ?? ''])])).digest('hex');
  bom.serialNumber = `urn:uuid:${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-${((parseInt(digest.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: true })}\n`;
}
