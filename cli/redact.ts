/**
 * The one redactor all output passes through. The code adds every secret value the process holds
 * to a {@link SecretRegistry} as it learns it (the private key, the add-on token, HEROKU_API_KEY,
 * access tokens, the assertion, the `x-addon-sso` payload); `cli/main.ts` wraps the stdout and
 * stderr writers with {@link SecretRegistry.redact}, so a secret a service echoes inside a sentence
 * is replaced wherever it ends up (an error, `--json`, progress, debug output).
 *
 * A secret is found in its plain, JSON-escaped, URL-encoded, base64 and base64url forms, across line
 * breaks (a re-wrapped PEM, literal `\n`), and in part: any run of {@link WINDOW} characters of a
 * long secret counts, so a server message cut to 300 characters mid-key is redacted too.
 */

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/** Length of the pieces of a long secret that are looked for on their own. */
export const WINDOW = 20;

/** Values shorter than this are not secrets worth searching for (they would garble ordinary text). */
export const MIN_SECRET_LENGTH = 8;

/** Whitespace and the escapes of line breaks that a printed secret may be split by. */
const BREAKS = /\\r\\n|\\n|\\r|%0D%0A|%0A|%0D|\s/gi;

/** PEM armour lines and encryption headers, in plain or escaped text. */
const ARMOUR = /-----(BEGIN|END)[^-]*-----|(Proc-Type|DEK-Info):[^\n\\]*/g;

/** Where secrets are registered; `redact` is what every printed line passes through. */
export class SecretRegistry {
  private readonly values = new Set<string>();
  /** Short forms, replaced whole. */
  // Stryker disable next-line ArrayDeclaration: a made-up first entry only changes a text that contains it.
  private readonly exact: string[] = [];
  /** Every {@link WINDOW}-character piece of each long compact form. */
  private readonly windows = new Set<string>();

  /** Adds a secret (and its derived forms). Empty and very short values are ignored. */
  add(value: string | undefined | null): void {
    if (typeof value !== 'string') return;
    const trimmed = value.trim();
    if (trimmed.length < MIN_SECRET_LENGTH || this.values.has(trimmed)) return;
    this.values.add(trimmed);
    for (const form of derivedForms(trimmed)) {
      // PEM armour and headers are public text (error messages name them): only the body is secret.
      const compact = form.replace(ARMOUR, '').replace(BREAKS, '');
      if (compact.length >= WINDOW) {
        for (let end = WINDOW; end <= compact.length; end += 1) this.windows.add(compact.slice(end - WINDOW, end));
      } else {
        // A short secret as given (a space in it is part of it), and without line breaks (re-wrapped).
        this.exact.push(form);
        if (compact.length >= MIN_SECRET_LENGTH) this.exact.push(compact);
      }
    }
    // Longest first, so a value that contains another is replaced whole.
    this.exact.sort((a, b) => b.length - a.length);
  }

  /** How many secrets are registered (for tests). */
  get size(): number {
    return this.values.size;
  }

  /** `text` with every registered secret (in any of its forms, whole or in part) replaced. */
  redact(text: string): string {
    let result = this.redactWindows(text);
    for (const value of this.exact) result = result.split(value).join(REDACTED);
    return result;
  }

  /** Replaces every stretch of `text` covered by a window of a long secret (line breaks ignored). */
  private redactWindows(text: string): string {
    if (this.windows.size === 0) return text;
    // The text without line breaks, and where each of its characters came from.
    const origin: number[] = [];
    let compact = '';
    let last = 0;
    for (const match of text.matchAll(BREAKS)) {
      for (let index = last; index < match.index; index += 1) {
        origin.push(index);
        compact += text[index];
      }
      last = match.index + match[0].length;
    }
    for (let index = last; index < text.length; index += 1) {
      origin.push(index);
      compact += text[index];
    }
    const covered: Array<[number, number]> = [];
    for (let end = WINDOW; end <= compact.length; end += 1) {
      if (!this.windows.has(compact.slice(end - WINDOW, end))) continue;
      const from = origin[end - WINDOW]!;
      const to = origin[end - 1]! + 1;
      // Windows are met in order, so a covered stretch only ever grows at its end.
      const previous = covered.at(-1);
      if (previous && from <= previous[1]) previous[1] = to;
      else covered.push([from, to]);
    }
    let out = '';
    let position = 0;
    for (const [from, to] of covered) {
      out += `${text.slice(position, from)}${REDACTED}`;
      position = to;
    }
    return out + text.slice(position);
  }
}

/** The forms a secret may be printed in: as is, JSON-escaped, URL-encoded, base64, base64url. */
function derivedForms(value: string): string[] {
  const forms = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
  const bytes = Buffer.from(value);
  forms.push(bytes.toString('base64'), bytes.toString('base64url'));
  return [...new Set(forms)];
}

/** A writer whose every write is redacted first. */
export function redactingWriter(write: (text: string) => void, secrets: SecretRegistry): (text: string) => void {
  return (text) => write(secrets.redact(text));
}
