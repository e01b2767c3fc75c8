/**
 * The orb scripts' mutation check (part of `npm run test:mutation`; StrykerJS cannot mutate bash).
 * Each mutant from scripts/mutation/shell-mutants.ts is written into a copy of the repository (the
 * working tree is never touched) and the orb tests run against it; a mutant the tests do not fail
 * on survives. Prints every survivor, writes reports/mutation/orb-scripts.json, and exits 1 when
 * the score is below --break (percent).
 *
 * Usage (after a build; the npm script does it):
 *   node scripts/run-ts.mjs scripts/orb-script-mutants.ts [--break 90] [--concurrency 1] [--only install.sh]
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { equivalentEntry } from './mutation/equivalent-shell-mutants.js';
import { shellMutants, type ShellMutant } from './mutation/shell-mutants.js';

// npm runs scripts from the package root; the bundled copy of this file lives elsewhere.
const ROOT = process.cwd();
const SCRIPTS = 'orb/src/scripts';
/** The tests that run the orb's scripts (the packed orb's steps, with fake and real CLIs): all of test/orb/. */
const TESTS = ['test/orb/'];
const COPY_SKIPPED = new Set(['node_modules', '.git', 'reports', '.stryker-tmp', 'coverage']);
const MUTANT_TIMEOUT_MS = 180_000;

const { values } = parseArgs({
  options: {
    break: { type: 'string', default: '90' },
    concurrency: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const breakAt = Number(values.break);
const concurrency = Math.max(1, Number(values.concurrency));

type Status = 'killed' | 'survived' | 'timeout' | 'invalid';
interface Outcome {
  mutant: ShellMutant;
  status: Status;
  /** The first failing test, for a killed mutant. */
  killedBy?: string;
  ms: number;
}

function run(command: string, args: string[], cwd: string, input?: string, timeoutMs = MUTANT_TIMEOUT_MS): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NODE_OPTIONS: '--experimental-vm-modules' }, detached: true });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole group: jest and the bash steps it started.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
    child.stdin.end(input ?? '');
  });
}

/** A copy of the repository (without node_modules, which is linked) to mutate. */
async function makeCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'applink-orb-mutants-'));
  for (const entry of await readdir(ROOT)) {
    if (COPY_SKIPPED.has(entry)) continue;
    await cp(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function runTests(copy: string) {
  return run(process.execPath, ['node_modules/jest/bin/jest.js', '--runInBand', '--bail', '--ci', ...TESTS], copy);
}

function firstFailure(output: string): string | undefined {
  return /^\s*● (.+)$/m.exec(output)?.[1]?.trim();
}

async function testMutant(copy: string, mutant: ShellMutant, original: string): Promise<Outcome> {
  const started = Date.now();
  const path = join(copy, mutant.file);
  const syntax = await run('bash', ['-n'], copy, mutant.text, 10_000);
  if (syntax.code !== 0) return { mutant, status: 'invalid', ms: Date.now() - started };
  await writeFile(path, mutant.text);
  try {
    const result = await runTests(copy);
    if (result.timedOut) return { mutant, status: 'timeout', ms: Date.now() - started };
    if (result.code === 0) return { mutant, status: 'survived', ms: Date.now() - started };
    return { mutant, status: 'killed', killedBy: firstFailure(result.output), ms: Date.now() - started };
  } finally {
    await writeFile(path, original);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const names = (await readdir(join(ROOT, SCRIPTS))).filter((name) => name.endsWith('.sh') && (!values.only || name === values.only)).sort();
  const originals = new Map<string, string>();
  const mutants: ShellMutant[] = [];
  for (const name of names) {
    const file = `${SCRIPTS}/${name}`;
    const text = await readFile(join(ROOT, file), 'utf8');
    originals.set(file, text);
    mutants.push(...shellMutants(file, text));
  }
  // Listed equivalent mutants (scripts/mutation/equivalent-shell-mutants.ts, each with its reason) are not run.
  const equivalent = mutants.filter((mutant) => equivalentEntry(mutant) !== undefined);
  mutants.splice(0, mutants.length, ...mutants.filter((mutant) => equivalentEntry(mutant) === undefined));
  process.stdout.write(`orb scripts: ${mutants.length} mutants of ${names.length} scripts (${names.join(', ')}), ${concurrency} at a time; ${equivalent.length} listed as equivalent and not run\n`);
  const copies = await Promise.all(Array.from({ length: concurrency }, () => makeCopy()));
  try {
    const baseline = await runTests(copies[0]!);
    if (baseline.code !== 0) {
      process.stderr.write(`The orb tests fail before any mutation; fix them first.\n${baseline.output.slice(-4000)}\n`);
      process.exitCode = 2;
      return;
    }
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      copies.map(async (copy) => {
        while (next < mutants.length) {
          const mutant = mutants[next]!;
          next += 1;
          const outcome = await testMutant(copy, mutant, originals.get(mutant.file)!);
          outcomes.push(outcome);
          const mark = { killed: 'killed', survived: 'SURVIVED', timeout: 'timeout', invalid: 'invalid' }[outcome.status];
          process.stdout.write(`[${outcomes.length}/${mutants.length}] ${mark} ${mutant.file}:${mutant.line} ${mutant.operator}\n`);
        }
      }),
    );
    await report(outcomes, Date.now() - started);
  } finally {
    await Promise.all(copies.map((copy) => rm(copy, { recursive: true, force: true })));
  }
}

async function report(outcomes: Outcome[], ms: number): Promise<void> {
  const count = (status: Status) => outcomes.filter((outcome) => outcome.status === status).length;
  const detected = count('killed') + count('timeout');
  const valid = detected + count('survived');
  const score = valid === 0 ? 100 : (detected / valid) * 100;
  const survivors = outcomes.filter((outcome) => outcome.status === 'survived').sort((a, b) => a.mutant.file.localeCompare(b.mutant.file) || a.mutant.line - b.mutant.line);
  const lines = [
    '',
    'Surviving orb script mutants:',
    ...(survivors.length === 0 ? ['  none'] : survivors.map(({ mutant }) => `  ${mutant.file}:${mutant.line} ${mutant.operator}\n    - ${mutant.original}\n    + ${mutant.replacement}`)),
    '',
    `orb scripts mutation score: ${score.toFixed(2)}% (${detected} killed of ${valid}; ${count('survived')} survived, ${count('timeout')} timed out, ${count('invalid')} not valid bash) in ${Math.round(ms / 1000)} s; break at ${breakAt}%`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const json = {
    score,
    break: breakAt,
    seconds: Math.round(ms / 1000),
    counts: { killed: count('killed'), timeout: count('timeout'), survived: count('survived'), invalid: count('invalid') },
    mutants: outcomes.map(({ mutant, status, killedBy, ms: mutantMs }) => ({ file: mutant.file, line: mutant.line, operator: mutant.operator, original: mutant.original, replacement: mutant.replacement, status, killedBy, ms: mutantMs })),
  };
  await mkdir(join(ROOT, 'reports/mutation'), { recursive: true });
  await writeFile(join(ROOT, 'reports/mutation/orb-scripts.json'), `${JSON.stringify(json, null, 2)}\n`);
  if (score < breakAt) {
    process.stderr.write(`Mutation score ${score.toFixed(2)}% is below the break threshold ${breakAt}%.\n`);
    process.exitCode = 1;
  }
}

await main();
