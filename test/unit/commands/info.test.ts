import { describe, expect, it } from '@jest/globals';
import { runInfo } from '../../../cli/commands/info.js';
import { failure } from '../../support/app-error.js';
import { testDeps } from '../../support/harness.js';
import { ADDON_ID, fakeService } from '../applink/fake-service.js';

const env = { HEROKU_APPLINK_API_URL: `https://applink-api.heroku.com/addons/${ADDON_ID}`, HEROKU_APPLINK_TOKEN: 'addon-token-0123456789', HEROKU_APP_ID: '11111111-2222-3333-4444-555555555555' };

describe('runInfo', () => {
  it('shows one authorization by alias, without tokens', async () => {
    const service = fakeService();
    service.on(`GET /addons/${ADDON_ID}/authorizations/applink:my_org`, {
      status: 200,
      json: { id: '1', status: 'authorized', alias: 'applink:my_org', org: { developer_name: 'my_org', user_auth: { access_token: 'secret!', username: 'a@b.c' } } },
    });
    const result = await runInfo({ developerName: 'applink:my_org', json: true }, testDeps({ env, fetch: service.fetch }));
    expect(result.json.authorization.org.user_auth).toEqual({ username: 'a@b.c' });
    expect(result.text.split('\n')).toEqual(['Developer name: my_org', 'Status:         authorized', 'Alias:          applink:my_org', 'Id:             1', 'Username:       a@b.c']);
  });

  it('an unknown name: ERR_AUTHORIZATION_NOT_FOUND with how to list; a malformed one: no request', async () => {
    const service = fakeService();
    service.on(`GET /addons/${ADDON_ID}/authorizations/nope_org`, { status: 404, json: { id: 'record_not_found', message: 'record not found' } });
    const unknown = await failure(runInfo({ developerName: 'nope_org', json: false }, testDeps({ env, fetch: service.fetch })));
    expect([unknown.code, unknown.exitCode, unknown.hint]).toEqual(['ERR_AUTHORIZATION_NOT_FOUND', 5, 'Run applink-jwt list to list the authorizations.']);
    const malformed = await failure(runInfo({ developerName: 'two words', json: false }, testDeps({ env, fetch: service.fetch })));
    expect([malformed.code, malformed.message]).toEqual(['ERR_DEVELOPER_NAME', 'Developer name "two words" is invalid: it holds a space, only printable ASCII characters without spaces are allowed.']);
    expect(service.requests).toHaveLength(1);
  });
});
