// Bundles the CLI into dist/: one ESM entry (dist/main.js) plus chunks that commands load lazily,
// then writes what the bundle is made of: dist/THIRD_PARTY_NOTICES.md (each bundled package's
// license text) and dist/sbom.cdx.json (CycloneDX), from esbuild's metafile (scripts/supply-chain.ts).
// A bundled package whose license is off the allow-list, or that ships no license text, fails it.
//
// Options: --stamp TEXT appends the comment `// TEXT` to dist/main.js. Only the reproducibility
// check's own test uses it (scripts/release-check.mjs --inject-timestamp): a build that differs
// must make that check fail.
import { build } from 'esbuild';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const args = process.argv.slice(2);
const stampAt = args.indexOf('--stamp');
const stamp = stampAt >= 0 ? args[stampAt + 1] : undefined;
if ((stampAt >= 0 && stamp === undefined) || args.some((arg, index) => arg !== '--stamp' && index !== stampAt + 1)) {
  process.stderr.write('Usage: node scripts/build.mjs [--stamp TEXT]\n');
  process.exit(2);
}

const result = await build({
  entryPoints: { main: 'cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // Prefer packages' ESM builds: they tree-shake (@peculiar/x509's ESM build is a third smaller).
  mainFields: ['module', 'main'],
  target: 'node20',
  minify: true,
  // Error class names stay readable in DEBUG stack traces.
  keepNames: true,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  // Paths (which feed the chunk names' hashes and the notices) stay as seen from this folder even
  // when node_modules is a symlink, as in the release check's clean copies: the tarball is the same
  // as one built in a fresh clone after npm ci.
  preserveSymlinks: true,
  define: {
    __APPLINK_JWT_VERSION__: JSON.stringify(pkg.version),
    __APPLINK_JWT_HOMEPAGE__: JSON.stringify(pkg.homepage),
    __APPLINK_JWT_ISSUES__: JSON.stringify(pkg.bugs?.url),
  },
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import{createRequire as __applinkCreateRequire}from'node:module';const require=__applinkCreateRequire(import.meta.url);" },
  ...(stamp === undefined ? {} : { footer: { js: `// ${stamp.replace(/[\r\n]+/g, ' ')}` } }),
  logLevel: 'warning',
});
await chmod(new URL('../dist/main.js', import.meta.url), 0o755);
// Which sources went into which output file: the lazy-loading test reads it (not published).
await writeFile(new URL('../dist/meta.json', import.meta.url), JSON.stringify(result.metafile));

// Remove chunks of earlier builds (after writing, so a test running meanwhile keeps working).
const fresh = new Set(Object.keys(result.metafile.outputs).map((path) => basename(path)));
for (const name of await readdir(new URL('../dist/chunks', import.meta.url))) {
  if (!fresh.has(name)) await rm(new URL(`../dist/chunks/${name}`, import.meta.url), { force: true });
}

/** Imports a TypeScript module of scripts/ (Node 20 runs no TypeScript): bundled into node_modules/.cache, dependencies external. */
async function importTypeScript(entry) {
  const cache = join(root, 'node_modules/.cache');
  await mkdir(cache, { recursive: true });
  const dir = await mkdtemp(join(cache, 'build-'));
  const outfile = join(dir, 'module.mjs');
  try {
    await build({ entryPoints: [join(root, entry)], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning' });
    return await import(pathToFileURL(outfile).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const supplyChain = await importTypeScript('scripts/supply-chain.ts');
const packages = await supplyChain.bundledPackages(result.metafile, root);
const problems = supplyChain.licenseProblems(packages);
if (problems.length > 0) {
  process.stderr.write(`Error: the bundle includes packages that cannot be shipped as they are:\n${problems.map((problem) => `- ${problem}`).join('\n')}\n`);
  process.exit(1);
}
const project = { name: pkg.name, version: pkg.version, license: pkg.license, description: pkg.description, homepage: pkg.homepage };
await writeFile(new URL('../dist/THIRD_PARTY_NOTICES.md', import.meta.url), supplyChain.renderNotices(project, packages));
await writeFile(new URL('../dist/sbom.cdx.json', import.meta.url), supplyChain.renderSbom(project, packages));
