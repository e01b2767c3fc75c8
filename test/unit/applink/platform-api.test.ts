import { describe, expect, it } from '@jest/globals';
import { resolveAddon, validateAddonName, validateAppName, type ResolveAddonOptions } from '../../../cli/applink/platform-api.js';
import { VERSION } from '../../../cli/version.js';
import { failure } from '../../support/app-error.js';
import { ADDON_ID, ADDON_TOKEN, APP_ID, clientDeps, fakeService, HEROKU_API_KEY, healthyPlatform, SSO } from './fake-service.js';

const options = (overrides: Partial<ResolveAddonOptions> = {}): ResolveAddonOptions => ({
  platformUrl: new URL('https://api.heroku.com'),
  apiKey: HEROKU_API_KEY,
  app: 'my-app',
  ...overrides,
});

describe('resolveAddon', () => {
  it('makes the four Platform API GETs, then the SSO GET, with the plugin headers', async () => {
    const service = fakeService();
    healthyPlatform(service);
    const { deps } = clientDeps(service);
    const target = await resolveAddon(options(), deps);

    expect(service.calls().slice(0, 4).sort()).toEqual(
      ['GET /apps/my-app', 'GET /apps/my-app/addons', 'GET /apps/my-app/addon-attachments', 'GET /apps/my-app/config-vars'].sort(),
    );
    expect(service.calls()[4]).toBe(`GET /apps/my-app/addons/${ADDON_ID}/sso`);
    expect(service.requests).toHaveLength(5);
    for (const [index, request] of service.requests.entries()) {
      expect(request.url.startsWith('https://api.heroku.com/apps/my-app')).toBe(true);
      expect(Object.keys(request.headers).sort()).toEqual(['accept', 'authorization', 'request-id', 'user-agent']);
      expect(request.headers.authorization).toBe(`Bearer ${HEROKU_API_KEY}`);
      expect(request.headers['user-agent']).toBe(`applink-jwt/${VERSION}`);
      expect(request.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(request.headers.accept).toBe(index === 4 ? 'application/vnd.heroku+json; version=3.sdk' : 'application/vnd.heroku+json; version=3');
      expect(request.body).toBeUndefined();
    }
    expect(target).toEqual({
      mode: 'platform',
      appName: 'my-app',
      appId: APP_ID,
      addonId: ADDON_ID,
      addonName: 'applink-rigid-12345',
      baseUrl: `https://applink-api.heroku.com/addons/${ADDON_ID}`,
      token: ADDON_TOKEN,
      tokenSource: 'config var HEROKU_APPLINK_TOKEN of my-app',
      sso: Buffer.from(JSON.stringify(SSO)).toString('base64'),
    });
  });

  it('keeps the whole _API_URL: scheme, host, port and a path prefix', async () => {
    const service = fakeService();
    healthyPlatform(service, `http://127.0.0.1:4010/proxy/addons/${ADDON_ID}`);
    const { deps } = clientDeps(service);
    const target = await resolveAddon(options({ platformUrl: new URL('http://127.0.0.1:4010') }), deps);
    expect(target.baseUrl).toBe(`http://127.0.0.1:4010/proxy/addons/${ADDON_ID}`);
  });

  it('uses the attachment name for the config vars (a second attachment) and --addon by id', async () => {
    const service = fakeService();
    const other = 'bbbbbbbb-0000-0000-0000-000000000000';
    healthyPlatform(service, undefined, {
      addons: [
        { id: ADDON_ID, name: 'applink-one', addon_service: { name: 'heroku-applink' } },
        { id: other, name: 'applink-two', addon_service: { name: 'heroku-applink' } },
      ],
      attachments: [
        { name: 'HEROKU_APPLINK', addon: { id: ADDON_ID } },
        { name: 'HEROKU_APPLINK_COBALT', addon: { id: other } },
      ],
      configVars: { HEROKU_APPLINK_COBALT_API_URL: `https://applink-api.heroku.com/addons/${other}`, HEROKU_APPLINK_COBALT_TOKEN: 'cobalt-token-123456' },
    });
    service.on(`GET /apps/my-app/addons/${other}/sso`, { status: 200, json: SSO });
    const { deps } = clientDeps(service);
    const target = await resolveAddon(options({ addon: other }), deps);
    expect([target.addonName, target.token, target.tokenSource]).toEqual(['applink-two', 'cobalt-token-123456', 'config var HEROKU_APPLINK_COBALT_TOKEN of my-app']);
  });

  it('honours HEROKU_APPLINK_ADDON as the add-on service name', async () => {
    const service = fakeService();
    healthyPlatform(service, undefined, { addons: [{ id: ADDON_ID, name: 'staging-applink', addon_service: { name: 'heroku-applink-staging' } }] });
    const { deps } = clientDeps(service);
    const target = await resolveAddon(options({ addonService: 'heroku-applink-staging' }), deps);
    expect(target.addonName).toBe('staging-applink');
  });

  it('retries a 503 on a GET and succeeds', async () => {
    const service = fakeService();
    healthyPlatform(service);
    service.on('GET /apps/my-app', { status: 503, text: 'busy' }, { status: 200, json: { id: APP_ID, name: 'my-app' } });
    const { deps, sleeps } = clientDeps(service);
    await resolveAddon(options(), deps);
    expect(service.calls().filter((call) => call === 'GET /apps/my-app')).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it.each([
    ['none', [{ id: 'x', name: 'postgresql-1', addon_service: { name: 'heroku-postgresql' } }], undefined, 'ERR_ADDON_NONE', "AppLink add-on isn't present on my-app.", 'Install the add-on using heroku addons:create heroku-applink -a my-app.'],
    ['not found', undefined, 'applink-nope', 'ERR_ADDON_NOT_FOUND', "AppLink add-on applink-nope doesn't exist on my-app.", 'Use heroku addons --app my-app to list the add-ons on the app (AppLink add-ons: applink-rigid-12345), and pass one of them to --addon.'],
    [
      'ambiguous',
      [
        { id: ADDON_ID, name: 'applink-one', addon_service: { name: 'heroku-applink' } },
        { id: 'b', name: 'applink-two', addon_service: { name: 'heroku-applink' } },
      ],
      undefined,
      'ERR_ADDON_AMBIGUOUS',
      'Your app my-app has multiple AppLink add-ons: applink-one, applink-two.',
      'Rerun the command with the --addon flag to specify which one to use.',
    ],
  ])('add-on %s: %s', async (_case, addons, addon, code, message, hint) => {
    const service = fakeService();
    healthyPlatform(service, undefined, addons ? { addons } : {});
    const { deps } = clientDeps(service);
    const error = await failure(resolveAddon(options({ addon }), deps));
    expect([error.code, error.message, error.hint, error.exitCode]).toEqual([code, message, hint, 5]);
    expect(service.calls()).not.toContain(`GET /apps/my-app/addons/${ADDON_ID}/sso`);
  });

  it('add-on not fully provisioned: names the missing config var', async () => {
    const service = fakeService();
    healthyPlatform(service, undefined, { configVars: { HEROKU_APPLINK_API_URL: 'https://applink-api.heroku.com/addons/x' } });
    const { deps } = clientDeps(service);
    const error = await failure(resolveAddon(options(), deps));
    expect(error.code).toBe('ERR_ADDON_NOT_PROVISIONED');
    expect(error.message).toBe("AppLink add-on applink-rigid-12345 isn't fully provisioned on my-app (HEROKU_APPLINK_TOKEN missing from the config vars).");
    expect(error.hint).toBe('Wait for the add-on to finish provisioning with heroku addons:wait applink-rigid-12345 -a my-app, then run the command again.');
  });

  it('add-on without attachment is not provisioned either', async () => {
    const service = fakeService();
    healthyPlatform(service, undefined, { attachments: [] });
    const { deps } = clientDeps(service);
    const error = await failure(resolveAddon(options(), deps));
    expect(error.message).toBe("AppLink add-on applink-rigid-12345 isn't fully provisioned on my-app (it has no attachment on my-app).");
  });

  it('401: the token in HEROKU_API_KEY was refused', async () => {
    const service = fakeService();
    for (const path of ['', '/addons', '/addon-attachments', '/config-vars']) {
      service.on(`GET /apps/my-app${path}`, { status: 401, json: { id: 'unauthorized', message: 'Invalid credentials provided.' } });
    }
    const { deps } = clientDeps(service);
    const error = await failure(resolveAddon(options(), deps));
    expect(error.code).toBe('ERR_HEROKU_AUTH');
    expect(error.message).toBe('The token in HEROKU_API_KEY was refused by the Heroku Platform API (https://api.heroku.com): HTTP 401. The server said: "Invalid credentials provided.".');
    expect(error.hint).toBe('Create a new long-lived token with heroku authorizations:create (or print yours with heroku auth:token) and set HEROKU_API_KEY to it.');
    expect(error.exitCode).toBe(5);
    expect(error.message).not.toContain(HEROKU_API_KEY);
  });

  it('404: the app does not exist', async () => {
    const service = fakeService();
    for (const path of ['', '/addons', '/addon-attachments', '/config-vars']) {
      service.on(`GET /apps/my-app${path}`, { status: 404, json: { id: 'not_found', message: "Couldn't find that app." } });
    }
    const { deps } = clientDeps(service);
    const error = await failure(resolveAddon(options(), deps));
    expect(error.code).toBe('ERR_APP_NOT_FOUND');
    expect(error.message).toMatch(/^App my-app was not found by the Heroku Platform API \(https:\/\/api\.heroku\.com\): GET https:\/\/api\.heroku\.com\/apps\/my-app(\/[a-z-]+)? answered HTTP 404\. The server said: "Couldn't find that app\."\.$/);
  });

  it.each([
    ['an HTML page', '<!DOCTYPE html><html><body>Login</body></html>'],
    ['an empty body', ''],
    ['truncated or invalid JSON', '{"id": "1111'],
  ])('a 200 with %s is ERR_BAD_RESPONSE', async (kind, text) => {
    const service = fakeService();
    healthyPlatform(service);
    service.on('GET /apps/my-app', { status: 200, text });
    const { deps } = clientDeps(service);
    const error = await failure(resolveAddon(options(), deps));
    expect(error.code).toBe('ERR_BAD_RESPONSE');
    expect(error.message).toBe(`The Heroku Platform API answered GET https://api.heroku.com/apps/my-app with HTTP 200 and ${kind} instead of JSON.`);
  });

  it('a 200 of the wrong shape is ERR_BAD_RESPONSE', async () => {
    const service = fakeService();
    healthyPlatform(service, undefined, { addons: { not: 'a list' } });
    const { deps } = clientDeps(service);
    const error = await failure(resolveAddon(options(), deps));
    expect([error.code, error.message]).toEqual(['ERR_BAD_RESPONSE', 'The Heroku Platform API answered GET https://api.heroku.com/apps/my-app/addons with HTTP 200 but not a list of add-ons.']);
  });

  it('an unknown status is ERR_UNEXPECTED_STATUS; a 5xx that persists is ERR_SERVICE_UNAVAILABLE', async () => {
    const teapot = fakeService();
    healthyPlatform(teapot);
    teapot.on('GET /apps/my-app/config-vars', { status: 418, text: 'short and stout' });
    const first = await failure(resolveAddon(options(), clientDeps(teapot).deps));
    expect([first.code, first.message]).toEqual([
      'ERR_UNEXPECTED_STATUS',
      'The Heroku Platform API answered GET https://api.heroku.com/apps/my-app/config-vars with an unexpected HTTP 418 with text that is not JSON (15 bytes).',
    ]);
    const down = fakeService();
    healthyPlatform(down);
    down.on('GET /apps/my-app/addons', { status: 502, text: '<html>Bad gateway</html>' });
    const second = await failure(resolveAddon(options(), clientDeps(down).deps));
    expect([second.code, second.exitCode, second.message]).toEqual([
      'ERR_SERVICE_UNAVAILABLE',
      8,
      'The Heroku Platform API kept failing after 4 attempts: GET https://api.heroku.com/apps/my-app/addons answered HTTP 502.',
    ]);
  });

  it('refuses an _API_URL over plain http to a non-loopback host before sending the token', async () => {
    const service = fakeService();
    healthyPlatform(service, `http://applink.example.com/addons/${ADDON_ID}`);
    const error = await failure(resolveAddon(options(), clientDeps(service).deps));
    expect([error.code, error.message]).toEqual([
      'ERR_HOST_NOT_ALLOWED',
      `Config var HEROKU_APPLINK_API_URL of my-app is http://applink.example.com/addons/${ADDON_ID}: the add-on token is only sent over https (or to a loopback address). Nothing was sent.`,
    ]);
    expect(service.requests.some((request) => request.url.includes('example.com'))).toBe(false);
  });
});

describe('validateAppName / validateAddonName', () => {
  it('accepts app names and ids, refuses the rest', () => {
    expect(validateAppName('my-app-1')).toBe('my-app-1');
    expect(validateAppName(APP_ID)).toBe(APP_ID);
    expect(() => validateAppName('My App')).toThrow('App name (-a/--app or HEROKU_APP) "My App" is not a Heroku app name or id.');
    expect(validateAddonName('applink-rigid-12345')).toBe('applink-rigid-12345');
    expect(() => validateAddonName('a b')).toThrow('Add-on (--addon) "a b" is not an add-on name or id.');
  });
});
