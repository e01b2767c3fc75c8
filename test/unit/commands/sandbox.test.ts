import { createServer, type Server } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { runSandbox, type SandboxCommandOptions, type SandboxStartedDocument } from '../../../cli/commands/sandbox.js';
import { ROOT, testDeps } from '../../support/harness.js';

const options = (overrides: Partial<SandboxCommandOptions> = {}): SandboxCommandOptions => ({ port: 0, json: false, ...overrides });

/** Starts the command, waits for its first output, and returns a way to stop it. */
async function start(overrides: Partial<SandboxCommandOptions> = {}) {
  const controller = new AbortController();
  const deps = testDeps({ signal: controller.signal, cwd: ROOT });
  const running = runSandbox(options(overrides), deps);
  const failed = running.then(() => undefined, (error: unknown) => error);
  while (deps.out() === '') {
    const early = await Promise.race([failed, new Promise((resolve) => setTimeout(() => resolve('waiting'), 5))]);
    if (early !== 'waiting') throw early;
  }
  return { deps, running, stop: (reason: string) => controller.abort(reason) };
}

describe('runSandbox', () => {
  it('prints the env block and how to register a certificate, serves, and stops on the signal', async () => {
    const { deps, running, stop } = await start();
    const out = deps.out();
    const port = /^AppLink sandbox listening on port (\d+), one loopback address per service:$/m.exec(out)![1]!;
    expect(out).toContain(
      [
        `  Heroku Platform API       http://127.0.0.1:${port}`,
        `  AppLink API               http://127.0.0.2:${port}`,
        `  Salesforce login host     http://127.0.0.3:${port}`,
        `  Org instance (My Domain)  http://127.0.0.4:${port}`,
        `  Data Cloud tenant         http://127.0.0.5:${port}`,
        `  CircleCI API (contexts)   http://127.0.0.6:${port}`,
      ].join('\n'),
    );
    const url = `http://127.0.0.1:${port}`;
    const loginUrl = `http://127.0.0.3:${port}`;
    expect(out).toContain(`export HEROKU_API_URL='${url}'`);
    expect(out).toContain(`export HEROKU_HOST='${url}'`);
    expect(out).toContain(`export SF_LOGIN_URL='${loginUrl}'`);
    expect(out).toMatch(new RegExp(`^export HEROKU_APPLINK_API_URL='http://127\\.0\\.0\\.2:${port}/addons/[0-9a-f-]{36}'$`, 'm'));
    expect(out).toContain(`export CIRCLECI_API_URL='http://127.0.0.6:${port}/api/v2'`);
    for (const name of ['HEROKU_API_KEY', 'HEROKU_APP', 'HEROKU_APP_NAME', 'HEROKU_APP_ID', 'HEROKU_APPLINK_TOKEN', 'SF_CLIENT_ID', 'SF_USERNAME', 'CIRCLE_TOKEN']) {
      expect(out).toMatch(new RegExp(`^export ${name}='[^']+'$`, 'm'));
    }
    expect(out).toContain('# Register the certificate of your key with the external client app 3MVG9sandbox.AcmeAppLinkCI.ConsumerKey:');
    expect(out).toContain(`curl -sS --data-binary @server.crt '${loginUrl}/__sandbox/certificates?client_id=3MVG9sandbox.AcmeAppLinkCI.ConsumerKey'`);
    expect(out).toContain('Press Ctrl-C to stop.');
    expect((await fetch(`${url}/__sandbox/health`)).status).toBe(200);
    stop('SIGINT');
    const result = await running;
    expect(result).toEqual({ json: { event: 'stopped', signal: 'SIGINT', requests: 1 }, text: 'Sandbox stopped (SIGINT) after 1 request.', jsonLines: true });
    await expect(fetch(`${url}/__sandbox/health`)).rejects.toThrow();
  });

  it('prints one JSON line with --json', async () => {
    const { deps, running, stop } = await start({ json: true });
    const [line, rest] = deps.out().split('\n');
    expect(rest).toBe('');
    const document = (JSON.parse(line!) as { result: SandboxStartedDocument }).result;
    expect(document.env.HEROKU_API_URL).toBe(document.url);
    expect(document.hosts).toBe('separate');
    expect(document.urls).toEqual({ platform: document.url, applink: document.url.replace('127.0.0.1', '127.0.0.2'), login: document.url.replace('127.0.0.1', '127.0.0.3'), instance: document.url.replace('127.0.0.1', '127.0.0.4'), datacloud: document.url.replace('127.0.0.1', '127.0.0.5'), circleci: document.url.replace('127.0.0.1', '127.0.0.6') });
    expect(document.certificateRegistration).toEqual({ route: `${document.urls.login}/__sandbox/certificates`, clientId: '3MVG9sandbox.AcmeAppLinkCI.ConsumerKey', registered: false });
    stop('SIGTERM');
    expect((await running).json).toEqual({ event: 'stopped', signal: 'SIGTERM', requests: 0 });
  });

  it('registers --cert-file and loads --state', async () => {
    const { deps, running, stop } = await start({ state: 'test/fixtures/sandbox/state.yml', certFile: 'test/fixtures/sandbox/key-b.crt' });
    expect(deps.out()).toContain('# Certificate registered with the external client app 3MVG9fixture.Acme.ConsumerKey.');
    expect(deps.out()).toContain("export HEROKU_APP='acme-web'");
    stop('SIGINT');
    await running;
  });

  it('registers a certificate posted to the control route', async () => {
    const { deps, running, stop } = await start({ json: true });
    const document = (JSON.parse(deps.out()) as { result: SandboxStartedDocument }).result;
    const { readFile } = await import('node:fs/promises');
    const pem = await readFile(`${ROOT}test/fixtures/sandbox/key-a.crt`, 'utf8');
    const raw = await fetch(`${document.certificateRegistration.route}?client_id=${document.certificateRegistration.clientId}`, { method: 'POST', body: pem });
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual({ client_id: document.certificateRegistration.clientId, registered: true });
    const viaJson = await fetch(document.certificateRegistration.route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ certificate: pem }) });
    expect(viaJson.status).toBe(200);
    const bad = await fetch(document.certificateRegistration.route, { method: 'POST', body: 'not a certificate' });
    expect(bad.status).toBe(422);
    const unknown = await fetch(`${document.certificateRegistration.route}?client_id=nope`, { method: 'POST', body: pem });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ id: 'not_found', message: 'No external client app with consumer key nope' });
    stop('SIGINT');
    await running;
  });

  it('fails with ERR_SANDBOX_STATE naming the file for a bad state file', async () => {
    const deps = testDeps({ cwd: ROOT });
    await expect(runSandbox(options({ state: 'test/fixtures/sandbox/key-a.crt' }), deps)).rejects.toMatchObject({
      code: 'ERR_SANDBOX_STATE',
      exitCode: 3,
      message: 'test/fixtures/sandbox/key-a.crt: (top level) must be object.',
    });
  });

  it('fails with ERR_SANDBOX_CERT for an unreadable or wrong --cert-file', async () => {
    const deps = testDeps({ cwd: ROOT });
    await expect(runSandbox(options({ certFile: 'nope.crt' }), deps)).rejects.toMatchObject({ code: 'ERR_SANDBOX_CERT', message: 'Cannot read the certificate file nope.crt (ENOENT).' });
    await expect(runSandbox(options({ certFile: 'test/fixtures/sandbox/state.yml' }), deps)).rejects.toMatchObject({
      code: 'ERR_SANDBOX_CERT',
      message: expect.stringMatching(/^--cert-file test\/fixtures\/sandbox\/state\.yml: The certificate for consumer key 3MVG9sandbox\.AcmeAppLinkCI\.ConsumerKey is not an X\.509 certificate in PEM form/),
    });
  });

  it('fails with ERR_SANDBOX_PORT when the port is taken', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      await expect(runSandbox(options({ port }), testDeps())).rejects.toMatchObject({
        code: 'ERR_SANDBOX_PORT',
        exitCode: 3,
        message: `Cannot listen on 127.0.0.1:${port} (EADDRINUSE).`,
        hint: 'Choose another --port, or --port 0 for any free port.',
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
