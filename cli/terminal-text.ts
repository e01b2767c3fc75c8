/**
 * Text made safe for a terminal. Server data (names, aliases, error messages) may carry C1 control
 * characters (U+0080-U+009F: U+009B is a one-byte CSI, U+009D an OSC that can retitle the window or
 * write a hyperlink) and bidirectional overrides (U+202E turns `gro_ym` into `my_org` on screen).
 * The CLI never prints any of them itself, so the writer layer (cli/main.ts) shows every one as a
 * visible `\uXXXX` escape: readable in human text, and inside a JSON string the same escape decodes
 * back to the original character, so `--json` stays exact. C0 controls are handled where the data
 * is formatted (the CLI's own progress uses ESC and CR).
 */

// C1 controls; ALM; LRM, RLM; LRE..RLO (incl. U+202E); line/paragraph separators; LRI..PDI.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0080-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** `text` with every C1 control and bidi control replaced by `\uXXXX`. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
