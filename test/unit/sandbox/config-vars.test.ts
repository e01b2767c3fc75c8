/**
 * The Platform API double's config var change: `PATCH /apps/{app}/config-vars` sets (string) and
 * removes (null) vars, answers the whole set as GET does, and creates a release (listed by
 * `GET /apps/{app}/releases`); without the `deploy` permission it answers 403 `forbidden` and
 * changes nothing; a body that is not an object of names to strings or null gets 422.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { call, FROZEN_NOW } from './helpers.js';

const API_KEY = 'HRKU-test-config-vars-key-0123456789';
let clock = FROZEN_NOW;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    now: () => clock,
    state: {
      heroku: { apiKey: API_KEY, email: 'dev@example.com' },
      orgs: [],
      apps: [
        { name: 'web-app', configVars: { APPLINK_AUTH_NAME: 'ci_a', LOG_LEVEL: 'debug' }, addons: [{ name: 'applink-web' }] },
        { name: 'viewed-app', configVars: { APPLINK_AUTH_NAME: 'ci_a' }, permissions: ['view'] },
      ],
    },
  });
});

afterAll(async () => {
  await sandbox.close();
});

const headers = { authorization: `Bearer ${API_KEY}`, accept: 'application/vnd.heroku+json; version=3' };
const patch = (app: string, json: unknown) => call('PATCH', `${sandbox.urls.platform}/apps/${app}/config-vars`, { headers, json });

describe('PATCH /apps/{app}/config-vars', () => {
  it('sets and removes vars, answers the whole set, and creates a release', async () => {
    const releasesBefore = await call('GET', `${sandbox.urls.platform}/apps/web-app/releases`, { headers });
    expect(releasesBefore.body).toEqual([expect.objectContaining({ version: 1, description: 'Initial release', current: true, status: 'succeeded' })]);
    clock = FROZEN_NOW + 60_000;
    const answer = await patch('web-app', { APPLINK_AUTH_NAME: 'ci_b', LOG_LEVEL: null });
    expect(answer.status).toBe(200);
    const env = sandbox.env();
    expect(answer.body).toEqual({ APPLINK_AUTH_NAME: 'ci_b', HEROKU_APPLINK_API_URL: env.HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN: env.HEROKU_APPLINK_TOKEN });
    expect(answer.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call('GET', `${sandbox.urls.platform}/apps/web-app/config-vars`, { headers })).body).toEqual(answer.body);
    const releases = (await call('GET', `${sandbox.urls.platform}/apps/web-app/releases`, { headers })).body as Array<Record<string, unknown>>;
    expect(releases.map((release) => [release.version, release.description, release.current, release.created_at])).toEqual([
      [1, 'Initial release', false, '2026-11-28T12:00:00Z'],
      [2, 'Set APPLINK_AUTH_NAME config vars; Remove LOG_LEVEL config vars', true, '2026-11-28T12:01:00Z'],
    ]);
    expect(releases[1]).toMatchObject({ app: { name: 'web-app' }, user: { email: 'dev@example.com' }, status: 'succeeded' });
    // The request log shows what was set (the contract assertion reads it).
    const logged = sandbox.requestLog.filter((entry) => entry.route === 'platform.config-vars.update');
    expect(logged.map((entry) => [entry.method, entry.path, entry.headers.accept, entry.headers['content-type'], entry.bodyFields, entry.status])).toEqual([
      ['PATCH', '/apps/web-app/config-vars', 'application/vnd.heroku+json; version=3', 'application/json', { APPLINK_AUTH_NAME: 'ci_b', LOG_LEVEL: 'null' }, 200],
    ]);
  });

  it('answers 403 forbidden without the deploy permission, and changes nothing', async () => {
    const before = sandbox.snapshot();
    const answer = await patch('viewed-app', { APPLINK_AUTH_NAME: 'ci_b' });
    expect([answer.status, answer.body]).toEqual([403, { id: 'forbidden', message: 'You do not have access to the app viewed-app.' }]);
    expect(sandbox.snapshot()).toEqual(before);
    // Reading is still allowed.
    expect((await call('GET', `${sandbox.urls.platform}/apps/viewed-app/config-vars`, { headers })).body).toEqual({ APPLINK_AUTH_NAME: 'ci_a' });
  });

  it('answers an injected 403 in Heroku\'s shape', async () => {
    sandbox.faults.fail('platform.config-vars.update', 403);
    const answer = await patch('web-app', { APPLINK_AUTH_NAME: 'ci_a' });
    expect([answer.status, answer.body]).toEqual([403, { id: 'forbidden', message: 'You do not have access to this app.' }]);
    expect(sandbox.state.findApp('web-app')!.configVars.APPLINK_AUTH_NAME).toBe('ci_b');
  });

  it.each([
    ['an array', ['APPLINK_AUTH_NAME']],
    ['a number value', { APPLINK_AUTH_NAME: 3 }],
    ['a name with a dash', { 'APPLINK-AUTH': 'x' }],
  ])('answers 422 invalid_params for %s, and changes nothing', async (_name, json) => {
    const before = sandbox.snapshot();
    const answer = await patch('web-app', json);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ id: 'invalid_params' });
    expect(sandbox.snapshot()).toEqual(before);
  });

  it('checks the version, the bearer and the app first, as every Platform API call', async () => {
    expect((await call('PATCH', `${sandbox.urls.platform}/apps/web-app/config-vars`, { headers: { authorization: headers.authorization }, json: {} })).status).toBe(406);
    expect((await call('PATCH', `${sandbox.urls.platform}/apps/web-app/config-vars`, { headers: { ...headers, authorization: 'Bearer wrong' }, json: {} })).status).toBe(401);
    expect((await patch('nope', { A: 'b' })).body).toEqual({ id: 'not_found', message: "Couldn't find that app.", resource: 'app' });
  });
});
