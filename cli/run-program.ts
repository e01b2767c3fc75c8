/**
 * The production `deps.run`: runs a program without a shell and never throws for a non-zero exit
 * (the Runner contract in deps.ts). It is node:child_process directly: the CLI runs a handful of
 * short programs (git, an admin-token command, a check command, node for the demo), so a process
 * library would add about 130 KB to the package for nothing it needs.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { RunResult, Runner } from './deps.js';

export function programRunner(baseEnv: NodeJS.ProcessEnv): Runner {
  return (file, args, options = {}) =>
    new Promise<RunResult>((resolvePromise) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let settled = false;
      const settle = (result: RunResult): void => {
        if (settled) return;
        settled = true;
        resolvePromise(result);
      };
      // The caller's variables are added to this process's environment, not put in its place.
      const child = spawn(file, [...args], {
        cwd: options.cwd,
        env: { ...baseEnv, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => {
        // The program could not be started at all (not installed): exit 127, as a shell says it.
        settle({ exitCode: 127, stdout: '', stderr: `${file}: ${error.code === 'ENOENT' ? 'command not found' : error.message}` });
      });
      child.on('close', (code, signal) => {
        settle({
          // Killed by a signal: 128 + its number, as a shell reports it.
          exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        });
      });
      // A program that does not read its input closes the pipe early: that is not an error here.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
}
