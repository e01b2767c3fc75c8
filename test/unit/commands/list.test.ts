import { describe, expect, it } from '@jest/globals';
import { runList } from '../../../cli/commands/list.js';
import { testDeps } from '../../support/harness.js';
import { ADDON_ID, fakeService } from '../applink/fake-service.js';

const env = { HEROKU_APPLINK_API_URL: `https://applink-api.heroku.com/addons/${ADDON_ID}`, HEROKU_APPLINK_TOKEN: 'addon-token-0123456789', HEROKU_APP_ID: '11111111-2222-3333-4444-555555555555' };

describe('runList', () => {
  it('says when there are none', async () => {
    const service = fakeService();
    service.on(`GET /addons/${ADDON_ID}/authorizations`, { status: 200, json: [] });
    const result = await runList({ json: false }, testDeps({ env, fetch: service.fetch }));
    expect(result).toEqual({ json: { mode: 'direct', addon: ADDON_ID, authorizations: [] }, text: `There are no Heroku AppLink authorizations for add-on ${ADDON_ID} (direct mode).`, warnings: [] });
  });

  it('lists with a line about the ones not working; --json without tokens', async () => {
    const service = fakeService();
    service.on(`GET /addons/${ADDON_ID}/authorizations`, {
      status: 200,
      json: [
        { id: '1', status: 'authorized', alias: 'applink:ok_org', org: { developer_name: 'ok_org', type: 'SalesforceOrg', id: '00D1', username: 'a@b.c', user_auth: { access_token: 'secret!' } }, last_modified_at: '2026-11-28T12:00:00.000000Z' },
        { id: '2', status: 'failed', org: { developer_name: 'bad_org', type: 'DataCloudOrg' }, error: { id: 'x', message: 'nope' } },
      ],
    });
    const result = await runList({ json: false }, testDeps({ env, fetch: service.fetch }));
    expect(result.text.split('\n')).toEqual([
      'Developer name  Type           Status      Alias           Org id  Username  Last modified',
      '--------------  -------------  ----------  --------------  ------  --------  ---------------------------',
      'ok_org          SalesforceOrg  authorized  applink:ok_org  00D1    a@b.c     2026-11-28T12:00:00.000000Z',
      'bad_org         DataCloudOrg   failed',
      '',
      'Not working: bad_org. See why with applink-jwt info <developer-name>; re-create with applink-jwt authorize <developer-name> --replace.',
    ]);
    expect(JSON.stringify(result.json)).not.toContain('secret');
  });
});
