import { describe, expect, it } from '@jest/globals';
import { catalogueEntry, lookupSalesforceError, SALESFORCE_ERRORS } from '../../../cli/salesforce/catalogue.js';

describe('SALESFORCE_ERRORS', () => {
  it('gives every entry a stable ERR_SF_ code, a title, a cause, a hint and a documented exit code', () => {
    for (const entry of SALESFORCE_ERRORS) {
      expect(entry.code).toMatch(/^ERR_SF_[A-Z_]+$/);
      expect(entry.title.length).toBeGreaterThan(5);
      expect(entry.cause).toMatch(/\.$/);
      expect(entry.hint.length).toBeGreaterThan(20);
      expect([4, 8]).toContain(entry.exitCode);
    }
  });

  it('has one meaning per code: entries sharing a code share their title, cause and hint', () => {
    const byCode = new Map<string, string>();
    for (const entry of SALESFORCE_ERRORS) {
      const meaning = JSON.stringify([entry.title, entry.cause, entry.hint, entry.exitCode]);
      expect(byCode.get(entry.code) ?? meaning).toBe(meaning);
      byCode.set(entry.code, meaning);
    }
    expect(byCode.size).toBe(SALESFORCE_ERRORS.length - 1); // invalid_client is an alias of invalid_client_id
  });

  it('covers every error of the reference table, plus unknown, HTML and non-JSON answers', () => {
    const pairs = SALESFORCE_ERRORS.flatMap((e) => (e.descriptions.length ? e.descriptions.map((d) => `${e.error}/${d}`) : [`${e.error ?? '-'}/*`]));
    for (const expected of [
      'invalid_client_id/client identifier invalid',
      'invalid_grant/invalid assertion',
      'invalid_grant/audience is invalid',
      'invalid_grant/expired authorization code',
      "invalid_grant/user hasn't approved this consumer",
      'invalid_grant/inactive user',
      'invalid_grant/ip restricted',
      'invalid_app_access/*',
      'app_not_found/*',
      'unsupported_grant_type/*',
      'invalid_request/*',
      'invalid_grant/*',
    ]) {
      expect(pairs).toContain(expected);
    }
    for (const code of ['ERR_SF_REFUSED', 'ERR_SF_HTML_RESPONSE', 'ERR_SF_NOT_JSON', 'ERR_SF_UNEXPECTED_RESPONSE', 'ERR_SF_DATACLOUD_HTML_RESPONSE', 'ERR_SF_DATACLOUD_NOT_JSON']) {
      expect(catalogueEntry(code).code).toBe(code);
    }
  });

  it('names the Salesforce setting to change in the hints of the common errors', () => {
    expect(catalogueEntry('ERR_SF_USER_NOT_APPROVED').hint).toContain('Admin approved users are pre-authorized');
    expect(catalogueEntry('ERR_SF_USER_NOT_APPROVED').hint).toContain('profile or permission set');
    expect(catalogueEntry('ERR_SF_INVALID_ASSERTION').hint).toContain('Upload the certificate that matches this key');
    expect(catalogueEntry('ERR_SF_AUDIENCE_INVALID').hint).toContain('https://test.salesforce.com');
    expect(catalogueEntry('ERR_SF_CLIENT_ID_INVALID').hint).toContain('up to 10 minutes');
    expect(catalogueEntry('ERR_SF_APP_NOT_FOUND').hint).toContain('My Domain URL');
  });

  it('is plain data (README generates its troubleshooting table from it)', () => {
    expect(JSON.parse(JSON.stringify(SALESFORCE_ERRORS))).toEqual(SALESFORCE_ERRORS);
  });
});

describe('lookupSalesforceError', () => {
  it('matches descriptions case-insensitively and trims them', () => {
    expect(lookupSalesforceError('invalid_grant', '  Audience is invalid ').code).toBe('ERR_SF_AUDIENCE_INVALID');
    expect(lookupSalesforceError('invalid_grant', "USER HASN'T APPROVED THIS CONSUMER").code).toBe('ERR_SF_USER_NOT_APPROVED');
  });

  it('falls back to the error alone, then to ERR_SF_REFUSED', () => {
    expect(lookupSalesforceError('invalid_grant', 'brand new').code).toBe('ERR_SF_INVALID_GRANT');
    expect(lookupSalesforceError('invalid_grant').code).toBe('ERR_SF_INVALID_GRANT');
    expect(lookupSalesforceError('invalid_app_access', 'anything').code).toBe('ERR_SF_APP_ACCESS');
    expect(lookupSalesforceError('mystery', 'x').code).toBe('ERR_SF_REFUSED');
  });

  it('throws on an unknown catalogue code (a programming error)', () => {
    expect(() => catalogueEntry('ERR_SF_NOPE')).toThrow('catalogueEntry: unknown code ERR_SF_NOPE');
  });
});
