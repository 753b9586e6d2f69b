#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: a fresh cluster in a temporary folder, reachable only over a
# Unix socket in that folder (no TCP port), trust authentication, deleted again by `stop`.
#
#   scripts/pg_test_server.sh start DIR   prints the superuser DSN on stdout (e.g. postgresql://postgres@/postgres?host=DIR)
#   scripts/pg_test_server.sh stop DIR    stops the server and deletes DIR
#
# Debian's `postgresql` package is installed when the server binaries are missing and this runs as root.
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user (created by the package)
# and is run through runuser.
set -euo pipefail

say() { echo "pg_test_server: $*" >&2; }
die() { say "$*"; exit 1; }

bindir() {  # the newest installed server's bin folder, or pg_config's, or the PATH's
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ] && { pg_config --bindir; return 0; }
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

install_server() {
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  say "installing Debian's postgresql package"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

as_owner() {  # run a server command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local dir=$1 bin
  bin=$(bindir) || { install_server && bin=$(bindir); } ||
    die "no PostgreSQL server found (on Debian: sudo apt-get install postgresql)"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -3 "$dir/initdb.log")"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c max_connections=60" start >&2 ||
    die "the server did not start: $(tail -5 "$dir/server.log" 2>/dev/null)"
  echo "postgresql://postgres@/postgres?host=$dir"
}

stop() {
  local dir=$1 bin
  [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ] && bin=$(bindir); then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || say "warning: could not stop the server in $dir"
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start|stop DIR" ;;
esac
