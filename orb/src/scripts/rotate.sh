#!/bin/bash
# Runs `applink-jwt rotate` with the command's parameters. Secrets reach the CLI only through the
# environment, by the names of their variables (--admin-token-env, --circleci-token-env); the new
# key lives in the CLI's memory and goes to the CircleCI context, never to argv or a file.
set -euo pipefail
eval "${APPLINK_SCRIPT_UTILS:?APPLINK_SCRIPT_UTILS is not set: run this script through the applink/rotate command}"

rotate() {
  local app addon base_name eca_a eca_b config_var login_url context owner_slug key_variable client_id_variable certificate_variable
  local -a args
  applink_require_cli
  # The defaults are the literal text $HEROKU_APP_NAME, $APPLINK_BASE_NAME, ...: the values come from the context.
  # shellcheck disable=SC2016
  app="$(applink_param "${APPLINK_STR_APP:-}" app '$HEROKU_APP_NAME')"
  addon="$(applink_param "${APPLINK_STR_ADDON:-}" addon)"
  base_name="$(applink_param "${APPLINK_STR_BASE_NAME:-}" base_name)"
  eca_a="$(applink_param "${APPLINK_STR_ECA_A:-}" eca_a)"
  eca_b="$(applink_param "${APPLINK_STR_ECA_B:-}" eca_b)"
  config_var="$(applink_param "${APPLINK_STR_CONFIG_VAR:-}" config_var)"
  login_url="$(applink_param "${APPLINK_STR_LOGIN_URL:-}" login_url)"
  [ -n "$base_name" ] || applink_fail "parameter base_name is empty. Set it (or APPLINK_BASE_NAME in the context) to the base of the slots' developer names, for example production_org for production_org_a and production_org_b."
  applink_require_name base_name "$base_name"
  if [ -z "$eca_a" ] || [ -z "$eca_b" ]; then
    applink_fail "parameters eca_a and eca_b name the two external client apps (slots A and B); set them, or APPLINK_ECA_A and APPLINK_ECA_B in the context."
  fi

  applink_require_var username "${APPLINK_ENV_USERNAME:-}"
  applink_require_var heroku_api_key "${APPLINK_ENV_HEROKU_API_KEY:-}"
  applink_require_var admin_access_token "${APPLINK_ENV_ADMIN_ACCESS_TOKEN:-}"
  applink_require_var admin_instance_url "${APPLINK_ENV_ADMIN_INSTANCE_URL:-}"
  SF_USERNAME="${!APPLINK_ENV_USERNAME}"
  HEROKU_API_KEY="${!APPLINK_ENV_HEROKU_API_KEY}"
  SF_ADMIN_INSTANCE_URL="${!APPLINK_ENV_ADMIN_INSTANCE_URL}"
  export SF_USERNAME HEROKU_API_KEY SF_ADMIN_INSTANCE_URL

  args=(rotate --base-name "$base_name" --eca-a "$eca_a" --eca-b "$eca_b" --admin-token-env "$APPLINK_ENV_ADMIN_ACCESS_TOKEN"
    --key-bits "${APPLINK_ENUM_KEY_BITS:-4096}" --grace "${APPLINK_INT_GRACE:-60}" --timeout "${APPLINK_INT_TIMEOUT:-120}"
    --propagation-timeout "${APPLINK_INT_PROPAGATION_TIMEOUT:-900}" --poll-interval "${APPLINK_INT_POLL_INTERVAL:-10}")
  [ -z "$app" ] || args+=(--app "$app")
  [ -z "$addon" ] || args+=(--addon "$addon")
  [ -z "$config_var" ] || args+=(--config-var "$config_var")
  [ -z "$login_url" ] || args+=(--login-url "$login_url")
  if applink_is_true "${APPLINK_BOOL_KEEP_OLD:-false}"; then args+=(--keep-old); fi
  if applink_is_true "${APPLINK_BOOL_PLAN:-false}"; then args+=(--plan); fi

  context="$(applink_param "${APPLINK_STR_CIRCLECI_CONTEXT:-}" circleci_context)"
  if [ -n "$context" ]; then
    owner_slug="$(applink_param "${APPLINK_STR_CIRCLECI_OWNER_SLUG:-}" circleci_owner_slug)"
    [ -n "$owner_slug" ] || applink_fail "parameter circleci_owner_slug is empty but circleci_context is ${context}. Set it to the context's owner, for example gh/acme."
    key_variable="$(applink_param "${APPLINK_STR_CIRCLECI_KEY_VARIABLE:-}" circleci_key_variable)"
    client_id_variable="$(applink_param "${APPLINK_STR_CIRCLECI_CLIENT_ID_VARIABLE:-}" circleci_client_id_variable)"
    certificate_variable="$(applink_param "${APPLINK_STR_CIRCLECI_CERTIFICATE_VARIABLE:-}" circleci_certificate_variable)"
    applink_require_var circleci_token "${APPLINK_ENV_CIRCLECI_TOKEN:-}"
    args+=(--circleci-context "$context" --circleci-owner-slug "$owner_slug" --circleci-token-env "$APPLINK_ENV_CIRCLECI_TOKEN")
    [ -z "$key_variable" ] || args+=(--circleci-key-variable "$key_variable")
    [ -z "$client_id_variable" ] || args+=(--circleci-client-id-variable "$client_id_variable")
    [ -z "$certificate_variable" ] || args+=(--circleci-certificate-variable "$certificate_variable")
  fi
  applink-jwt "${args[@]}"
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  rotate
fi
