/**
 * `npm run docs`: rewrites the generated parts of the documentation (see scripts/docs-render.ts) and
 * the JSON Schemas in docs/schemas/ (scripts/json-schemas.ts).
 * `npm run docs -- --check` only reports stale files and exits 1 when there is one.
 * Run through scripts/run-ts.mjs from the repository root (the npm script does that).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { applySections, GENERATED_FILES, markerNames, renderSections } from './docs-render.js';
import { schemaFiles } from './json-schemas.js';

const check = process.argv.includes('--check');
const sections = await renderSections('.');
const used = new Set<string>();
const stale: string[] = [];
for (const file of GENERATED_FILES) {
  const text = await readFile(file, 'utf8');
  for (const name of markerNames(text)) used.add(name);
  const fresh = applySections(text, sections, file);
  if (fresh === text) continue;
  stale.push(file);
  if (!check) await writeFile(file, fresh);
}
// The JSON Schemas of the commands' --json output: written whole.
for (const [file, fresh] of Object.entries(schemaFiles())) {
  const text = await readFile(file, 'utf8').catch(() => '');
  if (fresh === text) continue;
  stale.push(file);
  if (!check) await writeFile(file, fresh);
}
const unused = Object.keys(sections).filter((name) => !used.has(name));
if (unused.length > 0) {
  process.stderr.write(`Error: no file shows the generated section(s) ${unused.join(', ')}; add <!-- generated:NAME:start --> / <!-- generated:NAME:end --> markers for them.\n`);
  process.exitCode = 1;
}
if (check && stale.length > 0) {
  process.stderr.write(`Stale: ${stale.join(', ')}. Run npm run docs.\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(stale.length === 0 ? 'Docs are up to date.\n' : `Updated ${stale.join(', ')}.\n`);
}
