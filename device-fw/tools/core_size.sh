#!/bin/sh
# What the TTE core costs a Device: from a GNU ld map (--gc-sections), the bytes
# each archive's linked input sections take: flash (.text, .rodata, .data's
# initial values) and static RAM (.data, .bss).
#   device-fw/tools/core_size.sh [--max-flash BYTES --max-ram BYTES] MAP ARCHIVE...
# e.g. core_size.sh tte_device_selftest.map libtte_device_core.a libtte_core.a
# With the limits it fails when the archives together exceed them.
set -eu
max_flash="" max_ram=""
while [ $# -gt 0 ]; do
  case "$1" in
    --max-flash) max_flash="$2"; shift 2 ;;
    --max-ram) max_ram="$2"; shift 2 ;;
    *) break ;;
  esac
done
map="$1"
shift
here=$(dirname "$0")
sections=$(awk -f "$here/map_sections.awk" "$map")
total_flash=0 total_ram=0
for archive in "$@"; do
  line=$(printf '%s\n' "$sections" | awk -v archive="$archive" '
    $1 == "input" && index($4, archive "(") > 0 {
      if ($2 ~ /^\.(text|ARM\.exidx|preinit_array|init_array|fini_array)$/) flash += $3
      else if ($2 == ".data") { flash += $3; ram += $3 }
      else if ($2 == ".bss") ram += $3
    }
    END { printf "%d %d\n", flash, ram }')
  flash=${line% *} ram=${line#* }
  echo "$archive: flash $flash bytes, static RAM $ram bytes"
  total_flash=$((total_flash + flash)) total_ram=$((total_ram + ram))
done
echo "together: flash $total_flash bytes, static RAM $total_ram bytes"
if [ -n "$max_flash" ] && [ "$total_flash" -gt "$max_flash" ]; then
  echo "FAIL: more than $max_flash bytes of flash"; exit 1
fi
if [ -n "$max_ram" ] && [ "$total_ram" -gt "$max_ram" ]; then
  echo "FAIL: more than $max_ram bytes of static RAM"; exit 1
fi
