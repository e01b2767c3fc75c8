/**
 * An https endpoint for the proxy tests: a throwaway CA and a certificate for 127.0.0.1 made with
 * the real openssl, and a loopback https server that forwards every request to the sandbox. The
 * binary trusts the CA through NODE_EXTRA_CA_CERTS, as a user behind a TLS-inspecting proxy does.
 */
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface TlsFront {
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** The CA certificate file to pass as NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** Paths of the requests it forwarded. */
  seen: string[];
  close(): Promise<void>;
}

/** Creates the CA and the server certificate in `dir` with openssl. */
async function makeCertificates(dir: string): Promise<{ caFile: string; key: string; cert: string }> {
  const openssl = (...args: string[]) => execa('openssl', args, { cwd: dir });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=applink-jwt test CA');
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext');
  return { caFile: join(dir, 'ca.crt'), key: await readFile(join(dir, 'server.key'), 'utf8'), cert: await readFile(join(dir, 'server.crt'), 'utf8') };
}

/** Starts the https front in `dir`, forwarding to `target()` (read per request: the sandbox changes per test). */
export async function startTlsFront(dir: string, target: (path: string) => string): Promise<TlsFront> {
  const { caFile, key, cert } = await makeCertificates(dir);
  const seen: string[] = [];
  const server: Server = createServer({ key, cert }, (req, res) => {
    seen.push(req.url ?? '');
    const to = new URL(req.url ?? '/', target(req.url ?? '/'));
    const forward = httpRequest(to, { method: req.method, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    caFile,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
