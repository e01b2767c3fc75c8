#!/bin/bash
# Usage: scripts/ci/npm-publish.sh <dir>   (<dir> holds applink-jwt.tgz and SHA256SUMS from release-tarball.sh)
# Publishes exactly the tarball the integration tests installed: checks its sha256 first, reads the
# npm token from the environment variable NPM_TOKEN (from a CircleCI context) through a temporary
# npm config that names the variable (npm expands it; the token is never written to a file or
# argv). When that version is already on the registry with the same tarball (a rerun), it skips;
# with another tarball it fails.
set -euo pipefail

dir="${1:?usage: scripts/ci/npm-publish.sh <dir>}"
registry="${NPM_REGISTRY:-https://registry.npmjs.org/}"
(cd "$dir" && sha256sum --check --strict SHA256SUMS) \
  || { echo "scripts/ci/npm-publish.sh: ${dir}/applink-jwt.tgz is not the tarball the tests installed (sha256 differs)." >&2; exit 1; }
[ -n "${NPM_TOKEN:-}" ] \
  || { echo "scripts/ci/npm-publish.sh: NPM_TOKEN is empty. Add an npm automation token as NPM_TOKEN to the context this job uses." >&2; exit 1; }

tarball="${dir}/applink-jwt.tgz"
manifest="$(tar -xzOf "$tarball" package/package.json)"
name="$(jq -r .name <<<"$manifest")"
version="$(jq -r .version <<<"$manifest")"
integrity="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 | tr -d '\n')"

userconfig="$(mktemp)"
trap 'rm -f "$userconfig"' EXIT
# The literal ${NPM_TOKEN}: npm substitutes the variable when it reads the file.
# shellcheck disable=SC2016
printf '//%s:_authToken=${NPM_TOKEN}\n' "${registry#*://}" >"$userconfig"
export npm_config_userconfig="$userconfig"

published="$(npm view "${name}@${version}" dist.integrity --registry "$registry" 2>/dev/null || true)"
if [ -n "$published" ]; then
  if [ "$published" = "$integrity" ]; then
    echo "${name}@${version} is already published with this tarball; nothing to do."
    exit 0
  fi
  echo "scripts/ci/npm-publish.sh: ${name}@${version} is already published with another tarball (${published}). Bump the version in package.json and tag again." >&2
  exit 1
fi
npm publish "$tarball" --access public --registry "$registry"
echo "Published ${name}@${version} (${integrity})."
