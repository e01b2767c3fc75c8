import { describe, expect, it } from '@jest/globals';
import { runProgram } from '../support/harness.js';

describe('createProgram', () => {
  it('prints help listing every command', async () => {
    const result = await runProgram(['--help']);
    expect(result.exitCode).toBe(0);
    for (const command of ['keys', 'verify', 'authorize', 'list', 'info', 'remove', 'sandbox', 'demo']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('rejects an unknown command as a usage error', async () => {
    const result = await runProgram(['bogus']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'bogus'");
  });

  it('rejects a --type outside its choices', async () => {
    const result = await runProgram(['verify', '--type', 'oracle']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("option '--type <type>' argument 'oracle' is invalid");
  });

  it('rejects a non-numeric --timeout', async () => {
    const result = await runProgram(['verify', '--timeout', 'soon']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--timeout must be a whole number, got "soon".');
  });
});
