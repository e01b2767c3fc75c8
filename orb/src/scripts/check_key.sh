#!/bin/bash
# Runs `applink-jwt keys check` on the certificate (and the key in the environment) for a rotation policy.
set -euo pipefail
eval "${APPLINK_SCRIPT_UTILS:?APPLINK_SCRIPT_UTILS is not set: run this script through the applink/check_key command}"

check_key() {
  local cert_file
  local -a args
  applink_require_cli
  cert_file="$(applink_subst "${APPLINK_STR_CERT_FILE:-}")"
  [ -n "$cert_file" ] || applink_fail "parameter cert_file is empty. Set it to the path of the certificate registered with the external client app."
  [ -f "$cert_file" ] || applink_fail "certificate ${cert_file} not found in $(pwd). Check out the repository first (the check_key job does), or fix the cert_file parameter."
  args=(keys check --cert-file "$cert_file" --max-age-days "${APPLINK_INT_MAX_AGE_DAYS:-90}" --expiry-warning-days "${APPLINK_INT_EXPIRY_WARNING_DAYS:-30}")
  if applink_is_true "${APPLINK_BOOL_MATCH_KEY:-true}"; then
    applink_require_var jwt_private_key "${APPLINK_ENV_JWT_PRIVATE_KEY:-}"
    args+=(--jwt-key-env "$APPLINK_ENV_JWT_PRIVATE_KEY")
  fi
  exec applink-jwt "${args[@]}"
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  check_key
fi
