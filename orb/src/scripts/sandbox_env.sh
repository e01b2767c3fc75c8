#!/bin/bash
# Waits for the sandbox's env file (written once it answers) and appends its export lines, and the
# throwaway key as JWT_PRIVATE_KEY, to BASH_ENV for the later steps of the job. Prints no value.
set -euo pipefail
eval "${APPLINK_SCRIPT_UTILS:?APPLINK_SCRIPT_UTILS is not set: run this script through the applink/sandbox command}"

sandbox_env() {
  local key_dir env_file deadline
  key_dir="$(applink_subst "${APPLINK_STR_KEY_DIR:-}")"
  env_file="${TMPDIR:-/tmp}/applink-sandbox.env"
  deadline=$((SECONDS + ${APPLINK_INT_WAIT_SECONDS:-30}))
  until [ -f "$env_file" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      applink_fail "the sandbox did not answer within ${APPLINK_INT_WAIT_SECONDS:-30} s. See the output of the step \"Run the applink-jwt sandbox\"."
    fi
    sleep 0.2
  done
  : "${BASH_ENV:?BASH_ENV is not set: run this step on CircleCI}"
  grep '^export ' "$env_file" >>"$BASH_ENV"
  if [ -n "$key_dir" ] && [ -f "${key_dir}/server.key" ]; then
    printf 'export JWT_PRIVATE_KEY=%q\n' "$(cat "${key_dir}/server.key")" >>"$BASH_ENV"
  fi
  echo "The sandbox's environment is exported to the later steps (login URL: \$SF_LOGIN_URL)."
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  sandbox_env
fi
