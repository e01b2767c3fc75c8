// `npm run orb:pack`: packs orb/src into dist/orb.yml with the package version injected for `install`
// and display.home_url/source_url set from package.json (homepage, repository), where the
// repository's address is defined once.
// `npm run orb:pack -- <dir> [--out file]`: packs any orb source directory the same way, to stdout or a file.
// Also exports loadOrbTools(), which bundles scripts/orb/*.ts into dist/orb-tools.mjs (outside the CLI bundle).
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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

const USAGE = 'Usage: npm run orb:pack [-- <orb source dir> [--out <file>]]';

function parseArgs(argv) {
  const args = { dir: undefined, out: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out' && argv[i + 1] !== undefined) args.out = argv[++i];
    else if (arg.startsWith('--out=')) args.out = arg.slice('--out='.length);
    else if (arg === '-h' || arg === '--help') args.help = true;
    else if (!arg.startsWith('-') && args.dir === undefined) args.dir = arg;
    else throw new Error(`unexpected argument "${arg}"`);
  }
  return args;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`Error: ${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\nWithout a directory: packs orb/src into dist/orb.yml, pinning the package version for install.\nWith one: packs it to stdout, or to --out <file>.\n`);
    return;
  }
  const tools = await loadOrbTools();
  const version = await packageVersion();
  const dir = args.dir ?? 'orb/src';
  // npm runs scripts in the package root; paths given on the command line are the caller's.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  try {
    const packed = await tools.packOrb(args.dir === undefined ? dir : resolve(cwd, dir), { version });
    for (const note of [...packed.source.ignored, ...packed.includes]) process.stderr.write(`Warning: ${note.file}: ${note.message}\n`);
    if (args.dir === undefined) {
      await mkdir(new URL('dist/', root), { recursive: true });
      const orb = { ...packed.orb, display: await orbDisplay() };
      await writeFile(new URL('dist/orb.yml', root), tools.stringifyOrb(orb));
      process.stdout.write(`Packed orb/src into dist/orb.yml (install pins applink-jwt ${version}).\n`);
    } else if (args.out !== undefined) {
      await writeFile(resolve(cwd, args.out), packed.yaml);
      process.stdout.write(`Packed ${dir} into ${args.out}.\n`);
    } else {
      process.stdout.write(packed.yaml);
    }
  } catch (error) {
    if (!(error instanceof tools.OrbPackError)) throw error;
    process.stderr.write(`Error: Could not pack "${dir}": ${error.message}\nFix: ${error.hint}\n(${error.code})\n`);
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
