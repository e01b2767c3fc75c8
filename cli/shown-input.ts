/**
 * What an error message may quote of a value the user gave. Messages name the input and, for a
 * name or a URL, quote it; but a value in the wrong variable may be a secret (the private key in
 * SF_USERNAME, the Heroku token in HEROKU_APP, a base64 key in HEROKU_APPLINK_API_URL), and a
 * quote of it would print part of the secret. Such a value is described, never quoted.
 */

/** What a message shows instead of a value that looks like a key or a token. */
export const HIDDEN_SECRET = '[not shown: it looks like a private key or a token]';

/**
 * Whether a value looks like key material or a token: a PEM block (or its base64), or a long run
 * of token characters mixing upper case, lower case and digits. Names, usernames and URLs do not
 * (they are short, lower case, or hold `@`, `:` or spaces).
 */
export function looksLikeSecret(value: string): boolean {
  if (/-----BEGIN|PRIVATE KEY|LS0tLS1CRUdJTi/.test(value)) return true;
  const compact = value.replace(/\\[nr]|\s+/g, '');
  return compact.length >= 40 && /^[A-Za-z0-9+/=_.!-]+$/.test(compact) && /[A-Z]/.test(compact) && /[a-z]/.test(compact) && /\d/.test(compact);
}
