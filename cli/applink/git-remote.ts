/**
 * The app of the git checkout, as the Heroku CLI finds it when neither `-a/--app` nor `HEROKU_APP`
 * is given: `-r/--remote <name>` (or git's `heroku.remote` setting) picks a remote; else a remote
 * named `heroku`; else the only remote pointing at Heroku's git host. The remotes are read with
 * git itself (`git config --get-regexp`), never by parsing `.git/config` by hand.
 */
import type { Deps } from '../deps.js';
import { InputError } from '../errors.js';
import { printable } from './developer-name.js';

export interface GitRemote {
  name: string;
  url: string;
}

/** A remote that points at a Heroku app. */
export interface HerokuRemote extends GitRemote {
  app: string;
}

/**
 * The git hosts of Heroku: `git.heroku.com` over https, `heroku.com` over ssh; `HEROKU_HOST` (a
 * host, or a URL whose host is used) and `HEROKU_GIT_HOST` move them as they move the Heroku CLI's.
 */
export function herokuGitPrefixes(env: Deps['env']): string[] {
  const host = env.HEROKU_HOST?.trim() || 'heroku.com';
  const base = /^https?:\/\//i.test(host) ? safeHost(host) ?? 'heroku.com' : host;
  const sshHost = env.HEROKU_GIT_HOST?.trim() || base;
  const httpHost = env.HEROKU_GIT_HOST?.trim() || `git.${base}`;
  return [`https://${httpHost}/`, `git@${sshHost}:`, `ssh://git@${sshHost}/`];
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** The app a remote URL points at, or `undefined` when it is not a Heroku git URL. */
export function appOfRemoteUrl(url: string, prefixes: readonly string[]): string | undefined {
  const prefix = prefixes.find((candidate) => url.toLowerCase().startsWith(candidate.toLowerCase()));
  if (prefix === undefined) return undefined;
  const app = url.slice(prefix.length).replace(/\/+$/, '').replace(/\.git$/, '');
  return app === '' || app.includes('/') ? undefined : app;
}

/**
 * Parses the output of `git config --get-regexp '^remote\..+\.url$'` (`remote.<name>.url <url>`
 * per line; a remote name may hold dots, the key never holds a space).
 */
export function parseRemoteConfig(stdout: string): GitRemote[] {
  const remotes: GitRemote[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^remote\.(.+)\.url (.*)$/.exec(line.trimEnd());
    if (match) remotes.push({ name: match[1]!, url: match[2]! });
  }
  return remotes;
}

export interface AppFromGitOptions {
  /** `-r/--remote`. */
  remote?: string;
}

/** What the git checkout says: an app (and the remote it came from), or nothing. */
export type AppFromGit = { app: string; remote: string } | undefined;

/**
 * Infers the app from the git remotes of `deps.cwd`. `undefined` when git is missing, this is not
 * a checkout, or no remote points at Heroku (and `-r` was not given).
 *
 * @throws InputError `ERR_GIT_REMOTE` (the `-r` remote is missing or not a Heroku remote),
 *   `ERR_APP_AMBIGUOUS` (several Heroku remotes and none chosen).
 */
export async function appFromGitRemotes(options: AppFromGitOptions, deps: Pick<Deps, 'run' | 'cwd' | 'env'>): Promise<AppFromGit> {
  const listed = await deps.run('git', ['config', '--get-regexp', '^remote\\..+\\.url$'], { cwd: deps.cwd });
  // Exit 1: no remote at all; 127: git is not installed; 128: not a checkout (or git refused it).
  const remotes = listed.exitCode === 0 ? parseRemoteConfig(listed.stdout) : [];
  const prefixes = herokuGitPrefixes(deps.env);
  const heroku: HerokuRemote[] = remotes.flatMap((remote) => {
    const app = appOfRemoteUrl(remote.url, prefixes);
    return app === undefined ? [] : [{ ...remote, app }];
  });

  let chosen = options.remote;
  let chosenBy = '-r/--remote';
  if (chosen === undefined) {
    const configured = await deps.run('git', ['config', '--get', 'heroku.remote'], { cwd: deps.cwd });
    if (configured.exitCode === 0 && configured.stdout.trim() !== '') {
      chosen = configured.stdout.trim();
      chosenBy = 'git config heroku.remote';
    }
  }
  if (chosen !== undefined) {
    const remote = remotes.find((candidate) => candidate.name === chosen);
    const app = remote === undefined ? undefined : appOfRemoteUrl(remote.url, prefixes);
    if (remote === undefined || app === undefined) {
      const known = heroku.length > 0 ? ` Heroku remotes here: ${heroku.map(describe).join(', ')}.` : ' No remote here points at Heroku.';
      throw new InputError(
        'ERR_GIT_REMOTE',
        remote === undefined
          ? `${chosenBy} names the git remote "${printable(chosen)}", which ${listed.exitCode === 0 ? 'this checkout does not have' : `could not be read (git exited ${listed.exitCode})`}.${known}`
          : `${chosenBy} names the git remote "${printable(chosen)}", whose URL ${printable(remote.url)} is not a Heroku git URL (https://git.heroku.com/<app>.git or git@heroku.com:<app>.git).${known}`,
        { hint: 'Name a remote that git remote -v lists with a Heroku URL, or pass -a/--app <app>.' },
      );
    }
    return { app, remote: remote.name };
  }
  const named = heroku.find((remote) => remote.name === 'heroku');
  if (named !== undefined) return { app: named.app, remote: named.name };
  if (heroku.length === 1) return { app: heroku[0]!.app, remote: heroku[0]!.name };
  if (heroku.length > 1) {
    throw new InputError(
      'ERR_APP_AMBIGUOUS',
      `No app given, and several git remotes point at Heroku apps: ${heroku.map(describe).join(', ')}.`,
      { hint: `Pick one with -r/--remote <remote> (for example -r ${heroku[0]!.name}) or -a/--app <app>.` },
    );
  }
  return undefined;
}

function describe(remote: HerokuRemote): string {
  return `${printable(remote.name)} (${printable(remote.app)})`;
}
