#!/bin/sh
# ctest: docker/ without a Docker engine (./tte test docker runs it on one).
#  1. docker-compose (Debian's) accepts docker/docker-compose.yml;
#  2. every step the containers run is a step the demo runs (demo/demo.sh),
#     so `./tte demo` proves the containers' commands;
#  3. the runtime image installs the package of every shared library the four
#     programs of this build link;
#  4. the postgresql profile: the compose file with it is accepted, and no
#     service of the default demo depends on one of the profile's (a plain
#     `up` would then fail);
#  5. docker/balancer/nginx.conf is what docker/balancer/render.sh writes from
#     nginx.conf.in, and nginx accepts it (when nginx and its stream module are
#     installed; docs/operations.md says how).
#   tests/check_docker.sh BUILD_DIR
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
fail=0

docker-compose -f "$root/docker/docker-compose.yml" config -q || { echo "FAIL: compose file rejected"; exit 1; }
docker-compose -f "$root/docker/docker-compose.yml" --profile postgresql config -q ||
  { echo "FAIL: compose file rejected with --profile postgresql"; exit 1; }

compose_steps=$(grep -oE 'tte-demo-step"?,? "?[a-z-]+' "$root/docker/docker-compose.yml" |
  sed -E 's/.*[ "]([a-z-]+)$/\1/' | sort -u)
for step in $compose_steps; do
  if ! grep -qE "(step_run|start [a-z]+|\"\\\$STEPS\") $step\b" "$root/demo/demo.sh"; then
    echo "FAIL: the containers run step '$step', which the demo never runs"; fail=1
  fi
done
echo "steps the containers run, all run by the demo: $(echo $compose_steps)"

runtime=$(sed -n '/^FROM debian:12-slim/,$p' "$root/docker/Dockerfile")
# What apt installs with the runtime image's packages: they and their dependencies.
runtime_packages=$(echo "$runtime" | sed -n '/apt-get install/,/apt-get clean/p' | tr ' \\' '\n\n' |
  grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vxE 'apt-get|install|update|clean|rm|run' || true)
installed_closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances $runtime_packages 2>/dev/null | grep -E '^[a-z0-9]' |
  sort -u || true)
for program in mothership/tte-mothership controller/tte-controller introducer/tte-introducer \
               device-fw/hal/posix/tte-device; do
  for library in $(ldd "$build/$program" | awk '$3 ~ /^\// {print $3}'); do
    path=$(realpath "$library")
    package=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1) ||
      package=$(dpkg -S "/usr$path" 2>/dev/null | head -n 1 | cut -d: -f1) || true
    [ -n "$package" ] || package=$(dpkg -S "$(echo "$path" | sed 's|^/usr||')" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
    case "$package" in
      ""|libc6|libgcc-s1|libstdc++6|zlib1g) continue ;;  # in debian:12-slim already
      libasan*|libubsan*) continue ;;                      # a sanitizer build's runtime
    esac
    if ! echo "$runtime" | grep -qw "$package" && ! echo "$installed_closure" | grep -qx "$package"; then
      echo "FAIL: $program links $path from $package, which the runtime image does not install"
      fail=1
    fi
  done
done
# Services of a profile, and what each service depends on, from the normalised
# configuration: "S profile" and "S depends D" lines.
relations=$(docker-compose -f "$root/docker/docker-compose.yml" --profile postgresql config | awk '
  /^services:$/ { in_services = 1; next }
  /^[^ ]/ { in_services = 0 }
  !in_services { next }
  /^  [^ ].*:$/ { service = substr($1, 1, length($1) - 1); block = ""; next }
  /^    [^ ].*:/ { block = $1; if (block == "profiles:") print service, "profile"; next }
  block == "depends_on:" && /^      [^ ].*:$/ { print service, "depends", substr($1, 1, length($1) - 1) }')
profile_services=$(echo "$relations" | awk '$2 == "profile" { print $1 }' | sort -u)
[ -n "$profile_services" ] || { echo "FAIL: no service has a profile"; fail=1; }
for pair in $(echo "$relations" | awk '$2 == "depends" { print $1 ":" $3 }'); do
  service=${pair%%:*} dependency=${pair#*:}
  if ! echo "$profile_services" | grep -qx "$service" && echo "$profile_services" | grep -qx "$dependency"; then
    echo "FAIL: the demo's $service depends on $dependency, which only the postgresql profile starts"
    fail=1
  fi
done
echo "the postgresql profile's services, none of them the demo's: $(echo $profile_services)"

balancer="$root/docker/balancer"
if ! sh "$balancer/render.sh" | cmp -s - "$balancer/nginx.conf"; then
  echo "FAIL: docker/balancer/nginx.conf is not what render.sh writes (docker/balancer/render.sh >docker/balancer/nginx.conf)"
  fail=1
fi
if command -v nginx >/dev/null && [ -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
  scratch=$(mktemp -d)
  # The example with its access log in the scratch directory and loopback ports
  # (nginx -t opens the log and binds the reuseport listeners).
  port=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 20000) }')
  TTE_LB_ACCESS_LOG="$scratch/access.log" TTE_LB_HTTPS_LISTEN="127.0.0.1:$port" \
    TTE_LB_COAPS_LISTEN="127.0.0.1:$port" sh "$balancer/render.sh" >"$scratch/nginx.conf"
  if nginx -t -q -p "$scratch" -c "$scratch/nginx.conf" -g "pid $scratch/nginx.pid; error_log $scratch/error.log;" \
      >"$scratch/out" 2>&1; then
    echo "nginx accepts docker/balancer/nginx.conf"
  else
    cat "$scratch/out"; echo "FAIL: nginx -t rejects docker/balancer/nginx.conf"; fail=1
  fi
  rm -rf "$scratch"
else
  echo "nginx with its stream module not installed: docker/balancer/nginx.conf not given to nginx -t"
fi

[ "$fail" -eq 0 ] && echo "docker: ok"
exit "$fail"
