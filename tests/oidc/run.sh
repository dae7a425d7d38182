#!/usr/bin/env bash
# Starts the tests' OpenID provider (server.mjs), installing panva's
# oidc-provider into .tools/oidc on first use (`run.sh install` only installs).
# Tests start several at once: the install is done once, under a lock.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/.tools/oidc"
package=oidc-provider@9.13.3
stamp="$dir/installed-$package"
mkdir -p "$dir"
(
  flock 9
  if [ ! -f "$stamp" ]; then
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$package" >&2
    touch "$stamp"
  fi
) 9>"$dir/.lock"
[ "${1:-}" = install ] && exit 0
OIDC_MODULES="$dir/node_modules" exec node "$root/tests/oidc/server.mjs" "$@"
