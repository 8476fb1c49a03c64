#!/usr/bin/env bash
# The demo's steps, one command each, shared by demo/demo.sh (everything on
# loopback, one machine) and docker/docker-compose.yml (one container per
# party), so that the demo proves the containers' commands:
#
#   demo/steps.sh STEP [ARG]
#
# STEP: mothership-init, mothership-serve, controller-init, controller-serve,
# manufacture, manufacture-box, manufacture-psk, device light|switch|sensors|box|psk,
# site, enroll N, enroll-box, enroll-psk, bind, read N PATH.
# The steps that make something (the -init steps, manufacture, site, enroll,
# bind) skip what is done already, so that a second `docker-compose up` on the
# same volumes changes nothing.
# Where things live comes from the environment (defaults: the loopback demo):
#   TTE_DEMO_DIR                 the data directory shared by every party (/tmp/tte-demo)
#   TTE_BIN_DIR                  where the four programs are (the PATH when unset)
#   TTE_MS_IP, TTE_CONTROLLER_IP addresses the others reach them at (127.0.0.1)
#   TTE_LISTEN_IP                the address servers listen on (127.0.0.1; 0.0.0.0 in containers)
#   TTE_MS_DATABASE              the MotherShip's database for init --database (unset: SQLite
#                                in its data directory; the compose file's postgresql profile
#                                gives a postgresql:// URL)
# `mothership-serve` passes the arguments after it on to `tte-mothership serve`.
set -euo pipefail

DIR=${TTE_DEMO_DIR:-/tmp/tte-demo}
MS_IP=${TTE_MS_IP:-127.0.0.1}
CTL_IP=${TTE_CONTROLLER_IP:-127.0.0.1}
LISTEN=${TTE_LISTEN_IP:-127.0.0.1}
program() { if [ -n "${TTE_BIN_DIR:-}" ]; then printf '%s/%s' "$TTE_BIN_DIR" "$1"; else printf '%s' "$1"; fi; }
MS=$(program tte-mothership) CTL=$(program tte-controller)
INTRO=$(program tte-introducer) DEV=$(program tte-device)

# Fixed ports, so that the URLs the demo prints stay valid with --keep.
MS_HTTPS_PORT=18443 MS_ADMIN_PORT=18444 MS_COAPS_PORT=15684
CTL_HTTP_PORT=18080 CTL_COAPS_PORT=15685
MS_HOST=tte-000000.net
CONNECT_TO="$MS_HOST:443:$MS_IP:$MS_HTTPS_PORT"  # the demo's MotherShip has no DNS name
CTL_URL="http://$CTL_IP:$CTL_HTTP_PORT"

# Prints the command (on stderr, so that $(...) captures only its output), then runs it.
run() { printf '  $%s\n' "$(printf ' %q' "$@")" >&2; "$@"; }
# The same for a program that stays in the foreground for good.
run_exec() { printf '  $%s\n' "$(printf ' %q' "$@")" >&2; exec "$@"; }

bundle() { printf '%s/batch/bundles/%08x.json' "$DIR" "$1"; }
label() { printf '%s/batch/labels/%08x.png' "$DIR" "$1"; }
urn_of() { jq -r .urn "$(bundle "$1")"; }
# The box's first Device's own label (its state is the box's: a box is mapped all or none).
bundle_box_first() { ls "$DIR"/box/labels/*.png | head -n 1; }
DESCRIPTIONS=("" "Hall light" "Hall switch" "Sensor, room 1" "Sensor, room 2" "Sensor, room 3")
# How the Introducer reaches the demo's MotherShip: the example MS ID, its CA, loopback.
MS_ACCESS=(--allow-example-id --cafile "$DIR/mothership/ca.crt" --connect-to "$CONNECT_TO"
  --data-dir "$DIR/introducer")
# skip_if_mapped LABEL WHAT: the OTP is used once, so a label the MotherShip has mapped is not
# enrolled again (the step ends, saying so).
skip_if_mapped() {
  local state
  state=$("$INTRO" status "$1" "${MS_ACCESS[@]}" --json | jq -r .state)
  case "$state" in
    mapped|registered) done_already "$2, $state"; exit 0 ;;
  esac
}
DEVICE_TIMING=(--retry-min 2 --retry-max 10 --lifetime 300)

step="${1:-}"
[ $# -gt 0 ] && shift
# done WHAT: says on stderr that WHAT is done already (the step then skips it).
done_already() { printf '  (%s: done already)\n' "$*" >&2; }

case "$step" in
  mothership-init)
    mkdir -p "$DIR"
    # init writes mothership.conf last: with it, the MotherShip is made.
    if [ -e "$DIR/mothership/mothership.conf" ]; then
      done_already "the MotherShip in $DIR/mothership"
    else
      database=()
      [ -n "${TTE_MS_DATABASE:-}" ] && database=(--database "$TTE_MS_DATABASE")
      run "$MS" init --data-dir "$DIR/mothership" --ms-id 0 --allow-example-id \
      --https "$LISTEN:$MS_HTTPS_PORT" --admin "$LISTEN:$MS_ADMIN_PORT" \
      --coaps "$LISTEN:$MS_COAPS_PORT" --coaps-public "$MS_IP:$MS_COAPS_PORT" \
        --https-name localhost "${database[@]}" >/dev/null
    fi
    # The demo's Devices are told to ask again after 2 s instead of a minute.
    grep -q '^max-age = ' "$DIR/mothership/mothership.conf" ||
      echo "max-age = 2" >>"$DIR/mothership/mothership.conf"
    ;;
  mothership-serve)
    run_exec "$MS" serve --data-dir "$DIR/mothership" "$@"
    ;;
  controller-init)
    mkdir -p "$DIR"
    if [ -e "$DIR/controller/controller.conf" ]; then
      done_already "the Controller in $DIR/controller"
    else
      run "$CTL" init --data-dir "$DIR/controller" --coaps "$LISTEN:$CTL_COAPS_PORT" \
        --coaps-public "$CTL_IP:$CTL_COAPS_PORT" --http "$LISTEN:$CTL_HTTP_PORT" \
        --policy strict >/dev/null
    fi
    grep -q '^mothership-cafile = ' "$DIR/controller/controller.conf" ||
      cat >>"$DIR/controller/controller.conf" <<EOF
# The demo's MotherShip has a local CA and no DNS name: trust its CA, reach it directly.
mothership-cafile = $DIR/mothership/ca.crt
mothership-connect-to = $CONNECT_TO
poll-min = 2
poll-max = 10
EOF
    ;;
  controller-serve)
    run_exec "$CTL" serve --data-dir "$DIR/controller"
    ;;
  manufacture)
    # The batch directory appears only once the MotherShip holds its records.
    [ -d "$DIR/batch" ] && { done_already "the batch in $DIR/batch"; exit 0; }
    run "$MS" manufacture --data-dir "$DIR/mothership" --allow-example-id --count 5 \
      --urn ops:32473-Demo --out "$DIR/batch" >/dev/null
    ;;
  manufacture-box)
    # A box of three more sensors (Dev IDs 6-8), one box label for all of them (--box).
    [ -d "$DIR/box" ] && { done_already "the box in $DIR/box"; exit 0; }
    run "$MS" manufacture --data-dir "$DIR/mothership" --allow-example-id --count 3 --box 3 \
      --urn ops:32473-DemoBox --out "$DIR/box" >/dev/null
    ;;
  manufacture-psk)
    # A light with no public-key crypto (Dev ID 9): a factory PSK instead of a key pair (--psk).
    [ -d "$DIR/psk" ] && { done_already "the PSK Device in $DIR/psk"; exit 0; }
    run "$MS" manufacture --data-dir "$DIR/mothership" --allow-example-id --count 1 --psk \
      --urn ops:32473-DemoPsk --out "$DIR/psk" >/dev/null
    ;;
  device)
    mkdir -p "$DIR/nv" "$DIR/status"
    # DIR/status/NAME.json: each Device's state and a heartbeat (the containers' health check).
    status=(--status "$DIR/status/${1:-}.json")
    case "${1:-}" in
      light) run_exec "$DEV" --bundle "$(bundle 1)" --nv "$DIR/nv/light.nv" --profile light "${DEVICE_TIMING[@]}" "${status[@]}" ;;
      switch) run_exec "$DEV" --bundle "$(bundle 2)" --nv "$DIR/nv/switch.nv" --profile switch "${DEVICE_TIMING[@]}" "${status[@]}" ;;
      sensors)
        mkdir -p "$DIR/sensors"
        for n in 3 4 5; do cp "$(bundle $n)" "$DIR/sensors/"; done
        run_exec "$DEV" --bundle "$DIR/sensors" --nv "$DIR/nv" --profile sensor "${DEVICE_TIMING[@]}" "${status[@]}"
        ;;
      box)
        mkdir -p "$DIR/box-sensors"
        cp "$DIR"/box/bundles/*.json "$DIR/box-sensors/"
        run_exec "$DEV" --bundle "$DIR/box-sensors" --nv "$DIR/nv" --profile sensor "${DEVICE_TIMING[@]}" "${status[@]}" ;;
      psk) run_exec "$DEV" --bundle "$(ls "$DIR"/psk/bundles/*.json)" --nv "$DIR/nv/psk.nv" --profile light "${DEVICE_TIMING[@]}" "${status[@]}" ;;
      *) echo "steps.sh device: light, switch, sensors, box or psk" >&2; exit 2 ;;
    esac
    ;;
  site)
    if "$INTRO" site show building --data-dir "$DIR/introducer" >/dev/null 2>&1; then
      done_already "the site 'building'"
      exit 0
    fi
    code=$("$CTL" info --data-dir "$DIR/controller" --with-token --json | jq -r .code)
    run "$INTRO" site add building --code "$code" --data-dir "$DIR/introducer" >/dev/null
    ;;
  enroll)
    n=${1:?steps.sh enroll N}
    skip_if_mapped "$(label "$n")" "device $n"
    run "$INTRO" enroll "$(label "$n")" --site building --description "${DESCRIPTIONS[$n]}" \
      "${MS_ACCESS[@]}" --json
    ;;
  enroll-box)
    # One claim maps the whole box, all or none: its first Device's state is the box's.
    skip_if_mapped "$(bundle_box_first)" "the box"
    run "$INTRO" enroll "$(ls "$DIR"/box/boxes/*.png)" --site building --description "Sensor box" \
      "${MS_ACCESS[@]}" --json
    ;;
  enroll-psk)
    psk_label=$(ls "$DIR"/psk/labels/*.png)
    skip_if_mapped "$psk_label" "the PSK Device"
    # --psk: the Introducer draws the Device-Controller PSK and prints it once.
    run "$INTRO" enroll "$psk_label" --site building --description "Porch light (PSK)" --psk \
      "${MS_ACCESS[@]}" --json
    ;;
  bind)
    if "$CTL" binding list --data-dir "$DIR/controller" --url "$CTL_URL" --json |
        jq -e --arg s "$(urn_of 2)" --arg t "$(urn_of 1)" \
          'any(.bindings[]; .source.urn == $s and .target.urn == $t)' >/dev/null; then
      done_already "the binding of the switch to the light"
      exit 0
    fi
    run "$CTL" binding add "$(urn_of 2)" /switch "$(urn_of 1)" /light --data-dir "$DIR/controller" \
      --url "$CTL_URL" >/dev/null
    ;;
  read)
    # read N PATH: a device's resource, through the Controller.
    "$CTL" device get "$(urn_of "${1:?}")" "${2:?}" --data-dir "$DIR/controller" --url "$CTL_URL"
    ;;
  *)
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
