import { describe, expect, it } from '@jest/globals';
import { terminalSafe } from '../../cli/terminal-text.js';

describe('terminalSafe', () => {
  it('shows C1 controls and bidi controls as \\uXXXX, and leaves other text (and the CLI\'s own ESC/CR) alone', () => {
    expect(terminalSafe('a\u009b31m b\u009d0;t c\u202egro_ym d\u2066e\u2069')).toBe('a\\u009b31m b\\u009d0;t c\\u202egro_ym d\\u2066e\\u2069');
    expect(terminalSafe('\r\x1b[2K⠋ Adding credentials — café')).toBe('\r\x1b[2K⠋ Adding credentials — café');
  });

  it('keeps a JSON document valid and decoding to the same text', () => {
    const value = { alias: 'x\u009b\u202ey' };
    expect(JSON.parse(terminalSafe(JSON.stringify(value)))).toEqual(value);
  });
});
