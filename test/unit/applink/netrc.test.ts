import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { netrcEntryFor, netrcPath, parseNetrc, readNetrcToken } from '../../../cli/applink/netrc.js';
import { failure } from '../../support/app-error.js';

/** What heroku login writes (netrc-parser's layout), with a git entry after it. */
const HEROKU_LOGIN = 'machine api.heroku.com\n  login me@example.com\n  password 01234567-89ab-cdef-0123-456789abcdef\nmachine git.heroku.com\n  login me@example.com\n  password git-token\n';

describe('parseNetrc', () => {
  it('reads the entries heroku login writes', () => {
    expect(parseNetrc(HEROKU_LOGIN)).toEqual([
      { machine: 'api.heroku.com', login: 'me@example.com', password: '01234567-89ab-cdef-0123-456789abcdef' },
      { machine: 'git.heroku.com', login: 'me@example.com', password: 'git-token' },
    ]);
  });

  it('reads one-line entries, quoted values, comments, default, and skips macdef bodies and unknown keywords', () => {
    const text = [
      '# a comment machine evil.example password nope',
      'machine a.example login "me with space" password "p\\"w" port 22',
      'macdef init',
      'machine api.heroku.com password from-a-macro',
      '',
      'machine api.heroku.com login x password real # trailing comment',
      'default login anon password anon-pw',
    ].join('\n');
    expect(parseNetrc(text)).toEqual([
      { machine: 'a.example', login: 'me with space', password: 'p"w' },
      { machine: 'api.heroku.com', login: 'x', password: 'real' },
      { login: 'anon', password: 'anon-pw' },
    ]);
  });

  it('picks the first entry of the host, case-insensitively, and never the default entry', () => {
    const entries = parseNetrc('machine API.Heroku.com password one\nmachine api.heroku.com password two\ndefault password any');
    expect(netrcEntryFor(entries, 'api.heroku.com')?.password).toBe('one');
    expect(netrcEntryFor(entries, 'api.example.com')).toBeUndefined();
  });
});

describe('netrcPath', () => {
  it('is NETRC, else ~/.netrc (~\\_netrc on Windows)', () => {
    expect(netrcPath({ NETRC: '/etc/n', HOME: '/home/me' })).toBe('/etc/n');
    expect(netrcPath({ NETRC: '', HOME: '/home/me/' })).toBe('/home/me/.netrc');
    expect(netrcPath({ USERPROFILE: 'C:\\Users\\me' }, 'win32')).toBe('C:\\Users\\me\\_netrc');
    expect(netrcPath({})).toBeUndefined();
  });
});

describe('readNetrcToken (real files)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'netrc-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, text: string, mode: number) => {
    const path = join(dir, name);
    await fs.writeFile(path, text);
    await fs.chmod(path, mode);
    return path;
  };

  it('reads the token of a 0600 file', async () => {
    const path = await write('ok', HEROKU_LOGIN, 0o600);
    expect(await readNetrcToken('api.heroku.com', { env: { NETRC: path }, fs })).toEqual({
      found: true,
      token: { token: '01234567-89ab-cdef-0123-456789abcdef', source: `the machine api.heroku.com entry of ${path}`, path },
    });
  });

  it('says why there is no token: no file, no entry', async () => {
    expect(await readNetrcToken('api.heroku.com', { env: { NETRC: join(dir, 'absent') }, fs })).toEqual({ found: false, path: join(dir, 'absent'), reason: `${join(dir, 'absent')} does not exist` });
    const other = await write('other', 'machine example.com password x\n', 0o600);
    expect(await readNetrcToken('api.heroku.com', { env: { NETRC: other }, fs })).toEqual({ found: false, path: other, reason: `${other} has no machine api.heroku.com entry with a password` });
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a file of mode %o that holds the token, without printing it', async (mode) => {
    const path = await write(`open-${mode.toString(8)}`, HEROKU_LOGIN, mode);
    const error = await failure(readNetrcToken('api.heroku.com', { env: { NETRC: path }, fs }));
    expect([error.code, error.exitCode, error.message, error.hint]).toEqual([
      'ERR_NETRC_PERMISSIONS',
      3,
      `${path} holds the Heroku token but other users may read or change it (mode 0${mode.toString(8)}); the token in it was not used.`,
      `Run chmod 600 ${path} (heroku login creates it that way), or set HEROKU_API_KEY instead.`,
    ]);
    expect(JSON.stringify(error)).not.toContain('01234567-89ab');
  });

  it('does not judge mode bits on Windows', async () => {
    const path = await write('win', HEROKU_LOGIN, 0o666);
    expect((await readNetrcToken('api.heroku.com', { env: { NETRC: path }, fs, platform: 'win32' })).found).toBe(true);
  });

  it('a directory in its place is an error naming the file', async () => {
    const error = await failure(readNetrcToken('api.heroku.com', { env: { NETRC: dir }, fs }));
    expect([error.code, error.message]).toEqual(['ERR_NETRC_READ', `Could not read the netrc file ${dir}: EISDIR.`]);
  });
});
