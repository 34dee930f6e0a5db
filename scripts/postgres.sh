#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests of the PostgreSQL store (docs/postgres.md).
#
#   scripts/postgres.sh start    install PostgreSQL from Debian's packages when missing, initdb a
#                                cluster into a temporary folder, start it on a unix socket only,
#                                and print the store URL on stdout (nothing else goes to stdout)
#   scripts/postgres.sh url      print the URL of the running server (exit 1 when none runs)
#   scripts/postgres.sh status   say whether it runs (exit 0) or not (exit 3)
#   scripts/postgres.sh stop     stop the server and remove its folder
#
# Idempotent: `start` on a running server prints its URL again; `start` after a crash restarts the
# same cluster; `stop` when nothing runs does nothing. Works as root (the server then runs as the
# `postgres` user the Debian package creates: initdb refuses root) or as a user (then apt runs
# through sudo, and only when something is missing).
#
# Settings (environment):
#   CHARGEBACK_PG_DIR    the server's folder (default: $TMPDIR or /tmp, /chargeback-pg-<uid>)
#   CHARGEBACK_PG_PORT   the port in the socket's name, .s.PGSQL.<port> (default 54329); the
#                        server listens on no TCP address at all
#   CHARGEBACK_PG_DB     the database created for the tests (default chargeback)
#
# The server is for tests only: no durability (fsync off), trust authentication on a socket in a
# folder only its owner (and root) can enter.
set -euo pipefail

dir="${CHARGEBACK_PG_DIR:-${TMPDIR:-/tmp}/chargeback-pg-$(id -u)}"
port="${CHARGEBACK_PG_PORT:-54329}"
db="${CHARGEBACK_PG_DB:-chargeback}"
data="$dir/data"
socket="$dir/socket"
log="$dir/server.log"

say() { echo "postgres.sh: $*" >&2; }
die() {
  say "$*"
  exit 1
}

[[ "$port" =~ ^[0-9]+$ ]] || die "CHARGEBACK_PG_PORT must be a number, not '$port'"
[[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "CHARGEBACK_PG_DB must be a plain identifier, not '$db'"
case "$dir" in
/*) ;;
*) dir="$PWD/$dir" data="$dir/data" socket="$dir/socket" log="$dir/server.log" ;;
esac

is_root() { [ "$(id -u)" -eq 0 ]; }

# The newest server binaries installed (Debian keeps them out of PATH, one folder per version).
bindir() {
  local d best=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] || continue
    if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n 1)" = "$d" ]; then best="$d"; fi
  done
  [ -n "$best" ] && echo "$best"
}

# Installs Debian's postgresql (server and client) when no server binaries are there. Another apt
# (unattended upgrades, a second set-up, CI's own set-up) may hold the package locks: apt waits for
# them (DPkg::Lock::Timeout) and the whole step is retried, instead of failing.
install_postgres() {
  bindir >/dev/null && return 0
  local sudo_cmd=()
  if ! is_root; then
    command -v sudo >/dev/null || die "PostgreSQL is not installed and sudo is missing: install the 'postgresql' package"
    sudo_cmd=(sudo)
  fi
  say "installing PostgreSQL from the distribution's packages (postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  # `apt-get update` has no lock timeout of its own (DPkg::Lock::Timeout covers dpkg's lock only):
  # up to 40 attempts 15 s apart, 10 minutes, like the install's own wait.
  local attempt
  for attempt in $(seq 1 40); do
    if "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq &&
      "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends postgresql >/dev/null; then
      break
    fi
    [ "$attempt" -lt 40 ] || die "apt-get could not install postgresql"
    say "apt-get failed (attempt $attempt); waiting for the package lock"
    sleep 15
  done
  bindir >/dev/null || die "postgresql was installed but no server binaries are under /usr/lib/postgresql/*/bin"
}

# Runs a server command as the cluster's owner: the postgres user when we are root, else ourselves.
as_owner() {
  if is_root; then
    if command -v runuser >/dev/null; then
      runuser -u postgres -- "$@"
    else
      su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

# The URL the tool and psql both take: the socket folder percent-encoded as the host.
url() {
  local user
  user="$(is_root && echo postgres || id -un)"
  local host="${socket//%/%25}"
  host="${host//\//%2F}"
  echo "postgres://${user}@${host}:${port}/${db}"
}

running() {
  local b
  b="$(bindir)" || return 1
  [ -f "$data/PG_VERSION" ] || return 1
  as_owner "$b/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
  install_postgres
  local b
  b="$(bindir)"
  if running; then
    url
    return 0
  fi
  if is_root; then
    id postgres >/dev/null 2>&1 || die "the postgres user is missing (the Debian package creates it)"
  fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  if is_root; then chown postgres: "$dir"; fi
  # The owner must be able to reach the folder (a folder under /root is not reachable by postgres).
  as_owner test -w "$dir" || die "$dir is not writable by the server's user; set CHARGEBACK_PG_DIR"
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    say "initdb into $data"
    # UTF8 and the C locale: byte-wise text order, as the store requires (docs/postgres.md).
    as_owner "$b/initdb" -D "$data" --encoding=UTF8 --locale=C --data-checksums --auth=trust --username="$(is_root && echo postgres || id -un)" >"$dir/initdb.log" 2>&1 ||
      {
        cat "$dir/initdb.log" >&2
        die "initdb failed"
      }
    as_owner mkdir -p "$socket"
    as_owner chmod 700 "$socket"
    as_owner sh -c "cat >>'$data/postgresql.conf'" <<EOF
# scripts/postgres.sh: a throw-away server for tests
listen_addresses = ''
port = $port
unix_socket_directories = '$socket'
unix_socket_permissions = 0700
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
shared_buffers = 128MB
max_locks_per_transaction = 128
EOF
  fi
  say "starting the server (log: $log)"
  as_owner "$b/pg_ctl" -D "$data" -l "$log" -w -t 120 start >/dev/null ||
    {
      tail -n 20 "$log" >&2 || true
      die "the server did not start"
    }
  # The tests' database, once.
  local psql="$b/psql"
  [ -x "$psql" ] || psql="$(command -v psql)"
  if ! as_owner "$psql" -h "$socket" -p "$port" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    as_owner "$b/createdb" -h "$socket" -p "$port" -E UTF8 -T template0 --locale=C "$db"
  fi
  url
}

stop() {
  local b
  if b="$(bindir)" && [ -f "$data/PG_VERSION" ]; then
    if running; then
      say "stopping the server"
      as_owner "$b/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null ||
        as_owner "$b/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null ||
        say "the server did not stop; its folder is removed anyway"
    fi
  fi
  if [ -d "$dir" ]; then
    rm -rf "$dir"
  fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) running && url || die "no server runs in $dir" ;;
status)
  if running; then
    say "running: $(url)"
  else
    say "not running ($dir)"
    exit 3
  fi
  ;;
*)
  echo "usage: scripts/postgres.sh start|stop|url|status" >&2
  exit 64
  ;;
esac
