#!/bin/sh
# ctest: docker/ without a Docker engine (./tte test docker runs it on one).
#  1. docker-compose (Debian's) accepts docker/docker-compose.yml;
#  2. every step the containers run is a step the demo runs (demo/demo.sh),
#     so `./tte demo` proves the containers' commands;
#  3. the runtime image installs the package of every shared library the four
#     programs of this build link.
#   tests/check_docker.sh BUILD_DIR
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
fail=0

docker-compose -f "$root/docker/docker-compose.yml" config -q || { echo "FAIL: compose file rejected"; exit 1; }

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
[ "$fail" -eq 0 ] && echo "docker: ok"
exit "$fail"
