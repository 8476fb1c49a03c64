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
total_flash=0 total_ram=0
for archive in "$@"; do
  line=$(awk -v archive="$archive" '
    function hex(text,    i, value) {
      value = 0
      for (i = 3; i <= length(text); i++)
        value = value * 16 + index("0123456789abcdef", tolower(substr(text, i, 1))) - 1
      return value
    }
    /^Linker script and memory map/ { in_map = 1; next }
    !in_map { next }
    # An input section: " .text.name  0xADDR  0xSIZE  path(object)", the name
    # sometimes on a line of its own with the rest on the next.
    /^ \.[A-Za-z_]/ { section = $1; if (NF >= 4) line = $0; else { pending = 1; next } }
    pending { line = section " " $0; pending = 0 }
    line != "" {
      n = split(line, f, " ")
      if (n >= 4 && f[2] ~ /^0x/ && f[3] ~ /^0x/ && index(f[4], archive "(") > 0) {
        size = hex(f[3])
        if (section ~ /^\.(text|rodata)/) flash += size
        else if (section ~ /^\.data/) { flash += size; ram += size }
        else if (section ~ /^\.bss/) ram += size
      }
      line = ""
    }
    END { printf "%d %d\n", flash, ram }
  ' "$map")
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
