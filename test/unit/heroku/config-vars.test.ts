/**
 * The config vars client against the sandbox over real loopback HTTP, its requests read back from
 * the request log and held to the documented contract (docs/reference/rotation-contracts.md
 * §Heroku): GET and PATCH on /apps/{app}/config-vars, `Accept: application/vnd.heroku+json;
 * version=3`, the bearer, a JSON body of names to a string or null; a release per PATCH; 401, 403
 * and 404 as the catalogue's errors; secret-looking values registered for redaction.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createConfigVarsClient } from '../../../cli/heroku/config-vars.js';
import { SecretRegistry } from '../../../cli/redact.js';
import { startSandbox, type Sandbox } from '../../../cli/sandbox/server.js';
import { VERSION } from '../../../cli/version.js';
import { failure } from '../../support/app-error.js';

const API_KEY = 'HRKU-config-vars-client-key-0123456789';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    state: {
      heroku: { apiKey: API_KEY },
      orgs: [],
      apps: [
        { name: 'web-app', configVars: { APPLINK_AUTH_NAME: 'ci_a', DATABASE_URL: 'postgres://u:pw-secret-value@db.example/x' }, addons: [{ name: 'applink-web', attachments: [{ name: 'HEROKU_APPLINK', token: 'addon-token-web-0123456789' }] }] },
        { name: 'viewed-app', configVars: { APPLINK_AUTH_NAME: 'ci_a' }, permissions: ['view'] },
      ],
    },
  });
});

afterAll(async () => {
  await sandbox.close();
});

function client(apiKey = API_KEY) {
  const secrets = new SecretRegistry();
  const deps = { fetch: globalThis.fetch, sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)), signal: new AbortController().signal, now: Date.now, secrets };
  return { configVars: createConfigVarsClient({ platformUrl: new URL(sandbox.urls.platform), apiKey }, deps), secrets };
}

/** The requests of `route` since `from`, as the contract speaks of them. */
function logged(route: string, from: number) {
  return sandbox.requestLog.filter((entry) => entry.seq > from && entry.route === route);
}

describe('config vars client', () => {
  it('GETs the vars and PATCHes a change as the Platform API documents, making one release', async () => {
    const { configVars, secrets } = client();
    const from = sandbox.requestLog.length;
    const before = await configVars.get('web-app');
    expect(before).toEqual({ APPLINK_AUTH_NAME: 'ci_a', DATABASE_URL: 'postgres://u:pw-secret-value@db.example/x', HEROKU_APPLINK_API_URL: sandbox.env().HEROKU_APPLINK_API_URL, HEROKU_APPLINK_TOKEN: 'addon-token-web-0123456789' });
    const after = await configVars.set('web-app', { APPLINK_AUTH_NAME: 'ci_b', OLD_FLAG: null });
    expect(after.APPLINK_AUTH_NAME).toBe('ci_b');
    expect(sandbox.state.findApp('web-app')!.releases.map((release) => release.description)).toEqual(['Initial release', 'Set APPLINK_AUTH_NAME config vars; Remove OLD_FLAG config vars']);

    // The contract, from the request log.
    const [get] = logged('platform.config-vars', from);
    const [patch] = logged('platform.config-vars.update', from);
    for (const entry of [get!, patch!]) {
      expect(entry.host).toBe(sandbox.urls.platform);
      expect(entry.path).toBe('/apps/web-app/config-vars');
      expect(entry.headers.accept).toBe('application/vnd.heroku+json; version=3');
      expect(entry.headers.authorization).toBe('[REDACTED]');
      expect(entry.headers['user-agent']).toBe(`applink-jwt/${VERSION}`);
      expect(entry.status).toBe(200);
    }
    expect([get!.method, get!.headers['content-type'], get!.bodyFields]).toEqual(['GET', undefined, {}]);
    expect([patch!.method, patch!.headers['content-type'], patch!.bodyFields]).toEqual(['PATCH', 'application/json', { APPLINK_AUTH_NAME: 'ci_b', OLD_FLAG: 'null' }]);

    // Secret-looking values are registered; the authorization name stays printable.
    const printed = secrets.redact(JSON.stringify(before));
    expect(printed).not.toContain('pw-secret-value');
    expect(printed).not.toContain('addon-token-web-0123456789');
    expect(printed).toContain('"APPLINK_AUTH_NAME":"ci_a"');
  });

  it('stops on 403 without the deploy permission (ERR_HEROKU_FORBIDDEN), changing nothing', async () => {
    const { configVars } = client();
    const before = sandbox.snapshot();
    const error = await failure(configVars.set('viewed-app', { APPLINK_AUTH_NAME: 'ci_b' }));
    expect([error.code, error.exitCode]).toEqual(['ERR_HEROKU_FORBIDDEN', 5]);
    expect(error.message).toBe(`The Heroku Platform API (${sandbox.urls.platform}) refused to let the token in HEROKU_API_KEY change the config vars of app viewed-app: HTTP 403. The server said: "You do not have access to the app viewed-app.".`);
    expect(error.hint).toBe('Use a token of a user with the deploy permission on viewed-app (heroku access -a viewed-app lists who has it); nothing was changed.');
    expect(sandbox.snapshot()).toEqual(before);
  });

  it('names the token on 401 and the app on 404', async () => {
    expect((await failure(client('HRKU-wrong-key-000000000').configVars.get('web-app'))).code).toBe('ERR_HEROKU_AUTH');
    const missing = await failure(client().configVars.get('no-such-app'));
    expect([missing.code, missing.message]).toEqual(['ERR_APP_NOT_FOUND', `App no-such-app was not found by the Heroku Platform API (${sandbox.urls.platform}): GET ${sandbox.urls.platform}/apps/no-such-app/config-vars answered HTTP 404. The server said: "Couldn't find that app.".`]);
  });

  it('retries a PATCH that met a 503, then succeeds', async () => {
    const { configVars } = client();
    const from = sandbox.requestLog.length;
    sandbox.faults.fail('platform.config-vars.update', 503);
    expect((await configVars.set('web-app', { APPLINK_AUTH_NAME: 'ci_a' })).APPLINK_AUTH_NAME).toBe('ci_a');
    expect(logged('platform.config-vars.update', from).map((entry) => entry.status)).toEqual([503, 200]);
  });
});
