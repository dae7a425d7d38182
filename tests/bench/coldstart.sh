#!/usr/bin/env bash
# Lambda cold-start benchmark: builds, in this run with the profile infra/Makefile
# ships (`deploy`), the function as deployed (`accounts-get`, no default features,
# for this machine's architecture) and the two baselines, then `inbox` (which
# loads the fixtures), starts DynamoDB Local, then runs tests/bench/coldstart/.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --profile deploy --locked -p accounts-get --no-default-features
cargo build --profile deploy --locked -p inbox-tests --example lambda-hello --example lambda-floor
cargo build --release --locked -p inbox
started=""
if [ -z "${INBOX_TEST_DYNAMODB_ENDPOINT:-}" ]; then
  INBOX_TEST_DYNAMODB_ENDPOINT=$(tests/dynamodb-local.sh start)
  started=1
fi
export INBOX_TEST_DYNAMODB_ENDPOINT
trap '[ -n "$started" ] && tests/dynamodb-local.sh stop' EXIT
cargo bench --locked -p inbox-tests --bench coldstart
