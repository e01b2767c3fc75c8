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

# Expands environment variables in a string parameter the way `circleci env subst` does (a8m/envsubst,
# relaxed): $VAR and ${VAR} (unset is empty), ${VAR-d} and ${VAR=d} (d when unset), ${VAR:-d} and
# ${VAR:=d} (d when unset or empty), ${VAR+d} and ${VAR:+d} (d when set), d being text or one $VAR;
# $$ is a literal $; a $ before anything else stays; a ${ without } on its line is an error. Names are
# letters, digits and _. Nothing is evaluated, so a value can never run a command.
applink_envsubst() {
  local text="$1" out="" name op word rest value
  while [[ "$text" == *'$'* ]]; do
    out+="${text%%\$*}"
    text="${text#*\$}"
    if [[ "$text" == '$'* ]]; then
      out+='$'
      text="${text:1}"
    elif [[ "$text" == '{'* ]]; then
      rest="${text%%$'\n'*}"
      if [[ "$rest" != *'}'* ]]; then
        printf 'closing brace expected\n' >&2
        return 1
      fi
      if [[ "$text" =~ ^\{([A-Za-z0-9_]+)(:[-=+]|[-=+])?([^}]*)\} ]] && [ "${BASH_REMATCH[1]}" != "_" ]; then
        name="${BASH_REMATCH[1]}" op="${BASH_REMATCH[2]}" word="${BASH_REMATCH[3]}"
        text="${text:${#BASH_REMATCH[0]}}"
        if [[ "$word" =~ ^\$([A-Za-z0-9_]+)(.*)$ ]]; then
          if [ -n "${BASH_REMATCH[2]}" ]; then word="${BASH_REMATCH[2]}"; else word="$(applink_envsubst_value "${BASH_REMATCH[1]}")"; fi
        fi
        value="$(applink_envsubst_value "$name")"
        case "$op" in
          :- | :=) [ -n "$value" ] || value="$word" ;;
          - | =) applink_envsubst_isset "$name" || value="$word" ;;
          + | :+) if applink_envsubst_isset "$name"; then value="$word"; else value=""; fi ;;
        esac
        out+="$value"
      else
        out+="\${"
        text="${text:1}"
      fi
    elif [[ "$text" =~ ^([A-Za-z0-9_]+) ]] && [ "${BASH_REMATCH[1]}" != "_" ]; then
      name="${BASH_REMATCH[1]}"
      text="${text:${#name}}"
      out+="$(applink_envsubst_value "$name")"
    else
      out+='$'
    fi
  done
  printf '%s' "${out}${text}"
}

# The value of environment variable $1 for applink_envsubst (a name starting with a digit is never set).
applink_envsubst_value() {
  if applink_envsubst_isset "$1"; then printf '%s' "${!1}"; fi
}

applink_envsubst_isset() {
  [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && [ -n "${!1+set}" ]
}

# Expands a string parameter with `circleci env subst` on CircleCI, otherwise with applink_envsubst:
# the same expansion either way.
applink_subst() {
  if command -v circleci >/dev/null 2>&1; then
    circleci env subst "$1"
  else
    applink_envsubst "$1"
  fi
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

# Expands string parameter $1 (named $2 in messages) like applink_subst, but fails when a value that
# was given expands to nothing (`app: $STAGING_APP` with STAGING_APP missing from the context): an
# empty value must never make the CLI fall back to another app or add-on. $3 is the parameter's
# default, which may expand to nothing (then the CLI's own fallbacks apply, as documented).
applink_param() {
  local raw="$1" parameter="$2" default="${3:-}" value
  value="$(applink_subst "$raw")"
  if [ -n "$raw" ] && [ -z "$value" ] && [ "$raw" != "$default" ]; then
    applink_fail "parameter ${parameter} is ${raw}, which expands to nothing: the variable it names is empty or not set. Add it to the context this job uses, or set ${parameter} to the value itself."
  fi
  printf '%s' "$value"
}

# Checks a developer name before it goes on the command line: it must not look like an option
# (--help, --no-preflight, --jwt-key-file=...), whatever the CLI would make of it.
applink_require_name() {
  local parameter="$1" name="$2"
  if [[ ! "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_:.@-]*$ ]]; then
    applink_fail "parameter ${parameter} is not a developer name: it must start with a letter or digit and hold only letters, digits and _ : . @ - (for example production_org)."
  fi
}
