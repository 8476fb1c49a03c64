#!/usr/bin/env bash
# Runs inside a clean Debian 12 container whose PID 1 is systemd (started by
# tests/docker_story.sh, step "packages"), with the four .deb files in /debs.
# Where systemd cannot run as PID 1, each service runs from its unit's
# ExecStart line as its unit's User (the checks of systemd itself are then
# skipped, and say so). It
# installs them with apt (which must find every dependency), then does what
# docs/operations.md tells an operator to do, checking each step:
#   init the MotherShip and the Controller as their service users, start both
#   units, mint a device, enroll it with the Introducer, run it with tte-device
#   and see it registered at the Controller; the unit's hardening in force;
#   kill -9 of the MotherShip: systemd starts it again; reinstall (an upgrade):
#   the services restart and a changed conffile is kept; remove: the services
#   stop, the data stays.
set -euo pipefail
fail() { echo "packages: FAIL: $*" >&2; exit 1; }
ok() { echo "packages: $*"; }
wait_until() {  # wait_until SECONDS WHAT COMMAND...
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "waited ${seconds}s for $what"
    sleep 0.3
  done
}
export DEBIAN_FRONTEND=noninteractive
systemd=0
[ "$(cat /proc/1/comm)" = systemd ] && systemd=1
[ "$systemd" -eq 1 ] && ok "systemd is PID 1: the services run from their units" ||
  ok "no systemd: the services run from their units' ExecStart lines"

# start NAME / main_pid NAME: a service through systemd, or from its unit.
start() {
  if [ "$systemd" -eq 1 ]; then
    systemctl enable --now "$1.service" 2>/dev/null
    return
  fi
  local unit=/usr/lib/systemd/system/$1.service user command
  [ -f "$unit" ] || unit=/lib/systemd/system/$1.service
  user=$(sed -n 's/^User=//p' "$unit")
  command=$(sed -n 's/^ExecStart=//p' "$unit")
  # shellcheck disable=SC2086  # the ExecStart line's words
  setpriv --reuid "$user" --regid "$user" --init-groups --no-new-privs $command \
    >"/tmp/$1.out" 2>"/tmp/$1.log" &
  echo $! >"/tmp/$1.pid"
}
main_pid() {
  if [ "$systemd" -eq 1 ]; then systemctl show -p MainPID --value "$1"; else cat "/tmp/$1.pid"; fi
}

apt-get update -qq
apt-get install -y -qq --no-install-recommends /debs/tte-*.deb curl jq >/tmp/apt.log 2>&1 ||
  { tail -n 20 /tmp/apt.log >&2; fail "apt-get install of the packages"; }
ok "installed: $(dpkg-query -W -f='${Package} ${Version}\n' 'tte-*' | paste -sd, | sed 's/,/, /g')"
for package in tte-mothership tte-controller; do
  getent passwd "$package" | grep -q ":/var/lib/$package:/usr/sbin/nologin$" || fail "no system user $package"
  [ "$(stat -c '%U %a' "/var/lib/$package")" = "$package 700" ] || fail "/var/lib/$package not 0700 $package's"
  [ -f "/etc/tte/${package#tte-}.conf" ] || fail "no /etc/tte/${package#tte-}.conf"
  if [ "$systemd" -eq 1 ]; then
    systemd-analyze verify "$package.service" || fail "systemd-analyze verify $package.service"
    exposure=$(systemd-analyze security "$package.service" --no-pager | tail -n 1)
    ok "$package: user, /var/lib/$package (0700), /etc/tte; unit verified; ${exposure#→ }"
  else
    ok "$package: user, /var/lib/$package (0700), /etc/tte"
  fi
done

# The MotherShip, as docs/operations.md says (example MS ID 0; no DNS here).
runuser -u tte-mothership -- tte-mothership init --data-dir /var/lib/tte-mothership --ms-id 0 \
  --allow-example-id --https 127.0.0.1:8443 --admin 127.0.0.1:8444 --coaps 127.0.0.1:5684 \
  --coaps-public 127.0.0.1:5684 --https-name tte-000000.net >/dev/null
echo "max-age = 1" >>/etc/tte/mothership.conf
start tte-mothership
wait_until 20 "the MotherShip's /health" curl -fsS --cacert /var/lib/tte-mothership/ca.crt \
  --resolve tte-000000.net:8443:127.0.0.1 https://tte-000000.net:8443/health
pid=$(main_pid tte-mothership)
ok "tte-mothership (pid $pid) serves /health"

# The unit's user, and its sandbox: the root file system read-only for the service.
[ "$(stat -c %U "/proc/$pid")" = tte-mothership ] || fail "the MotherShip does not run as tte-mothership"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || fail "NoNewPrivileges is not in force"
if [ "$systemd" -eq 1 ]; then
  awk '$5 == "/" {print $6}' "/proc/$pid/mountinfo" | grep -q '^ro' || fail "ProtectSystem=strict is not in force"
  ok "the MotherShip runs as tte-mothership, / read-only, no new privileges"
else
  ok "the MotherShip runs as tte-mothership, no new privileges (ProtectSystem: skipped, no systemd)"
fi

# The Controller trusts the MotherShip's local CA and reaches it directly.
install -m 0644 /var/lib/tte-mothership/ca.crt /etc/tte/mothership-ca.crt
runuser -u tte-controller -- tte-controller init --data-dir /var/lib/tte-controller \
  --coaps 127.0.0.1:5685 --coaps-public 127.0.0.1:5685 --http 127.0.0.1:8080 >/dev/null
cat >>/etc/tte/controller.conf <<'EOF'
mothership-cafile = /etc/tte/mothership-ca.crt
mothership-connect-to = tte-000000.net:443:127.0.0.1:8443
poll-min = 1
poll-max = 5
EOF
start tte-controller
wait_until 20 "the Controller's /health" curl -fsS http://127.0.0.1:8080/health
ok "tte-controller (pid $(main_pid tte-controller)) serves /health"

# One enrollment: mint, enroll with the Introducer, the Device joins.
runuser -u tte-mothership -- tte-mothership manufacture --data-dir /var/lib/tte-mothership \
  --allow-example-id --count 1 --urn ops:32473-Packaged --out /var/lib/tte-mothership/batch1 >/dev/null
batch=/var/lib/tte-mothership/batch1
code=$(runuser -u tte-controller -- tte-controller info --data-dir /var/lib/tte-controller --with-token --json |
  jq -r .code)
tte-introducer site add here --code "$code" --data-dir /root/introducer >/dev/null
tte-introducer enroll "$batch/labels/00000001.png" --site here --allow-example-id \
  --cafile /etc/tte/mothership-ca.crt --connect-to tte-000000.net:443:127.0.0.1:8443 \
  --data-dir /root/introducer --json >/dev/null || fail "tte-introducer enroll"
tte-device --bundle "$batch/bundles/00000001.json" --nv /root/light.nv --retry-min 1 --retry-max 2 \
  --lifetime 60 --status /root/light.json >/root/light.out 2>/root/light.log &
device=$!
urn=$(jq -r .urn "$batch/bundles/00000001.json")
registered() {
  runuser -u tte-controller -- tte-controller device list --data-dir /var/lib/tte-controller --json |
    jq -e --arg urn "$urn" '.devices[] | select(.urn == $urn and .state == "registered")'
}
wait_until 30 "the Device registered at the Controller" registered
[ "$(runuser -u tte-controller -- tte-controller device get "$urn" /light --data-dir /var/lib/tte-controller)" = off ] ||
  fail "reading the Device's light through the Controller"
ok "one enrollment: $urn minted, enrolled, registered at the Controller, its light read"

if [ "$systemd" -eq 0 ]; then
  ok "skipped without systemd: Restart=on-failure, the upgrade's restart, the removal's stop"
  ok "all other checks passed"
  exit 0
fi

# kill -9: Restart=on-failure starts the MotherShip again.
kill -KILL "$pid"
restarted() {
  local now
  now=$(systemctl show -p MainPID --value tte-mothership)
  [ "$now" != 0 ] && [ "$now" != "$pid" ] &&
    curl -fsS --cacert /etc/tte/mothership-ca.crt --resolve tte-000000.net:8443:127.0.0.1 \
      https://tte-000000.net:8443/health
}
wait_until 20 "systemd to start the MotherShip again" restarted
ok "kill -9 of the MotherShip: systemd started it again ($(systemctl show -p NRestarts --value tte-mothership) restart)"

# An upgrade (the same packages again): services restarted, the changed conffile kept.
before=$(systemctl show -p MainPID --value tte-controller)
apt-get install -y -qq --reinstall /debs/tte-mothership_*.deb /debs/tte-controller_*.deb >/tmp/apt.log 2>&1 ||
  { tail -n 20 /tmp/apt.log >&2; fail "reinstalling the packages"; }
grep -q '^mothership-cafile = /etc/tte/mothership-ca.crt' /etc/tte/controller.conf ||
  fail "the upgrade replaced the changed /etc/tte/controller.conf"
[ "$(systemctl show -p MainPID --value tte-controller)" != "$before" ] || fail "the upgrade did not restart the Controller"
wait_until 30 "the Device registered again after the Controller's restart" registered
ok "upgrade: both services restarted, /etc/tte/controller.conf kept, the Device registered again"

# Removal: the services stop; the data directories stay.
kill "$device" 2>/dev/null || true
apt-get remove -y -qq tte-mothership tte-controller >/tmp/apt.log 2>&1 || fail "apt-get remove"
systemctl is-active --quiet tte-mothership && fail "tte-mothership still runs after remove"
[ -f /var/lib/tte-mothership/dtls.key ] && [ -f /var/lib/tte-controller/dtls.key ] ||
  fail "removing the packages removed the data"
ok "remove: both services stopped, /var/lib/tte-* kept"
ok "all checks passed"
