#!/bin/sh
# ctest: the README's demo runs to the end on this build, the light turns on,
# all five devices, the box's three and the PSK light are registered at the
# Controller and at the MotherShip, and nothing is left running.
#   tests/check_demo.sh BUILD_DIR SCRATCH_DIR
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$2.out"
rm -rf "$2"  # this test's own scratch directory
"$root/demo/demo.sh" --bin "$1" --dir "$2" >"$out" 2>&1 || { cat "$out"; echo "FAIL: the demo failed"; exit 1; }
cat "$out"
grep -q "light: on" "$out" || { echo "FAIL: the light did not turn on"; exit 1; }
registered=$(grep -cE "urn:dev:ops:32473-Demo-00000[1-5] +registered +registered" "$out" || true)
[ "$registered" -eq 5 ] || { echo "FAIL: $registered of 5 devices registered"; exit 1; }
boxed=$(grep -cE "urn:dev:ops:32473-DemoBox-00000[1-3] +registered +registered" "$out" || true)
[ "$boxed" -eq 3 ] || { echo "FAIL: $boxed of the box's 3 devices registered"; exit 1; }
grep -qE "urn:dev:ops:32473-DemoPsk-000001 +registered +registered" "$out" ||
  { echo "FAIL: the PSK light is not registered"; exit 1; }
if pgrep -f "$2/" >/dev/null; then echo "FAIL: processes left running"; exit 1; fi
echo "demo: ok"
