#!/bin/sh
# The QEMU runner (device-fw/tools/run_qemu.sh) confines the guest: a hostile
# guest (device-fw/boards/mps2-an385/hostile_guest.c) can neither read host
# files outside its image directory nor create any, nor run a host command.
#   tests/check_qemu_confinement.sh RUNNER HOSTILE_ELF
set -u
runner="$1" guest="$2"
dir=$(mktemp -d /tmp/tte-confinement-XXXXXX)
trap 'rm -rf "$dir" /tmp/tte-confinement-escaped' EXIT
rm -f /tmp/tte-confinement-escaped /tte-confinement-probe
cp "$guest" "$dir/tte-device.elf"
timeout 30 "$runner" "$dir" --no-reboot </dev/null >"$dir/console.txt" 2>"$dir/stderr.txt"
status=$?
cat "$dir/console.txt"
fail() { echo "FAIL: $*"; cat "$dir/stderr.txt"; exit 1; }
grep -q "^open-etc-passwd -1$" "$dir/console.txt" || fail "the guest opened the host's /etc/passwd"
grep -q "^open-parent -1$" "$dir/console.txt" || fail "the guest opened a file outside its directory"
[ ! -e /tte-confinement-probe ] || { rm -f /tte-confinement-probe; fail "the guest created a file at the host's /"; }
[ ! -e /tmp/tte-confinement-escaped ] || fail "the guest ran a command on the host"
grep -q "^system...$" "$dir/console.txt" || fail "the guest never got to ask for a command"
# Asking for a command is refused by killing QEMU (seccomp), or answered with an error.
if grep -q "^done$" "$dir/console.txt"; then
  grep -q "^system -1$" "$dir/console.txt" || grep -q "^system 127$" "$dir/console.txt" ||
    fail "SYS_SYSTEM answered $(grep '^system ' "$dir/console.txt")"
fi
[ "$status" -ne 124 ] || [ -n "$(grep '^system' "$dir/console.txt")" ] || fail "the runner hung"
echo "confined"
