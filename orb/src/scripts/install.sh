#!/bin/bash
# Installs the applink-jwt CLI at the version this orb was packed with, unless it is on the PATH;
# or, when APPLINK_STR_PACKAGE names a package spec (a tarball path), always installs that one.
set -euo pipefail

fail() {
  printf 'applink: %s\n' "$*" >&2
  exit 1
}

# applink-jwt needs Node.js 20.19 or newer, and npm to install it.
require_node_and_npm() {
  local node_version major minor
  command -v node >/dev/null 2>&1 \
    || fail "Node.js is not installed: applink-jwt needs Node.js 20.19 or newer, with npm. Use the applink/default executor (cimg/node), or install Node.js before this step."
  node_version="$(node --version 2>/dev/null || true)"
  node_version="${node_version#v}"
  IFS=. read -r major minor _ <<<"$node_version"
  if [[ ! "$major" =~ ^[0-9]+$ ]] || [[ ! "${minor:-}" =~ ^[0-9]+$ ]] || [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
    fail "Node.js ${node_version:-of an unknown version} is too old: applink-jwt needs Node.js 20.19 or newer. Use the applink/default executor (cimg/node:lts), or install a newer Node.js before this step."
  fi
  command -v npm >/dev/null 2>&1 \
    || fail "npm is not installed (Node.js ${node_version} is, without npm): applink-jwt is installed with npm. Use the applink/default executor (cimg/node), or install npm before this step."
}

install_applink_jwt() {
  local version="${APPLINK_STR_VERSION:-}" package="${APPLINK_STR_PACKAGE:-}" prefix installed
  if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
    fail "version \"${version}\" is not an exact npm version (for example 1.2.3). Set the version parameter, or use an orb release packed by npm run orb:pack."
  fi
  prefix="${HOME}/.applink-jwt/${version}"
  if [ -x "${prefix}/bin/applink-jwt" ]; then
    export PATH="${prefix}/bin:${PATH}"
  fi
  if [ -z "$package" ] && command -v applink-jwt >/dev/null 2>&1; then
    installed="$(applink-jwt --version 2>/dev/null || true)"
    if [ "$installed" = "$version" ]; then
      echo "applink-jwt ${version} is already installed at $(command -v applink-jwt); skipping the install."
      [ -z "${BASH_ENV:-}" ] || echo "export PATH=\"$(dirname "$(command -v applink-jwt)"):\${PATH}\"" >>"$BASH_ENV"
      return 0
    fi
    echo "applink-jwt ${installed:-of an unknown version} is on the PATH; installing ${version}."
  fi
  require_node_and_npm
  npm install --global --prefix "$prefix" --no-audit --no-fund "${package:-applink-jwt@${version}}"
  export PATH="${prefix}/bin:${PATH}"
  [ -z "${BASH_ENV:-}" ] || echo "export PATH=\"${prefix}/bin:\${PATH}\"" >>"$BASH_ENV"
  installed="$(applink-jwt --version)"
  [ "$installed" = "$version" ] \
    || fail "npm installed applink-jwt ${installed}${package:+ from ${package}}, expected ${version}. Check the npm registry configuration (.npmrc) of this job${package:+, or the package parameter}."
  echo "Installed applink-jwt ${installed}."
}

# Runs only when executed, not when sourced by a test.
if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  install_applink_jwt
fi
