#!/bin/bash
# Runs `applink-jwt verify` (the Salesforce preflight alone) with the command's parameters.
set -euo pipefail
eval "${APPLINK_SCRIPT_UTILS:?APPLINK_SCRIPT_UTILS is not set: run this script through the applink/verify command}"

verify() {
  local login_url
  applink_require_cli
  login_url="$(applink_subst "${APPLINK_STR_LOGIN_URL:-}")"
  applink_require_var jwt_private_key "${APPLINK_ENV_JWT_PRIVATE_KEY:-}"
  applink_require_var client_id "${APPLINK_ENV_CLIENT_ID:-}"
  applink_require_var username "${APPLINK_ENV_USERNAME:-}"
  SF_CLIENT_ID="${!APPLINK_ENV_CLIENT_ID}"
  SF_USERNAME="${!APPLINK_ENV_USERNAME}"
  export SF_CLIENT_ID SF_USERNAME
  exec applink-jwt verify --type "${APPLINK_ENUM_TYPE:-salesforce}" --login-url "${login_url:-https://login.salesforce.com}" \
    --jwt-key-env "$APPLINK_ENV_JWT_PRIVATE_KEY" --timeout "${APPLINK_INT_TIMEOUT:-15}"
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  verify
fi
