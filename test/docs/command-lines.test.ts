/**
 * Every command line shown in README.md and docs/*.md runs here, with the built binary, against a
 * real `applink-jwt sandbox` process; its exit code is checked.
 *
 * Convention (what a page must do):
 * - Commands live in ```sh blocks; blocks in other languages (yaml, js, ts) are not run.
 * - A block whose info string is `sh real-accounts` is not run: it needs real Salesforce, Heroku or
 *   CircleCI accounts.
 * - A comment line `# needs a real ...` (e.g. `# needs a real Salesforce org`) or
 *   `# not run by the docs test: <reason>` marks the commands after it as not run, up to the next
 *   blank line or the end of the block.
 * - Every other command must exit 0, unless its trailing comment says `(exit N)`.
 *
 * How they run, as a user would:
 * - Each page is one bash session (exports carry over between its blocks) in a new empty
 *   directory, with `applink-jwt` on the PATH (the built binary).
 * - Before the page, `applink-jwt sandbox --env-out docs-test.env` starts in that directory, and
 *   the session first loads what it wrote (`. ./docs-test.env`): `HEROKU_API_KEY`,
 *   `HEROKU_API_URL`, `HEROKU_HOST`, `HEROKU_APP=acme-app`, `HEROKU_APP_ID`, `HEROKU_APPLINK_*`,
 *   `SF_LOGIN_URL`, `SF_CLIENT_ID`, `SF_USERNAME`. After the page it gets SIGINT and must exit 0
 *   and remove that file. Background jobs a page leaves running get SIGINT too.
 * - The pages under docs/ run exactly as written: no command is rewritten. A page uploads its
 *   certificates itself (a `curl` to the sandbox's certificates route, where Setup would be used
 *   with a real org) and passes the login URL as `"$SF_LOGIN_URL"`. A page that needs another state
 *   (two rotation slots: docs/rotation.md, the `rotate` section of docs/commands.md) starts a sandbox
 *   of its own from a `--state` file it writes, in the background, and loads its env file; a tool
 *   that cannot be installed here (the Salesforce CLI's `sf org display --json`) is a stand-in the
 *   page writes, printing the sandbox's `GET /__sandbox/org-display` answer.
 * - README.md alone is mapped (see `transformCommand`): its quick start is written for real
 *   accounts (`-a my-app`, whose sandbox is started with `--app my-app`; Salesforce URLs become
 *   `"$SF_LOGIN_URL"`; `keys generate --dir D` is followed by the sandbox upload of D/server.crt),
 *   and its development commands run in the repository: `npm ci` and `npm test` are no-ops (this
 *   run is them; the last test checks that `.ci/run` runs exactly those two), `npm run demo` runs
 *   `applink-jwt demo`, `npm run orb:pack` and `npm run orb:validate` as they are, `npm run docs`
 *   with `--check` (it must not rewrite the pages under test), `npm run build` as its type-check
 *   (rebuilding the bundle under the other tests would race them), `npm run bench` with 2 runs
 *   instead of 15. Any other `npm` command must be marked.
 * - Every output is scanned for the private keys the page generated and for anything shaped like
 *   an access token, a JWT or a key (the sandbox's own HEROKU_API_KEY and add-on token are printed
 *   on purpose by `applink-jwt sandbox`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, ROOT } from '../support/harness.js';
import { findSecrets, findSecretShapes } from '../support/leak-guard.js';

/**
 * A hang guard per page, not a speed target: README's page type-checks, packs and validates the orb,
 * checks the generated docs and runs the bench: it took over 120 s under CPU load (2 cores).
 */
const PAGE_LIMIT_MS = 300000;

/** A command to run, where it is shown, and the exit code the page promises. */
export interface DocCommand {
  file: string;
  line: number;
  text: string;
  expectedExit: number;
}

export interface DocSkipped {
  file: string;
  line: number;
  text: string;
  reason: string;
}

const MARKER = /^#\s*(needs (a )?real\b.*|not run by the docs test\b.*)$/;

/** The ```sh commands of a Markdown page: the ones to run and the ones marked as not run. */
export function extractCommands(file: string, markdown: string): { run: DocCommand[]; skipped: DocSkipped[] } {
  const run: DocCommand[] = [];
  const skipped: DocSkipped[] = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const fence = /^```(\S*)\s*(.*)$/.exec(lines[index]!);
    if (!fence) continue;
    const [language, info] = [fence[1]!, fence[2]!.trim()];
    let end = index + 1;
    while (end < lines.length && !lines[end]!.startsWith('```')) end += 1;
    if (language === 'sh') {
      let marked: string | undefined = info === 'real-accounts' ? 'sh real-accounts block' : undefined;
      for (let at = index + 1; at < end; at += 1) {
        const start = at;
        let text = lines[at]!;
        while (text.endsWith('\\') && at + 1 < end) {
          at += 1;
          text = `${text}\n${lines[at]}`;
        }
        const trimmed = text.trim();
        if (trimmed === '') {
          if (info !== 'real-accounts') marked = undefined;
          continue;
        }
        if (trimmed.startsWith('#')) {
          if (MARKER.test(trimmed)) marked = trimmed;
          continue;
        }
        if (marked) skipped.push({ file, line: start + 1, text, reason: marked });
        else run.push({ file, line: start + 1, text, expectedExit: Number(/#[^#]*\(exit (\d+)\)[^#]*$/.exec(text)?.[1] ?? 0) });
      }
    }
    index = end;
  }
  return { run, skipped };
}

/** A README command as the test runs it (see the convention above); docs/ pages are never mapped. */
export function transformCommand(text: string): string {
  let out = text
    .replace(/\bnpx (--yes )?applink-jwt(@\S+)?/g, 'applink-jwt')
    .replace(/https:\/\/[a-z0-9.-]*\.(salesforce|force)\.com\b/gi, '"$SF_LOGIN_URL"')
    .replace(/\bnpm ci\b/g, ':')
    .replace(/\bnpm test\b/g, ':')
    .replace(/\bnpm run demo\b/g, 'applink-jwt demo')
    .replace(/\bnpm run (orb:pack|orb:validate)\b/g, '(cd "$DOCS_ROOT" && npm run --silent $1)')
    .replace(/\bnpm run docs\b(?! --)/g, '(cd "$DOCS_ROOT" && npm run --silent docs -- --check)')
    .replace(/\bnpm run build\b/g, '(cd "$DOCS_ROOT" && npx tsc --noEmit -p tsconfig.json)')
    .replace(/\bnpm run bench\b/g, '(cd "$DOCS_ROOT" && BENCH_RUNS=2 node scripts/run-ts.mjs scripts/bench.ts)');
  if (/\bnpm\b(?! run --silent (orb:pack|orb:validate|docs -- --check)\))/.test(out.replace(/#.*$/, ''))) throw new Error(`Unmarked npm command: ${text} (run it here, or mark it "# not run by the docs test: <reason>")`);
  const keysDir = /^applink-jwt keys generate\b.*--dir (\S+)/.exec(out)?.[1];
  if (keysDir) out = `${out} && curl -sS -o /dev/null --fail --data-binary @${keysDir}/server.crt "$SF_LOGIN_URL/__sandbox/certificates"`;
  return out;
}

const WRAPPER = `#!/usr/bin/env bash
# applink-jwt for the docs test: the built binary, nothing else.
exec node "$DOCS_BIN" "$@"
`;

/** The pages that run exactly as written. */
const LITERAL_PAGES = ['docs/commands.md', 'docs/troubleshooting.md', 'docs/security.md', 'docs/rotation.md', 'docs/sandbox.md'];
const PAGES = ['README.md', ...LITERAL_PAGES];

let scratch: string;
const outputs: string[] = [];
const keyFiles: string[] = [];
const ENV_FILE = 'docs-test.env';

/**
 * `applink-jwt sandbox --env-out docs-test.env` in `work`, as a user starts it; resolves once the
 * file is written (the sandbox answers then), with a way to stop it (SIGINT) and its result.
 */
async function startPageSandbox(work: string, extraArgs: string[]) {
  const child = execa(process.execPath, [BIN, 'sandbox', '--env-out', ENV_FILE, ...extraArgs], { cwd: work, env: { PATH: process.env.PATH, HOME: work }, extendEnv: false, reject: false, all: true });
  let exited = false;
  void child.then(() => (exited = true));
  for (let waited = 0; ; waited += 50) {
    try {
      await stat(join(work, ENV_FILE));
      break;
    } catch {
      if (exited || waited > 30_000) throw new Error(`applink-jwt sandbox did not write ${ENV_FILE}: ${String((await child).all)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    async stop() {
      child.kill('SIGINT');
      return child;
    },
  };
}

async function findKeys(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findKeys(path)));
    else if (entry.name.endsWith('.key')) found.push(await readFile(path, 'utf8'));
  }
  return found;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'applink-jwt-docs-'));
  await mkdir(join(scratch, 'bin'));
  await writeFile(join(scratch, 'bin', 'applink-jwt'), WRAPPER);
  await chmod(join(scratch, 'bin', 'applink-jwt'), 0o755);
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('command lines in README.md and docs/', () => {
  it.each(PAGES)('%s: every shown command runs against the sandbox with the exit code the page says', async (page) => {
    const { run, skipped } = extractCommands(page, await readFile(join(ROOT, page), 'utf8'));
    expect(run.length).toBeGreaterThan(0);
    for (const entry of skipped) expect(entry.reason).toMatch(MARKER);

    const work = join(scratch, page.replace(/\W+/g, '-'));
    await mkdir(work);
    const rcFile = join(scratch, `${page.replace(/\W+/g, '-')}.rc`);
    const literal = LITERAL_PAGES.includes(page);
    const script = [
      'set +e',
      `. ./${ENV_FILE}`,
      ...run.flatMap((command, index) => [literal ? command.text : transformCommand(command.text), `printf '%s %s\\n' ${index} "$?" >> "$DOCS_RC_FILE"`]),
      // What the page left running in the background is stopped as Ctrl-C would.
      'for job in $(jobs -p); do kill -INT "$job"; done',
      'wait',
    ].join('\n');
    const sandbox = await startPageSandbox(work, literal ? [] : ['--app', 'my-app']);
    const env = { PATH: `${join(scratch, 'bin')}:${process.env.PATH}`, HOME: work, DOCS_BIN: BIN, DOCS_RC_FILE: rcFile, DOCS_ROOT: ROOT };
    let stopped: Awaited<ReturnType<Awaited<ReturnType<typeof startPageSandbox>>['stop']>> | undefined;
    const result = await Promise.resolve()
      .then(() => execa('bash', ['-c', script], { cwd: work, env, extendEnv: false, reject: false, timeout: PAGE_LIMIT_MS, all: true }))
      .finally(async () => {
        stopped = await sandbox.stop();
      });
    outputs.push(String(result.all));
    keyFiles.push(...(await findKeys(work)));
    expect([stopped?.exitCode, String(stopped?.all).trimEnd().split('\n').at(-1)]).toEqual([0, expect.stringMatching(/^Sandbox stopped \(SIGINT\) after \d+ requests?\.$/)]);
    await expect(stat(join(work, ENV_FILE))).rejects.toThrow(/ENOENT/);

    const codes = new Map((await readFile(rcFile, 'utf8')).trim().split('\n').map((line) => line.split(' ').map(Number) as [number, number]));
    const wrong = run
      .map((command, index) => ({ command, actual: codes.get(index) }))
      .filter(({ command, actual }) => actual !== command.expectedExit)
      .map(({ command, actual }) => `${command.file}:${command.line}: \`${command.text}\` exited ${actual ?? '(not run)'}, the page says ${command.expectedExit}`);
    if (wrong.length > 0) throw new Error(`${wrong.join('\n')}\n\nOutput:\n${String(result.all).slice(-6000)}`);
  }, PAGE_LIMIT_MS + 60000);

  it('printed no private key, and nothing shaped like an access token, a JWT or a key', () => {
    expect(keyFiles.length).toBeGreaterThan(3);
    expect(findSecrets(outputs, { privateKeys: keyFiles })).toEqual([]);
    // The sandbox's own HEROKU_API_KEY, add-on token and CIRCLE_TOKEN are printed on purpose by applink-jwt sandbox.
    expect(findSecretShapes(outputs).filter((finding) => !/^(the sandbox HEROKU_API_KEY|an add-on token|the sandbox CIRCLE_TOKEN) /.test(finding))).toEqual([]);
  });

  it('shows the set-up commands CI runs: .ci/run runs npm ci and npm test, as README says', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm test');
    const ciRun = await readFile(join(ROOT, '.ci/run'), 'utf8');
    expect(ciRun).toMatch(/^npm ci\b/m);
    expect(ciRun.trimEnd().split('\n').at(-1)).toBe('npm test');
  });
});

describe('extractCommands', () => {
  it('runs plain commands, reads (exit N), and skips marked ones up to the next blank line', () => {
    const page = [
      '```sh',
      'applink-jwt list -a my-app',
      'applink-jwt remove x -a my-app   # refused (exit 3)',
      '# needs a real Salesforce org',
      'export SF_CLIENT_ID=3MVG9...',
      'applink-jwt verify \\',
      '  --json',
      '',
      'applink-jwt demo',
      '```',
      '```sh real-accounts',
      'heroku addons:create heroku-applink',
      '```',
      '```yaml',
      'version: 2.1',
      '```',
    ].join('\n');
    const { run, skipped } = extractCommands('page.md', page);
    expect(run).toEqual([
      { file: 'page.md', line: 2, text: 'applink-jwt list -a my-app', expectedExit: 0 },
      { file: 'page.md', line: 3, text: 'applink-jwt remove x -a my-app   # refused (exit 3)', expectedExit: 3 },
      { file: 'page.md', line: 9, text: 'applink-jwt demo', expectedExit: 0 },
    ]);
    expect(skipped.map((entry) => [entry.line, entry.reason])).toEqual([
      [5, '# needs a real Salesforce org'],
      [6, '# needs a real Salesforce org'],
      [12, 'sh real-accounts block'],
    ]);
  });

  it('maps README commands: npx, Salesforce URLs, the certificate upload after keys generate, npm; refuses an unmarked npm command', () => {
    expect(transformCommand('npx --yes applink-jwt@0.1 verify --login-url https://acme.my.salesforce.com')).toBe('applink-jwt verify --login-url "$SF_LOGIN_URL"');
    expect(transformCommand('npm ci && npm run demo')).toBe(': && applink-jwt demo');
    expect(transformCommand('applink-jwt verify --login-url http://acme.my.salesforce.com')).toBe('applink-jwt verify --login-url http://acme.my.salesforce.com');
    expect(transformCommand('applink-jwt keys generate --dir keys')).toBe('applink-jwt keys generate --dir keys && curl -sS -o /dev/null --fail --data-binary @keys/server.crt "$SF_LOGIN_URL/__sandbox/certificates"');
    expect(transformCommand('npm run orb:validate   # checks')).toBe('(cd "$DOCS_ROOT" && npm run --silent orb:validate)   # checks');
    expect(transformCommand('npm run docs')).toBe('(cd "$DOCS_ROOT" && npm run --silent docs -- --check)');
    expect(transformCommand('npm run bench')).toBe('(cd "$DOCS_ROOT" && BENCH_RUNS=2 node scripts/run-ts.mjs scripts/bench.ts)');
    expect(() => transformCommand('npm run lint')).toThrow('Unmarked npm command: npm run lint');
    expect(() => transformCommand('npm install left-pad')).toThrow('Unmarked npm command: npm install left-pad');
  });
});
