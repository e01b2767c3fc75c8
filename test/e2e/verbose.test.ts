/**
 * --verbose and DEBUG=applink-jwt: one trace line per HTTP request and answer of a full authorize
 * (method, URL, status, duration, attempt), through the one output gate, and no secret in it: the
 * leak guard of sandboxPerTest scans every output after each test. -q prints only the result.
 */
import { describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../cli/sandbox/server.js';
import { platformEnv, sandboxPerTest, type BinRunner, type TestKey } from '../support/applink-e2e.js';

let keys: TestKey[];
let sandbox: Sandbox;
let bin: BinRunner;
sandboxPerTest(1, (current) => ({ keys, sandbox, bin } = current));

const authorize = (name: string, ...extra: string[]) => ['authorize', name, '-a', 'acme-app', '--login-url', sandbox.urls.login, '--jwt-key-file', keys[0]!.path, ...extra];
const TRACE = /^\[applink-jwt\] HTTP (GET|POST|DELETE) http:\/\/127\.\d+\.\d+\.\d+:\d+\/\S* -> (\d{3}|[\w ()./]+) in \d+ ms( \(attempt \d\/\d\))?$/;

describe('--verbose, DEBUG and --quiet', () => {
  it('--verbose traces every request of a full authorize, retries included, with no secret', async () => {
    sandbox.faults.fail('platform.app', 503, 1);
    const result = await bin.run(authorize('verbose_org', '--verbose'), platformEnv(sandbox));
    expect(result.exitCode).toBe(0);
    const trace = result.stderr.split('\n').filter((line) => line.startsWith('[applink-jwt] '));
    for (const line of trace) expect(line).toMatch(TRACE);
    // As many trace lines as requests the sandbox saw from the CLI (its own internal ones aside).
    const external = sandbox.requestLog.filter((entry) => !entry.internal);
    expect(trace).toHaveLength(external.length);
    expect(trace.some((line) => /\/services\/oauth2\/token -> 200 /.test(line))).toBe(true);
    expect(trace.some((line) => /\/apps\/acme-app -> 503 in \d+ ms \(attempt 1\/4\)$/.test(line))).toBe(true);
    expect(result.stderr).toMatch(/^The Heroku Platform API answered 503, retrying in \d+ ms \(2\/4\)$/m);
    expect(trace.some((line) => /POST \S+\/authorizations\/salesforce\/jwt -> 20\d /.test(line))).toBe(true);
    expect(result.stderr).not.toMatch(/authorization:|bearer|x-addon-sso/i);
  });

  it('DEBUG=applink-jwt (or a matching pattern) traces the same way; other DEBUG values do nothing', async () => {
    for (const [debug, traced] of [['applink-jwt', true], ['*', true], ['express:*,applink-jwt', true], ['1', false], ['express:*', false], ['*,-applink-jwt', false]] as const) {
      sandbox.state.authorizations.splice(0);
      const result = await bin.run(authorize('debug_org'), { ...platformEnv(sandbox), DEBUG: debug });
      expect({ debug, exitCode: result.exitCode, traced: result.stderr.includes('[applink-jwt] HTTP ') }).toEqual({ debug, exitCode: 0, traced });
    }
  });

  it('-q prints only the result: no progress, no warnings', async () => {
    const result = await bin.run(authorize('quiet_org', '-q'), platformEnv(sandbox));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')[0]).toBe('Authorized quiet_org (Salesforce) on add-on applink-sandbox-1 of app acme-app.');
  });

  it('-v and version print the version', async () => {
    const short = await bin.run(['-v'], {});
    const long = await bin.run(['version'], {});
    expect(short.exitCode).toBe(0);
    expect(short.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(long).toEqual(short);
    expect((await bin.run(['-V'], {})).stdout).toBe(short.stdout);
  });
});
