import { describe, expect, it } from '@jest/globals';
import { bypassesProxy, describeProxy, proxyAuthorization, proxyFor } from '../../cli/proxy.js';

describe('NO_PROXY', () => {
  it.each([
    ['https://api.heroku.com/apps', 'heroku.com', true],
    ['https://api.heroku.com/apps', '.heroku.com', true],
    ['https://api.heroku.com/apps', '*.heroku.com', true],
    ['https://heroku.com/', '.heroku.com', true],
    ['https://api.heroku.com.evil.example/', 'heroku.com', false],
    ['https://notheroku.com/', 'heroku.com', false],
    ['https://API.Heroku.com./', 'api.heroku.com', true],
    ['https://login.salesforce.com/', 'example.com, login.salesforce.com', true],
    ['https://login.salesforce.com/', 'example.com login.salesforce.com', true],
    ['https://login.salesforce.com/', 'login.salesforce.com:443', true],
    ['https://login.salesforce.com/', 'login.salesforce.com:8443', false],
    ['http://127.0.0.1:4010/', '127.0.0.1:4010', true],
    ['http://127.0.0.1:4010/', '127.0.0.1:4011', false],
    ['http://127.0.0.1:4010/', '127.0.0.1', true],
    ['http://[::1]:4010/', '[::1]:4010', true],
    ['http://[::1]:4010/', '::1', true],
    ['https://anything.example/', '*', true],
    ['https://anything.example/', '', false],
    ['https://anything.example/', ' , ', false],
  ])('%s with NO_PROXY=%j: bypass %s', (url, noProxy, bypass) => {
    expect(bypassesProxy(new URL(url), noProxy)).toBe(bypass);
  });
});

describe('proxyFor', () => {
  const https = new URL('https://api.heroku.com/apps');
  const http = new URL('http://127.0.0.1:4010/apps');

  it('https URLs use https_proxy, then HTTPS_PROXY; http URLs http_proxy, then HTTP_PROXY', () => {
    const env = { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', HTTP_PROXY: 'http://plain:8080' };
    expect(proxyFor(https, env)).toEqual({ url: new URL('http://lower:3128'), variable: 'https_proxy' });
    expect(proxyFor(https, { HTTPS_PROXY: 'http://upper:3128' })?.variable).toBe('HTTPS_PROXY');
    expect(proxyFor(http, env)).toEqual({ url: new URL('http://plain:8080'), variable: 'HTTP_PROXY' });
    expect(proxyFor(http, { HTTPS_PROXY: 'http://upper:3128' })).toBeUndefined();
    expect(proxyFor(https, { HTTP_PROXY: 'http://plain:8080' })).toBeUndefined();
  });

  it('host:port means an http proxy; NO_PROXY (either case) bypasses it', () => {
    expect(proxyFor(https, { HTTPS_PROXY: 'proxy.corp:3128' })?.url.href).toBe('http://proxy.corp:3128/');
    expect(proxyFor(https, { HTTPS_PROXY: 'proxy.corp:3128', no_proxy: '.heroku.com' })).toBeUndefined();
    expect(proxyFor(https, { HTTPS_PROXY: 'proxy.corp:3128', NO_PROXY: 'heroku.com' })).toBeUndefined();
  });

  it('refuses an https or socks proxy, naming the variable, not the credentials', () => {
    expect(() => proxyFor(https, { HTTPS_PROXY: 'socks5://user:secret@proxy:1080' })).toThrow(
      'HTTPS_PROXY is a socks5 proxy (socks5://***@proxy:1080); only http:// proxies are supported (https targets go through them with CONNECT).',
    );
  });

  it('prints a proxy without its credentials and sends them as Basic', () => {
    const proxy = new URL('http://us%40er:p%3Ass@proxy:3128');
    expect(describeProxy(proxy)).toBe('http://***@proxy:3128');
    expect(describeProxy(new URL('http://proxy:3128'))).toBe('http://proxy:3128');
    expect(proxyAuthorization(proxy)).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    expect(proxyAuthorization(new URL('http://proxy:3128'))).toBeUndefined();
  });
});
