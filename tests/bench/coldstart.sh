#!/usr/bin/env bash
# Lambda cold-start benchmark: builds, with the release profile in this run, the
# function as deployed (`accounts-get`, no default features: what infra/Makefile
# builds, for this machine's architecture), the two baselines and `inbox` (which
# loads the fixtures), starts DynamoDB Local, then runs tests/bench/coldstart/.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -p accounts-get --no-default-features
cargo build --release --locked -p inbox-tests --example lambda-hello --example lambda-floor
cargo build --release --locked -p inbox
started=""
if [ -z "${INBOX_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  INBOX_TEST_DYNAMODB_ENDPOINT=$(tests/dynamodb-local.sh start)
  started=1
fi
export INBOX_TEST_DYNAMODB_ENDPOINT
trap '[ -n "$started" ] && tests/dynamodb-local.sh stop' EXIT
cargo bench --locked -p inbox-tests --bench coldstart
