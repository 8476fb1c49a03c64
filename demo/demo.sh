#!/usr/bin/env bash
# The whole TTE system on one machine, on loopback, as an installer would see it:
# a MotherShip (example MS ID 0), a Controller, five Devices minted with their
# labels and simulated (a light, a switch, three sensors), each enrolled with the
# Introducer from a photo of its label. The switch is bound to the light, pressed,
# and the light turns on. Run it through `./tte demo [--keep]` (which builds first).
#
#   demo/demo.sh [--keep] [--dir DIR] [--bin BUILD_DIR]
#
# The commands it runs are the ones docker/docker-compose.yml runs, one service each.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/build/host"
DIR=/tmp/tte-demo
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1; shift ;;
    --dir) DIR="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

MS="$BIN/mothership/tte-mothership"
CTL="$BIN/controller/tte-controller"
INTRO="$BIN/introducer/tte-introducer"
DEV="$BIN/device-fw/hal/posix/tte-device"
for program in "$MS" "$CTL" "$INTRO" "$DEV"; do
  [ -x "$program" ] || { echo "demo: $program is not built (run ./tte demo)" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "demo: needs jq (apt-get install jq)" >&2; exit 1; }

# Fixed loopback ports, so that the URLs printed at the end stay valid with --keep.
MS_HTTPS=127.0.0.1:18443 MS_ADMIN=127.0.0.1:18444 MS_COAPS=127.0.0.1:15684
CTL_HTTP=127.0.0.1:18080 CTL_COAPS=127.0.0.1:15685
MS_HOST=tte-000000.net
CONNECT_TO="$MS_HOST:443:${MS_HTTPS%:*}:${MS_HTTPS#*:}"

bold=$(printf '\033[1m') dim=$(printf '\033[2m') off=$(printf '\033[0m')
[ -t 1 ] || { bold="" dim="" off=""; }
started=$(date +%s)
step() { printf '\n%s[%3ss] %s%s\n' "$bold" "$(($(date +%s) - started))" "$*" "$off"; }
say() { printf '  %s\n' "$*"; }
# The commands go to stderr, so that $(run ...) captures only the program's output.
run() { printf '  %s$%s%s\n' "$dim" "$(printf ' %q' "$@")" "$off" >&2; "$@"; }

PIDS=()
stop_all() {
  local status=$?
  if [ ${#PIDS[@]} -gt 0 ]; then
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
  fi
  exit $status
}

# start NAME COMMAND...: runs it in the background, stdout to DIR/NAME.out, stderr to DIR/NAME.log.
start() {
  local name=$1
  shift
  printf '  %s$%s &%s\n' "$dim" "$(printf ' %q' "$@")" "$off" >&2
  "$@" >"$DIR/$name.out" 2>"$DIR/$name.log" &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}

# wait_for FILE JQ-CONDITION [SECONDS]: the first JSON line of FILE matching it.
wait_for() {
  local file=$1 condition=$2 seconds=${3:-30} deadline line
  deadline=$(($(date +%s) + seconds))
  while :; do
    line=$(jq -c "select($condition)" "$file" 2>/dev/null | head -n 1 || true)
    [ -n "$line" ] && { printf '%s\n' "$line"; return 0; }
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "demo: waited ${seconds}s for $condition in $file; its log:" >&2
      tail -n 20 "${file%.out}.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

rm -rf "$DIR"
mkdir -p "$DIR"
trap stop_all EXIT INT TERM

step "The manufacturer's MotherShip (example MS ID 0, $MS_HOST)"
run "$MS" init --data-dir "$DIR/mothership" --ms-id 0 --allow-example-id \
  --https "$MS_HTTPS" --admin "$MS_ADMIN" --coaps "$MS_COAPS" --https-name localhost >/dev/null
# The demo's Devices are told to ask again after 2 s instead of a minute.
echo "max-age = 2" >>"$DIR/mothership/mothership.conf"
start mothership "$MS" serve --data-dir "$DIR/mothership"
wait_for "$DIR/mothership.out" '.https' >/dev/null
say "HTTPS $MS_HTTPS (installers), CoAPS $MS_COAPS (devices), admin $MS_ADMIN"

step "The building's Controller (policy strict: only devices an installer announced)"
run "$CTL" init --data-dir "$DIR/controller" --coaps "$CTL_COAPS" --http "$CTL_HTTP" \
  --policy strict >/dev/null
cat >>"$DIR/controller/controller.conf" <<EOF
# The demo's MotherShip has a local CA and no DNS name: trust its CA, reach it on loopback.
mothership-cafile = $DIR/mothership/ca.crt
mothership-connect-to = $CONNECT_TO
poll-min = 2
poll-max = 10
EOF
start controller "$CTL" serve --data-dir "$DIR/controller"
wait_for "$DIR/controller.out" '.coaps' >/dev/null
CTL_FP=$("$CTL" info --data-dir "$DIR/controller" --json | jq -r .fingerprint)
say "CoAPS $CTL_COAPS (devices), HTTP $CTL_HTTP (intake, API, dashboard); key $CTL_FP"

step "Message 1 and 2: the factory mints five devices and loads them into the MotherShip"
run "$MS" manufacture --data-dir "$DIR/mothership" --allow-example-id --count 5 \
  --urn ops:32473-Demo --out "$DIR/batch" >/dev/null
say "keys, URNs, OTPs, provisioning bundles and labels in $DIR/batch (labels/*.png)"
bundle() { printf '%s/batch/bundles/%08x.json' "$DIR" "$1"; }
label() { printf '%s/batch/labels/%08x.png' "$DIR" "$1"; }
urn_of() { jq -r .urn "$(bundle "$1")"; }

step "The devices get power: each asks its MotherShip where its Controller is (message 9)"
DEVICE_ARGS=(--retry-min 2 --retry-max 10 --lifetime 300)
mkdir -p "$DIR/sensors" "$DIR/nv"
for n in 3 4 5; do cp "$(bundle $n)" "$DIR/sensors/"; done
start light "$DEV" --bundle "$(bundle 1)" --nv "$DIR/nv/light.nv" --profile light "${DEVICE_ARGS[@]}"
start switch "$DEV" --bundle "$(bundle 2)" --nv "$DIR/nv/switch.nv" --profile switch "${DEVICE_ARGS[@]}"
start sensors "$DEV" --bundle "$DIR/sensors" --nv "$DIR/nv" --profile sensor "${DEVICE_ARGS[@]}"
for name in light switch sensors; do
  wait_for "$DIR/$name.out" '.state == "waiting_for_mapping"' >/dev/null
done
say "all five: 5.03 Service Unavailable (not mapped yet); they blink their LED frame and ask again"

step "The installer saves the Controller's code as a site (tte-controller info, tte-introducer site)"
CODE=$("$CTL" info --data-dir "$DIR/controller" --with-token --json | jq -r .code)
run "$INTRO" site add building --code "$CODE" --data-dir "$DIR/introducer" >/dev/null

names=("" "Hall light" "Hall switch" "Sensor, room 1" "Sensor, room 2" "Sensor, room 3")
step "Messages 3-6: the installer scans each label and maps the device to the Controller"
for n in 1 2 3 4 5; do
  result=$(run "$INTRO" enroll "$(label $n)" --site building --description "${names[$n]}" \
    --allow-example-id --cafile "$DIR/mothership/ca.crt" --connect-to "$CONNECT_TO" \
    --data-dir "$DIR/introducer" --json)
  say "${names[$n]}: claim $(jq -r .outcome <<<"$result"), notice to the Controller $(jq -r .notice <<<"$result")"
done

step "Messages 9-12: each device asks again, stores its Controller, joins it and registers"
for name in light switch sensors; do
  count=1
  [ "$name" = sensors ] && count=3
  for _ in $(seq 1 200); do
    [ "$(jq -c 'select(.state == "registered")' "$DIR/$name.out" | wc -l)" -ge "$count" ] && break
    sleep 0.1
  done
  wait_for "$DIR/$name.out" '.event == "stored"' >/dev/null
  wait_for "$DIR/$name.out" '.state == "registered"' >/dev/null
done
say "all five stored the Controller's address and key and registered in its Resource Directory"

step "Draft example: switch S controls light L (a binding on the Controller)"
run "$CTL" binding add "$(urn_of 2)" /switch "$(urn_of 1)" /light --data-dir "$DIR/controller" >/dev/null
say "light: $("$CTL" device get "$(urn_of 1)" /light --data-dir "$DIR/controller")"
say "pressing the switch..."
kill -USR1 "$PID_switch"
wait_for "$DIR/switch.out" '.event == "switch" and .on' >/dev/null
wait_for "$DIR/light.out" '.event == "light" and .on' >/dev/null
say "light: $("$CTL" device get "$(urn_of 1)" /light --data-dir "$DIR/controller")  (the Controller observed the switch and set the light)"
say "sensor, room 1: $("$CTL" device get "$(urn_of 3)" /temp --data-dir "$DIR/controller") °C"

step "Summary"
listed=$("$CTL" device list --data-dir "$DIR/controller" --json)
printf '  %-16s %-32s %-18s %s\n' DEVICE URN "AT THE CONTROLLER" "AT THE MOTHERSHIP"
for n in 1 2 3 4 5; do
  urn=$(urn_of $n)
  at_controller=$(jq -r --arg urn "$urn" '.devices[] | select(.urn == $urn) | .state' <<<"$listed")
  at_mothership=$("$MS" device show "$(printf %08x $n)" --data-dir "$DIR/mothership" --json | jq -r .state)
  printf '  %-16s %-32s %-18s %s\n' "${names[$n]}" "$urn" "$at_controller" "$at_mothership"
done
say ""
say "Controller dashboard: http://$CTL_HTTP/  (sign in with the token in $DIR/controller/api.token)"
say "MotherShip form:      https://$MS_HOST/.well-known/tte (on $MS_HTTPS, CA $DIR/mothership/ca.crt)"
say "Logs and data:        $DIR"
say "Finished in $(($(date +%s) - started)) s."

if [ "$KEEP" = 1 ]; then
  step "Left running (--keep): press Ctrl-C to stop everything"
  say "try: $CTL device put $(urn_of 1) /light off --data-dir $DIR/controller"
  say "     kill -USR1 $PID_switch    # press the switch"
  wait
fi
