#!/bin/bash
# Records what CircleCI's own `orb pack` makes of each orb source under test/fixtures/orb/pack/<case>/src
# (and of orb/src), as golden fixtures the packer tests compare against. Run by hand, with a build of
# the circleci CLI's pack code (internal/pack); tests never need it:
#   scripts/orb/record-pack-goldens.sh /path/to/circleci-orb-pack
# Writes <case>/packed.yml (stdout), or <case>/error.txt (the refusal, the case's absolute path
# replaced by <src>), and <case>/warnings.txt when pack warned.
set -euo pipefail
pack="${1:?usage: record-pack-goldens.sh /path/to/circleci-orb-pack}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
record() {
  local src="$1" out="$2" abs stdout stderr
  abs="$(cd "$out" && cd "$src" && pwd)"
  rm -f "$out/packed.yml" "$out/error.txt" "$out/warnings.txt"
  stdout="$(mktemp)"; stderr="$(mktemp)"
  if (cd "$out" && "$pack" "$src") >"$stdout" 2>"$stderr"; then
    cp "$stdout" "$out/packed.yml"
    [ ! -s "$stderr" ] || sed "s#${abs}#<src>#g" "$stderr" >"$out/warnings.txt"
  else
    sed "s#${abs}#<src>#g" "$stderr" >"$out/error.txt"
  fi
  rm -f "$stdout" "$stderr"
}
for dir in "$root"/test/fixtures/orb/pack/*/; do
  [ -d "$dir/src" ] && record src "${dir%/}"
done
mkdir -p "$root/test/fixtures/orb/pack-orb-src"
record ../../../../orb/src "$root/test/fixtures/orb/pack-orb-src"
echo "recorded $(ls -d "$root"/test/fixtures/orb/pack/*/ | wc -l) cases and orb/src"
