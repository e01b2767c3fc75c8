/**
 * `npm run bench`: start-up, memory, key check, a full authorize on loopback, signing rate and
 * package size, each figure the median of several runs with min and max. No network.
 * Run through scripts/run-ts.mjs after a build (the npm script does both).
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fs from 'node:fs/promises';
import { runAuthorize } from '../cli/commands/authorize.js';
import { silentProgress, sleep, type Deps } from '../cli/deps.js';
import { nodeHttpFetch } from '../cli/node-fetch.js';
import { signAssertion } from '../cli/salesforce/assertion.js';
import { startSandbox } from '../cli/sandbox/server.js';

// npm runs scripts from the package root; the bundled copy of this file lives elsewhere.
const ROOT = process.cwd();
const BIN = join(ROOT, 'dist/main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const GNU_TIME = '/usr/bin/time';

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

function fmt(s: Stats, unit: string, digits = 1): string {
  return `${s.median.toFixed(digits)} ${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;
}

/**
 * Wall time (ms) and peak RSS (KiB, from GNU time when present) of one whole process. Asynchronous,
 * so that an in-process sandbox keeps answering while the child runs.
 */
function measureProcess(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ ms: number; rssKiB?: number; status: number | null; stderr: string }> {
  const useTime = existsSync(GNU_TIME);
  const command = useTime ? GNU_TIME : process.execPath;
  const argv = useTime ? ['-f', '%M', process.execPath, ...args] : args;
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const rssLine = useTime ? stderr.trim().split('\n').pop() : undefined;
      const rssKiB = rssLine && /^\d+$/.test(rssLine) ? Number(rssLine) : undefined;
      resolve({ ms, rssKiB, status, stderr });
    });
  });
}

function row(name: string, value: string, note = ''): string {
  return `| ${name} | ${value} | ${note} |`;
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error('dist/main.js is missing: run `npm run build` first.');
  const lines: string[] = ['| measure | median (min, max) | note |', '| --- | --- | --- |'];

  // 1 and 2: start-up and peak RSS, interleaved so that machine noise hits all three alike.
  const cases = { 'node -e 0': ['-e', '0'], 'applink-jwt --version': [BIN, '--version'], 'applink-jwt --help': [BIN, '--help'] };
  const times: Record<string, number[]> = {};
  const rss: Record<string, number[]> = {};
  for (let run = 0; run < RUNS + 2; run += 1) {
    for (const [name, args] of Object.entries(cases)) {
      const measured = await measureProcess(args);
      if (measured.status !== 0) throw new Error(`${name} exited ${measured.status}`);
      if (run < 2) continue; // warm the page cache first
      (times[name] ??= []).push(measured.ms);
      if (measured.rssKiB !== undefined) (rss[name] ??= []).push(measured.rssKiB / 1024);
    }
  }
  const baseTime = stats(times['node -e 0']!);
  for (const name of Object.keys(cases)) {
    const s = stats(times[name]!);
    lines.push(row(`start-up: ${name}`, fmt(s, 'ms'), name === 'node -e 0' ? 'baseline' : `${(s.median / baseTime.median).toFixed(2)}x node (target <= 1.5x for --version)`));
  }
  if (rss['node -e 0']) {
    const baseRss = stats(rss['node -e 0']);
    for (const name of Object.keys(cases)) {
      const s = stats(rss[name]!);
      lines.push(row(`peak RSS: ${name}`, fmt(s, 'MiB'), name === 'node -e 0' ? 'baseline' : `${(s.median / baseRss.median).toFixed(2)}x node (target <= 1.3x for --version)`));
    }
  } else {
    lines.push(row('peak RSS', 'n/a', `install GNU time (${GNU_TIME}) to measure it`));
  }

  // 3: keys check on a 4096-bit key and its certificate, as a whole process.
  const dir = await mkdtemp(join(tmpdir(), 'applink-jwt-bench-'));
  try {
    const generated = spawnSync(process.execPath, [BIN, 'keys', 'generate', '--dir', dir, '--bits', '4096', '--json'], { encoding: 'utf8' });
    if (generated.status !== 0) throw new Error(`keys generate failed: ${generated.stderr}`);
    const checks: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const measured = await measureProcess([BIN, 'keys', 'check', '--jwt-key-file', join(dir, 'server.key'), '--cert-file', join(dir, 'server.crt'), '--json']);
      if (measured.status !== 0) throw new Error(`keys check exited ${measured.status}`);
      checks.push(measured.ms);
    }
    lines.push(row('keys check (4096-bit key + certificate)', fmt(stats(checks), 'ms'), 'whole process'));

    // 4: a full authorize against an in-process sandbox that settles at once.
    lines.push(...(await benchAuthorize(dir, baseTime.median)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  // 5: assertions signed per second (2048-bit key, in-process).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const start = process.hrtime.bigint();
    let count = 0;
    while (Number(process.hrtime.bigint() - start) < 100e6) {
      await signAssertion(privateKey, { clientId: 'client', username: 'user@example.com', audience: 'https://login.salesforce.com' }, Date.now());
      count += 1;
    }
    rates.push(count / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  lines.push(row('assertions signed per second (RSA 2048)', fmt(stats(rates), '/s', 0), 'jose, in-process'));

  // 6: the packed size of the bundle built above (--ignore-scripts: prepack would rebuild dist/
  // while the docs test's other pages run it).
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const [packed] = JSON.parse(pack.stdout) as Array<{ size: number; unpackedSize: number; entryCount: number }>;
  lines.push(row('package: tarball', `${(packed!.size / 1024).toFixed(1)} KiB`, 'target <= 300 KB'));
  lines.push(row('package: unpacked', `${(packed!.unpackedSize / 1024).toFixed(1)} KiB`, 'target <= 1 MB'));
  lines.push(row('package: files', String(packed!.entryCount), ''));

  process.stdout.write(`applink-jwt bench: ${RUNS} runs each, Node ${process.version}, ${new Date().toISOString()}\n\n${lines.join('\n')}\n`);
}

/** Median wall time of `authorize` (a whole process) and the HTTP requests it made. */
async function benchAuthorize(dir: string, nodeStartMs: number): Promise<string[]> {
  const sandbox = await startSandbox({ settleDelayMs: 0 });
  try {
    const env = { ...process.env, ...sandbox.env() };
    sandbox.registerCertificate(await readFile(join(dir, 'server.crt'), 'utf8'));
    const times: number[] = [];
    const requests: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const before = sandbox.requestLog.length;
      const measured = await measureProcess([BIN, 'authorize', `bench_${run}`, '-a', env.HEROKU_APP!, '--login-url', env.SF_LOGIN_URL!, '--jwt-key-file', join(dir, 'server.key'), '--json'], env);
      if (measured.status !== 0) throw new Error(`authorize exited ${measured.status}: ${measured.stderr}`);
      times.push(measured.ms);
      requests.push(sandbox.requestLog.slice(before).filter((request) => !request.internal).length);
    }
    // The same flow in-process (the CLI's own code and fetch, no process start-up or module loading).
    const inProcess: number[] = [];
    const deps: Deps = {
      env,
      cwd: ROOT,
      fetch: nodeHttpFetch as typeof fetch,
      now: () => Date.now(),
      sleep,
      fs,
      readStdin: async () => '',
      run: async () => {
        throw new Error('bench: authorize runs no program');
      },
      stdout: () => {},
      stderr: () => {},
      progress: silentProgress,
      stdinIsTTY: false,
      signal: new AbortController().signal,
    };
    for (let run = 0; run < RUNS + 1; run += 1) {
      const start = process.hrtime.bigint();
      await runAuthorize(
        {
          developerName: `bench_in_${run}`,
          app: env.HEROKU_APP,
          loginUrl: env.SF_LOGIN_URL!,
          clientId: env.SF_CLIENT_ID,
          username: env.SF_USERNAME,
          allowLoginHosts: [],
          type: 'salesforce',
          jwtKeyFile: join(dir, 'server.key'),
          jwtKeyEnv: 'JWT_PRIVATE_KEY',
          replace: false,
          preflight: true,
          timeoutMs: 60_000,
          json: true,
        },
        deps,
      );
      if (run > 0) inProcess.push(Number(process.hrtime.bigint() - start) / 1e6); // the first warms the code up
    }
    const clientRequests = stats(requests);
    const whole = stats(times);
    const beyondNode = { median: whole.median - nodeStartMs, min: whole.min - nodeStartMs, max: whole.max - nodeStartMs };
    return [
      row('authorize on loopback (preflight, add-on, POST, poll)', fmt(whole, 'ms'), 'whole process, 4096-bit key, sandbox settles at once'),
      row('authorize on loopback, beyond Node start-up', fmt(beyondNode, 'ms'), 'the above minus the median of node -e 0'),
      row('authorize on loopback, in-process', fmt(stats(inProcess), 'ms'), 'runAuthorize with the CLI fetch, beside the sandbox: the flow alone (target <= 150 ms)'),
      row('authorize: HTTP requests made by the CLI', fmt(clientRequests, 'requests', 0), "plugin's sequence is 6 (4 GETs, SSO, POST) + preflight 1 + polls"),
    ];
  } finally {
    await sandbox.close();
  }
}

await main();
