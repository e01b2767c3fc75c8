#!/usr/bin/env node
/**
 * The process boundary: the only file that touches `process` (argv, env, cwd, stdio, signals,
 * exit code). Everything else receives these through `deps`.
 */
import * as fs from 'node:fs/promises';
import { debugEnabled, scanCliFlags } from './cli-mode.js';
import { sleep, type Deps } from './deps.js';
import { programRunner } from './run-program.js';
import { ExitCode } from './errors.js';
import { runCli } from './program.js';
import { PROXY_VARIABLES } from './proxy-variables.js';
import { createHttpLog, createProgress } from './progress.js';
import { redactingWriter, SecretRegistry } from './redact.js';
import { terminalSafe } from './terminal-text.js';

/**
 * Every secret the process holds is redacted from everything it prints: the code registers what it
 * learns (key, tokens, assertion), these are known from the start.
 */
const secrets = new SecretRegistry();
for (const name of ['HEROKU_API_KEY', 'HEROKU_APPLINK_TOKEN', 'JWT_PRIVATE_KEY']) secrets.add(process.env[name]);
// Proxy credentials (http://user:password@proxy:3128) are secrets too: messages show the proxy as http://***@proxy.
for (const name of PROXY_VARIABLES) {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^@/]*)@/i.exec(process.env[name]?.trim() ?? '');
  if (match) for (const part of match[1]!.split(':')) secrets.add(decodeURIComponentSafely(part));
}

function decodeURIComponentSafely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
const writeOut = redactingWriter((text) => process.stdout.write(terminalSafe(text)), secrets);
const writeErr = redactingWriter((text) => process.stderr.write(terminalSafe(text)), secrets);

async function readStdin(maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
    if (total > maxBytes) break; // leaving the loop destroys the stream: nothing more is read
  }
  return Buffer.concat(chunks).subarray(0, maxBytes + 1).toString('utf8');
}

async function main(): Promise<number> {
  // A closed pipe (`applink-jwt --help | head`) is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const controller = new AbortController();
  const argv = process.argv.slice(2);
  const mode = scanCliFlags(argv, process.env);
  // Progress and the trace write through deps.stderr: the one gate all output passes.
  const write = (text: string) => deps.stderr(text);
  // Human lines wrap at 100 columns, or the terminal's width when narrower; COLUMNS (the shell's
  // variable) overrides both, for a log viewer that is wider or narrower.
  const ttyColumns = process.stderr.isTTY && process.stderr.columns > 0 ? Math.min(process.stderr.columns, 100) : undefined;
  const columns = Number(process.env.COLUMNS) > 0 ? Number(process.env.COLUMNS) : ttyColumns;
  const progress = createProgress(
    { tty: Boolean(process.stderr.isTTY), plain: mode.plain, silent: mode.json || mode.quiet },
    { write, now: () => Date.now(), columns },
  );
  const deps: Deps = {
    env: process.env,
    cwd: process.cwd(),
    platform: process.platform,
    // node:http rather than Node's fetch: no undici to load, no keep-alive holding the process.
    // Proxies: HTTPS_PROXY, HTTP_PROXY and NO_PROXY, read from this environment (node-fetch.ts).
    fetch: async (input, init) => (await import('./node-fetch.js')).nodeHttpFetch(input, init, { env: process.env }),
    now: () => Date.now(),
    sleep,
    fs,
    readStdin,
    run: programRunner(process.env),
    stdout: writeOut,
    stderr: writeErr,
    secrets,
    progress,
    httpLog: createHttpLog(progress, mode.verbose ? write : undefined),
    ...(columns === undefined ? {} : { columns }),
    stdinIsTTY: Boolean(process.stdin.isTTY),
    signal: controller.signal,
    prompt: async (question) => {
      const { createInterface } = await import('node:readline/promises');
      const terminal = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await terminal.question(question, { signal: controller.signal });
      } finally {
        terminal.close();
      }
    },
  };

  let interrupts = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    interrupts += 1;
    const code = signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
    if (interrupts > 1) process.exit(code);
    controller.abort(signal);
    // A command that is not waiting on anything would otherwise keep running; give it a moment.
    setTimeout(() => process.exit(code), 5000).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  return runCli(argv, deps, mode);
}

/** Resolves once everything written so far has been handed to the OS (pipes are async on macOS). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) resolve();
    else stream.write('', () => resolve());
  });
}

/**
 * Exits as soon as the output is flushed: waiting for Node to tear down idle keep-alive sockets and
 * the like adds tens of milliseconds to every run and tells the caller nothing.
 */
async function exitWith(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

main().then(
  (code) => exitWith(code),
  (error: unknown) => {
    writeErr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (debugEnabled(process.env.DEBUG) && error instanceof Error) writeErr(`${error.stack}\n`);
    return exitWith(ExitCode.internal);
  },
);
