#!/usr/bin/env bash
# ./tte's own logic, without building anything or installing anything:
# - it parses, and ./tte help names every command;
# - each command installs only what it uses (./tte build no test tools, ./tte
#   demo the build's packages and jq), and every package list is someone's;
# - each build directory has one build type, whichever command configures it:
#   configure makes a fresh build/host RelWithDebInfo, leaves it alone the
#   second time, and puts it back when its cache says otherwise (a directory
#   configured by hand or by an older ./tte without a build type).
#
#   tests/check_tte.sh SCRATCH_DIR    (a directory it may fill and empty)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
SCRATCH=${1:?usage: check_tte.sh SCRATCH_DIR}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

bash -n "$ROOT/tte" || fail "tte does not parse"

help=$("$ROOT/tte" help)
for command in test fuzz firmware build bench format demo package; do
  grep -q "^  ./tte $command" <<<"$help" || fail "./tte help does not name ./tte $command"
done
echo "ok: ./tte help names every command"

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
export TTE_BUILD_DIR="$SCRATCH"
# shellcheck source=../tte
source "$ROOT/tte"
set +e  # (tte sets -e) the checks below say what failed themselves

# --- packages -----------------------------------------------------------------

installs() { packages_for "$1" | grep -qx "$2"; }
for test_only in chromium docker-compose clang-format poppler-utils imagemagick; do
  if installs build "$test_only"; then fail "./tte build installs $test_only"; fi
  if installs demo "$test_only"; then fail "./tte demo installs $test_only"; fi
done
demo=$(packages_for demo | sort -u)
wanted=$(printf '%s\n' "${PACKAGES_BUILD[@]}" "${PACKAGES_DEMO[@]}" | sort -u)
[ "$demo" = "$wanted" ] || fail "./tte demo installs more than the build's packages and the demo's: $demo"
installs test chromium || fail "./tte test does not install chromium"
installs test clang-format || fail "./tte test does not install clang-format (a ctest test uses it)"
installs test gcc-arm-none-eabi || fail "./tte test does not install the firmware's packages"
# Every list is used by some command.
for list in $(compgen -A variable PACKAGES_); do
  used=0
  for command in build demo test test-sanitize test-docker firmware bench-firmware bench fuzz \
    package format; do
    for name in $(uses "$command"); do
      [ "PACKAGES_$name" = "$list" ] && used=1
    done
  done
  [ $used = 1 ] || fail "no command installs $list"
done
# Every command that installs says so through uses (no list installed directly).
direct=$(grep -n 'install_packages "${PACKAGES_' "$ROOT/tte")
[ -z "$direct" ] || fail "a command installs a list directly, not through install_for: $direct"
echo "ok: each command installs only what it uses"

# --- build types --------------------------------------------------------------

# Every directory ./tte configures has its settings, with one build type.
for name in $(grep -o 'configure [a-z]*$' "$ROOT/tte" | sed 's/configure //' | sort -u); do
  ref="SETTINGS_${name^^}[@]"
  types=$(printf '%s\n' "${!ref}" | grep -c '^-DCMAKE_BUILD_TYPE=')
  [ "$types" = 1 ] || fail "build/$name: $types build types in SETTINGS_${name^^}"
done
[ "$(grep -c 'cmake -S' "$ROOT/tte")" = 1 ] || fail "tte runs CMake's configure outside configure()"
printf '%s\n' "${SETTINGS_HOST[@]}" | grep -qx -- -DCMAKE_BUILD_TYPE=RelWithDebInfo ||
  fail "build/host is not RelWithDebInfo"

type_of() { cached "$SCRATCH/host" CMAKE_BUILD_TYPE; }
configure host || fail "configure host failed"
[ "$(type_of)" = RelWithDebInfo ] || fail "a fresh build/host is $(type_of), not RelWithDebInfo"
before=$(stat -c %Y.%y "$SCRATCH/host/CMakeCache.txt")
configure host || fail "configure host failed the second time"
[ "$(stat -c %Y.%y "$SCRATCH/host/CMakeCache.txt")" = "$before" ] ||
  fail "configure ran CMake again though the cache had every setting"
echo "ok: configure makes build/host RelWithDebInfo, once"

# What an older ./tte demo did: build/host without a build type.
cmake -S "$ROOT" -B "$SCRATCH/host" -DCMAKE_BUILD_TYPE= >/dev/null || fail "cmake failed"
[ -z "$(type_of)" ] || fail "could not clear the build type"
configure host || fail "configure host failed after a configure by hand"
[ "$(type_of)" = RelWithDebInfo ] || fail "configure left build/host $(type_of) after a configure by hand"
echo "ok: configure puts build/host back to RelWithDebInfo"

rm -rf "$SCRATCH"
