/** The rotation policy `keys check` enforces by default, which `keys generate` warns about. */

/** `keys check --max-age-days` default: a certificate older than this fails the check. */
export const DEFAULT_MAX_AGE_DAYS = 90;

/** `keys check --expiry-warning-days` default. */
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;

export const DAY_MS = 86_400_000;
