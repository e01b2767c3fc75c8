import { describe, expect, it } from '@jest/globals';
import { describeAuthorization, formatAuthorizationTable, humanizeStatus, isAuthorization, stripTokens, type Authorization } from '../../../cli/applink/authorization.js';

const sdkShape: Authorization = {
  id: 'b8bc7bcb-0000-4000-8000-000000000001',
  status: 'authorized',
  alias: 'applink:prod',
  org: {
    id: '00DSG00000DGEIr2AP',
    developer_name: 'productionOrg2',
    instance_url: 'https://dmomain.my.salesforce.com',
    type: 'SalesforceOrg',
    api_version: '57.0',
    user_auth: { username: 'admin@whatever.org', user_id: '005xx', access_token: '00DSG00000DGEIr2AP!secret' },
  },
  created_at: '2025-03-06T18:20:42.226577Z',
  created_by: 'foo@heroku.com',
  last_modified_at: '2025-03-09T18:20:42.226577Z',
  last_modified_by: 'foo@heroku.com',
};

describe('stripTokens', () => {
  it('removes org.user_auth.access_token and anything token-like, deeply, without changing the input', () => {
    const input = { ...sdkShape, refresh_token: 'r', nested: [{ jwt_private_key: 'k', sso: 's', keep: 1, client_secret: 'c', password: 'p' }] };
    const stripped = stripTokens(input);
    expect(stripped.org.user_auth).toEqual({ username: 'admin@whatever.org', user_id: '005xx' });
    expect(stripped).not.toHaveProperty('refresh_token');
    expect(stripped.nested).toEqual([{ keep: 1 }]);
    expect(JSON.stringify(stripped)).not.toContain('secret');
    expect(input.org.user_auth?.access_token).toBe('00DSG00000DGEIr2AP!secret');
  });
});

describe('shape and rendering', () => {
  it('recognises an authorization', () => {
    expect(isAuthorization(sdkShape)).toBe(true);
    expect(isAuthorization({ id: 'x', status: 'authorized' })).toBe(false);
    expect(isAuthorization([sdkShape])).toBe(false);
  });

  it('humanizes statuses like the plugin', () => {
    expect(['authorized', 'failed', ''].map(humanizeStatus)).toEqual(['Authorized', 'Failed', '']);
  });

  it('describes one authorization, never its token', () => {
    expect(describeAuthorization(sdkShape)).toEqual([
      'Developer name: productionOrg2',
      'Status:         authorized',
      'Type:           SalesforceOrg',
      'Alias:          applink:prod',
      'Id:             b8bc7bcb-0000-4000-8000-000000000001',
      'Org id:         00DSG00000DGEIr2AP',
      'Instance URL:   https://dmomain.my.salesforce.com',
      'Username:       admin@whatever.org',
      'Created:        2025-03-06T18:20:42.226577Z by foo@heroku.com',
      'Last modified:  2025-03-09T18:20:42.226577Z by foo@heroku.com',
    ]);
  });

  it('renders the list table with the legacy DatacloudOrg spelling normalised', () => {
    const legacy: Authorization = { id: '2', status: 'failed', org: { developer_name: 'dc', type: 'DatacloudOrg' }, error: { message: 'bad\nthing' } };
    expect(formatAuthorizationTable([sdkShape, legacy]).split('\n')).toEqual([
      'Developer name  Type           Status      Alias         Org id              Username            Last modified',
      '--------------  -------------  ----------  ------------  ------------------  ------------------  ---------------------------',
      'productionOrg2  SalesforceOrg  authorized  applink:prod  00DSG00000DGEIr2AP  admin@whatever.org  2025-03-09T18:20:42.226577Z',
      'dc              DataCloudOrg   failed',
    ]);
  });
});
