import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programRunner } from '../../cli/run-program.js';

// Real processes (node itself), as the CLI runs git, the admin-token command and the check command.
const run = programRunner({ ...process.env, RUN_PROGRAM_BASE: 'from the base' });
const node = process.execPath;

describe('programRunner (the production deps.run)', () => {
  it('returns the exit code, stdout and stderr as written, final newline kept, without throwing', async () => {
    const result = await run(node, ['-e', 'process.stdout.write("out\\n"); process.stderr.write("err\\n"); process.exit(3)']);
    expect(result).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('passes arguments without a shell', async () => {
    const result = await run(node, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '$HOME', 'a b', '; echo no']);
    expect(JSON.parse(result.stdout)).toEqual(['$HOME', 'a b', '; echo no']);
  });

  it('writes the input to the program and closes it; no input is an empty, closed stdin', async () => {
    const echo = ['-e', 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(`[${s}]`))'];
    expect((await run(node, echo, { input: 'line 1\nline 2' })).stdout).toBe('[line 1\nline 2]');
    expect((await run(node, echo)).stdout).toBe('[]');
  });

  it("adds the caller's variables to the base environment and runs in the given folder", async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'run-program-')));
    const result = await run(node, ['-e', 'process.stdout.write(JSON.stringify([process.env.RUN_PROGRAM_BASE, process.env.RUN_PROGRAM_ADDED, process.cwd()]))'], {
      cwd: dir,
      env: { RUN_PROGRAM_ADDED: 'added' },
    });
    expect(JSON.parse(result.stdout)).toEqual(['from the base', 'added', dir]);
  });

  it('answers 127 with the program named when it cannot be started, as a shell does', async () => {
    const result = await run('applink-jwt-no-such-program', ['x']);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain('applink-jwt-no-such-program: command not found');
  });

  it('answers 128 + the signal number for a program killed by a signal', async () => {
    const result = await run(node, ['-e', 'process.kill(process.pid, "SIGTERM")']);
    expect(result.exitCode).toBe(143);
  });
});
