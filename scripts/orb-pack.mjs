// `npm run orb:pack`: packs orb/src into dist/orb.yml with the package version injected for `install`
// and display.home_url/source_url set from package.json (homepage, repository), where the
// repository's address is defined once.
// Also exports loadOrbTools(), which bundles scripts/orb/*.ts into dist/orb-tools.mjs (outside the CLI bundle).
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const root = new URL('../', import.meta.url);

/**
 * Bundles the orb tooling (dependencies stay in node_modules: it only runs in this repository)
 * into a file of this process's own, imports it and removes it, so parallel runs never read a
 * half-written bundle.
 */
export async function loadOrbTools() {
  const outfile = new URL(`dist/orb-tools-${process.pid}.mjs`, root);
  await build({
    entryPoints: [new URL('scripts/orb/index.ts', root).pathname],
    outfile: outfile.pathname,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  try {
    return await import(outfile.href);
  } finally {
    await rm(outfile, { force: true });
  }
}

/** The package version (what `install` pins). */
export async function packageVersion() {
  return JSON.parse(await readFile(new URL('package.json', root), 'utf8')).version;
}

/**
 * The orb's `display` from package.json: `source_url` is the repository (`repository.url` without
 * `git+` and `.git`), `home_url` the package's `homepage`.
 */
export async function orbDisplay() {
  const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));
  const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (typeof repository !== 'string' || typeof pkg.homepage !== 'string') throw new Error('package.json needs repository.url and homepage');
  return { home_url: pkg.homepage, source_url: repository.replace(/^git\+/, '').replace(/\.git$/, '') };
}

async function main() {
  const tools = await loadOrbTools();
  const version = await packageVersion();
  try {
    const packed = await tools.packOrb('orb/src', { version });
    for (const note of [...packed.source.ignored, ...packed.dropped]) process.stderr.write(`Warning: ${note.file}: ${note.message}\n`);
    const orb = { ...packed.orb, display: await orbDisplay() };
    await mkdir(new URL('dist/', root), { recursive: true });
    await writeFile(new URL('dist/orb.yml', root), tools.stringifyOrb(orb));
    process.stdout.write(`Packed orb/src into dist/orb.yml (install pins applink-jwt ${version}).\n`);
  } catch (error) {
    if (!(error instanceof tools.OrbPackError)) throw error;
    process.stderr.write(`Error: ${error.message}\nFix: ${error.hint}\n(${error.code})\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
