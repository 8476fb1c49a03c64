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

awk -f "$(dirname "$0")/map_sections.awk" "$map" | awk -v max_flash="$max_flash" -v max_ram="$max_ram" '
  function component(path) {
    if (path ~ /libtte_device_core\.a\(|libtte_core\.a\(/) return "core"
    if (path ~ /libtte_firmware_board(-psk)?\.a\(|libtte_device_hal_mps2\.a\(|libtte_device_settings\.a\(|tte-device-fw(-psk)?\.dir\//) return "board"
    if (path ~ /libtte_libcoap(_psk)?\.a\(/) return "libcoap"
    if (path ~ /libtte_mbedtls(_psk)?\.a\(/) return "mbedtls"
    if (path ~ /libtte_lwip(_psk)?\.a\(/) return "lwip"
    return "libc"
  }
  function in_flash(output) { return output ~ /^\.(text|ARM\.exidx|preinit_array|init_array|fini_array)$/ }
  BEGIN {
    name["core"] = "TTE core (device-fw/core, common tte_core)"
    name["board"] = "board (MPS2 layer, image settings, start-up, main)"
    name["libcoap"] = "libcoap 4.3.5"
    name["mbedtls"] = "Mbed TLS 3.6"
    name["lwip"] = "lwIP 2.1.3"
    name["libc"] = "newlib-nano, libgcc, libstdc++"
    order = "core board libcoap mbedtls lwip libc"
  }
  $1 == "symbol" && $2 == "_stack_size" { stack = $3 }
  $1 == "symbol" && $2 == "_min_heap_size" { heap = $3 }
  $1 == "section" {
    if (in_flash($2)) total_flash += $3
    else if ($2 == ".data") { total_flash += $3; total_ram += $3 }
    else if ($2 == ".bss") total_ram += $3
    else if ($2 ~ /^\.tte_(provisioning|settings)$/) data_regions += $3
    else if ($2 == ".tte_nv") nv += $3
  }
  $1 == "input" {
    c = component($4)
    if (in_flash($2)) flash[c] += $3
    else if ($2 == ".data") { flash[c] += $3; ram[c] += $3 }
    else if ($2 == ".bss") ram[c] += $3
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
'
