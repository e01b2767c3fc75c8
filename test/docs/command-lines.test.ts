/**
 * Every command line shown in README.md and docs/*.md runs here, against the sandbox, with the
 * built binary; its exit code is checked.
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
 * How they run (a representative transformation of what a user types):
 * - Each page is one bash session (exports carry over between its blocks), in a new empty
 *   directory, with the sandbox's variables exported (`HEROKU_API_KEY`, `HEROKU_API_URL`,
 *   `HEROKU_APP=my-app`, `HEROKU_APPLINK_*`, `HEROKU_APP_ID`, `SF_LOGIN_URL`, `SF_CLIENT_ID`,
 *   `SF_USERNAME`). The sandbox's Heroku app is `my-app`, as in the examples.
 * - `applink-jwt` is a script on the PATH that runs `node dist/main.js`; `npx applink-jwt` is
 *   rewritten to `applink-jwt`.
 * - https URLs of `*.salesforce.com` and `*.force.com` hosts are rewritten to the sandbox's URL.
 * - `applink-jwt keys generate --dir D` also registers `D/server.crt` with the sandbox's external
 *   client app: the "upload server.crt to Salesforce" step, which is done in Setup in real life.
 * - `applink-jwt sandbox ...` serves for 4 seconds and then gets SIGINT (it must exit 0); a
 *   backgrounded one is stopped by the page's own `kill`. Its `--port N` becomes `--port 0`: a
 *   page's fixed port (4010) may be taken by a sandbox the reader runs, or by a parallel test.
 * - `npm ci` is a no-op (this test runs after it); `npm test` is a no-op (this run is it; the last
 *   test checks that `.ci/run` runs exactly those two); `npm run demo` runs `applink-jwt demo`.
 *   The development scripts run in the repository: `npm run orb:pack` and `npm run orb:validate`
 *   as they are; `npm run docs` with `--check` (it must not rewrite the pages under test);
 *   `npm run build` as its type-check (the bundle is the one this run uses: rebuilding it under
 *   the other tests would race them); `npm run bench` as the bench script with 2 runs instead of
 *   15 (same reason, and time). Any other `npm` command must be marked.
 * - Every output is scanned for the private keys the page generated and the access tokens the
 *   sandbox issued (the sandbox's own HEROKU_API_KEY and add-on token are printed on purpose by
 *   `applink-jwt sandbox`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startSandbox, type Sandbox } from '../../cli/sandbox/server.js';
import { DEFAULT_STATE_INPUT } from '../../cli/sandbox/state.js';
import { BIN, ROOT } from '../support/harness.js';
import { findSecrets } from '../support/leak-guard.js';

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

/** The command as the test runs it (see the convention above). */
export function transformCommand(text: string, sandboxUrl: string): string {
  let out = text
    .replace(/\bnpx (--yes )?applink-jwt(@\S+)?/g, 'applink-jwt')
    .replace(/https:\/\/[a-z0-9.-]*\.(salesforce|force)\.com\b/gi, sandboxUrl)
    .replace(/(\bapplink-jwt sandbox\b[^#\n]*?--port[ =])\d+/g, (_match, before: string) => `${before}0`)
    .replace(/\bnpm ci\b/g, ':')
    .replace(/\bnpm test\b/g, ':')
    .replace(/\bnpm run demo\b/g, 'applink-jwt demo')
    .replace(/\bnpm run (orb:pack|orb:validate)\b/g, '(cd "$DOCS_ROOT" && npm run --silent $1)')
    .replace(/\bnpm run docs\b(?! --)/g, '(cd "$DOCS_ROOT" && npm run --silent docs -- --check)')
    .replace(/\bnpm run build\b/g, '(cd "$DOCS_ROOT" && npx tsc --noEmit -p tsconfig.json)')
    .replace(/\bnpm run bench\b/g, '(cd "$DOCS_ROOT" && BENCH_RUNS=2 node scripts/run-ts.mjs scripts/bench.ts)');
  if (/\bnpm\b(?! run --silent (orb:pack|orb:validate|docs -- --check)\))/.test(out.replace(/#.*$/, ''))) throw new Error(`Unmarked npm command: ${text} (run it here, or mark it "# not run by the docs test: <reason>")`);
  return out;
}

const WRAPPER = `#!/usr/bin/env bash
# applink-jwt for the docs test: the built binary; "keys generate" also uploads the certificate to the sandbox.
if [ "$1" = sandbox ]; then exec timeout --preserve-status -s INT 4 node "$DOCS_BIN" "$@"; fi
node "$DOCS_BIN" "$@"
rc=$?
if [ "$rc" -eq 0 ] && [ "$1" = keys ] && [ "$2" = generate ]; then
  dir=.; prev=
  for arg in "$@"; do [ "$prev" = --dir ] && dir=$arg; prev=$arg; done
  node -e 'fetch(process.argv[1], { method: "POST", body: require("fs").readFileSync(process.argv[2], "utf8") }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \\
    "$DOCS_SANDBOX_URL/__sandbox/certificates" "$dir/server.crt" || { echo "docs test: could not register $dir/server.crt" >&2; exit 99; }
fi
exit "$rc"
`;

const PAGES = ['README.md', 'docs/commands.md', 'docs/troubleshooting.md', 'docs/security.md', 'docs/rotation.md', 'docs/sandbox.md'];

let scratch: string;
const outputs: string[] = [];
const keyFiles: string[] = [];
const accessTokens: string[] = [];

/** A sandbox for one page (its Heroku app is `my-app`), so pages do not depend on each other. */
function startPageSandbox(): Promise<Sandbox> {
  return startSandbox({
    settleDelayMs: 0,
    state: { ...DEFAULT_STATE_INPUT, apps: [{ name: 'my-app', addons: [{ name: 'applink-my-app', attachments: [{ name: 'HEROKU_APPLINK' }] }] }] },
  });
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
    const script = (url: string) =>
      ['set +e', ...run.flatMap((command, index) => [transformCommand(command.text, url), `printf '%s %s\\n' ${index} "$?" >> "$DOCS_RC_FILE"`]), 'wait'].join('\n');
    const sandbox = await startPageSandbox();
    const env = {
      PATH: `${join(scratch, 'bin')}:${process.env.PATH}`,
      HOME: work,
      ...sandbox.env(),
      DOCS_BIN: BIN,
      DOCS_SANDBOX_URL: sandbox.urls.login,
      DOCS_RC_FILE: rcFile,
      DOCS_ROOT: ROOT,
    };
    const result = await Promise.resolve()
      .then(() => execa('bash', ['-c', script(sandbox.urls.login)], { cwd: work, env, extendEnv: false, reject: false, timeout: 120000, all: true }))
      .finally(() => sandbox.close());
    outputs.push(String(result.all));
    accessTokens.push(...sandbox.state.tokens.keys());
    keyFiles.push(...(await findKeys(work)));

    const codes = new Map((await readFile(rcFile, 'utf8')).trim().split('\n').map((line) => line.split(' ').map(Number) as [number, number]));
    const wrong = run
      .map((command, index) => ({ command, actual: codes.get(index) }))
      .filter(({ command, actual }) => actual !== command.expectedExit)
      .map(({ command, actual }) => `${command.file}:${command.line}: \`${command.text}\` exited ${actual ?? '(not run)'}, the page says ${command.expectedExit}`);
    if (wrong.length > 0) throw new Error(`${wrong.join('\n')}\n\nOutput:\n${String(result.all).slice(-6000)}`);
  }, 180000);

  it('printed no private key and no access token', () => {
    expect(keyFiles.length).toBeGreaterThan(3);
    expect(accessTokens.length).toBeGreaterThan(3);
    expect(findSecrets(outputs, { privateKeys: keyFiles, tokens: accessTokens })).toEqual([]);
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

  it('transforms npx, Salesforce URLs and npm, and refuses an unmarked npm command', () => {
    expect(transformCommand('npx --yes applink-jwt@0.1 verify --login-url https://acme.my.salesforce.com', 'http://127.0.0.1:9')).toBe('applink-jwt verify --login-url http://127.0.0.1:9');
    expect(transformCommand('npm ci && npm run demo', 'u')).toBe(': && applink-jwt demo');
    expect(transformCommand('applink-jwt sandbox --port 4010 --cert-file k.crt   # port 4010', 'u')).toBe('applink-jwt sandbox --port 0 --cert-file k.crt   # port 4010');
    expect(transformCommand('npx applink-jwt sandbox --json --port=4010 &', 'u')).toBe('applink-jwt sandbox --json --port=0 &');
    expect(transformCommand('applink-jwt verify --login-url http://acme.my.salesforce.com', 'u')).toBe('applink-jwt verify --login-url http://acme.my.salesforce.com');
    expect(transformCommand('npm run orb:validate   # checks', 'u')).toBe('(cd "$DOCS_ROOT" && npm run --silent orb:validate)   # checks');
    expect(transformCommand('npm run docs', 'u')).toBe('(cd "$DOCS_ROOT" && npm run --silent docs -- --check)');
    expect(transformCommand('npm run bench', 'u')).toBe('(cd "$DOCS_ROOT" && BENCH_RUNS=2 node scripts/run-ts.mjs scripts/bench.ts)');
    expect(() => transformCommand('npm run lint', 'u')).toThrow('Unmarked npm command: npm run lint');
    expect(() => transformCommand('npm install left-pad', 'u')).toThrow('Unmarked npm command: npm install left-pad');
  });
});
