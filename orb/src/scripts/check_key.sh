#!/bin/bash
# Runs `applink-jwt keys check` on the certificate (and the key in the environment) for a rotation policy.
set -euo pipefail
eval "${APPLINK_SCRIPT_UTILS:?APPLINK_SCRIPT_UTILS is not set: run this script through the applink/check_key command}"

check_key() {
  local cert_file certificate_variable max_age="${APPLINK_INT_MAX_AGE_DAYS:-90}"
  local -a args
  # The CLI's own range for --max-age-days, checked here so the message names the orb parameter.
  if [[ ! "$max_age" =~ ^[0-9]+$ ]] || [ "$max_age" -lt 1 ] || [ "$max_age" -gt 36500 ]; then
    applink_fail "parameter max_age_days must be a whole number of days from 1 to 36500 (the CLI's --max-age-days), got ${max_age}. Set it to the rotation policy's age limit, for example 90."
  fi
  applink_require_cli
  certificate_variable="$(applink_param "${APPLINK_STR_CERTIFICATE_VARIABLE:-}" certificate_variable)"
  if [ -n "$certificate_variable" ]; then
    applink_require_var certificate_variable "$certificate_variable"
    # The certificate is public: the CLI reads it from a pipe, so nothing is left on disk either way.
    cert_file=/dev/stdin
  else
    cert_file="$(applink_subst "${APPLINK_STR_CERT_FILE:-}")"
    [ -n "$cert_file" ] || applink_fail "parameter cert_file is empty. Set it to the path of the certificate registered with the external client app."
    [ -f "$cert_file" ] || applink_fail "certificate ${cert_file} not found in $(pwd). Check out the repository first (the check_key job does), or fix the cert_file parameter."
  fi
  args=(keys check --cert-file "$cert_file" --max-age-days "$max_age" --expiry-warning-days "${APPLINK_INT_EXPIRY_WARNING_DAYS:-30}")
  if applink_is_true "${APPLINK_BOOL_MATCH_KEY:-true}"; then
    applink_require_var jwt_private_key "${APPLINK_ENV_JWT_PRIVATE_KEY:-}"
    args+=(--jwt-key-env "$APPLINK_ENV_JWT_PRIVATE_KEY")
  fi
  if [ -n "$certificate_variable" ]; then
    printf '%s\n' "${!certificate_variable}" | applink-jwt "${args[@]}"
  else
    exec applink-jwt "${args[@]}"
  fi
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  check_key
fi
