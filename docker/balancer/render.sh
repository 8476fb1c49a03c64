#!/bin/sh
# Writes the balancer's nginx configuration, docker/balancer/nginx.conf.in with
# its addresses filled in, on standard output. With no variables set it writes
# docker/balancer/nginx.conf, the example (tests/check_docker.sh checks that it
# does); the compose file's balancer and tests on loopback set them:
#
#   docker/balancer/render.sh >/etc/nginx/nginx.conf
#
#   TTE_LB_HTTPS_LISTEN    what nginx listens on for HTTPS, [ADDR:]PORT (443)
#   TTE_LB_COAPS_LISTEN    what it listens on for CoAPS (UDP), [ADDR:]PORT (5684)
#   TTE_LB_HTTPS_BACKENDS  the instances' HTTPS listeners, ADDR:PORT, blank-separated
#                          ("10.0.0.21:443 10.0.0.22:443")
#   TTE_LB_COAPS_BACKENDS  their CoAPS listeners ("10.0.0.21:5684 10.0.0.22:5684")
#   TTE_LB_ACCESS_LOG      where the per-session lines go (/var/log/nginx/tte-stream.log)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
https_listen=${TTE_LB_HTTPS_LISTEN:-443}
coaps_listen=${TTE_LB_COAPS_LISTEN:-5684}
https_backends=${TTE_LB_HTTPS_BACKENDS:-10.0.0.21:443 10.0.0.22:443}
coaps_backends=${TTE_LB_COAPS_BACKENDS:-10.0.0.21:5684 10.0.0.22:5684}
access_log=${TTE_LB_ACCESS_LOG:-/var/log/nginx/tte-stream.log}
for backend in $https_backends $coaps_backends; do
  case "$backend" in
    *:[0-9]*) ;;
    *) echo "render.sh: a backend is ADDR:PORT, not '$backend'" >&2; exit 2 ;;
  esac
done

# A line with @HTTPS_BACKEND@ or @COAPS_BACKEND@ is written once per instance.
awk -v https_listen="$https_listen" -v coaps_listen="$coaps_listen" \
    -v https_backends="$https_backends" -v coaps_backends="$coaps_backends" \
    -v access_log="$access_log" '
  function each(line, placeholder, list,   n, i, items, copy) {
    n = split(list, items, " ")
    for (i = 1; i <= n; i++) {
      copy = line
      gsub(placeholder, items[i], copy)
      print copy
    }
  }
  /@HTTPS_BACKEND@/ { each($0, "@HTTPS_BACKEND@", https_backends); next }
  /@COAPS_BACKEND@/ { each($0, "@COAPS_BACKEND@", coaps_backends); next }
  {
    gsub("@HTTPS_LISTEN@", https_listen)
    gsub("@COAPS_LISTEN@", coaps_listen)
    gsub("@ACCESS_LOG@", access_log)
    print
  }
' "$here/nginx.conf.in"
