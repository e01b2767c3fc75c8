#!/bin/bash
# Usage (after `npm run release:check -- --out <dir>`): scripts/ci/release-tarball.sh <dir>
# Keeps the one tarball release:check packed in <dir> (applink-jwt-X.Y.Z.tgz) as
# <dir>/applink-jwt.tgz, a fixed name the pipeline config can point at, and writes and prints its
# sha256 in <dir>/SHA256SUMS: the integration tests install this file, and npm_publish publishes
# this same file after checking the sum.
set -euo pipefail

dir="${1:?usage: scripts/ci/release-tarball.sh <dir>}"
shopt -s nullglob
tarballs=("$dir"/applink-jwt-*.tgz)
if [ "${#tarballs[@]}" -ne 1 ]; then
  echo "scripts/ci/release-tarball.sh: expected one applink-jwt-*.tgz in ${dir} (from npm run release:check -- --out ${dir}), found ${#tarballs[@]}." >&2
  exit 1
fi
packed="$(basename "${tarballs[0]}")"
mv "${tarballs[0]}" "${dir}/applink-jwt.tgz"
(cd "$dir" && sha256sum applink-jwt.tgz >SHA256SUMS)
echo "Kept ${packed} as ${dir}/applink-jwt.tgz"
echo "sha256 $(cut -d' ' -f1 "${dir}/SHA256SUMS")  applink-jwt.tgz"
