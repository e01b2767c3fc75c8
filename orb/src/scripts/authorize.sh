#!/bin/bash
# Runs `applink-jwt authorize` with the command's parameters. Secrets reach the CLI only through
# the environment: the key by the name of its variable (--jwt-key-env), never in argv or a file.
set -euo pipefail
eval "${APPLINK_SCRIPT_UTILS:?APPLINK_SCRIPT_UTILS is not set: run this script through the applink/authorize command}"

authorize() {
  local developer_name app addon login_url alias
  local -a args
  applink_require_cli
  developer_name="$(applink_subst "${APPLINK_STR_DEVELOPER_NAME:-}")"
  [ -n "$developer_name" ] || applink_fail "parameter developer_name is empty. Set it to the authorization's developer name, for example production_org."
  applink_require_name developer_name "$developer_name"
  # The default is the literal text $HEROKU_APP_NAME: unset, it leaves the app to the CLI's fallbacks.
  # shellcheck disable=SC2016
  app="$(applink_param "${APPLINK_STR_APP:-}" app '$HEROKU_APP_NAME')"
  addon="$(applink_param "${APPLINK_STR_ADDON:-}" addon)"
  login_url="$(applink_param "${APPLINK_STR_LOGIN_URL:-}" login_url)"
  alias="$(applink_param "${APPLINK_STR_ALIAS:-}" alias)"

  applink_require_var jwt_private_key "${APPLINK_ENV_JWT_PRIVATE_KEY:-}"
  applink_require_var client_id "${APPLINK_ENV_CLIENT_ID:-}"
  applink_require_var username "${APPLINK_ENV_USERNAME:-}"
  applink_require_var heroku_api_key "${APPLINK_ENV_HEROKU_API_KEY:-}"
  SF_CLIENT_ID="${!APPLINK_ENV_CLIENT_ID}"
  SF_USERNAME="${!APPLINK_ENV_USERNAME}"
  HEROKU_API_KEY="${!APPLINK_ENV_HEROKU_API_KEY}"
  export SF_CLIENT_ID SF_USERNAME HEROKU_API_KEY

  args=(authorize --type "${APPLINK_ENUM_TYPE:-salesforce}" --jwt-key-env "$APPLINK_ENV_JWT_PRIVATE_KEY" --timeout "${APPLINK_INT_TIMEOUT:-120}")
  [ -z "$app" ] || args+=(--app "$app")
  [ -z "$addon" ] || args+=(--addon "$addon")
  [ -z "$login_url" ] || args+=(--login-url "$login_url")
  [ -z "$alias" ] || args+=(--alias "$alias")
  if applink_is_true "${APPLINK_BOOL_REPLACE:-false}"; then args+=(--replace); fi
  if ! applink_is_true "${APPLINK_BOOL_PREFLIGHT:-true}"; then args+=(--no-preflight); fi
  case "${APPLINK_ENUM_IF_EXISTS:-fail}" in
    fail) ;;
    skip | replace) args+=(--if-exists "$APPLINK_ENUM_IF_EXISTS") ;;
    *) applink_fail "parameter if_exists must be fail, skip or replace." ;;
  esac
  # Later steps of the job get APPLINK_DEVELOPER_NAME, APPLINK_ALIAS, APPLINK_ORG_ID and
  # APPLINK_INSTANCE_URL: the CLI appends them to BASH_ENV once the authorization is in place.
  [ -z "${BASH_ENV:-}" ] || args+=(--append-env "$BASH_ENV")
  # `--` ends the options: the developer name is never read as one.
  applink-jwt "${args[@]}" -- "$developer_name"
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  authorize
fi
