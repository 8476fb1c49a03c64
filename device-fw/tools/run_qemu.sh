#!/usr/bin/env bash
# Boots one Device's image (./tte firmware image) on QEMU's model of the
# MPS2-AN385 board, as ./tte firmware run does:
#   device-fw/tools/run_qemu.sh IMGDIR [--qmp SOCKET] [--icount] [--no-reboot]
# (options before or after IMGDIR)
# The Device's console is standard input and output: its events come out as
# JSON lines, and `press` / `long-press` lines work its button. Its network is
# QEMU's user-mode network (-nic user): it gets 10.0.2.15 by DHCP and reaches
# the host's 127.0.0.1:PORT as 10.0.2.2:PORT. Its NV memory is IMGDIR/nv.bin,
# kept from one run to the next (semihosting; docs/device.md), and the guest can
# reach nothing of the host but that directory.
#   --qmp SOCKET  a QMP socket, for tests that look at the board (its LED register)
#   --icount      one instruction per nanosecond of virtual time (./tte bench firmware)
#   --no-reboot   a fault or reset ends QEMU instead of restarting the Device
# SIGTERM or SIGINT stop it; it then prints {"event":"stopped"}. Exit status: 0
# stopped by a signal; 2 wrong usage; 1 no image, a damaged one or no QEMU; 3 the
# Device stopped itself (its last event says why: a bad provisioning image, ...);
# otherwise QEMU's.
set -euo pipefail

name="${TTE_RUNNER_NAME:-run_qemu.sh}"
usage="$name IMGDIR [--qmp SOCKET] [--icount] [--no-reboot]"
fail() {
  printf '%s: %s\n' "$name" "$*" >&2
  exit 1
}
usage_error() {
  printf '%s: %s (usage: %s)\n' "$name" "$*" "$usage" >&2
  exit 2
}

dir=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --qmp)
      [ $# -ge 2 ] && [ -n "$2" ] || usage_error "--qmp needs a socket path"
      extra+=(-qmp "unix:$2,server=on,wait=off")
      shift
      ;;
    --icount) extra+=(-icount shift=0) ;;
    --no-reboot) extra+=(-no-reboot) ;;
    -h | --help) echo "usage: $usage"; exit 0 ;;
    -*) usage_error "unknown option $1" ;;
    *)
      [ -z "$dir" ] || usage_error "one image directory, not $dir and $1"
      dir="$1"
      ;;
  esac
  shift
done
[ -n "$dir" ] || usage_error "which image directory?"
[ -f "$dir/tte-device.elf" ] ||
  fail "no image in $dir: ./tte firmware image --bundle FILE --out $dir makes one"
# An image tte-firmware-image made says what its ELF is: a damaged or truncated one
# is refused here rather than crashing QEMU.
if [ -f "$dir/image.json" ]; then
  recorded=$(sed -n 's/.*"elf_sha256": *"\([0-9a-f]*\)".*/\1/p' "$dir/image.json")
  if [ -n "$recorded" ] && [ "$(sha256sum "$dir/tte-device.elf" | cut -d' ' -f1)" != "$recorded" ]; then
    fail "the image in $dir is damaged (its SHA-256 is not the one image.json records): make it again"
  fi
fi
qemu="${TTE_QEMU:-qemu-system-arm}"
command -v "$qemu" >/dev/null || fail "$qemu is missing: ./tte firmware installs qemu-system-arm"

dir="$(cd "$dir" && pwd)"
cd "$dir"
# What QEMU creates here (nv.bin: the Device's seed record among it) is the owner's alone.
umask 077
[ ! -f nv.bin ] || chmod 600 nv.bin
# The guest is confined to IMGDIR: semihosting, which keeps nv.bin, lets a guest open,
# remove and rename host files and run host commands (SYS_SYSTEM). QEMU chroots into
# IMGDIR before the guest starts (root, or root in a user namespace of its own), and
# its seccomp sandbox refuses it new processes. A guest taken over through the network
# reaches only its own image's directory.
confine=(-chroot "$dir" -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny)
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  unshare --user --map-root-user --mount true 2>/dev/null ||
    fail "QEMU is confined with -chroot: run as root, or enable user namespaces (unshare -Urm)"
  as_root=(unshare --user --map-root-user --mount --)
fi
# The console goes through this script line by line, so that a line QEMU was
# cut off in the middle of (stopped mid-event) is dropped, not glued to the next.
fifo_dir=$(mktemp -d)
mkfifo "$fifo_dir/console"
# stdin is passed on explicitly: a background job's would be /dev/null. QEMU gets
# SIGTERM when this script dies, however it dies (setpriv, util-linux): no orphans.
"${as_root[@]}" setpriv --pdeathsig TERM -- "$qemu" -M mps2-an385 -display none -monitor none \
  -serial stdio -semihosting-config enable=on,target=native -nic user "${confine[@]}" \
  "${extra[@]}" -kernel "$dir/tte-device.elf" 0<&0 >"$fifo_dir/console" &
qemu_pid=$!
exec 3<"$fifo_dir/console"
rm -rf "$fifo_dir"
stopping=""
trap 'stopping=1; kill -TERM "$qemu_pid" 2>/dev/null || true' TERM INT
while true; do
  read_status=0
  IFS= read -r line <&3 || read_status=$?
  if [ "$read_status" -eq 0 ]; then
    printf '%s\n' "$line"
  elif [ "$read_status" -le 128 ]; then
    break  # the end of the console (QEMU has gone); a partial last line is dropped
  fi       # above 128: a signal interrupted the read, read on
done
status=0
wait "$qemu_pid" || status=$?
if [ -n "$stopping" ]; then
  printf '{"event":"stopped","detail":"stopped by a signal"}\n'
  exit 0
fi
exit "$status"
