import { describe, expect, it } from '@jest/globals';
import { addonBaseUrl, addonIdOfApiUrl, checkAddonApiUrl, checkPlatformApiUrl, isLoopbackHost, platformApiSource } from '../../../cli/applink/hosts.js';
import { failureOf } from '../../support/app-error.js';

describe('where HEROKU_API_KEY may go', () => {
  it.each([undefined, '', 'https://api.heroku.com', 'https://api.staging.heroku.com/', 'http://127.0.0.1:4010', 'http://localhost:1', 'http://[::1]:8080'])('allows %s', (raw) => {
    expect(checkPlatformApiUrl(raw).protocol).toMatch(/^https?:$/);
  });

  it.each([
    ['http://api.heroku.com', 'http://api.heroku.com'],
    ['https://api.heroku.com.evil.example', 'https://api.heroku.com.evil.example'],
    ['https://example.com', 'https://example.com'],
    ['https://herokuapp.com', 'https://herokuapp.com'],
  ])('refuses %s before connecting', (raw, origin) => {
    const error = failureOf(() => checkPlatformApiUrl(raw));
    expect([error.code, error.exitCode, error.message, error.hint]).toEqual([
      'ERR_HOST_NOT_ALLOWED',
      3,
      `HEROKU_API_URL points at ${origin}: the Heroku token is only sent to https://api.heroku.com, another https://*.heroku.com host, or a loopback address. Nothing was sent.`,
      'Unset HEROKU_API_URL to use https://api.heroku.com, or point it at a loopback sandbox (http://127.0.0.1:<port>).',
    ]);
  });

  it.each([
    ['not a url', 'ERR_URL', 'HEROKU_API_URL is not a URL: "not a url".'],
    ['javascript:alert(1)', 'ERR_URL', 'HEROKU_API_URL has the scheme "javascript:"; only https (or http to a loopback address) is used.'],
    ['https://user:pw@api.heroku.com', 'ERR_URL', 'HEROKU_API_URL carries a user name or password in the URL; credentials are never sent that way.'],
  ])('refuses %s as a URL', (raw, code, message) => {
    const error = failureOf(() => checkPlatformApiUrl(raw));
    expect([error.code, error.message]).toEqual([code, message]);
  });
});

describe('the Platform API URL from the environment', () => {
  it.each([
    [{}, 'https://api.heroku.com', 'the default Platform API URL'],
    [{ HEROKU_API_URL: 'http://127.0.0.1:9', HEROKU_HOST: 'http://127.0.0.1:8' }, 'http://127.0.0.1:9', 'HEROKU_API_URL'],
    [{ HEROKU_API_URL: '', HEROKU_HOST: 'http://127.0.0.1:8' }, 'http://127.0.0.1:8', 'HEROKU_HOST'],
    [{ HEROKU_HOST: 'staging.heroku.com' }, 'https://api.staging.heroku.com', 'HEROKU_HOST'],
    [{ HEROKU_HOST: 'https://api.heroku.com' }, 'https://api.heroku.com', 'HEROKU_HOST'],
    [{ HEROKU_HOST: '127.0.0.1:4010' }, 'http://127.0.0.1:4010', 'HEROKU_HOST'],
    [{ HEROKU_HOST: 'localhost:4010' }, 'http://localhost:4010', 'HEROKU_HOST'],
  ])('%j gives %s (from %s)', (env, raw, source) => {
    expect(platformApiSource(env)).toEqual({ raw, source });
  });

  it('applies the host rule to HEROKU_HOST and names it', () => {
    const { raw, source } = platformApiSource({ HEROKU_HOST: 'example.com' });
    const error = failureOf(() => checkPlatformApiUrl(raw, source));
    expect([error.code, error.message, error.hint]).toEqual([
      'ERR_HOST_NOT_ALLOWED',
      'HEROKU_HOST points at https://api.example.com: the Heroku token is only sent to https://api.heroku.com, another https://*.heroku.com host, or a loopback address. Nothing was sent.',
      'Unset HEROKU_HOST to use https://api.heroku.com, or point it at a loopback sandbox (http://127.0.0.1:<port>).',
    ]);
  });
});

describe('where the add-on token may go', () => {
  it('allows https anywhere and http to loopback; refuses http elsewhere', () => {
    expect(checkAddonApiUrl('https://applink.example.com/addons/x', 'HEROKU_APPLINK_API_URL').host).toBe('applink.example.com');
    expect(checkAddonApiUrl('http://127.0.0.1:4010/addons/x', 'HEROKU_APPLINK_API_URL').port).toBe('4010');
    const error = failureOf(() => checkAddonApiUrl('http://applink.example.com/addons/x', 'HEROKU_APPLINK_API_URL'));
    expect([error.code, error.message]).toEqual([
      'ERR_HOST_NOT_ALLOWED',
      'HEROKU_APPLINK_API_URL is http://applink.example.com/addons/x: the add-on token is only sent over https (or to a loopback address). Nothing was sent.',
    ]);
  });

  it('keeps scheme, host, port and path prefix of _API_URL', () => {
    expect(addonBaseUrl(new URL('https://applink-api.heroku.com/addons/abc'), 'abc')).toBe('https://applink-api.heroku.com/addons/abc');
    expect(addonBaseUrl(new URL('http://127.0.0.1:4010/prefix/addons/abc/'), 'abc')).toBe('http://127.0.0.1:4010/prefix/addons/abc');
    expect(addonBaseUrl(new URL('https://host.example.com'), 'abc')).toBe('https://host.example.com/addons/abc');
    expect(addonIdOfApiUrl(new URL('https://h/addons/0123'))).toBe('0123');
    expect(addonIdOfApiUrl(new URL('https://h/'))).toBeUndefined();
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '[::1]'].map(isLoopbackHost)).toEqual([true, true, true, true]);
    expect(['128.0.0.1', 'localhost.example.com', '0.0.0.0'].map(isLoopbackHost)).toEqual([false, false, false]);
    // A trailing dot makes it a DNS name resolved by whatever DNS answers, not the local loopback name.
    expect(['localhost.', 'LOCALHOST.', '127.0.0.1.'].map(isLoopbackHost)).toEqual([false, false, false]);
    expect(() => checkAddonApiUrl('http://localhost.:4010/addons/x', 'HEROKU_APPLINK_API_URL')).toThrow(expect.objectContaining({ code: 'ERR_HOST_NOT_ALLOWED' }));
    expect(() => checkPlatformApiUrl('http://localhost.:4010')).toThrow(expect.objectContaining({ code: 'ERR_HOST_NOT_ALLOWED' }));
  });

  it('does not take a name that starts or ends like a loopback address for one (mutation survivors)', () => {
    expect(['127.0.0.1.evil.example', 'x127.0.0.1', 'evil127.0.0.1', '127.0.0.1234'].map(isLoopbackHost)).toEqual([false, false, false, false]);
    expect(() => checkPlatformApiUrl('http://127.0.0.1.evil.example:4010')).toThrow(expect.objectContaining({ code: 'ERR_HOST_NOT_ALLOWED' }));
  });

  it('refuses a user name alone in HEROKU_API_URL, as it refuses user:password (mutation survivor)', () => {
    expect(failureOf(() => checkPlatformApiUrl('https://ci@api.heroku.com')).code).toBe('ERR_URL');
  });
});

describe('host rules at their edges (mutation survivors)', () => {
  it('allows heroku.com itself, a fully qualified api.heroku.com. and 127.x.y.z with three-digit parts', () => {
    expect(checkPlatformApiUrl('https://heroku.com').host).toBe('heroku.com');
    expect(checkPlatformApiUrl('https://api.heroku.com./').hostname).toBe('api.heroku.com.');
    expect(checkPlatformApiUrl('http://127.10.200.255:4010').hostname).toBe('127.10.200.255');
    expect(['::1', '127.255.255.255'].map(isLoopbackHost)).toEqual([true, true]);
    expect(failureOf(() => checkPlatformApiUrl('https://evilheroku.com')).code).toBe('ERR_HOST_NOT_ALLOWED');
  });

  it('accepts a value saved with a trailing line break or no-break space, and refuses one split by a line break', () => {
    expect(checkPlatformApiUrl('https://api.heroku.com\n').href).toBe('https://api.heroku.com/');
    expect(checkPlatformApiUrl('https://api.heroku.com\u00a0').href).toBe('https://api.heroku.com/');
    const error = failureOf(() => checkPlatformApiUrl(' https://api.hero\nku.com ', 'HEROKU_API_URL'));
    expect([error.code, error.exitCode, error.message, error.hint]).toEqual([
      'ERR_URL',
      3,
      'HEROKU_API_URL holds a line break or another control character: "https://api.hero\\x0aku.com".',
      'Set HEROKU_API_URL to one URL on one line; the secret store or the shell may have split the value.',
    ]);
  });

  it('says how to fix each URL it refuses', () => {
    const hints = ['not a url', 'ftp://api.heroku.com', 'https://:pw@api.heroku.com'].map((raw) => {
      const error = failureOf(() => checkPlatformApiUrl(raw));
      return [error.code, error.hint];
    });
    expect(hints).toEqual([
      ['ERR_URL', 'Set HEROKU_API_URL to an absolute URL such as https://api.heroku.com.'],
      ['ERR_URL', 'Set HEROKU_API_URL to an https:// URL.'],
      ['ERR_URL', 'Remove the "user:password@" part from HEROKU_API_URL.'],
    ]);
    const addon = failureOf(() => checkAddonApiUrl('http://applink.example.com/addons/x', 'HEROKU_APPLINK_API_URL'));
    expect(addon.hint).toBe(
      'Check HEROKU_APPLINK_API_URL: the AppLink add-on sets an https:// URL; plain http is accepted only for loopback (127.0.0.0/8, ::1, localhost).',
    );
  });

  it.each([
    [{ HEROKU_API_URL: '  ', HEROKU_HOST: 'staging.heroku.com' }, 'https://api.staging.heroku.com'],
    [{ HEROKU_HOST: ' staging.heroku.com ' }, 'https://api.staging.heroku.com'],
    [{ HEROKU_HOST: '[::1]:4010' }, 'http://[::1]:4010'],
    [{ HEROKU_HOST: '0x://h' }, 'https://api.0x://h'],
  ])('reads %j as %s', (env, raw) => {
    expect(platformApiSource(env).raw).toBe(raw);
  });

  it.each([{ HEROKU_HOST: '' }, { HEROKU_HOST: '   ' }, { HEROKU_API_URL: '', HEROKU_HOST: '' }])('falls back to the default for %j', (env) => {
    expect(platformApiSource(env)).toEqual({ raw: 'https://api.heroku.com', source: 'the default Platform API URL' });
  });

  it('replaces only a trailing /addons/<id>, after any number of slashes, and names the add-on id it refuses', () => {
    expect(addonBaseUrl(new URL('https://h.example/addons/abc//'), 'abc')).toBe('https://h.example/addons/abc');
    expect(addonBaseUrl(new URL('https://h.example/addons/abc/v1'), 'abc')).toBe('https://h.example/addons/abc/v1/addons/abc');
    expect(addonIdOfApiUrl(new URL('https://h.example/prefix/addons/0123'))).toBe('0123');
    expect(failureOf(() => addonBaseUrl(new URL('https://h.example/addons/x'), '..')).message).toMatch(/^The add-on id "\.\." cannot be used in a URL path/);
  });
});
