// Runs a TypeScript script of this repo: bundles it with esbuild into a temp .mjs and imports it.
// (Node 20 cannot run TypeScript itself.) Usage: node scripts/run-ts.mjs scripts/bench.ts [args...]
import { build } from 'esbuild';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node scripts/run-ts.mjs <script.ts> [args...]\n');
  process.exit(2);
}
// Inside node_modules so that the bundle's external imports resolve against this repo's packages.
const cache = fileURLToPath(new URL('../node_modules/.cache/', import.meta.url));
await mkdir(cache, { recursive: true });
const dir = await mkdtemp(join(cache, 'run-ts-'));
const outfile = join(dir, 'script.mjs');
try {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  process.argv = [process.argv[0], entry, ...rest];
  await import(pathToFileURL(outfile).href);
} finally {
  await rm(dir, { recursive: true, force: true });
}
