import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ENDPOINT_NOT_FOUND_BODY } from '../../../cli/sandbox/platform.js';
import { startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { call, FROZEN_NOW } from './helpers.js';

const API_KEY = 'HRKU-test-platform-key-0123456789';
const APP_ID = '11111111-2222-4333-8444-555555555555';
const ADDON_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    now: () => FROZEN_NOW,
    state: {
      heroku: { apiKey: API_KEY, email: 'dev@example.com' },
      orgs: [],
      apps: [
        {
          name: 'main-app',
          id: APP_ID,
          configVars: { LOG_LEVEL: 'debug' },
          addons: [{ name: 'applink-main', id: ADDON_ID, attachments: [{ name: 'HEROKU_APPLINK', token: 'addon-token-main' }, { name: 'HEROKU_APPLINK_COBALT', app: 'other-app', token: 'addon-token-cobalt' }] }],
        },
        { name: 'other-app' },
        { name: 'bare-app' },
        { name: 'pending-app', addons: [{ name: 'applink-pending', state: 'provisioning' }] },
        { name: 'twin-app', addons: [{ name: 'applink-one' }, { name: 'applink-two', attachments: [{ name: 'HEROKU_APPLINK_TEAL' }] }] },
      ],
    },
  });
});

afterAll(async () => {
  await sandbox.close();
});

const auth = { authorization: `Bearer ${API_KEY}`, accept: 'application/vnd.heroku+json; version=3' };
/** The version each route asks for: the SSO call's variant, `3` for the others. */
const acceptFor = (path: string) => ({ accept: `application/vnd.heroku+json; version=${path.endsWith('/sso') ? '3.sdk' : '3'}` });

describe('Platform API bearer check', () => {
  it.each(['/apps/main-app', '/apps/main-app/addons', '/apps/main-app/addon-attachments', '/apps/main-app/config-vars', `/apps/main-app/addons/${ADDON_ID}/sso`])(
    'answers 401 unauthorized on %s without the right key',
    async (path) => {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Basic ${Buffer.from(`:${API_KEY}`).toString('base64')}` }]) {
        const result = await call('GET', `${sandbox.urls.platform}${path}`, { headers: { ...headers, ...acceptFor(path) } });
        expect(result.status).toBe(401);
        expect(result.body).toEqual({ id: 'unauthorized', message: 'Invalid credentials provided.' });
      }
    },
  );

  it('answers 404 not_found for an unknown app on every route', async () => {
    for (const path of ['/apps/nope', '/apps/nope/addons', '/apps/nope/addon-attachments', '/apps/nope/config-vars', `/apps/nope/addons/${ADDON_ID}/sso`]) {
      const result = await call('GET', `${sandbox.urls.platform}${path}`, { headers: { ...auth, ...acceptFor(path) } });
      expect(result.status).toBe(404);
      expect(result.body).toEqual({ id: 'not_found', message: "Couldn't find that app.", resource: 'app' });
    }
  });
});

describe('GET /apps/{app}', () => {
  it('finds the app by name and by id', async () => {
    for (const key of ['main-app', APP_ID]) {
      const result = await call('GET', `${sandbox.urls.platform}/apps/${key}`, { headers: auth });
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ id: APP_ID, name: 'main-app', created_at: '2026-11-28T12:00:00Z', owner: { email: 'dev@example.com' }, web_url: 'https://main-app.herokuapp.com/' });
    }
  });
});

describe('GET /apps/{app}/addons', () => {
  it('lists owned and attached add-ons with their service and state', async () => {
    const owned = await call('GET', `${sandbox.urls.platform}/apps/main-app/addons`, { headers: auth });
    expect(owned.status).toBe(200);
    expect(owned.body).toEqual([
      expect.objectContaining({
        id: ADDON_ID,
        name: 'applink-main',
        addon_service: { id: expect.any(String), name: 'heroku-applink' },
        plan: { id: expect.any(String), name: 'heroku-applink:base' },
        app: { id: APP_ID, name: 'main-app' },
        state: 'provisioned',
        config_vars: ['HEROKU_APPLINK_API_URL', 'HEROKU_APPLINK_TOKEN', 'HEROKU_APPLINK_COBALT_API_URL', 'HEROKU_APPLINK_COBALT_TOKEN'],
      }),
    ]);
    const attached = await call('GET', `${sandbox.urls.platform}/apps/other-app/addons`, { headers: auth });
    expect((attached.body as Array<{ id: string }>).map((addon) => addon.id)).toEqual([ADDON_ID]);
    const none = await call('GET', `${sandbox.urls.platform}/apps/bare-app/addons`, { headers: auth });
    expect(none.body).toEqual([]);
    const twins = await call('GET', `${sandbox.urls.platform}/apps/twin-app/addons`, { headers: auth });
    expect((twins.body as Array<{ name: string }>).map((addon) => addon.name)).toEqual(['applink-one', 'applink-two']);
  });
});

describe('GET /apps/{app}/addon-attachments', () => {
  it("lists only the app's own attachments, with the add-on's owning app", async () => {
    const result = await call('GET', `${sandbox.urls.platform}/apps/other-app/addon-attachments`, { headers: auth });
    expect(result.status).toBe(200);
    expect(result.body).toEqual([
      expect.objectContaining({
        name: 'HEROKU_APPLINK_COBALT',
        addon: { id: ADDON_ID, name: 'applink-main', app: { id: APP_ID, name: 'main-app' } },
        app: { id: sandbox.state.findApp('other-app')!.id, name: 'other-app' },
      }),
    ]);
  });
});

describe('GET /apps/{app}/config-vars', () => {
  it('gives <ATTACHMENT>_API_URL (full URL with port) and _TOKEN next to the app vars', async () => {
    const main = await call('GET', `${sandbox.urls.platform}/apps/main-app/config-vars`, { headers: auth });
    expect(main.status).toBe(200);
    expect(main.body).toEqual({ LOG_LEVEL: 'debug', HEROKU_APPLINK_API_URL: `${sandbox.urls.applink}/addons/${ADDON_ID}`, HEROKU_APPLINK_TOKEN: 'addon-token-main' });
    const other = await call('GET', `${sandbox.urls.platform}/apps/other-app/config-vars`, { headers: auth });
    expect(other.body).toEqual({ HEROKU_APPLINK_COBALT_API_URL: `${sandbox.urls.applink}/addons/${ADDON_ID}`, HEROKU_APPLINK_COBALT_TOKEN: 'addon-token-cobalt' });
  });

  it('leaves the vars of a provisioning add-on out', async () => {
    const result = await call('GET', `${sandbox.urls.platform}/apps/pending-app/config-vars`, { headers: auth });
    expect(result.body).toEqual({});
  });
});

describe('GET /apps/{app}/addons/{addon}/sso', () => {
  it('answers the SSO payload for the add-on by id or name', async () => {
    for (const key of [ADDON_ID, 'applink-main']) {
      const result = await call('GET', `${sandbox.urls.platform}/apps/main-app/addons/${key}/sso`, { headers: { ...auth, accept: 'application/vnd.heroku+json; version=3.sdk' } });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        action: `${sandbox.urls.applink}/sso/login`,
        method: 'post',
        params: {
          app: 'main-app',
          context_app: 'main-app',
          email: 'dev@example.com',
          id: ADDON_ID,
          'nav-data': expect.any(String),
          resource_id: ADDON_ID,
          resource_token: expect.stringMatching(/^[0-9a-f]{40}$/),
          timestamp: String(FROZEN_NOW / 1000),
          token: expect.stringMatching(/^[0-9a-f]{40}$/),
          user_id: expect.any(String),
          user_scoped_resource_token: expect.stringMatching(/^[0-9a-f]{40}$/),
        },
      });
    }
  });

  it('answers 404 for an add-on not on the app', async () => {
    const result = await call('GET', `${sandbox.urls.platform}/apps/bare-app/addons/${ADDON_ID}/sso`, { headers: { ...auth, ...acceptFor('/sso') } });
    expect(result.status).toBe(404);
    expect(result.body).toEqual({ id: 'not_found', message: "Couldn't find that add-on.", resource: 'addon' });
  });
});

describe('unknown routes', () => {
  it("answers the Platform API's 404 for an unknown path and for a known path with another verb", async () => {
    for (const [method, path] of [['GET', '/nowhere'], ['DELETE', '/apps/main-app']] as const) {
      const result = await call(method, `${sandbox.urls.platform}${path}`, { headers: auth });
      expect(result.status).toBe(404);
      expect(result.body).toEqual(ENDPOINT_NOT_FOUND_BODY);
    }
  });

  it('on one shared host, answers 404 naming an unknown path and 405 for a known path with another method', async () => {
    const shared = await startSandbox({ hosts: 'shared' });
    try {
      const unknown = await call('GET', `${shared.urls.platform}/nowhere`, { headers: auth });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ id: 'not_found', message: 'No sandbox route for GET /nowhere' });
      const wrongMethod = await call('DELETE', `${shared.urls.platform}/apps/acme-app`, { headers: auth });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.body).toEqual({ id: 'method_not_allowed', message: 'No sandbox route for DELETE /apps/acme-app' });
    } finally {
      await shared.close();
    }
  });

  it('answers 413 for a body over 1 MB', async () => {
    const result = await call('POST', `${sandbox.urls.login}/services/oauth2/token`, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `assertion=${'x'.repeat(1024 * 1024)}` });
    expect(result.status).toBe(413);
    expect(result.body).toEqual({ id: 'payload_too_large', message: 'Request body too large' });
  });
});
