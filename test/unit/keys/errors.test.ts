import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../../support/harness.js';
import { CheckFailedError, InputError } from '../../../cli/errors.js';
import { KEY_CATALOGUE, keyError, keyFinding, renderKeyCatalogue } from '../../../cli/keys/errors.js';

describe('the key error catalogue', () => {
  it('has the documented codes', () => {
    for (const code of [
      'ERR_KEY_EMPTY', 'ERR_KEY_FORMAT', 'ERR_KEY_TRUNCATED', 'ERR_KEY_NOT_PRIVATE', 'ERR_KEY_NOT_RSA', 'ERR_KEY_TOO_SMALL',
      'ERR_KEY_PASSPHRASE_REQUIRED', 'ERR_KEY_PASSPHRASE_WRONG', 'ERR_KEY_AMBIGUOUS', 'ERR_KEY_TOO_LARGE', 'ERR_KEY_FILE_NOT_FOUND',
      'ERR_KEY_ENV_MISSING', 'ERR_FILE_EXISTS', 'ERR_CERT_EXPIRED', 'ERR_CERT_KEY_MISMATCH',
    ]) {
      expect(Object.keys(KEY_CATALOGUE)).toContain(code);
    }
  });

  it('builds InputError for input problems and CheckFailedError for check failures', () => {
    const input = keyError('ERR_KEY_TOO_SMALL', { source: 'file a.key', bits: 1024 });
    expect(input).toBeInstanceOf(InputError);
    expect([input.code, input.exitCode, input.message]).toEqual(['ERR_KEY_TOO_SMALL', 3, 'The file a.key holds a 1024-bit RSA key; RS256 needs at least 2048 bits.']);
    const failure = keyError('ERR_CERT_TOO_OLD', { days: 100, maxDays: 90 });
    expect(failure).toBeInstanceOf(CheckFailedError);
    expect(failure.exitCode).toBe(9);
    expect(keyFinding('WARN_CERT_PEM_OVER_4KB', { path: 'big.crt', bytes: 5000 })).toEqual({
      code: 'WARN_CERT_PEM_OVER_4KB',
      message: 'Certificate big.crt is 5000 bytes as PEM; Salesforce accepts at most 4 KB.',
      hint: 'Upload it as DER: `openssl x509 -in big.crt -outform der -out server.der`.',
    });
  });

  it('renders one README table row per code', () => {
    const table = renderKeyCatalogue().split('\n');
    expect(table.slice(0, 2)).toEqual(['| Code | Exit | Meaning |', '| --- | --- | --- |']);
    expect(table).toHaveLength(Object.keys(KEY_CATALOGUE).length + 2);
    expect(table).toContain('| `ERR_KEY_AMBIGUOUS` | 3 | The input holds more than one private key. |');
    expect(table).toContain('| `ERR_CERT_EXPIRED` | 9 | `keys check`: the certificate has expired. |');
    expect(table).toContain('| `WARN_KEY_FILE_MODE` | warning | The key file is readable by group or others. |');
  });

  it('is the table docs/commands.md shows', async () => {
    expect(await readFile(`${ROOT}docs/commands.md`, 'utf8')).toContain(`\n${renderKeyCatalogue()}\n`);
  });
});
