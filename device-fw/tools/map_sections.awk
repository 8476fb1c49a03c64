# Reads a GNU ld map (after "Linker script and memory map") and prints one line
# per section with a size, for the size reports (core_size.sh, firmware_size.sh):
#   section OUTPUT SIZE             an output section (.text, .bss, ...)
#   input OUTPUT SIZE OWNER         an input section inside it, OWNER the object
#                                   or archive(member) it came from
#   symbol NAME VALUE               a symbol the linker script sets (_stack_size = ...)
# Sizes and values in decimal. A section's name may stand on a line of its own,
# with its address and size on the next.
function hex(text,    i, value) {
  value = 0
  for (i = 3; i <= length(text); i++)
    value = value * 16 + index("0123456789abcdef", tolower(substr(text, i, 1))) - 1
  return value
}
/^Linker script and memory map/ { in_map = 1; next }
!in_map { next }
$1 ~ /^0x/ && $3 == "=" && $2 ~ /^[A-Za-z_]/ { print "symbol", $2, hex($1); next }
/^\.[A-Za-z_]/ {
  output = $1
  if (NF >= 3 && $3 ~ /^0x/) print "section", output, hex($3)
  else output_pending = 1
  next
}
output_pending {
  output_pending = 0
  if ($1 ~ /^0x/ && $2 ~ /^0x/) { print "section", output, hex($2); next }
}
/^ \.[A-Za-z_]/ { section = $1; if (NF >= 4) line = $0; else { pending = 1; next } }
pending { line = section " " $0; pending = 0 }
line != "" {
  n = split(line, f, " ")
  line = ""
  if (n >= 4 && f[2] ~ /^0x/ && f[3] ~ /^0x/ && hex(f[3]) > 0) print "input", output, hex(f[3]), f[4]
}
