#!/bin/bash
# Usage: scripts/ci/sandbox-env.sh <sandbox-jsonl> [<private-key-file>] >>"$BASH_ENV"
# Waits (up to SANDBOX_WAIT_SECONDS, default 30) for the first line that `applink-jwt sandbox --json`
# writes to <sandbox-jsonl> (the sandbox runs in a background step), then prints one `export` line
# per variable of its environment (HEROKU_API_KEY, SF_LOGIN_URL, ...) and, when given, one for
# JWT_PRIVATE_KEY with the key file's text, for later steps to source through BASH_ENV.
# These are the sandbox's own throwaway credentials; nothing is printed to the job log.
set -euo pipefail

file="${1:?usage: scripts/ci/sandbox-env.sh <sandbox-jsonl> [<private-key-file>]}"
key="${2:-}"
deadline=$((SECONDS + ${SANDBOX_WAIT_SECONDS:-30}))
until [ -s "$file" ] && head -n 1 "$file" | jq -e '.result.env' >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "scripts/ci/sandbox-env.sh: the sandbox wrote no environment to ${file} within ${SANDBOX_WAIT_SECONDS:-30} s. See the output of the step that starts it." >&2
    exit 1
  fi
  sleep 0.2
done
head -n 1 "$file" | jq -r '.result.env | to_entries[] | "export \(.key)=\(.value | @sh)"'
if [ -n "$key" ]; then
  printf 'export JWT_PRIVATE_KEY=%q\n' "$(cat "$key")"
fi
