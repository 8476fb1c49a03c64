#!/bin/sh
# What the TTE core costs a Device: from a GNU ld map (--gc-sections), the bytes
# each archive's linked input sections take: flash (.text, .rodata, .data's
# initial values) and static RAM (.data, .bss).
#   device-fw/tools/core_size.sh MAP ARCHIVE...
# e.g. core_size.sh tte_device_selftest.map libtte_device_core.a libtte_core.a
set -eu
map="$1"
shift
for archive in "$@"; do
  awk -v archive="$archive" '
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
    END { printf "%s: flash %d bytes, static RAM %d bytes\n", archive, flash, ram }
  ' "$map"
done
