#!/usr/bin/env bash
# ./tte test docker: docker/docker-compose.yml on a real Docker engine, the
# way a user runs it, checked end to end:
#   1. a Docker engine: the one running, or dockerd started here (and stopped
#      at the end, with the host's ip_forward, iptables and links put back);
#   2. the base images debian:12 and debian:12-slim, made if missing
#      (docker/base-image.sh: no registry is needed);
#   3. docker-compose build;
#   4. docker-compose up: the Introducer job exits 0, the nine Devices are
#      registered at the Controller and at the MotherShip, every long-running
#      service is healthy;
#   5. `docker-compose kill -s SIGUSR1 switch` turns the light on (the binding);
#   6. the dashboard answers on the host port (and /health, and its sign-in);
#   7. stop, then a second `up` on the same volumes: the init jobs and the
#      Introducer skip what is done, the Devices come back from their NV
#      files, nothing at the MotherShip or the Controller changes;
#   7b. the postgresql profile: PostgreSQL, two MotherShips and nginx; a claim
#      through the balancer is 200 then 409, and the other instance sees it;
#   8. docker-compose down -v leaves no container, network or volume;
#   9. with --packages DIR (./tte test docker builds them with ./tte package):
#      the .deb files installed into a clean Debian 12 container whose PID 1
#      is systemd, the MotherShip and the Controller run from their units
#      through one enrollment (tests/package_inside.sh).
# Each step's time is printed at the end. The project name, host ports and
# subnet are chosen here (free ones), so that a demo running beside it is left
# alone.
#   tests/docker_story.sh [--keep] [--packages DIR]
#   (--keep: leave the compose system up at the end, and skip step 9)
set -euo pipefail
# Under pipefail, `long-writer | grep -q` fails when grep exits at its match
# while the writer still writes (SIGPIPE): read logs with `grep ... >/dev/null`.
root=$(cd "$(dirname "$0")/.." && pwd)
keep=0 packages=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    --packages) packages=$(cd "${2:?--packages DIR}" && pwd); shift 2 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "docker_story.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$packages" ]; then
  ls "$packages"/tte-mothership_*.deb "$packages"/tte-controller_*.deb "$packages"/tte-introducer_*.deb \
    "$packages"/tte-device_*.deb >/dev/null || { echo "docker test: $packages lacks a package" >&2; exit 1; }
fi
# Debian's docker and docker-compose, as on a fresh Debian 12 machine.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
for tool in docker dockerd docker-compose debootstrap iptables-save jq curl; do
  command -v "$tool" >/dev/null || {
    echo "docker test: needs $tool (./tte test docker installs it)" >&2
    exit 1
  }
done

work=$(mktemp -d /tmp/tte-docker-test.XXXXXX)
project="ttecheck$$"
compose() { docker-compose -p "$project" -f "$root/docker/docker-compose.yml" "$@"; }
fail() {
  echo "docker test: FAIL: $*" >&2
  exit 1
}

# --- step times -------------------------------------------------------------
TIMES=()
step_name="" step_started=0
now() { date +%s.%N; }
step() {
  end_step
  step_name=$1
  step_started=$(now)
  printf '\n== %s\n' "$step_name"
}
end_step() {
  if [ -n "$step_name" ]; then
    TIMES+=("$(awk -v a="$step_started" -v b="$(now)" -v n="$step_name" 'BEGIN { printf "%7.1f s  %s", b - a, n }')")
    step_name=""
  fi
}

# wait_until SECONDS WHAT COMMAND...: runs COMMAND every half second until it
# succeeds; fails after SECONDS.
wait_until() {
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "waited ${seconds}s for $what"
    sleep 0.5
  done
}

# --- the host as found ------------------------------------------------------
started_engine=0 dockerd_pid="" up_attempted=0 package_container=""
snapshot_host() {
  cat /proc/sys/net/ipv4/ip_forward >"$work/ip_forward"
  iptables-save >"$work/iptables.before" 2>/dev/null || true
  ip6tables-save >"$work/ip6tables.before" 2>/dev/null || true
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort >"$work/links.before"
}
restore_table() {  # restore_table iptables|ip6tables DUMP
  local tool=$1 dump=$2 table
  "$tool-restore" <"$dump" 2>/dev/null || true
  for table in filter nat mangle raw; do
    if ! grep -q "^\*$table$" "$dump"; then
      "$tool" -t "$table" -F 2>/dev/null || true
      "$tool" -t "$table" -X 2>/dev/null || true
      for chain in INPUT FORWARD OUTPUT PREROUTING POSTROUTING; do
        "$tool" -t "$table" -P "$chain" ACCEPT 2>/dev/null || true
      done
    fi
  done
}
restore_host() {
  sysctl -qw "net.ipv4.ip_forward=$(cat "$work/ip_forward")" || true
  restore_table iptables "$work/iptables.before"
  restore_table ip6tables "$work/ip6tables.before"
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort >"$work/links.after"
  for link in $(comm -13 "$work/links.before" "$work/links.after"); do
    case "$link" in docker0|br-*|veth*) ip link delete "$link" 2>/dev/null || true ;; esac
  done
  local left=""
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$(cat "$work/ip_forward")" ] || left+=" ip_forward"
  iptables-save 2>/dev/null | grep DOCKER >/dev/null && left+=" iptables-chains"
  ip link show docker0 >/dev/null 2>&1 && ! grep -qx docker0 "$work/links.before" && left+=" docker0"
  if [ -n "$left" ]; then
    echo "docker test: could not put back:$left" >&2
    return 1
  fi
  echo "host: dockerd stopped; ip_forward, iptables and links as they were"
}

cleanup() {
  local status=$?
  end_step
  if [ "$up_attempted" -eq 1 ] && { [ "$keep" -eq 0 ] || [ "$status" -ne 0 ]; }; then
    if [ "$status" -ne 0 ]; then
      echo "--- the containers' last lines ---" >&2
      compose logs --no-color --tail 15 >&2 2>/dev/null || true
    fi
    compose --profile postgresql down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  [ -n "$package_container" ] && docker rm -f "$package_container" >/dev/null 2>&1
  if [ "$started_engine" -eq 1 ] && { [ "$keep" -eq 0 ] || [ "$status" -ne 0 ]; }; then
    kill -TERM "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$dockerd_pid" 2>/dev/null || true
    pkill -f "containerd --config /var/run/docker/containerd" 2>/dev/null || true
    restore_host || status=1
  fi
  if [ ${#TIMES[@]} -gt 0 ]; then
    echo
    echo "docker test: step times"
    printf '%s\n' "${TIMES[@]}"
  fi
  rm -rf "$work"
  [ "$status" -eq 0 ] && echo "docker test: ok"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. the engine ----------------------------------------------------------
step "a Docker engine"
if docker info >/dev/null 2>&1; then
  echo "using the engine running ($(docker version -f '{{.Server.Version}}'))"
else
  snapshot_host
  echo "starting dockerd (log: $work/dockerd.log)"
  setsid dockerd --storage-driver=overlay2 >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  started_engine=1
  deadline=$(($(date +%s) + 60))
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$dockerd_pid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 20 "$work/dockerd.log" >&2
      fail "dockerd did not come up (its log's end above)"
    fi
    sleep 0.5
  done
  echo "dockerd $(docker version -f '{{.Server.Version}}') up"
fi

# --- 2. base images ---------------------------------------------------------
step "base images"
"$root/docker/base-image.sh"

# --- 3. build ---------------------------------------------------------------
# A subnet no Docker network and no host route uses; free host ports.
taken=$( (docker network inspect $(docker network ls -q) -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' 2>/dev/null; ip route) | tr ' ' '\n')
subnet=""
for candidate in 172.28.0 172.29.0 172.30.0 172.31.0 10.203.0 10.204.0; do
  if ! grep -q "^${candidate%.0}\." <<<"$taken"; then subnet=$candidate; break; fi
done
[ -n "$subnet" ] || fail "no free subnet among 172.28-31.0.0/24, 10.203-204.0.0/24"
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}
export TTE_SUBNET=$subnet TTE_MS_HTTPS_PORT=$(free_port) TTE_CONTROLLER_HTTP_PORT=$(free_port)
echo "project $project, subnet $subnet.0/24, host ports $TTE_MS_HTTPS_PORT (MotherShip HTTPS)," \
  "$TTE_CONTROLLER_HTTP_PORT (Controller HTTP)"

step "docker-compose build"
compose build 2>&1 | grep -E '^(Step [0-9]+/[0-9]+ : (FROM|RUN)|Successfully tagged)|rror' | cut -c1-120 || true
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "docker-compose build failed"
docker image inspect "${TTE_IMAGE:-tte:demo}" >/dev/null || fail "no image ${TTE_IMAGE:-tte:demo} after the build"
echo "runtime image: $(docker image inspect -f '{{.Size}}' "${TTE_IMAGE:-tte:demo}" | awk '{printf "%.0f MB", $1 / 1e6}')"

# --- 4. up --------------------------------------------------------------------
in_controller() { compose exec -T controller "$@"; }
in_mothership() { compose exec -T mothership "$@"; }
registered_at_controller() {
  [ "$(in_controller tte-controller device list --data-dir /data/controller --json |
    jq '[.devices[] | select(.state == "registered")] | length')" = 9 ]
}
registered_at_mothership() {
  local n state
  for n in 1 2 3 4 5 6 7 8 9; do  # 6-8: the box, 9: the PSK light
    state=$(in_mothership tte-mothership device show "$n" --data-dir /data/mothership --json | jq -r .state)
    [ "$state" = registered ] || return 1
  done
}
healthy() {
  local service id
  for service in mothership controller light switch sensors box psk; do
    id=$(compose ps -q "$service")
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ] || return 1
  done
}
introducer_exit() {  # waits for the Introducer job; prints its exit status
  local id
  id=$(compose ps -q introducer)
  timeout 180 docker wait "$id" || echo "timeout"
}

step "docker-compose up (to the Introducer job's end)"
up_attempted=1
compose up -d 2>&1 | sed 's/^/  /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "docker-compose up failed"
status=$(introducer_exit)
if [ "$status" != 0 ]; then
  compose logs --no-color introducer | tail -n 30 >&2
  fail "the Introducer job ended with $status"
fi
echo "the Introducer job exited 0"

step "nine Devices registered (five, a box of three, a PSK light), every service healthy"
wait_until 60 "nine Devices registered at the Controller" registered_at_controller
wait_until 30 "nine Devices registered at the MotherShip" registered_at_mothership
wait_until 60 "every long-running service healthy" healthy
echo "nine Devices registered at the Controller and at the MotherShip; all services healthy"

# --- 5. the switch --------------------------------------------------------------
step "the switch press turns the light on"
light_urn=$(in_controller jq -r .urn /data/batch/bundles/00000001.json)
light_is() {
  [ "$(in_controller tte-controller device get "$light_urn" /light --data-dir /data/controller)" = "$1" ]
}
light_is off || fail "the light is on before the switch was pressed"
compose kill -s SIGUSR1 switch >/dev/null 2>&1
wait_until 20 "the light to turn on" light_is on
compose logs --no-color light | grep -F '"event":"light","on":true' >/dev/null ||
  fail "the light's own log does not show it turning on"
echo "light on (the Controller reads it; the light's log says so)"

# --- 6. the dashboard -------------------------------------------------------------
step "the dashboard answers on the host"
origin="http://127.0.0.1:$TTE_CONTROLLER_HTTP_PORT"
[ "$(curl -fsS --max-time 5 "$origin/health" | jq -r .status)" = ok ] || fail "$origin/health"
[ "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 "$origin/")" = "303 $origin/login" ] ||
  fail "$origin/ does not send a stranger to /login"
token=$(in_controller cat /data/controller/api.token)
curl -fsS --max-time 5 -c "$work/cookies" -o /dev/null --data-urlencode "token=$token" "$origin/login" ||
  fail "signing in at $origin/login"
curl -fsS --max-time 5 -b "$work/cookies" "$origin/" >"$work/dashboard.html" || fail "$origin/ after signing in"
for text in "Hall light" "Hall switch" "Sensor, room 3" "Sensor box" "Porch light (PSK)"; do
  grep -q "$text" "$work/dashboard.html" || fail "the dashboard does not show '$text'"
done
ms_origin="https://tte-000000.net:$TTE_MS_HTTPS_PORT"
in_mothership cat /data/mothership/ca.crt >"$work/ms-ca.crt"
[ "$(curl -fsS --max-time 5 --cacert "$work/ms-ca.crt" --resolve "tte-000000.net:$TTE_MS_HTTPS_PORT:127.0.0.1" \
  "$ms_origin/health" | jq -r .status)" = ok ] || fail "the MotherShip's /health on the host port"
echo "dashboard at $origin/ (signed in, the Devices shown); the MotherShip answers at $ms_origin"

# --- 7. a second up -------------------------------------------------------------
step "stop, then a second up on the same volumes"
state_now() {
  local n
  for n in 1 2 3 4 5 6 7 8 9; do
    in_mothership tte-mothership device show "$n" --data-dir /data/mothership --json |
      jq -c '{devid, state, mapped_at, registered_at, controller}'
  done
  in_controller tte-controller binding list --data-dir /data/controller --json |
    jq -c '[.bindings[] | {id, source, target}]'
  in_controller tte-controller device list --data-dir /data/controller --json | jq -c '[.devices[] | .urn] | sort'
  in_controller sha256sum /data/controller/dtls.key /data/mothership/dtls.key /data/batch/manifest.csv
}
state_now >"$work/state.before"
stop_started=$(now)
compose stop >/dev/null 2>&1
up_started=$(now)
compose up -d 2>&1 | sed 's/^/  /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "the second docker-compose up failed"
up_done=$(now)
awk -v a="$stop_started" -v b="$up_started" -v c="$up_done" \
  'BEGIN { printf "docker-compose stop took %.1f s, the second up (to every service started) %.1f s\n", b - a, c - b }'
status=$(introducer_exit)
if [ "$status" != 0 ]; then
  compose logs --no-color introducer | tail -n 30 >&2
  fail "the second Introducer job ended with $status"
fi
for service in mothership-init manufacture controller-init; do
  [ "$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -q "$service")")" = 0 ] ||
    fail "$service failed on the second up"
done
compose logs --no-color introducer | grep -F "device 5, registered: done already" >/dev/null ||
  fail "the second Introducer job did not skip the enrolled Devices"
wait_until 60 "nine Devices registered again" registered_at_controller
state_now >"$work/state.after"
diff "$work/state.before" "$work/state.after" >&2 || fail "the second up changed the MotherShip or the Controller"
wait_until 60 "every long-running service healthy again" healthy
echo "second up: the init jobs and the Introducer skipped what was done; nine Devices back; nothing changed"

# --- 7b. the postgresql profile ------------------------------------------------------
# PostgreSQL, init as its owner, the grants, two MotherShips as the application
# role and nginx in front (docker/docker-compose.yml): a claim through the
# balancer is stored once, whichever instance takes it.
step "the postgresql profile: PostgreSQL, two MotherShips, the balancer"
export TTE_PG_HTTPS_PORT=$(free_port)
pg() { compose --profile postgresql "$@"; }
pg build postgres balancer 2>&1 | grep -E '^(Successfully tagged)|rror' | cut -c1-120 || true
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "building the postgresql profile's images failed"
pg up -d balancer 2>&1 | sed 's/^/  /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "docker-compose --profile postgresql up failed"
balancer_healthy() {
  local id; id=$(pg ps -q balancer)
  [ -n "$id" ] && [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ]
}
wait_until 180 "the balancer healthy (both instances behind it)" balancer_healthy
pg_origin="https://tte-000000.net:$TTE_PG_HTTPS_PORT"
pg exec -T mothership-a cat /data/pg/mothership/ca.crt >"$work/pg-ca.crt"
pg_curl() { curl -sS --max-time 10 --cacert "$work/pg-ca.crt" --resolve "tte-000000.net:$TTE_PG_HTTPS_PORT:127.0.0.1" "$@"; }
printf '{"devid":"00000101","urn":"urn:dev:ops:32473-Pg-101","fingerprint":"%s","otp":"0000000000abc101"}\n' \
  9e80f80b941243c01cd0b430ce21f52b0158ad296e91a4e4ab72891729226486 |
  pg exec -T mothership-a tte-mothership import --data-dir /data/pg/mothership \
    --database postgresql://tte_app@postgres:5432/tte - >/dev/null || fail "import as tte_app"
claim="$pg_origin/.well-known/tte?otp=0000000000abc101&devid=00000101&cip=192.0.2.7&cport=5684&cfingerprint=98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4"
first=$(pg_curl -o /dev/null -w '%{http_code}' -X POST "$claim")
again=$(pg_curl -o /dev/null -w '%{http_code}' -X POST "$claim")
[ "$first $again" = "200 409" ] || fail "a claim through the balancer: $first then $again (want 200 then 409)"
pg exec -T mothership-b tte-mothership audit verify --data-dir /data/pg/mothership \
  --database postgresql://tte_app@postgres:5432/tte >/dev/null || fail "audit verify on the other instance"
pg exec -T mothership-b tte-mothership device show 00000101 --data-dir /data/pg/mothership \
  --database postgresql://tte_app@postgres:5432/tte --json | jq -e '.state == "mapped"' >/dev/null ||
  fail "the other instance does not see the device mapped"
pg stop postgres mothership-a mothership-b balancer >/dev/null 2>&1
echo "claimed through nginx: 200, then 409; the other instance reads it mapped; the audit chain verifies"

# --- 8. down ----------------------------------------------------------------------
if [ "$keep" -eq 1 ]; then
  end_step
  echo "--keep: the system stays up (project $project): docker-compose -p $project -f docker/docker-compose.yml down -v"
  exit 0
fi
step "docker-compose down -v"
compose --profile postgresql down -v --remove-orphans 2>&1 | sed 's/^/  /'
up_attempted=0
[ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$project")" ] || fail "containers left after down"
[ -z "$(docker volume ls -q --filter "label=com.docker.compose.project=$project")" ] || fail "volumes left after down"
[ -z "$(docker network ls -q --filter "label=com.docker.compose.project=$project")" ] || fail "networks left after down"
echo "no container, volume or network of $project left"

# --- 9. the packages ----------------------------------------------------------------
if [ -n "$packages" ]; then
  step "the packages in a clean Debian 12 under systemd"
  printf '%s\n' 'FROM debian:12' \
    'RUN apt-get update && apt-get install -y --no-install-recommends systemd systemd-sysv dbus && apt-get clean && rm -rf /var/lib/apt/lists/*' \
    'CMD ["/lib/systemd/systemd"]' | docker build -q -t tte-systemd:12 - >/dev/null
  mounts=(-v "$packages:/debs:ro" -v "$root/tests/package_inside.sh:/package_inside.sh:ro")
  # systemd as PID 1 needs the cgroup tree and CAP_SYS_ADMIN (for the units' namespaces).
  package_container=$(docker run -d --cap-add SYS_ADMIN -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
    --tmpfs /run --tmpfs /run/lock "${mounts[@]}" tte-systemd:12)
  systemd_up() {
    case "$(docker exec "$package_container" systemctl is-system-running 2>/dev/null)" in
      running|degraded) return 0 ;;
      *) return 1 ;;
    esac
  }
  deadline=$(($(date +%s) + 30))
  until systemd_up || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.5; done
  if systemd_up; then
    docker exec "$package_container" bash /package_inside.sh || fail "the packages (see above)"
  else
    echo "systemd does not come up in a container here: the services run from their ExecStart lines"
    docker rm -f "$package_container" >/dev/null
    package_container=""
    docker run --rm "${mounts[@]}" debian:12 bash /package_inside.sh || fail "the packages (see above)"
  fi
fi
end_step
