import { describe, expect, it } from '@jest/globals';
import { accessToken, isSalesforceId, sequentialId, timestampMicros, timestampSeconds, toId18 } from '../../../cli/sandbox/ids.js';

describe('Salesforce ids', () => {
  it.each([
    ['001A0000006Vm9r', '001A0000006Vm9rIAC'],
    ['00D000000000062', '00D000000000062EAA'],
    ['005xx000001SwiU', '005xx000001SwiUAAS'],
  ])('gives %s the case-safe suffix of %s', (id15, id18) => {
    expect(toId18(id15)).toBe(id18);
    expect(isSalesforceId(id18)).toBe(true);
  });

  it('refuses an 18-character id with a wrong suffix', () => {
    expect(isSalesforceId('001A0000006Vm9rAAA')).toBe(false);
    expect(isSalesforceId('001A0000006Vm9')).toBe(false);
  });

  it('makes deterministic ids per prefix and sequence', () => {
    expect(sequentialId('00D', 1)).toBe(toId18('00DSB0000000001'));
    expect(sequentialId('005', 62)).toBe(toId18('005SB0000000010'));
  });

  it('shapes access tokens as <orgId15>!<random>', () => {
    expect(accessToken('00D5g000004XyZaEAK')).toMatch(/^00D5g000004XyZa!AQ[A-Za-z0-9._]{64}$/);
  });

  it('formats timestamps with six fractional digits, and Platform API ones without', () => {
    const at = Date.UTC(2026, 10, 28, 12, 0, 0, 123);
    expect(timestampMicros(at, 456)).toBe('2026-11-28T12:00:00.123456Z');
    expect(timestampMicros(at)).toBe('2026-11-28T12:00:00.123000Z');
    expect(timestampSeconds(at)).toBe('2026-11-28T12:00:00Z');
  });
});
