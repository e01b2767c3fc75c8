import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { appFromGitRemotes, appOfRemoteUrl, herokuGitPrefixes, parseRemoteConfig } from '../../../cli/applink/git-remote.js';
import { failure } from '../../support/app-error.js';
import { realRunner } from '../../support/harness.js';

describe('remote URLs', () => {
  const prefixes = herokuGitPrefixes({});
  it.each([
    ['https://git.heroku.com/acme-app.git', 'acme-app'],
    ['https://git.heroku.com/acme-app', 'acme-app'],
    ['git@heroku.com:acme-app.git', 'acme-app'],
    ['ssh://git@heroku.com/acme-app.git', 'acme-app'],
    ['https://github.com/acme/acme-app.git', undefined],
    ['https://git.heroku.com.evil.example/acme-app.git', undefined],
    ['https://git.heroku.com/a/b.git', undefined],
  ])('%s -> %s', (url, app) => {
    expect(appOfRemoteUrl(url, prefixes)).toBe(app);
  });

  it('follows HEROKU_HOST and HEROKU_GIT_HOST as the Heroku CLI does', () => {
    expect(herokuGitPrefixes({ HEROKU_HOST: 'staging.example.com' })).toEqual(['https://git.staging.example.com/', 'git@staging.example.com:', 'ssh://git@staging.example.com/']);
    expect(herokuGitPrefixes({ HEROKU_HOST: 'http://127.0.0.1:4010' })[0]).toBe('https://git.127.0.0.1:4010/');
    expect(herokuGitPrefixes({ HEROKU_GIT_HOST: 'git.example.com' })).toEqual(['https://git.example.com/', 'git@git.example.com:', 'ssh://git@git.example.com/']);
  });

  it('parses git config --get-regexp output, remote names with dots included', () => {
    expect(parseRemoteConfig('remote.origin.url https://github.com/a/b.git\nremote.prod.eu.url git@heroku.com:x.git\n')).toEqual([
      { name: 'origin', url: 'https://github.com/a/b.git' },
      { name: 'prod.eu', url: 'git@heroku.com:x.git' },
    ]);
  });
});

describe('appFromGitRemotes (real git)', () => {
  let dir: string;
  const git = (...args: string[]) => realRunner('git', args, { cwd: dir });
  const infer = (remote?: string, env: Record<string, string> = {}) => appFromGitRemotes({ remote }, { run: realRunner, cwd: dir, env });

  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'remotes-'));
    expect((await git('init', '-q')).exitCode).toBe(0);
    await git('remote', 'add', 'origin', 'https://github.com/acme/acme.git');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('nothing when no remote points at Heroku, or outside a checkout', async () => {
    expect(await infer()).toBeUndefined();
    const outside = await fs.mkdtemp(join(tmpdir(), 'plain-'));
    expect(await appFromGitRemotes({}, { run: realRunner, cwd: outside, env: { GIT_CEILING_DIRECTORIES: tmpdir() } })).toBeUndefined();
    await fs.rm(outside, { recursive: true });
  });

  it('the one remote named heroku, over other Heroku remotes', async () => {
    await git('remote', 'add', 'staging', 'git@heroku.com:acme-staging.git');
    await git('remote', 'add', 'heroku', 'https://git.heroku.com/acme-prod.git');
    expect(await infer()).toEqual({ app: 'acme-prod', remote: 'heroku' });
  });

  it('the only git.heroku.com remote under another name', async () => {
    await git('remote', 'add', 'prod', 'https://git.heroku.com/acme-prod.git');
    expect(await infer()).toEqual({ app: 'acme-prod', remote: 'prod' });
  });

  it('several candidates and no choice: an error listing them', async () => {
    await git('remote', 'add', 'prod', 'https://git.heroku.com/acme-prod.git');
    await git('remote', 'add', 'staging', 'git@heroku.com:acme-staging.git');
    const error = await failure(infer());
    expect([error.code, error.exitCode, error.message, error.hint]).toEqual([
      'ERR_APP_AMBIGUOUS',
      3,
      'No app given, and several git remotes point at Heroku apps: prod (acme-prod), staging (acme-staging).',
      'Pick one with -r/--remote <remote> (for example -r prod) or -a/--app <app>.',
    ]);
  });

  it('-r picks a remote; git config heroku.remote does too', async () => {
    await git('remote', 'add', 'prod', 'https://git.heroku.com/acme-prod.git');
    await git('remote', 'add', 'staging', 'git@heroku.com:acme-staging.git');
    expect(await infer('staging')).toEqual({ app: 'acme-staging', remote: 'staging' });
    await git('config', 'heroku.remote', 'prod');
    expect(await infer()).toEqual({ app: 'acme-prod', remote: 'prod' });
    expect(await infer('staging')).toEqual({ app: 'acme-staging', remote: 'staging' });
  });

  it('-r naming a missing or non-Heroku remote is an error', async () => {
    await git('remote', 'add', 'prod', 'https://git.heroku.com/acme-prod.git');
    const missing = await failure(infer('nope'));
    expect([missing.code, missing.message]).toEqual(['ERR_GIT_REMOTE', '-r/--remote names the git remote "nope", which this checkout does not have. Heroku remotes here: prod (acme-prod).']);
    const github = await failure(infer('origin'));
    expect(github.message).toBe(
      '-r/--remote names the git remote "origin", whose URL https://github.com/acme/acme.git is not a Heroku git URL (https://git.heroku.com/<app>.git or git@heroku.com:<app>.git). Heroku remotes here: prod (acme-prod).',
    );
  });
});
