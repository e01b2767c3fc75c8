/**
 * `applink-jwt sandbox` options, each run with the built binary: --print-state (the template
 * --state reads, shipped in the package), --env-out (written once ready, removed at the end, a
 * foreign file never touched), --fault and --seed, --app.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import { parse } from 'yaml';
import { DEFAULT_STATE_INPUT } from '../../cli/sandbox/state.js';
import { BIN, ROOT, runBin } from '../support/harness.js';

type Child = ResultPromise<{ env: Record<string, string | undefined>; extendEnv: false; reject: false; cwd: string }>;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'applink-jwt-sandbox-options-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function spawnSandbox(args: string[], bin = BIN): Child {
  return execa(process.execPath, [bin, 'sandbox', ...args], { env: { PATH: process.env.PATH, HOME: dir }, extendEnv: false, reject: false, cwd: dir });
}

/** Polls until `path` exists (what a script does instead of sleeping), or the child exits. */
async function waitForFile(path: string, child: Child): Promise<string> {
  let exited = false;
  void child.then(() => (exited = true));
  for (let waited = 0; waited < 30_000; waited += 50) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      if (exited) throw new Error(`sandbox exited before writing ${path}: ${String((await child).stderr)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${path} was not written in time`);
}

/** The variables of `export NAME='value'` lines. */
function exportsOf(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/^export ([A-Z_]+)='([^']*)'$/gm)].map((match) => [match[1]!, match[2]!]));
}

const platform = (env: Record<string, string>) => ({ authorization: `Bearer ${env.HEROKU_API_KEY}`, accept: 'application/vnd.heroku+json; version=3' });

describe('--print-state', () => {
  it('prints a commented template that parses to the default state and that --state reads', async () => {
    const printed = await runBin(['sandbox', '--print-state']);
    expect([printed.exitCode, printed.stderr]).toEqual([0, '']);
    expect(printed.stdout.split('\n')[0]).toBe('# applink-jwt sandbox state: what the sandbox\'s doubles know.');
    expect(printed.stdout).toMatch(/^ {2}# dataCloudOrgType: DataCloudOrg$/m);
    const parsed = parse(printed.stdout) as typeof DEFAULT_STATE_INPUT;
    expect(parsed).toEqual({ ...DEFAULT_STATE_INPUT, settings: { settleDelayMs: 300 } });
  });
});

describe('--env-out', () => {
  it('is written (mode 0600, export lines) once the sandbox answers, and removed when it stops', async () => {
    const envFile = join(dir, 'env.sh');
    const child = spawnSandbox(['--env-out', 'env.sh', '--app', 'my-app']);
    const text = await waitForFile(envFile, child);
    const env = exportsOf(text);
    expect(text.split('\n')[0]).toMatch(/^# applink-jwt sandbox environment: /);
    expect(Object.keys(env).sort()).toEqual(['CIRCLECI_API_URL', 'CIRCLE_TOKEN', 'HEROKU_API_KEY', 'HEROKU_API_URL', 'HEROKU_APP', 'HEROKU_APPLINK_API_URL', 'HEROKU_APPLINK_TOKEN', 'HEROKU_APP_ID', 'HEROKU_APP_NAME', 'HEROKU_HOST', 'SF_CLIENT_ID', 'SF_LOGIN_URL', 'SF_USERNAME']);
    expect(env.HEROKU_APP).toBe('my-app');
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    // Ready means ready: the first request after the file appears is answered.
    const app = await fetch(`${env.HEROKU_API_URL}/apps/my-app`, { headers: platform(env) });
    expect(app.status).toBe(200);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(0);
    await expect(stat(envFile)).rejects.toThrow(/ENOENT/);
  });

  it('leaves a file it did not write untouched and exits 3', async () => {
    const foreign = join(dir, 'profile.sh');
    await writeFile(foreign, 'export PATH=/usr/bin\n');
    const result = await runBin(['sandbox', '--env-out', foreign]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`Error: --env-out ${foreign} exists and was not written by applink-jwt sandbox; it is left as it is.`);
    expect(result.stderr).toContain('(ERR_SANDBOX_ENV_OUT, exit 3)');
    expect(await readFile(foreign, 'utf8')).toBe('export PATH=/usr/bin\n');
  });
});

describe('--fault and --seed', () => {
  it('injects statuses with counts, 429 with Retry-After, resets and latency, and prints them', async () => {
    const envFile = join(dir, 'faults.env');
    const faults = ['platform.app=503x2', 'applink.list=429:7', 'platform.config-vars=reset@before', 'platform.addons=latency:50'];
    const child = spawnSandbox(['--env-out', envFile, ...faults.flatMap((fault) => ['--fault', fault])]);
    const env = exportsOf(await waitForFile(envFile, child));
    const app = `${env.HEROKU_API_URL}/apps/acme-app`;
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await fetch(app, { headers: platform(env) })).status);
    expect(statuses).toEqual([503, 503, 200]);
    const limited = await fetch(`${env.HEROKU_APPLINK_API_URL}/authorizations`, { headers: { authorization: `Bearer ${env.HEROKU_APPLINK_TOKEN}`, 'x-app-uuid': env.HEROKU_APP_ID! } });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    await expect(fetch(`${app}/config-vars`, { headers: platform(env) })).rejects.toThrow();
    expect((await fetch(`${app}/addons`, { headers: platform(env) })).status).toBe(200);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toContain(`# Faults: ${faults.join(' ')}`);
  });

  it('replays seeded random faults: the same seed, the same statuses', async () => {
    const run = async (seed: string) => {
      const envFile = join(dir, `random-${seed}-${Math.random()}.env`);
      const child = spawnSandbox(['--env-out', envFile, '--fault', 'platform.app=random:0.5', '--seed', seed]);
      const env = exportsOf(await waitForFile(envFile, child));
      const seen = [];
      for (let i = 0; i < 12; i += 1) seen.push(await fetch(`${env.HEROKU_API_URL}/apps/acme-app`, { headers: platform(env) }).then((response) => response.status, () => 'reset'));
      child.kill('SIGINT');
      const result = await child;
      expect(String(result.stdout)).toContain(`(random faults seed ${seed}: --seed ${seed} replays them)`);
      return seen;
    };
    const first = await run('42');
    expect(first.filter((status) => status !== 200).length).toBeGreaterThan(0);
    expect(await run('42')).toEqual(first);
  });

  it('refuses an unknown route, a bad spec, and --seed without random faults (exit 3, naming the input)', async () => {
    const unknown = await runBin(['sandbox', '--fault', 'platfrom.app=503']);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toContain('Error: --fault platfrom.app=503: no sandbox route is named "platfrom.app" (routes: ');
    const bad = await runBin(['sandbox', '--fault', 'platform.app=teapot']);
    expect(bad.stderr).toContain('Error: --fault platform.app=teapot: "teapot" is not a fault spec.');
    const seed = await runBin(['sandbox', '--seed', '3']);
    expect([seed.exitCode, seed.stderr.split('\n')[0]]).toEqual([3, 'Error: --seed 3 has no random faults to seed.']);
  });
});

describe('from the installed package alone', () => {
  it('applink-jwt sandbox --print-state > s.yml && applink-jwt sandbox --state s.yml --env-out env.sh', async () => {
    // The package as npm installs it (npm pack of this checkout, installed offline into an empty project).
    const project = join(dir, 'project');
    await execa('mkdir', ['-p', project]);
    await writeFile(join(project, 'package.json'), '{"name": "user-project", "version": "1.0.0", "private": true}\n');
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: ROOT });
    const tarball = (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename;
    await execa('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${tarball}`], { cwd: project });
    const script = [
      'set -e',
      'export PATH="$PWD/node_modules/.bin:$PATH"',
      'applink-jwt sandbox --print-state > s.yml',
      'applink-jwt sandbox --state s.yml --env-out env.sh > sandbox.log 2>&1 &',
      'sandbox=$!',
      'for i in $(seq 300); do [ -f env.sh ] && break; sleep 0.1; done',
      '. ./env.sh',
      'applink-jwt list -a "$HEROKU_APP"',
      'kill -INT "$sandbox"',
      'wait "$sandbox"',
      '[ ! -f env.sh ] && echo "env.sh removed"',
    ].join('\n');
    const result = await execa('bash', ['-c', script], { cwd: project, env: { PATH: process.env.PATH, HOME: dir }, extendEnv: false, reject: false });
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
    expect(result.stdout.split('\n')).toEqual(['There are no Heroku AppLink authorizations for add-on applink-sandbox-1 on app acme-app.', 'env.sh removed']);
  }, 120_000);
});
