#!/usr/bin/env bash
# schemathesis (PyPI, in .tools/venv) against a fresh `inbox serve` on the
# embedded store, logged in as the demo owner: all checks, the stateful phase
# included, seed 1. Exits non-zero on any failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.tools/venv"
[ -x "$venv/bin/st" ] || { python3 -m venv "$venv"; "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5; }
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
INBOX_DATA_DIR="$data" RUST_LOG=warn "$root/target/debug/inbox" serve --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
api="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -s -o /dev/null "$api/api/docs.json" && break; sleep 0.1; done
token=$(curl -sf -X POST "$api/authentication/login_check" -H 'Content-Type: application/json' \
  -d '{"username":"owner@demo.test","password":"demo-password"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
api_token=$(curl -sf -X POST "$api/api/tokens" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"schemathesis"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
cd "$data"
st() { "$venv/bin/st" --config-file "$root/tests/schemathesis/schemathesis.toml" run "$api/api/docs.json" --seed 1 --no-color "$@"; }
# The JSON-LD API with the owner's JWT; the Enterprise API (/api/v1) with an API token.
st -H "Authorization: Bearer $token" --exclude-path-regex '^/api/v1/'
st -H "Authorization: Bearer $api_token" --include-path-regex '^/api/v1/'
