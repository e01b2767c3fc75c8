#!/bin/bash
# Runs `applink-jwt remove` for one authorization. The Heroku API key reaches the CLI only
# through the environment.
set -euo pipefail
eval "${APPLINK_SCRIPT_UTILS:?APPLINK_SCRIPT_UTILS is not set: run this script through the applink/remove command}"

remove() {
  local developer_name app addon
  local -a args
  applink_require_cli
  developer_name="$(applink_subst "${APPLINK_STR_DEVELOPER_NAME:-}")"
  [ -n "$developer_name" ] || applink_fail "parameter developer_name is empty. Set it to the developer name of the authorization to remove."
  app="$(applink_subst "${APPLINK_STR_APP:-}")"
  addon="$(applink_subst "${APPLINK_STR_ADDON:-}")"
  applink_require_var heroku_api_key "${APPLINK_ENV_HEROKU_API_KEY:-}"
  HEROKU_API_KEY="${!APPLINK_ENV_HEROKU_API_KEY}"
  export HEROKU_API_KEY
  args=(remove "$developer_name" --yes)
  [ -z "$app" ] || args+=(--app "$app")
  [ -z "$addon" ] || args+=(--addon "$addon")
  exec applink-jwt "${args[@]}"
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  remove
fi
