// `npm run release:check`: what the release pipeline checks before it publishes, run locally.
// Each step also runs alone (`node scripts/release-check.mjs --step NAME`), as the pipeline does:
//
//   version       the release tag (--tag vX.Y.Z, else $CIRCLE_TAG) equals v + package.json's version
//                 (scripts/release-tag.ts, as the pipeline's release_tag job runs it); no tag: says so
//   reproducible  packs the tarball twice, each from a clean copy of this checkout (no dist/), and
//                 compares the sha256 of the two; keeps the first in --out and prints its sha256
//   pack          packs the tarball once from a clean copy into --out; prints its sha256
//   contents      the tarball (--tarball, else the one in --out) holds package.json, every bin with
//                 its shebang and executable bit, the chunks main.js imports, the notices, the
//                 SBOM, README, LICENSE and whatever README links to relatively; nothing else
//   orb           npm run orb:validate (schema, semantic checks, review rules)
//   install       in an empty project: npm install <tarball> (offline: it has no dependencies), then
//                 npx applink-jwt --version, --help and demo, and every relative link of the
//                 installed README resolves
//
// Without --step: version, reproducible, contents, orb, install, in that order. The last line is
// the tarball's sha256, in `sha256sum` format (the pipeline publishes it with the release).
// --inject-timestamp (reproducible, pack): each build writes the current time into dist/main.js
// (build.mjs --stamp), so two builds differ: the reproducible step's own test uses it to see the
// step fail.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const STEPS = ['version', 'reproducible', 'pack', 'contents', 'orb', 'install'];
const DEFAULT_STEPS = ['version', 'reproducible', 'contents', 'orb', 'install'];

class CheckFailed extends Error {}

function usage() {
  return `Usage: node scripts/release-check.mjs [--step ${STEPS.join('|')}] [--tag vX.Y.Z] [--tarball FILE] [--out DIR] [--inject-timestamp]`;
}

function parseArgs(argv) {
  const options = { steps: [], tag: undefined, tarball: undefined, out: join(ROOT, 'release'), injectTimestamp: false };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    const value = () => {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--')) throw new CheckFailed(`${arg} needs a value.\n${usage()}`);
      index += 1;
      return next;
    };
    if (arg === '--step') {
      const step = value();
      if (!STEPS.includes(step)) throw new CheckFailed(`unknown step "${step}" (steps: ${STEPS.join(', ')}).\n${usage()}`);
      options.steps.push(step);
    } else if (arg === '--tag') options.tag = value();
    else if (arg === '--tarball') options.tarball = resolve(value());
    else if (arg === '--out') options.out = resolve(value());
    else if (arg === '--inject-timestamp') options.injectTimestamp = true;
    else throw new CheckFailed(`unknown argument ${arg}.\n${usage()}`);
  }
  if (options.steps.length === 0) options.steps = DEFAULT_STEPS;
  return options;
}

/** Runs a command; throws with its output when it fails. */
function run(command, args, { cwd, env, allowFail = false } = {}) {
  const result = spawnSync(command, args, { cwd, env: env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!allowFail && result.status !== 0) {
    throw new CheckFailed(`\`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal}) in ${cwd ?? process.cwd()}:\n${`${result.stdout ?? ''}${result.stderr ?? ''}`.trim().slice(-4000)}`);
  }
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

const say = (text) => process.stdout.write(`${text}\n`);

async function sha256(file) {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function packageJson() {
  return JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
}

// --- version --------------------------------------------------------------------------------

/** The tag check the pipeline's release_tag job runs (scripts/release-tag.ts): one implementation. */
async function checkVersion(options) {
  const tag = options.tag ?? process.env.CIRCLE_TAG ?? '';
  const result = run(process.execPath, ['scripts/run-ts.mjs', 'scripts/release-tag.ts', tag], { cwd: ROOT, allowFail: true });
  const message = `${result.stdout}${result.stderr}`.trim().replace(/^Error: /, '');
  if (result.status !== 0) throw new CheckFailed(message);
  say(`version: ${message}`);
}

// --- pack / reproducible ----------------------------------------------------------------------

/** The checkout's files as git sees them (tracked, and untracked ones that are not ignored). */
function checkoutFiles() {
  const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, allowFail: true });
  if (listed.status !== 0) throw new CheckFailed(`this needs a git checkout (git ls-files failed in ${ROOT}): ${listed.stderr.trim()}`);
  return listed.stdout.split('\0').filter((file) => file !== '');
}

/**
 * Copies the checkout (without node_modules, dist/ or any earlier output) into a new temporary
 * directory, links this checkout's node_modules, builds, and packs into `out`. Returns the tarball.
 */
async function packFromClean(out, label, stamp) {
  const scratch = await mkdtemp(join(tmpdir(), `applink-jwt-${label}-`));
  try {
    const copy = join(scratch, 'applink-jwt');
    for (const file of checkoutFiles()) {
      await mkdir(dirname(join(copy, file)), { recursive: true });
      await cp(join(ROOT, file), join(copy, file), { preserveTimestamps: false }).catch((error) => {
        // A tracked file deleted in the working tree is not part of this build.
        if (error.code !== 'ENOENT') throw error;
      });
    }
    await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    run(process.execPath, ['scripts/build.mjs', ...(stamp === undefined ? [] : ['--stamp', stamp])], { cwd: copy });
    const target = join(scratch, 'packed');
    await mkdir(target);
    // The build above is what prepack would run: --ignore-scripts keeps it to one build.
    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', target], { cwd: copy }).stdout);
    const file = join(target, packed[0].filename);
    await mkdir(out, { recursive: true });
    const kept = join(out, label === 'build-2' ? `second-${packed[0].filename}` : packed[0].filename);
    await cp(file, kept);
    return kept;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const stampFor = (options) => (options.injectTimestamp ? `built at ${new Date().toISOString()} (release-check --inject-timestamp)` : undefined);

async function checkPack(options) {
  const tarball = await packFromClean(options.out, 'build-1', stampFor(options));
  say(`pack: ${tarball} (sha256 ${await sha256(tarball)})`);
  return tarball;
}

/** The files of two tarballs whose bytes differ (listed and compared after extraction). */
async function differingFiles(first, second) {
  const scratch = await mkdtemp(join(tmpdir(), 'applink-jwt-compare-'));
  try {
    const digests = [];
    for (const [index, tarball] of [first, second].entries()) {
      const dir = join(scratch, String(index));
      await mkdir(dir);
      run('tar', ['-xzf', tarball, '-C', dir]);
      const files = new Map();
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) {
          const path = join(entry.parentPath, entry.name);
          files.set(posix.normalize(path.slice(dir.length + 1).split('\\').join('/')), await sha256(path));
        }
      }
      digests.push(files);
    }
    const names = [...new Set([...digests[0].keys(), ...digests[1].keys()])].sort();
    // main.js first: the entry names the chunks, so it differs whenever any of them does.
    const differing = names.filter((name) => digests[0].get(name) !== digests[1].get(name)).sort((x, y) => Number(y.endsWith('/main.js')) - Number(x.endsWith('/main.js')));
    return differing.length > 0 ? differing : ['(same files and contents: the archives differ in metadata: modes, order or timestamps)'];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function checkReproducible(options) {
  const stamp = stampFor(options);
  const first = await packFromClean(options.out, 'build-1', stamp);
  // A different time for the second build when one is injected.
  const second = await packFromClean(options.out, 'build-2', stamp === undefined ? undefined : `${stamp} #2 ${process.hrtime.bigint()}`);
  try {
    const [a, b] = [await sha256(first), await sha256(second)];
    if (a !== b) {
      const files = await differingFiles(first, second);
      const listed = files.length > 8 ? `${files.slice(0, 8).join(', ')} and ${files.length - 8} more` : files.join(', ');
      throw new CheckFailed(`two builds from clean copies of the same checkout gave different tarballs: sha256 ${a} and ${b}. Differing files (${files.length}): ${listed}. Something in the build depends on the time, the path or the machine; make it deterministic.`);
    }
    say(`reproducible: two clean builds gave the same tarball, sha256 ${a} (Node.js ${process.version}, npm ${run('npm', ['--version']).stdout.trim()})`);
  } finally {
    await rm(second, { force: true });
  }
  return first;
}

// --- contents -----------------------------------------------------------------------------------

async function findTarball(options, { required }) {
  if (options.tarball !== undefined) return options.tarball;
  const { name, version } = await packageJson();
  const candidate = join(options.out, `${name}-${version}.tgz`);
  const present = await readFile(candidate).then(() => true, () => false);
  if (present) return candidate;
  if (required) throw new CheckFailed(`no tarball: pass --tarball FILE, or run the pack or reproducible step first (it writes ${candidate}).`);
  return undefined;
}

/** `[mode, path]` for each entry of a tarball, paths without the leading `package/`. */
function listTarball(tarball) {
  return run('tar', ['-tvzf', tarball])
    .stdout.split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const parts = line.trim().split(/\s+/);
      return { mode: parts[0], path: parts.slice(5).join(' ').replace(/^package\//, '') };
    });
}

function readFromTarball(tarball, path) {
  return run('tar', ['-xzOf', tarball, `package/${path}`], { allowFail: true });
}

/** Relative links of a Markdown text (`[text](target)`), without anchors, query or absolute URLs. */
export function relativeLinks(markdown) {
  return [...markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.replace(/[#?].*$/, ''))
    .filter((target) => target !== '');
}

async function checkContents(options, tarball) {
  const entries = listTarball(tarball);
  const paths = new Set(entries.map((entry) => entry.path));
  const problems = [];
  const manifestText = readFromTarball(tarball, 'package.json');
  if (manifestText.status !== 0) throw new CheckFailed(`${tarball} has no package/package.json: it is not an npm package tarball.`);
  const manifest = JSON.parse(manifestText.stdout);
  const bins = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
  if (Object.keys(bins).length === 0) problems.push('package.json declares no bin: `npx applink-jwt` would find no command');
  for (const [command, file] of Object.entries(bins)) {
    const path = posix.normalize(file);
    const entry = entries.find((candidate) => candidate.path === path);
    if (entry === undefined) {
      problems.push(`the bin "${command}" is ${path}, which is not in the tarball (was it built? npm pack runs prepack, which builds; files in package.json must list it)`);
      continue;
    }
    if (!/^-..x/.test(entry.mode)) problems.push(`the bin ${path} is not executable (mode ${entry.mode})`);
    const text = readFromTarball(tarball, path).stdout;
    if (!text.startsWith('#!/usr/bin/env node')) problems.push(`the bin ${path} does not start with #!/usr/bin/env node`);
    // Every chunk the entry imports (statically or lazily) must be there.
    for (const match of text.matchAll(/["'](\.\/chunks\/[^"']+\.js)["']/g)) {
      const chunk = posix.join(posix.dirname(path), match[1]);
      if (!paths.has(chunk)) problems.push(`${path} imports ${match[1]}, which is not in the tarball`);
    }
  }
  if (manifest.dependencies && Object.keys(manifest.dependencies).length > 0) problems.push(`package.json has runtime dependencies (${Object.keys(manifest.dependencies).join(', ')}): the bundle is meant to have none`);
  for (const required of ['README.md', 'LICENSE', 'dist/THIRD_PARTY_NOTICES.md', 'dist/sbom.cdx.json']) {
    if (!paths.has(required)) problems.push(`${required} is missing`);
  }
  const readme = readFromTarball(tarball, 'README.md');
  if (readme.status === 0) {
    for (const link of relativeLinks(readme.stdout)) {
      const target = posix.normalize(link).replace(/\/$/, '');
      if (!paths.has(target) && ![...paths].some((path) => path.startsWith(`${target}/`))) problems.push(`README.md links to ${link}, which is not in the package (ship it, or link to it absolutely)`);
    }
  }
  const allowed = (path) => path === 'package.json' || path === 'README.md' || path === 'LICENSE' || /^dist\/(main\.js|chunks\/[\w.-]+\.js|THIRD_PARTY_NOTICES\.md|sbom\.cdx\.json)$/.test(path);
  for (const path of paths) if (!allowed(path)) problems.push(`unexpected file in the package: ${path}`);
  if (problems.length > 0) throw new CheckFailed(`${tarball}:\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
  say(`contents: ${paths.size} files; bin ${Object.values(bins).join(', ')} executable with its chunks; notices, SBOM, README and LICENSE present; README's relative links resolve`);
}

// --- orb ----------------------------------------------------------------------------------------

function checkOrb() {
  const result = run(process.execPath, ['scripts/orb-validate.mjs'], { cwd: ROOT, allowFail: true });
  if (result.status !== 0) throw new CheckFailed(`npm run orb:validate failed:\n${`${result.stdout}${result.stderr}`.trim()}`);
  say(`orb: ${result.stdout.trim().split('\n').at(-1)}`);
}

// --- install ------------------------------------------------------------------------------------

async function checkInstall(options, tarball) {
  const { version, homepage } = await packageJson();
  const project = await mkdtemp(join(tmpdir(), 'applink-jwt-install-'));
  try {
    // An empty project: nothing but what npm creates. HOME is its own so no user npmrc applies.
    const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    run('npm', ['install', '--offline', '--no-save', '--no-package-lock', tarball], { cwd: project, env });
    const npx = (args) => run('npx', ['--no-install', 'applink-jwt', ...args], { cwd: project, env, allowFail: true });
    const problems = [];
    const printed = npx(['--version']);
    if (printed.status !== 0 || printed.stdout.trim() !== version) problems.push(`npx applink-jwt --version printed "${printed.stdout.trim()}" (exit ${printed.status}), expected ${version}`);
    const help = npx(['--help']);
    if (help.status !== 0 || !help.stdout.includes(`Documentation: ${homepage}`)) problems.push(`npx applink-jwt --help exited ${help.status} without "Documentation: ${homepage}"`);
    const demo = npx(['demo']);
    if (demo.status !== 0) problems.push(`npx applink-jwt demo exited ${demo.status}:\n${`${demo.stdout}${demo.stderr}`.trim().slice(-2000)}`);
    else if (!/the SDK could not be loaded/.test(demo.stdout)) problems.push('npx applink-jwt demo did not say that the @heroku/applink SDK is absent in an installed package (it is a dev dependency)');
    const installed = join(project, 'node_modules', 'applink-jwt');
    const readme = await readFile(join(installed, 'README.md'), 'utf8');
    for (const link of relativeLinks(readme)) {
      const present = await readFile(join(installed, link)).then(() => true, (error) => error.code === 'EISDIR');
      if (!present) problems.push(`the installed README links to ${link}, which is not in node_modules/applink-jwt`);
    }
    if (problems.length > 0) throw new CheckFailed(`the installed package (${tarball}):\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
    say(`install: npm install of the tarball in an empty project; npx applink-jwt --version (${version}), --help and demo ran; the installed README's ${relativeLinks(readme).length} relative link(s) resolve`);
  } finally {
    await rm(project, { recursive: true, force: true });
  }
}

// --- main ---------------------------------------------------------------------------------------

async function main() {
  const options = parseArgs(process.argv.slice(2));
  let tarball;
  for (const step of options.steps) {
    if (step === 'version') await checkVersion(options);
    else if (step === 'pack') tarball = await checkPack(options);
    else if (step === 'reproducible') tarball = await checkReproducible(options);
    else if (step === 'contents') await checkContents(options, tarball ?? (await findTarball(options, { required: true })));
    else if (step === 'orb') checkOrb();
    else if (step === 'install') await checkInstall(options, tarball ?? (await findTarball(options, { required: true })));
  }
  const kept = tarball ?? (await findTarball(options, { required: false }));
  if (kept !== undefined && options.steps.some((step) => ['pack', 'reproducible', 'contents', 'install'].includes(step))) {
    // sha256sum's format: `sha256sum -c` checks it.
    say(`${await sha256(kept)}  ${basename(kept)}`);
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof CheckFailed)) throw error;
  process.stderr.write(`release check failed: ${error.message}\n`);
  process.exitCode = 1;
}
