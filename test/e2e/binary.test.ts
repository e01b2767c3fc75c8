import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { BIN, ROOT, runBin } from '../support/harness.js';
import { expectNoSecrets } from '../support/leak-guard.js';

describe('the built binary', () => {
  it('answers --version with the package version', async () => {
    const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { version: string };
    const result = await runBin(['--version']);
    expect(result).toEqual({ exitCode: 0, stdout: pkg.version, stderr: '' });
  });

  it('answers --help with usage and exit codes', async () => {
    const result = await runBin(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: applink-jwt [options] [command]');
    expect(result.stdout).toContain('Exit codes: 0 ok, 2 usage');
  });

  it('--help of every command, with secrets in the environment and DEBUG, names variables and prints no value', async () => {
    const key = await readFile(`${ROOT}test/fixtures/sandbox/key-a.pem`, 'utf8');
    const env = { JWT_PRIVATE_KEY: key, HEROKU_API_KEY: 'HRKU-help-must-not-show-0123456789', HEROKU_APPLINK_TOKEN: 'applink-help-must-not-show-01234', SF_CLIENT_ID: '3MVG9help.must.not.show.0123', DEBUG: '1' };
    const results = await Promise.all(
      [[], ['keys', 'generate'], ['keys', 'check'], ['verify'], ['authorize'], ['list'], ['info'], ['remove'], ['sandbox'], ['demo']].map((command) => runBin([...command, '--help'], { env })),
    );
    expect(results.map((result) => result.exitCode)).toEqual(Array(10).fill(0));
    expect(results.find((result) => result.stdout.includes('Usage: applink-jwt verify'))!.stdout).toContain('(env: SF_CLIENT_ID)');
    expectNoSecrets(results.flatMap((result) => [result.stdout, result.stderr]), { privateKeys: [key], tokens: [env.HEROKU_API_KEY, env.HEROKU_APPLINK_TOKEN, env.SF_CLIENT_ID] });
  });

  it('has no runtime dependencies in package.json', async () => {
    const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { dependencies?: object };
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});

describe('standard input as the key source', () => {
  it('stops reading an endless standard input at the key size bound', async () => {
    const { execa } = await import('execa');
    const result = await execa(process.execPath, [BIN, 'keys', 'check', '--jwt-key-file', '-'], {
      inputFile: '/dev/zero',
      env: { PATH: process.env.PATH },
      extendEnv: false,
      reject: false,
      timeout: 20000,
    });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(3);
    expect(String(result.stderr)).toContain('Error: The standard input is larger than 64 KiB; an RSA private key is under 4 KiB.');
  });
});
