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
  applink_require_name developer_name "$developer_name"
  # The default is the literal text $HEROKU_APP_NAME: unset, it leaves the app to the CLI's fallbacks.
  # shellcheck disable=SC2016
  app="$(applink_param "${APPLINK_STR_APP:-}" app '$HEROKU_APP_NAME')"
  addon="$(applink_param "${APPLINK_STR_ADDON:-}" addon)"
  applink_require_var heroku_api_key "${APPLINK_ENV_HEROKU_API_KEY:-}"
  HEROKU_API_KEY="${!APPLINK_ENV_HEROKU_API_KEY}"
  export HEROKU_API_KEY
  args=(remove --yes)
  [ -z "$app" ] || args+=(--app "$app")
  [ -z "$addon" ] || args+=(--addon "$addon")
  if applink_is_true "${APPLINK_BOOL_IGNORE_MISSING:-false}"; then args+=(--ignore-missing); fi
  # `--` ends the options: the developer name is never read as one.
  exec applink-jwt "${args[@]}" -- "$developer_name"
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  remove
fi
