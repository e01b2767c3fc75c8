import { describe, expect, it } from '@jest/globals';
import { InputError } from '../../../cli/errors.js';
import { audienceFor, isAllowedHost, isSalesforceHost, parseLoginUrl, refusalReason } from '../../../cli/salesforce/login-url.js';

/** The error `fn` throws, asserted to be an InputError. */
function caught(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an error');
}

describe('parseLoginUrl', () => {
  it.each([
    ['https://login.salesforce.com', 'https://login.salesforce.com'],
    ['https://test.salesforce.com', 'https://test.salesforce.com'],
    ['https://acme.my.salesforce.com', 'https://acme.my.salesforce.com'],
    ['https://ACME--uat.sandbox.my.salesforce.com', 'https://acme--uat.sandbox.my.salesforce.com'],
    ['https://acme.my.salesforce.mil', 'https://acme.my.salesforce.mil'],
    ['https://acme.my.site.com', 'https://acme.my.site.com'],
    ['https://acme.cloudforce.com', 'https://acme.cloudforce.com'],
    ['https://acme.my.sfcrmproducts.cn', 'https://acme.my.sfcrmproducts.cn'],
    ['https://site.force.com', 'https://site.force.com'],
    ['  https://login.salesforce.com  ', 'https://login.salesforce.com'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
    ['http://127.0.0.3:4010', 'http://127.0.0.3:4010'],
    ['http://localhost:4010', 'http://localhost:4010'],
    ['http://[::1]:4010', 'http://[::1]:4010'],
  ])('accepts %s as %s', (raw, origin) => {
    const { url, warnings } = parseLoginUrl(raw);
    expect(url.origin).toBe(origin);
    expect(url.href).toBe(`${origin}/`);
    expect(warnings).toEqual([]);
  });

  it('drops a path, query and fragment with a warning', () => {
    const { url, warnings } = parseLoginUrl('https://acme.my.salesforce.com/services/oauth2/token?x=1#top');
    expect(url.origin).toBe('https://acme.my.salesforce.com');
    expect(warnings).toEqual(['--login-url: ignoring "/services/oauth2/token?…#…" after the host; using https://acme.my.salesforce.com.']);
    expect(parseLoginUrl('https://login.salesforce.com/').warnings).toEqual([]);
    expect(parseLoginUrl('https://login.salesforce.com?prompt=login').warnings).toEqual(['--login-url: ignoring "/?…" after the host; using https://login.salesforce.com.']);
    expect(parseLoginUrl('https://login.salesforce.com#main').warnings).toEqual(['--login-url: ignoring "/#…" after the host; using https://login.salesforce.com.']);
  });

  it('refuses text that is not a URL', () => {
    const error = caught(() => parseLoginUrl('not a url'));
    expect(error.code).toBe('ERR_LOGIN_URL_INVALID');
    expect(error.message).toBe('--login-url "not a url" is not an https URL.');
    // A password is never quoted, wherever a URL with one sits in the value.
    expect(caught(() => parseLoginUrl('login at https://ci:hunter22@login.salesforce.com')).message).toBe('--login-url "login at https://login.salesforce.com" is not an https URL.');
    expect(error.hint).toBe('Give the login URL with its scheme, such as https://login.salesforce.com, https://test.salesforce.com or https://<my-domain>.my.salesforce.com.');
    expect(error.exitCode).toBe(3);
  });

  it('suggests the scheme for a bare host', () => {
    const error = caught(() => parseLoginUrl('acme.my.salesforce.com', { flag: '--login' }));
    expect(error.code).toBe('ERR_LOGIN_URL_INVALID');
    expect(error.message).toBe('--login "acme.my.salesforce.com" is not an https URL.');
    expect(error.hint).toBe('Add the scheme: --login https://acme.my.salesforce.com');
  });

  it.each([
    ['  acme.my.salesforce.com/ ', 'https://acme.my.salesforce.com'],
    ['acme.my.salesforce.com:443', 'https://acme.my.salesforce.com:443'],
  ])('suggests the scheme for the bare host %j', (raw, suggested) => {
    expect(caught(() => parseLoginUrl(raw)).hint).toBe(`Add the scheme: --login-url ${suggested}`);
  });

  it.each(['ftp://login.salesforce.com', 'login.salesforce.com login', 'acme.my.salesforce.com:https'])('suggests no host for %j, which is not a bare host', (raw) => {
    expect(caught(() => parseLoginUrl(raw)).hint).toBe(
      'Give the login URL with its scheme, such as https://login.salesforce.com, https://test.salesforce.com or https://<my-domain>.my.salesforce.com.',
    );
  });

  it('shows at most 120 characters of a value that is not a URL', () => {
    const words = 'not a login url '.repeat(10);
    expect(caught(() => parseLoginUrl(words.slice(0, 120))).message).toBe(`--login-url "${words.slice(0, 120)}" is not an https URL.`);
    expect(caught(() => parseLoginUrl(`${words}and more`)).message).toBe(`--login-url "${words.slice(0, 120)}..." is not an https URL.`);
  });

  it.each(['javascript:alert(1)', 'ftp://login.salesforce.com', 'file:///etc/passwd', 'localhost:4010'])('refuses the scheme of %s', (raw) => {
    expect(caught(() => parseLoginUrl(raw)).code).toBe('ERR_LOGIN_URL_INVALID');
  });

  it('refuses http for a non-loopback host', () => {
    const error = caught(() => parseLoginUrl('http://login.salesforce.com'));
    expect(error.code).toBe('ERR_LOGIN_URL_INSECURE');
    expect(error.message).toBe('--login-url http://login.salesforce.com uses http; the assertion may only be sent over https (http is allowed for loopback hosts only).');
    expect(error.hint).toBe('Use --login-url https://login.salesforce.com');
  });

  it('refuses a Lightning host and names the My Domain form', () => {
    const error = caught(() => parseLoginUrl('https://acme.lightning.force.com/lightning/page/home'));
    expect(error.code).toBe('ERR_LOGIN_URL_LIGHTNING');
    expect(error.message).toBe('--login-url https://acme.lightning.force.com is a Lightning Experience host; Salesforce does not issue tokens there.');
    expect(error.hint).toBe('Use the My Domain login URL: --login-url https://acme.my.salesforce.com');
    const sandbox = caught(() => parseLoginUrl('https://acme--uat.sandbox.lightning.force.com'));
    expect(sandbox.hint).toBe('Use the My Domain login URL: --login-url https://acme--uat.sandbox.my.salesforce.com');
  });

  it('refuses a Setup host and names the My Domain form', () => {
    const error = caught(() => parseLoginUrl('https://acme.my.salesforce-setup.com'));
    expect(error.code).toBe('ERR_LOGIN_URL_HOST');
    expect(error.message).toBe('--login-url https://acme.my.salesforce-setup.com is a Salesforce Setup host; Salesforce does not issue tokens there.');
    expect(error.hint).toBe('Use the My Domain login URL: --login-url https://acme.my.salesforce.com');
  });

  it('refuses a user name or password in the URL without echoing them', () => {
    const error = caught(() => parseLoginUrl('https://admin:hunter22@login.salesforce.com'));
    expect(error.code).toBe('ERR_LOGIN_URL_USERINFO');
    expect(error.message).toBe('--login-url "https://login.salesforce.com" holds a user name or password; a login URL carries neither.');
    expect(error.hint).toBe(
      'Remove the "user:password@" part; the username goes in --username (or SF_USERNAME), and no password is needed for the JWT bearer flow.',
    );
    expect(error.message + error.hint).not.toContain('hunter22');
  });

  it.each([
    ['https://ci@login.salesforce.com', '"https://login.salesforce.com"'],
    ['https://:hunter22@login.salesforce.com', '"https://login.salesforce.com"'],
    ['http://ci@127.0.0.1:4010', '"http://127.0.0.1:4010"'],
  ])('refuses %s (a user name alone, or a password alone, is userinfo too)', (raw, shown) => {
    const error = caught(() => parseLoginUrl(raw));
    expect([error.code, error.message]).toEqual(['ERR_LOGIN_URL_USERINFO', `--login-url ${shown} holds a user name or password; a login URL carries neither.`]);
  });

  it.each(['https://evil.example.com', 'https://login.salesforce.com.evil.example', 'https://evilsalesforce.com', 'https://salesforce.com.attacker.io:443'])(
    'refuses %s, which is not a Salesforce host',
    (raw) => {
      const error = caught(() => parseLoginUrl(raw));
      expect(error.code).toBe('ERR_LOGIN_URL_HOST');
      const host = new URL(raw).hostname;
      expect(error.message).toBe(`--login-url ${new URL(raw).origin} is not a Salesforce host, so the assertion will not be sent there.`);
      expect(error.hint).toBe(
        `Use a Salesforce login URL (https://login.salesforce.com, https://test.salesforce.com or https://<my-domain>.my.salesforce.com); for a custom domain that serves your org's login, allow it explicitly with --allow-login-host ${host}`,
      );
    },
  );

  it('accepts a custom domain only with --allow-login-host, and still only over https', () => {
    expect(parseLoginUrl('https://login.acme.example', { allowLoginHosts: ['login.acme.example'] }).url.origin).toBe('https://login.acme.example');
    expect(parseLoginUrl('https://sso.acme.example', { allowLoginHosts: ['*.acme.example'] }).url.origin).toBe('https://sso.acme.example');
    expect(caught(() => parseLoginUrl('https://other.example', { allowLoginHosts: ['login.acme.example'] })).code).toBe('ERR_LOGIN_URL_HOST');
    expect(caught(() => parseLoginUrl('http://login.acme.example', { allowLoginHosts: ['login.acme.example'] })).code).toBe('ERR_LOGIN_URL_INSECURE');
  });

  it.each([
    ['https://evilacme.example', '*.acme.example'],
    ['https://acme.example.evil.example', '*.acme.example'],
    ['https://xlogin.acme.example', 'login.acme.example'],
    ['https://login.acme.example.evil.example', 'login.acme.example'],
  ])('refuses the look-alike %s with --allow-login-host %s', (raw, entry) => {
    const error = caught(() => parseLoginUrl(raw, { allowLoginHosts: [entry] }));
    expect([error.code, error.message]).toEqual(['ERR_LOGIN_URL_HOST', `--login-url ${raw} is not a Salesforce host, so the assertion will not be sent there.`]);
    expect(isAllowedHost(new URL(raw).hostname, [entry])).toBe(false);
    expect(refusalReason(new URL(raw), [entry])).toBe(`${new URL(raw).hostname} is not a Salesforce host (*.salesforce.com, *.force.com, *.salesforce.mil, *.cloudforce.com, *.sfcrmproducts.cn, *.my.site.com)`);
  });

  it('a wildcard entry matches sub-domains at any depth, not the bare domain', () => {
    expect(['a.acme.example', 'a.b.acme.example', 'A.ACME.EXAMPLE.', 'acme.example'].map((host) => isAllowedHost(host, ['*.acme.example']))).toEqual([true, true, true, false]);
    expect(isAllowedHost('login.acme.example', [' LOGIN.acme.example. '])).toBe(true);
  });
});

describe('--allow-login-host entries', () => {
  it('must be host names, not URLs', () => {
    const error = caught(() => parseLoginUrl('https://login.acme.example', { allowLoginHosts: ['https://login.acme.example/'] }));
    expect(error.code).toBe('ERR_ALLOW_LOGIN_HOST_INVALID');
    expect(error.message).toBe('--allow-login-host "https://login.acme.example/" is not a host name.');
    expect(error.hint).toBe('Give the host alone: --allow-login-host login.acme.example');
    const wildcard = caught(() => parseLoginUrl('https://login.salesforce.com', { allowLoginHosts: ['*'] }));
    expect(wildcard.code).toBe('ERR_ALLOW_LOGIN_HOST_INVALID');
    expect(wildcard.hint).toBe('Give a host name such as login.example.com, or *.example.com for its sub-domains.');
    expect(caught(() => parseLoginUrl('https://login.salesforce.com', { allowLoginHosts: [''] })).code).toBe('ERR_ALLOW_LOGIN_HOST_INVALID');
  });

  it.each([
    ['https://login.acme.example', 'Give the host alone: --allow-login-host login.acme.example'],
    [' https://login.acme.example/sso ', 'Give the host alone: --allow-login-host login.acme.example'],
    ['login.acme.example/', 'Give a host name such as login.example.com, or *.example.com for its sub-domains.'],
    ['login.acme.example:443', 'Give a host name such as login.example.com, or *.example.com for its sub-domains.'],
  ])('refuses %j, which holds more than a host name', (entry, hint) => {
    const error = caught(() => parseLoginUrl('https://login.acme.example', { allowLoginHosts: [entry] }));
    expect([error.code, error.hint]).toEqual(['ERR_ALLOW_LOGIN_HOST_INVALID', hint]);
  });

  it('may be padded with white space', () => {
    expect(parseLoginUrl('https://login.acme.example', { allowLoginHosts: [' login.acme.example\t'] }).url.origin).toBe('https://login.acme.example');
  });
});

describe('refusalReason', () => {
  it('says why a destination is refused, or nothing when it is allowed', () => {
    expect(refusalReason(new URL('https://acme.my.salesforce.com'), [])).toBeUndefined();
    expect(refusalReason(new URL('http://127.0.0.1:1'), [])).toBeUndefined();
    expect(refusalReason(new URL('http://acme.my.salesforce.com'), [])).toBe('it uses http, and only loopback hosts may (the assertion and tokens must not travel in clear text)');
    expect(refusalReason(new URL('https://x.example'), [])).toBe('x.example is not a Salesforce host (*.salesforce.com, *.force.com, *.salesforce.mil, *.cloudforce.com, *.sfcrmproducts.cn, *.my.site.com)');
    expect(refusalReason(new URL('ftp://login.salesforce.com'), [])).toBe('it uses ftp, not https');
    expect(refusalReason(new URL('wss://login.salesforce.com'), ['login.salesforce.com'])).toBe('it uses wss, not https');
    expect(isSalesforceHost('salesforce.com')).toBe(false);
  });
});

describe('audienceFor', () => {
  it('is the login URL origin by default', () => {
    expect(audienceFor(new URL('https://login.salesforce.com'))).toBe('https://login.salesforce.com');
    expect(audienceFor(new URL('https://test.salesforce.com'))).toBe('https://test.salesforce.com');
    expect(audienceFor(new URL('https://acme.my.salesforce.com'), '')).toBe('https://acme.my.salesforce.com');
    expect(audienceFor(new URL('http://127.0.0.1:4010'))).toBe('http://127.0.0.1:4010');
  });

  it('takes a blank override as none, and trims the override (a secret stored with a final newline)', () => {
    expect(audienceFor(new URL('https://acme.my.salesforce.com'), ' \n')).toBe('https://acme.my.salesforce.com');
    expect(audienceFor(new URL('https://acme.my.salesforce.com'), 'https://login.salesforce.com\n')).toBe('https://login.salesforce.com');
    expect(audienceFor(new URL('http://127.0.0.3:4010'), 'http://127.0.0.3:4010')).toBe('http://127.0.0.3:4010');
  });

  it('refuses an override split by a line break, which the URL parser would silently join', () => {
    const error = caught(() => audienceFor(new URL('https://login.salesforce.com'), 'https://login.sales\nforce.com'));
    expect([error.code, error.message, error.hint]).toEqual([
      'ERR_AUDIENCE_INVALID',
      '--audience (or SF_AUDIENCE_URL) "https://login.sales\\nforce.com" holds a line break or another control character.',
      'Set it to one URL on one line, such as https://login.salesforce.com; the secret store or the shell may have split the value.',
    ]);
  });

  it('refuses an override with a query or a fragment, or another scheme', () => {
    for (const override of ['https://login.salesforce.com?x=1', 'https://login.salesforce.com#x']) {
      const error = caught(() => audienceFor(new URL('https://login.salesforce.com'), override));
      expect([error.code, error.message, error.hint]).toEqual([
        'ERR_AUDIENCE_INVALID',
        `--audience (or SF_AUDIENCE_URL) "${override}" has a query or fragment; an audience has neither.`,
        'Use the authorization server URL alone, such as https://login.salesforce.com.',
      ]);
    }
    expect(caught(() => audienceFor(new URL('https://login.salesforce.com'), 'ftp://login.salesforce.com')).message).toBe('--audience (or SF_AUDIENCE_URL) "ftp://login.salesforce.com" is not an https URL.');
  });

  it('takes the override, without a lone trailing slash, keeping a site path', () => {
    expect(audienceFor(new URL('https://acme.my.salesforce.com'), 'https://login.salesforce.com/')).toBe('https://login.salesforce.com');
    expect(audienceFor(new URL('https://acme.my.site.com'), 'https://site.force.com/customers/')).toBe('https://site.force.com/customers');
  });

  it('refuses an override that is not an https URL', () => {
    const error = caught(() => audienceFor(new URL('https://login.salesforce.com'), 'login.salesforce.com'));
    expect(error.code).toBe('ERR_AUDIENCE_INVALID');
    expect(error.message).toBe('--audience (or SF_AUDIENCE_URL) "login.salesforce.com" is not an https URL.');
    expect(error.hint).toBe('Use the authorization server URL, such as https://login.salesforce.com, https://test.salesforce.com or your My Domain URL; or leave it out to use the login URL.');
    expect(caught(() => audienceFor(new URL('https://login.salesforce.com'), 'https://login.salesforce.com?x=1')).code).toBe('ERR_AUDIENCE_INVALID');
    expect(caught(() => audienceFor(new URL('https://login.salesforce.com'), 'https://ci@login.salesforce.com')).code).toBe('ERR_AUDIENCE_INVALID');
    expect(caught(() => audienceFor(new URL('https://login.salesforce.com'), 'https://:pw@login.salesforce.com')).code).toBe('ERR_AUDIENCE_INVALID');
  });
});
