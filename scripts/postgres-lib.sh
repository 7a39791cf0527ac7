# Shared by scripts/test and scripts/bench: install PostgreSQL from Debian if missing, start
# a throw-away server on a free 127.0.0.1 port (trust auth, data in a temporary directory),
# and stop exactly that process (by its PID) when the calling script exits.
# shellcheck shell=bash

ensure_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      echo "installing postgresql with apt-get (for the broker's PostgreSQL tests)" >&2
      apt-get install -y -qq postgresql >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null; }
    fi
  fi
  PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -1)")
  [ -x "$PG_BIN/postgres" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; return 1; }
}

# start_postgres: sets PG_URL and PG_PID. PostgreSQL refuses to run as root, so as root the
# server runs as the Debian package's `postgres` user.
start_postgres() {
  ensure_postgres || return 1
  local port dir as=()
  port=$(free_port)
  dir=$(mktemp -d)
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$PG_BIN/initdb" -D "$dir/data" -A trust -U tempcreds >/dev/null
  "${as[@]}" "$PG_BIN/postgres" -D "$dir/data" -h 127.0.0.1 -p "$port" -k "$dir" \
    -c fsync=off -c max_connections=200 >"$dir/log" 2>&1 &
  PG_PID=$!
  PG_DIR=$dir
  PG_URL="postgres://tempcreds@127.0.0.1:$port/postgres"
  wait_listening "$port" PostgreSQL
}

# As an EXIT trap: keeps the script's own exit status (waiting on the killed server would
# otherwise make every run exit 143).
stop_postgres() {
  local rc=$?
  if [ -n "${PG_PID:-}" ]; then
    kill "$PG_PID" 2>/dev/null || true
    wait "$PG_PID" 2>/dev/null || true
    rm -rf "$PG_DIR"
  fi
  return "$rc"
}
