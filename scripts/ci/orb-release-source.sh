#!/bin/bash
# Usage (from the repository root): scripts/ci/orb-release-source.sh <out-dir>
# Writes a copy of orb/src to <out-dir> with @APPLINK_JWT_VERSION@ replaced by package.json's
# version, so that `circleci orb pack <out-dir>` (orb-tools/pack) gives the orb that
# `npm run orb:pack` gives: its install command pins the CLI version released with it.
# Needs only bash, jq and sed (the circleci/circleci-cli image orb-tools/pack runs in has them).
set -euo pipefail

out="${1:?usage: scripts/ci/orb-release-source.sh <out-dir>}"
if [ ! -f package.json ] || [ ! -d orb/src ]; then
  echo "scripts/ci/orb-release-source.sh: run it from the repository root (package.json and orb/src)." >&2
  exit 1
fi
command -v jq >/dev/null 2>&1 || { echo "scripts/ci/orb-release-source.sh: jq is not installed; it reads the version from package.json." >&2; exit 1; }
version="$(jq -r .version package.json)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] \
  || { echo "scripts/ci/orb-release-source.sh: package.json version \"${version}\" is not an npm version." >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
cp -R orb/src/. "$out/"
while IFS= read -r -d '' file; do
  sed -i "s/@APPLINK_JWT_VERSION@/${version}/g" "$file"
done < <(find "$out" -type f -print0)
if grep -rq '@APPLINK_JWT_VERSION@' "$out"; then
  echo "scripts/ci/orb-release-source.sh: @APPLINK_JWT_VERSION@ is still in ${out}." >&2
  exit 1
fi
echo "Wrote ${out}: orb/src with the CLI version ${version} pinned."
