# Shared by scripts/demo and scripts/bench: start a moto server on a free 127.0.0.1 port
# and stop exactly that process (by its PID) when the calling script exits.
# shellcheck shell=bash

free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_listening PORT WHAT: waits (up to 20 s) until something listens on 127.0.0.1:PORT.
wait_listening() {
  for _ in $(seq 1 200); do
    if "$VENV/bin/python" -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "$2 did not start" >&2
  return 1
}

# start_moto: sets MOTO_URL and MOTO_PID; extra environment may be given as NAME=VALUE args.
start_moto() {
  local port
  port=$(free_port)
  env "$@" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"${MOTO_LOG:-/dev/null}" 2>&1 &
  MOTO_PID=$!
  MOTO_URL="http://127.0.0.1:$port"
  # Keeps the script's exit status: the killed server's 143 is not the script's.
  trap 'rc=$?; kill "$MOTO_PID" 2>/dev/null; wait "$MOTO_PID" 2>/dev/null; exit $rc' EXIT
  wait_listening "$port" moto
}

# start_federation_fake: the test suite's federation endpoint fake in front of moto
# (crates/testkit/fakes/federation.py); sets FAKE_URL and FAKE_PID.
start_federation_fake() {
  local port root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  port=$(free_port)
  "$VENV/bin/python" "$root/crates/testkit/fakes/federation.py" "$port" "$MOTO_URL" >/dev/null 2>&1 &
  FAKE_PID=$!
  FAKE_URL="http://127.0.0.1:$port"
  wait_listening "$port" "the federation fake"
}

# start_sso_fake ACCOUNTS_JSON: the test suite's IAM Identity Center fake (OIDC and portal,
# crates/testkit/fakes/sso.py), minting role credentials at moto; sets SSO_URL and SSO_PID.
start_sso_fake() {
  local port root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  port=$(free_port)
  "$VENV/bin/python" "$root/crates/testkit/fakes/sso.py" "$port" "$MOTO_URL" "$1" >/dev/null 2>&1 &
  SSO_PID=$!
  SSO_URL="http://127.0.0.1:$port"
  wait_listening "$port" "the SSO fake"
}
