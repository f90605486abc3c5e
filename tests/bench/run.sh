#!/usr/bin/env bash
# Load runs recorded in BENCHMARKS.md: join redirects and create round trips through the local runtime
# against the simulated fleet, next to a bare hyper server answering a fixed 302.
# Needs wrk (Debian package). Usage: tests/bench/run.sh [seconds] [connections] [sqlite|redis]
# The redis store uses REDIS_URL (default the local server) under a throw-away namespace.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-15}
connections=${2:-64}
store=${3:-sqlite}
secret=bench-secret
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
store_env=()
if [ "$store" = redis ]; then
  namespace=bench-$$
  store_env=(REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" REDIS_NAMESPACE="$namespace" SINGLE_REPLICA=true)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work";
        redis-cli eval "for _,k in ipairs(redis.call(\"KEYS\", ARGV[1])) do redis.call(\"DEL\", k) end" 0 "$namespace:*" > /dev/null' EXIT
fi

cargo build --release -q -p scalelite-cli -p scalelite-integration-tests --bin scalelite --example bare_redirect
target=${CARGO_TARGET_DIR:-target}/release

env "${store_env[@]}" LOADBALANCER_SECRET=$secret SQLITE_PATH=$work/bench.db PORT=3100 POLL_INTERVAL=3600 RUST_LOG=warn \
  "$target/scalelite" serve --demo --demo-servers 3 > "$work/serve.log" 2>&1 &
"$target/examples/bare_redirect" 3200 &
sleep 2

sign() { printf '%s' "$1$2$secret" | sha256sum | cut -d' ' -f1; }
signed() { echo "/bigbluebutton/api/$1?$2&checksum=$(sign "$1" "$2")"; }

curl -sf "http://127.0.0.1:3100$(signed create 'meetingID=bench&name=Bench')" > /dev/null
join=$(signed join 'meetingID=bench&fullName=Load+Test&role=VIEWER')

echo "== bare hyper 302"
wrk -t2 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:3200/" | grep -E 'Requests/sec|50%|99%'
echo "== join through scalelite-rs"
wrk -t2 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:3100$join" | grep -E 'Requests/sec|50%|99%|Non-2xx'

python3 - "$secret" > "$work/creates.txt" <<'PY'
import hashlib, sys
secret = sys.argv[1]
for i in range(300000):
    query = f"meetingID=load-{i}&name=Load+{i}"
    checksum = hashlib.sha256(f"create{query}{secret}".encode()).hexdigest()
    print(f"/bigbluebutton/api/create?{query}&checksum={checksum}")
PY
echo "== create (new meetings) through scalelite-rs, each a round trip to a simulated BBB server"
URLS=$work/creates.txt wrk -t2 -c"$connections" -d"${seconds}s" --latency -s tests/bench/urls.lua "http://127.0.0.1:3100" \
  | grep -E 'Requests/sec|50%|99%|Non-2xx'
