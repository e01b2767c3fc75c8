import { describe, expect, it } from '@jest/globals';
import { describeAuthorization, developerNameOf, formatAuthorizationTable, humanizeStatus, isAuthorization, stripTokens, type Authorization } from '../../../cli/applink/authorization.js';

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

  it('renders one block per authorization when the table is wider than the columns given', () => {
    const legacy: Authorization = { id: '2', status: 'failed', org: { developer_name: 'dc', type: 'DatacloudOrg' } };
    const table = formatAuthorizationTable([sdkShape, legacy], 124);
    expect(table.split('\n')[0]).toMatch(/^Developer name {2}Type/);
    expect(formatAuthorizationTable([sdkShape, legacy], 123).split('\n')).toEqual([
      'productionOrg2',
      '  Type:          SalesforceOrg',
      '  Status:        authorized',
      '  Alias:         applink:prod',
      '  Org id:        00DSG00000DGEIr2AP',
      '  Username:      admin@whatever.org',
      '  Last modified: 2025-03-09T18:20:42.226577Z',
      '',
      'dc',
      '  Type:          DataCloudOrg',
      '  Status:        failed',
    ]);
  });
});

describe('shape, names and rendering at their edges (mutation survivors)', () => {
  const base = { id: 'x', status: 'authorized', org: {} };

  it('accepts a numeric id and a null user_auth; refuses a user_auth that is not an object or holds a non-text username or user id', () => {
    expect([{ ...base, id: 7 }, { ...base, org: { user_auth: null } }, { ...base, org: { user_auth: { username: 'u', user_id: '005' } } }].map(isAuthorization)).toEqual([true, true, true]);
    expect(
      [{ ...base, id: true }, { ...base, org: { user_auth: 'u' } }, { ...base, org: { user_auth: { username: 5 } } }, { ...base, org: { user_auth: { user_id: 5 } } }].map(isAuthorization),
    ).toEqual([false, false, false, false]);
  });

  it('finds the developer name in org, else at the top level when it is text', () => {
    expect(developerNameOf({ ...base, org: { developer_name: 'in_org' }, developer_name: 'top' })).toBe('in_org');
    expect(developerNameOf({ ...base, developer_name: 'top' })).toBe('top');
    expect(developerNameOf({ ...base, developer_name: 5 })).toBeUndefined();
  });

  it('strips a field named code, keeps one that only starts with it', () => {
    expect(stripTokens({ code: 'c', code_version: 2, authorization_code: 'a', error_code: 'E1', privateKey: 'k' })).toEqual({ code_version: 2, error_code: 'E1' });
  });

  it('describes the connection method and the error, skips empty values, and shows who or when alone', () => {
    const lines = describeAuthorization({
      id: '1',
      status: 'failed',
      alias: '',
      org: { developer_name: 'dn' },
      connection_method: 'jwt',
      created_by: 'a@example.com',
      last_modified_at: '2026-01-01T00:00:00Z',
      error: { message: 'invalid_grant:\r\nexpired' },
    });
    expect(lines).toEqual([
      'Developer name:    dn',
      'Status:            failed',
      'Id:                1',
      'Connection method: jwt',
      'Created:           by a@example.com',
      'Last modified:     2026-01-01T00:00:00Z',
      'Error:             invalid_grant: expired',
    ]);
  });

  it('leaves the developer name and type cells of the list empty when unknown', () => {
    expect(formatAuthorizationTable([{ id: '1', status: 'authorizing', org: {} }]).split('\n')[2]).toBe(`${' '.repeat(14 + 2 + 4 + 2)}authorizing`);
  });
});
