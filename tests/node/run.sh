#!/usr/bin/env bash
# Runs a Node test client, installing axios into .tools/node on first use.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/.tools/node"
if [ ! -d "$dir/node_modules/axios" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error axios@1 >&2
fi
NODE_PATH="$dir/node_modules" exec node "$@"
