#!/bin/bash
# Helpers shared by the applink orb's scripts. Each command passes this file's text in
# APPLINK_SCRIPT_UTILS and its script evals it, so every step stays one self-contained run.

# Prints what is wrong and how to fix it, then ends the step.
applink_fail() {
  printf 'applink: %s\n' "$*" >&2
  exit 1
}

# True for a CircleCI boolean parameter: "true" or "1" (booleans reach `environment:` as either).
applink_is_true() {
  [ "$1" = "true" ] || [ "$1" = "1" ]
}

# Expands $VAR and ${VAR} in a string parameter: with `circleci env subst` on CircleCI, otherwise
# with this small expander. Neither evaluates the text, so a value can never run a command.
applink_subst() {
  local text="$1" out="" name
  if command -v circleci >/dev/null 2>&1; then
    circleci env subst "$text"
    return
  fi
  while [[ "$text" == *'$'* ]]; do
    out+="${text%%\$*}"
    text="${text#*\$}"
    if [[ "$text" =~ ^\{([A-Za-z_][A-Za-z0-9_]*)\}(.*)$ ]] || [[ "$text" =~ ^([A-Za-z_][A-Za-z0-9_]*)(.*)$ ]]; then
      name="${BASH_REMATCH[1]}"
      out+="${!name:-}"
      text="${BASH_REMATCH[2]}"
    else
      out+='$'
    fi
  done
  printf '%s' "${out}${text}"
}

# Checks that the env_var_name parameter $1 names a variable ($2) that is set and not empty.
# Messages name the variable and the parameter, never the value.
applink_require_var() {
  local parameter="$1" name="$2"
  if [[ ! "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
    applink_fail "parameter ${parameter} must be the NAME of an environment variable (letters, digits and _), not its value. Store the secret in a context or project environment variable and pass its name."
  fi
  if [ -z "${!name:-}" ]; then
    applink_fail "${name} is empty or not set (parameter ${parameter}). Add ${name} to the context this job uses (or the project's environment variables), or set ${parameter} to the name of the variable that holds it."
  fi
}

# Checks that the CLI is on the PATH.
applink_require_cli() {
  command -v applink-jwt >/dev/null 2>&1 \
    || applink_fail "applink-jwt is not installed. Add the applink/install step before this one (the applink/authorize job does it for you)."
}
