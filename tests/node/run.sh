#!/usr/bin/env bash
# Runs a Node test client, installing its packages into .tools/node on first use:
# axios (the seed's client), jsonld (jsonld.js) and @api-platform/api-doc-parser
# (the JSON-LD and Hydra clients of API Platform's ecosystem).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/.tools/node"
packages=(axios@1 jsonld@8.3.3 @api-platform/api-doc-parser@0.16.10)
stamp="$dir/installed-${#packages[@]}-$(echo "${packages[*]}" | cksum | cut -d' ' -f1)"
if [ ! -f "$stamp" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${packages[@]}" >&2
  touch "$stamp"
fi
NODE_PATH="$dir/node_modules" exec node "$@"
