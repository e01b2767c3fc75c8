#!/bin/bash
# Generates the throwaway key pair the sandbox registers (applink/sandbox), unless key_dir is empty
# or the pair is already there.
set -euo pipefail
eval "${APPLINK_SCRIPT_UTILS:?APPLINK_SCRIPT_UTILS is not set: run this script through the applink/sandbox command}"

sandbox_keys() {
  local key_dir
  applink_require_cli
  key_dir="$(applink_subst "${APPLINK_STR_KEY_DIR:-}")"
  if [ -z "$key_dir" ] || [ -f "${key_dir}/server.key" ]; then
    return 0
  fi
  applink-jwt keys generate --dir "$key_dir" --bits 2048 --days 30 --subject "CN=applink sandbox" >/dev/null
  echo "Throwaway key pair for the sandbox in ${key_dir}."
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  sandbox_keys
fi
