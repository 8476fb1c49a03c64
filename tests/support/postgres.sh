#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (Debian's postgresql-15), in a new
# directory under /tmp, run as an unprivileged user (postgres when we are root),
# reachable only on its Unix socket in that directory.
#
#   tests/support/postgres.sh start STATE    start one; STATE/uri gets its libpq URI
#                                            (user tte, database postgres), STATE/dir its directory
#   tests/support/postgres.sh stop STATE     stop it and remove its directory
#   tests/support/postgres.sh pause STATE    stop the server, keep its data
#   tests/support/postgres.sh resume STATE   start it again
#   tests/support/postgres.sh freeze STATE   SIGSTOP the server and its backends (a hung host)
#   tests/support/postgres.sh thaw STATE     SIGCONT them
set -euo pipefail

command=${1:?start, stop, pause, resume, freeze or thaw}
state=${2:?a state directory}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$bin/initdb" ]] || { echo "postgres.sh: no PostgreSQL server here (apt-get install postgresql-15)" >&2; exit 1; }

# PostgreSQL refuses to run as root.
as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

server() {  # pg_ctl start|stop
  local dir; dir=$(cat "$state/dir")
  case $1 in
    start)
      as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -s \
        -o "-k $dir -c listen_addresses= -p 5432 -c max_connections=300 -c fsync=on" start ;;
    stop)
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 -s stop ;;
  esac
}

cluster_pids() {  # the postmaster and its children
  local dir pid; dir=$(cat "$state/dir")
  pid=$(head -n 1 "$dir/data/postmaster.pid")
  echo "$pid" $(pgrep -P "$pid")
}

case $command in
  start)
    mkdir -p "$state"
    dir=$(mktemp -d /tmp/tte-pg-XXXXXX)
    [[ $(id -u) == 0 ]] && chown postgres: "$dir"
    echo "$dir" >"$state/dir"
    as_owner "$bin/initdb" -D "$dir/data" -U tte -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    server start || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql:///postgres?host=$dir&port=5432&user=tte" >"$state/uri"
    ;;
  stop)
    [[ -f "$state/dir" ]] || exit 0
    dir=$(cat "$state/dir")
    server stop 2>/dev/null || true
    rm -rf "$dir"
    rm -f "$state/dir" "$state/uri"
    ;;
  pause) server stop ;;
  resume) server start ;;
  freeze) kill -STOP $(cluster_pids) ;;
  thaw) kill -CONT $(cluster_pids) ;;
  *) echo "postgres.sh: start, stop, pause, resume, freeze or thaw" >&2; exit 2 ;;
esac
