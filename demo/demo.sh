#!/usr/bin/env bash
# The whole TTE system on one machine, on loopback, as an installer would see it:
# a MotherShip (example MS ID 0), a Controller, five Devices minted with their
# labels and simulated (a light, a switch, three sensors), each enrolled with the
# Introducer from a photo of its label, a box of three more sensors enrolled
# from the box's one label, and a light with no public-key crypto (a PSK Device,
# enrolled with --psk). The switch is bound to the light, pressed,
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

# Every command comes from demo/steps.sh, as in docker/docker-compose.yml; here all
# parties share one machine, loopback and one directory.
# The demo's fixed ports must be free (a demo left running with --keep holds them).
for port in 18443 18444 18080; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "demo: something already listens on 127.0.0.1:$port (a demo still running with --keep?" \
      "stop it with Ctrl-C in its terminal)" >&2
    exit 1
  fi
done

# A previous demo's directory is replaced; anything else is left alone.
if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ] && [ ! -e "$DIR/.tte-demo" ]; then
  echo "demo: $DIR exists and is not a demo's directory; choose another with --dir" >&2
  exit 1
fi
rm -rf "$DIR"
mkdir -p "$DIR/bin"
touch "$DIR/.tte-demo"
ln -sf "$MS" "$CTL" "$INTRO" "$DEV" "$DIR/bin/" 2>/dev/null || true
export TTE_DEMO_DIR="$DIR" TTE_BIN_DIR="$DIR/bin" TTE_MS_IP=127.0.0.1 TTE_CONTROLLER_IP=127.0.0.1 \
  TTE_LISTEN_IP=127.0.0.1
STEPS="$ROOT/demo/steps.sh"
MS_HTTPS=127.0.0.1:18443 MS_ADMIN=127.0.0.1:18444 MS_COAPS=127.0.0.1:15684
CTL_HTTP=127.0.0.1:18080 CTL_COAPS=127.0.0.1:15685
MS_HOST=tte-000000.net

bold=$(printf '\033[1m') dim=$(printf '\033[2m') off=$(printf '\033[0m')
[ -t 1 ] || { bold="" dim="" off=""; }
started=$(date +%s)
step() { printf '\n%s[%3ss] %s%s\n' "$bold" "$(($(date +%s) - started))" "$*" "$off"; }
say() { printf '  %s\n' "$*"; }

PIDS=()
stop_all() {
  local status=$?
  if [ ${#PIDS[@]} -gt 0 ]; then
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
  fi
  exit $status
}

# step STEP...: a step of demo/steps.sh, which prints its command (dimmed here).
step_run() { "$STEPS" "$@" 2> >(sed "s/^/$dim/; s/\$/$off/" >&2); }
# start NAME STEP...: a step that keeps running, in the background; its output
# to DIR/NAME.out, its log (after the command line) to DIR/NAME.log.
start() {
  local name=$1
  shift
  "$STEPS" "$@" >"$DIR/$name.out" 2>"$DIR/$name.log" &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}

# wait_for FILE JQ-CONDITION [SECONDS]: the first JSON line of FILE matching it.
wait_for() {
  local file=$1 condition=$2 seconds=${3:-30} deadline line
  deadline=$(($(date +%s) + seconds))
  local name pid
  name=$(basename "$file" .out)
  eval "pid=\${PID_${name//-/_}:-}"
  while :; do
    line=$(jq -c "select($condition)" "$file" 2>/dev/null | head -n 1 || true)
    [ -n "$line" ] && { printf '%s\n' "$line"; return 0; }
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      echo "demo: $name stopped; its log:" >&2
      tail -n 20 "${file%.out}.log" >&2 || true
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "demo: waited ${seconds}s for $condition in $file; its log:" >&2
      tail -n 20 "${file%.out}.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

trap stop_all EXIT INT TERM

step "The manufacturer's MotherShip (example MS ID 0, $MS_HOST)"
step_run mothership-init
start mothership mothership-serve
wait_for "$DIR/mothership.out" '.https' >/dev/null
head -n 1 "$DIR/mothership.log" | sed "s/^/$dim/; s/\$/ \&$off/"
say "HTTPS $MS_HTTPS (installers), CoAPS $MS_COAPS (devices), admin $MS_ADMIN"

step "The building's Controller (policy strict: only devices an installer announced)"
step_run controller-init
start controller controller-serve
wait_for "$DIR/controller.out" '.coaps' >/dev/null
head -n 1 "$DIR/controller.log" | sed "s/^/$dim/; s/\$/ \&$off/"
CTL_FP=$("$CTL" info --data-dir "$DIR/controller" --json | jq -r .fingerprint)
say "CoAPS $CTL_COAPS (devices), HTTP $CTL_HTTP (intake, API, dashboard); key $CTL_FP"

step "Message 1 and 2: the factory mints five devices and loads them into the MotherShip"
step_run manufacture
say "keys, URNs, OTPs, provisioning bundles and labels in $DIR/batch (labels/*.png)"
step_run manufacture-box
say "and a box of three sensors with one box label for all three: $DIR/box/boxes/*.png"
step_run manufacture-psk
say "and a light with no public-key crypto: a factory PSK instead of a key pair ($DIR/psk)"
urn_of() { jq -r .urn "$(printf '%s/batch/bundles/%08x.json' "$DIR" "$1")"; }

step "The devices get power: each asks its MotherShip where its Controller is (message 9)"
start light device light
start switch device switch
start sensors device sensors
start box device box
start psk device psk
for name in light switch sensors box psk; do
  wait_for "$DIR/$name.out" '.state == "waiting_for_mapping"' >/dev/null
  head -n 1 "$DIR/$name.log" | sed "s/^/$dim/; s/\$/ \&$off/"
done
say "all nine: 5.03 Service Unavailable (not mapped yet); they blink their LED frame and ask again"

step "The installer saves the Controller's code as a site (tte-controller info, tte-introducer site)"
step_run site

names=("" "Hall light" "Hall switch" "Sensor, room 1" "Sensor, room 2" "Sensor, room 3")
step "Messages 3-6: the installer scans each label and maps the device to the Controller"
for n in 1 2 3 4 5; do
  result=$(step_run enroll "$n")
  say "${names[$n]}: claim $(jq -r .outcome <<<"$result"), notice to the Controller $(jq -r .notice <<<"$result")"
done
result=$(step_run enroll-box)
say "the box (one label, $(jq -r .count <<<"$result") sensors): claim $(jq -r .outcome <<<"$result"), notices to the Controller: $(jq -r '.notices.delivered' <<<"$result") delivered in one batch"
result=$(step_run enroll-psk)
say "the PSK light: claim $(jq -r .outcome <<<"$result") with a fresh link PSK $(jq -r .psk <<<"$result") (shown once), notice $(jq -r .notice <<<"$result")"

step "Messages 9-12: each device asks again, stores its Controller, joins it and registers"
registered() { jq -c 'select(.state == "registered")' "$DIR/$1.out" | wc -l; }
deadline=$(($(date +%s) + 60))
until [ "$(registered light)" -ge 1 ] && [ "$(registered switch)" -ge 1 ] &&
  [ "$(registered sensors)" -ge 3 ] && [ "$(registered box)" -ge 3 ] && [ "$(registered psk)" -ge 1 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "demo: the devices did not register in 60 s (see $DIR/*.log)" >&2; exit 1; }
  sleep 0.1
done
say "all nine stored the Controller's address and key (the PSK light: its PSK) and registered in its Resource Directory"

step "Draft example: switch S controls light L (a binding on the Controller)"
step_run bind
say "light: $("$STEPS" read 1 /light)"
say "pressing the switch..."
kill -USR1 "$PID_switch"
wait_for "$DIR/switch.out" '.event == "switch" and .on' >/dev/null
wait_for "$DIR/light.out" '.event == "light" and .on' >/dev/null
say "light: $("$STEPS" read 1 /light)  (the Controller observed the switch and set the light)"
say "sensor, room 1: $("$STEPS" read 3 /temp) °C"

step "Summary"
listed=$("$CTL" device list --data-dir "$DIR/controller" --json)
printf '  %-16s %-34s %-18s %s\n' DEVICE URN "AT THE CONTROLLER" "AT THE MOTHERSHIP"
# row NAME BUNDLE: the Device's state at the Controller and at the MotherShip.
row() {
  local urn devid at_controller at_mothership
  urn=$(jq -r .urn "$2") devid=$(jq -r .devid "$2")
  at_controller=$(jq -r --arg urn "$urn" '.devices[] | select(.urn == $urn) | .state' <<<"$listed")
  at_mothership=$("$MS" device show "$devid" --data-dir "$DIR/mothership" --json | jq -r .state)
  printf '  %-16s %-34s %-18s %s\n' "$1" "$urn" "$at_controller" "$at_mothership"
}
for n in 1 2 3 4 5; do
  row "${names[$n]}" "$(printf '%s/batch/bundles/%08x.json' "$DIR" "$n")"
done
for bundle in "$DIR"/box/bundles/*.json; do
  row "Box sensor $((16#$(jq -r .devid "$bundle")))" "$bundle"
done
for bundle in "$DIR"/psk/bundles/*.json; do
  row "PSK light" "$bundle"
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
