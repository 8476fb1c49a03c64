#!/bin/sh
# The networked firmware's flash and static RAM by component, from its GNU ld
# map (--gc-sections: only what was linked): every input section is counted for
# the library or object it came from.
#   device-fw/tools/firmware_size.sh [--max-flash BYTES --max-ram BYTES] MAP
# Flash: code, constants and .data's initial values, the Device's data regions
# (provisioning image, settings) and the NV sector. RAM: .data and .bss, plus
# what firmware.ld reserves for the stack and the smallest heap it allows. With
# the limits it fails when the image exceeds them.
set -eu
max_flash="" max_ram=""
while [ $# -gt 0 ]; do
  case "$1" in
    --max-flash) max_flash="$2"; shift 2 ;;
    --max-ram) max_ram="$2"; shift 2 ;;
    *) break ;;
  esac
done
map="${1:?usage: firmware_size.sh [--max-flash BYTES --max-ram BYTES] MAP}"
[ -f "$map" ] || { echo "firmware_size.sh: no map at $map (./tte firmware builds it)" >&2; exit 1; }

awk -v max_flash="$max_flash" -v max_ram="$max_ram" '
  function hex(text,    i, value) {
    value = 0
    for (i = 3; i <= length(text); i++)
      value = value * 16 + index("0123456789abcdef", tolower(substr(text, i, 1))) - 1
    return value
  }
  function component(path) {
    if (path ~ /libtte_device_core\.a\(|libtte_core\.a\(/) return "core"
    if (path ~ /libtte_firmware_board\.a\(|libtte_device_hal_mps2\.a\(|libtte_device_settings\.a\(|tte-device-fw\.dir\//) return "board"
    if (path ~ /libtte_libcoap\.a\(/) return "libcoap"
    if (path ~ /libtte_mbedtls\.a\(/) return "mbedtls"
    if (path ~ /libtte_lwip\.a\(/) return "lwip"
    return "libc"
  }
  BEGIN {
    name["core"] = "TTE core (device-fw/core, common tte_core)"
    name["board"] = "board (MPS2 layer, image settings, start-up, main)"
    name["libcoap"] = "libcoap 4.3.5"
    name["mbedtls"] = "Mbed TLS 3.6"
    name["lwip"] = "lwIP 2.1.3"
    name["libc"] = "newlib-nano, libgcc, libstdc++"
    order = "core board libcoap mbedtls lwip libc"
  }
  /^Linker script and memory map/ { in_map = 1; next }
  !in_map { next }
  # Symbols firmware.ld sets: the stack and the smallest heap it reserves.
  $2 == "_stack_size" && $1 ~ /^0x/ { stack = hex($1) }
  $2 == "_min_heap_size" && $1 ~ /^0x/ { heap = hex($1) }
  # An output section: ".text  0xADDR  0xSIZE", the name sometimes on a line of its own.
  function output_section(size) {
    if (output ~ /^\.(text|ARM\.exidx|preinit_array|init_array|fini_array)$/) total_flash += size
    else if (output == ".data") { total_flash += size; total_ram += size }
    else if (output == ".bss") total_ram += size
    else if (output ~ /^\.tte_(provisioning|settings)$/) data_regions += size
    else if (output == ".tte_nv") nv += size
  }
  /^\.[A-Za-z_]/ {
    output = $1
    if (NF >= 3 && $3 ~ /^0x/) output_section(hex($3))
    else output_pending = 1
    next
  }
  output_pending {
    output_pending = 0
    if ($1 ~ /^0x/ && $2 ~ /^0x/) { output_section(hex($2)); next }
  }
  # An input section: " .text.name  0xADDR  0xSIZE  path(object)", the name
  # sometimes on a line of its own with the rest on the next.
  /^ \.[A-Za-z_]/ { section = $1; if (NF >= 4) line = $0; else { pending = 1; next } }
  pending { line = section " " $0; pending = 0 }
  line != "" {
    n = split(line, f, " ")
    line = ""
    if (n < 4 || f[2] !~ /^0x/ || f[3] !~ /^0x/) next
    size = hex(f[3])
    if (size == 0) next
    c = component(f[4])
    if (output ~ /^\.(text|ARM\.exidx|preinit_array|init_array|fini_array)$/) flash[c] += size
    else if (output == ".data") { flash[c] += size; ram[c] += size }
    else if (output == ".bss") ram[c] += size
  }
  END {
    printf "%-52s %10s %12s\n", "component", "flash", "static RAM"
    count = split(order, keys, " ")
    for (i = 1; i <= count; i++) {
      k = keys[i]
      printf "%-52s %10d %12d\n", name[k], flash[k], ram[k]
      counted_flash += flash[k]
      counted_ram += ram[k]
    }
    # Negative when string constants shared by several components were merged into one.
    printf "%-52s %10d %12d\n", "merged strings (-), alignment (+)", total_flash - counted_flash, total_ram - counted_ram
    printf "%-52s %10d %12s\n", "the Device'"'"'s data (provisioning, settings)", data_regions, "-"
    printf "%-52s %10d %12s\n", "NV sector", nv, "-"
    image_flash = total_flash + data_regions + nv
    image_ram = total_ram + stack + heap
    printf "%-52s %10d %12d\n", "total", image_flash, total_ram
    printf "RAM: %d static + %d stack + at least %d heap (firmware.ld) = %d of 65536 bytes\n",
           total_ram, stack, heap, image_ram
    failed = 0
    if (max_flash != "" && image_flash > max_flash) {
      printf "FAIL: %d bytes of flash, more than %d\n", image_flash, max_flash; failed = 1
    }
    if (max_ram != "" && image_ram > max_ram) {
      printf "FAIL: %d bytes of RAM, more than %d\n", image_ram, max_ram; failed = 1
    }
    exit failed
  }
' "$map"
