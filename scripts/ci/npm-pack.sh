#!/bin/bash
# Usage (from the repository root, after npm ci): scripts/ci/npm-pack.sh <out-dir>
# Packs the npm package once (npm pack runs prepack, which builds), keeps it as
# <out-dir>/applink-jwt.tgz (a fixed name the pipeline config can point at), and writes and
# prints its sha256 in <out-dir>/SHA256SUMS: the integration tests install this file and the
# npm publish job publishes this same file after checking the sum.
set -euo pipefail

out="${1:?usage: scripts/ci/npm-pack.sh <out-dir>}"
mkdir -p "$out"
packed="$(npm pack --pack-destination "$out" --json | jq -r '.[0].filename')"
[ -f "${out}/${packed}" ] || { echo "scripts/ci/npm-pack.sh: npm pack did not write ${out}/${packed}." >&2; exit 1; }
mv "${out}/${packed}" "${out}/applink-jwt.tgz"
(cd "$out" && sha256sum applink-jwt.tgz >SHA256SUMS)
echo "Packed ${packed} as ${out}/applink-jwt.tgz"
echo "sha256 $(cut -d' ' -f1 "${out}/SHA256SUMS")  applink-jwt.tgz"
