import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { ROOT, runBin } from '../support/harness.js';

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

  it('has no runtime dependencies in package.json', async () => {
    const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { dependencies?: object };
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});
