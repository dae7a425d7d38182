#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver (same version), for the browser tests.
# A test tool's own browser download does not work here; these packages do.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  chromium --version
  exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
$sudo apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium chromium-driver >/dev/null
chromium --version
