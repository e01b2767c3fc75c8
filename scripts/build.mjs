// Bundles the CLI into dist/: one ESM entry (dist/main.js) plus chunks that commands load lazily.
import { build } from 'esbuild';
import { chmod, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

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
  define: { __APPLINK_JWT_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import{createRequire as __applinkCreateRequire}from'node:module';const require=__applinkCreateRequire(import.meta.url);" },
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
