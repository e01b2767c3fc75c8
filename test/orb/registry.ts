/**
 * A one-package npm registry on loopback for the orb's install tests: serves this repository's
 * `npm pack` tarball as applink-jwt@<version>, so the orb's real `npm install` runs offline.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../support/harness.js';

export interface Registry {
  url: string;
  version: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startRegistry(): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'applink-registry-'));
  const packed = await execa('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, env: { npm_config_loglevel: 'silent' } });
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; version: string; name: string }>;
  const tarball = await readFile(join(dir, info!.filename));
  const shasum = createHash('sha1').update(tarball).digest('hex');
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const base = `http://${request.headers.host}`;
    if (request.url === `/${info!.name}`) {
      const manifest = JSON.parse(packed.stdout)[0];
      const document = {
        name: info!.name,
        'dist-tags': { latest: info!.version },
        versions: { [info!.version]: { name: info!.name, version: info!.version, bin: { 'applink-jwt': 'dist/main.js' }, engines: manifest.engines, dist: { tarball: `${base}/${info!.filename}`, shasum, integrity } } },
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
    } else if (request.url === `/${info!.filename}`) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
    } else {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/`,
    version: info!.version,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
