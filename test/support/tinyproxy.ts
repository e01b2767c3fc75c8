/**
 * A real proxy process for the proxy tests: Debian's tinyproxy on a loopback port, with its own
 * config and log in a temp dir. `requests()` reads the proxy's own log, so a test proves what went
 * through the proxy from the proxy's side. (tinyproxy cannot listen on port 0 and report the port:
 * a free port is picked first, and another one tried if tinyproxy cannot bind it.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tinyproxy {
  /** `http://127.0.0.1:<port>` (no credentials). */
  url: string;
  port: number;
  /** The request lines the proxy logged since start (or since the last `mark()`): `GET http://...`, `CONNECT host:port`. */
  requests(): Promise<string[]>;
  /** Forgets the requests logged so far (for the next `requests()`). */
  mark(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts tinyproxy; `basicAuth` makes it demand those credentials (407 otherwise). */
export async function startTinyproxy(options: { basicAuth?: { user: string; password: string } } = {}): Promise<Tinyproxy> {
  const dir = await mkdtemp(join(tmpdir(), 'applink-jwt-tinyproxy-'));
  const logFile = join(dir, 'tinyproxy.log');
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const port = await freePort();
    const config = [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      `LogFile "${logFile}"`,
      'LogLevel Connect',
      `PidFile "${join(dir, 'tinyproxy.pid')}"`,
      'MaxClients 50',
      'Allow 127.0.0.1',
      'DisableViaHeader Yes',
      ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
    ].join('\n');
    await writeFile(join(dir, 'tinyproxy.conf'), `${config}\n`);
    const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
    let exited = false;
    const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
    child.once('error', () => {
      exited = true;
    });
    const deadline = Date.now() + 15_000;
    while (!exited && Date.now() < deadline && !(await accepts(port))) await new Promise((resolve) => setTimeout(resolve, 50));
    if (exited) continue;
    if (!(await accepts(port))) {
      child.kill('SIGKILL');
      await exit;
      continue;
    }
    let offset = 0;
    const lines = async () => (await readFile(logFile, 'utf8').catch(() => '')).slice(offset);
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      async requests() {
        return [...(await lines()).matchAll(/Request \(file descriptor \d+\): (\S+ \S+) HTTP\/1\.[01]/g)].map((match) => match[1]!);
      },
      async mark() {
        offset += (await lines()).length;
      },
      async stop() {
        if (!exited) {
          child.kill('SIGTERM');
          await exit;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('tinyproxy did not start (is it installed? .ci/run installs it)');
}
