#!/bin/bash
# Runs `applink-jwt sandbox` for the rest of the job (a background step of applink/sandbox); it
# writes its environment to the env file once every host answers.
set -euo pipefail
eval "${APPLINK_SCRIPT_UTILS:?APPLINK_SCRIPT_UTILS is not set: run this script through the applink/sandbox command}"

sandbox_start() {
  local key_dir cert_file app faults fault
  local args=()
  applink_require_cli
  key_dir="$(applink_subst "${APPLINK_STR_KEY_DIR:-}")"
  cert_file="$(applink_subst "${APPLINK_STR_CERT_FILE:-}")"
  app="$(applink_subst "${APPLINK_STR_APP:-}")"
  faults="$(applink_subst "${APPLINK_STR_FAULTS:-}")"
  if [ -n "$cert_file" ]; then
    args+=(--cert-file "$cert_file")
  elif [ -n "$key_dir" ]; then
    args+=(--cert-file "${key_dir}/server.crt")
  fi
  [ -z "$app" ] || args+=(--app "$app")
  for fault in $faults; do
    args+=(--fault "$fault")
  done
  exec applink-jwt sandbox --env-out "${TMPDIR:-/tmp}/applink-sandbox.env" "${args[@]}"
}

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  sandbox_start
fi
