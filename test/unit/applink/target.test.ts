import { describe, expect, it } from '@jest/globals';
import { checkToken, planTarget } from '../../../cli/applink/target.js';
import { failure, failureOf } from '../../support/app-error.js';
import { testDeps } from '../../support/harness.js';

const env = (variables: Record<string, string>) => testDeps({ env: variables });

const ADDON = '01234567-89ab-cdef-0123-456789abcdef';
const direct = { HEROKU_APPLINK_API_URL: `https://applink-api.heroku.com/addons/${ADDON}`, HEROKU_APPLINK_TOKEN: 'tok-0123456789', HEROKU_APP_ID: '11111111-2222-3333-4444-555555555555' };

describe('planTarget', () => {
  it('direct mode when the three variables are set and --app is not given (HEROKU_APP in the env does not count)', async () => {
    const plan = await planTarget({}, env({ ...direct, HEROKU_APP: 'acme-app' }));
    expect(plan).toEqual({
      mode: 'direct',
      warnings: [
        'HEROKU_APP (or HEROKU_APP_NAME) is set but not used: HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN and HEROKU_APP_ID select direct mode. Pass -a/--app to go through the Platform API instead.',
      ],
      target: {
        mode: 'direct',
        appId: direct.HEROKU_APP_ID,
        addonId: ADDON,
        addonName: ADDON,
        baseUrl: `https://applink-api.heroku.com/addons/${ADDON}`,
        token: 'tok-0123456789',
        tokenSource: 'HEROKU_APPLINK_TOKEN',
      },
    });
  });

  it('direct mode without an app in the environment warns about nothing', async () => {
    expect((await planTarget({}, env(direct))).warnings).toEqual([]);
  });

  it('platform mode with --app, needing HEROKU_API_KEY', async () => {
    const plan = await planTarget({ app: 'acme-app', addon: 'applink-1' }, env({ ...direct, HEROKU_API_KEY: ' key-0123456789\n' }));
    expect(plan).toEqual({
      mode: 'platform',
      warnings: [],
      notes: [],
      resolve: {
        platformUrl: new URL('https://api.heroku.com'),
        apiKey: 'key-0123456789',
        apiKeySource: 'HEROKU_API_KEY',
        app: 'acme-app',
        addon: 'applink-1',
        addonService: undefined,
      },
    });
    const missing = await failure(planTarget({ app: 'acme-app' }, env({})));
    expect([missing.code, missing.message]).toEqual(['ERR_HEROKU_API_KEY_MISSING', 'No Heroku token: HEROKU_API_KEY is not set and no netrc file was looked for (neither NETRC nor HOME is set).']);
    const noFile = await failure(planTarget({ app: 'acme-app' }, env({ NETRC: '/nonexistent/netrc' })));
    expect(noFile.message).toBe('No Heroku token: HEROKU_API_KEY is not set and /nonexistent/netrc does not exist.');
  });

  it('no app and no direct mode: names what is missing', async () => {
    expect((await failure(planTarget({}, env({ HEROKU_API_KEY: 'key-0123456789' })))).message).toBe('No app given: the add-on is found through the app it is attached to.');
    expect((await failure(planTarget({}, env({ HEROKU_API_KEY: 'key-0123456789', HEROKU_APPLINK_TOKEN: 'x' })))).message).toBe(
      'No app given, and direct mode needs HEROKU_APPLINK_API_URL and HEROKU_APP_ID as well as HEROKU_APPLINK_TOKEN.',
    );
  });

  it('refuses --addon in direct mode, a bad HEROKU_APP_ID and a URL without the add-on id', async () => {
    expect((await failure(planTarget({ addon: 'x' }, env(direct)))).code).toBe('ERR_ADDON_DIRECT_MODE');
    expect((await failure(planTarget({}, env({ ...direct, HEROKU_APP_ID: 'not an id' })))).code).toBe('ERR_APP_ID');
    expect((await failure(planTarget({}, env({ ...direct, HEROKU_APPLINK_API_URL: 'https://applink-api.heroku.com/' })))).code).toBe('ERR_URL');
  });

  it('reports a missing app and a missing HEROKU_API_KEY together, each with its inputs', async () => {
    const error = await failure(planTarget({}, env({})));
    expect(error.code).toBe('ERR_INPUT_PROBLEMS');
    expect(error.details?.problems).toEqual([
      expect.objectContaining({
        code: 'ERR_APP_MISSING',
        inputs: ['--app', '--remote', 'HEROKU_APP', 'HEROKU_APP_NAME', 'git remote', 'HEROKU_APPLINK_API_URL', 'HEROKU_APPLINK_TOKEN', 'HEROKU_APP_ID'],
      }),
      expect.objectContaining({ code: 'ERR_HEROKU_API_KEY_MISSING', inputs: ['HEROKU_API_KEY', 'NETRC', '~/.netrc'] }),
    ]);
  });

  it('refuses an explicitly empty -a instead of falling back to HEROKU_APP (also in direct mode)', async () => {
    for (const variables of [{ HEROKU_APP: 'acme-app', HEROKU_API_KEY: 'key-0123456789' }, { ...direct, HEROKU_APP: 'acme-app', HEROKU_API_KEY: 'key-0123456789' }]) {
      const error = await failure(planTarget({ app: '' }, env(variables)));
      expect([error.code, error.message]).toEqual(['ERR_EMPTY_VALUE', '--app was given an empty value; an empty value does not fall back to --remote, HEROKU_APP, HEROKU_APP_NAME or git remote.']);
      expect(error.hint).toBe('Give --app a value, or leave --app out to use --remote, HEROKU_APP, HEROKU_APP_NAME or git remote. (In CI, check that the variable used in the command line is set.)');
    }
  });
});

describe('checkToken', () => {
  it.each(['"quoted-token"', 'two words', 'line\nbreak', "it's"])('refuses %j without printing it', (raw) => {
    const error = failureOf(() => checkToken(raw, 'HEROKU_API_KEY'));
    expect([error.code, error.message]).toEqual(['ERR_TOKEN_FORMAT', 'HEROKU_API_KEY is not a usable token: it holds quotes, spaces, line breaks or other characters a token never has.']);
  });
});
