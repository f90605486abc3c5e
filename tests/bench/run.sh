#!/usr/bin/env bash
# The load runs recorded in BENCHMARKS.md, each figure printed beside its baseline from the same run, so runs on
# different machines compare as ratios:
#   join redirects/s through scalelite-rs beside a bare hyper server answering a fixed 302;
#   create round trip (one connection, p50) through scalelite-rs beside a direct create on the same simulated
#   BBB server, and the difference;
#   creates/s under load (new meetings, `connections` at once) beside direct creates of new meetings on one simulated
#   server at the same concurrency, and their ratio;
#   poll passes over POLL_SERVERS simulated servers with 10 meetings each (tests/integration/examples/poll_bench).
# Needs wrk (Debian package). Usage: tests/bench/run.sh [seconds] [connections] [sqlite|redis]
# The redis store uses REDIS_URL (default the local server) under a throw-away namespace; POLL_SERVERS=0 skips
# the poll part (default 1000); DEMO_SERVERS sets the simulated pool (default 3); JOIN_MEETINGS spreads the joins
# over that many meetings (default 1: a whole class joining one meeting). BENCH_BINARIES=<dir> runs the binaries
# in that directory (`scalelite`, `examples/bare_redirect`, `examples/poll_bench`, as a release target directory
# holds them) instead of building, so two builds can be measured in turns.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-15}
connections=${2:-64}
store=${3:-sqlite}
poll_servers=${POLL_SERVERS:-1000}
secret=bench-secret
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
store_env=(SQLITE_PATH="$work/bench.db")
poll_env=()
if [ "$store" = redis ]; then
  namespace=bench-$$
  store_env+=(REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" REDIS_NAMESPACE="$namespace" SINGLE_REPLICA=true)
  poll_env=(SCALELITE_TEST_STORE=production)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work";
        redis-cli eval "for _,k in ipairs(redis.call(\"KEYS\", ARGV[1])) do redis.call(\"DEL\", k) end" 0 "$namespace:*" > /dev/null' EXIT
fi

if [ -n "${BENCH_BINARIES:-}" ]; then
  target=$BENCH_BINARIES
else
  cargo build --release -q -p scalelite-cli -p scalelite-integration-tests --bin scalelite --example bare_redirect \
    --example poll_bench
  target=${CARGO_TARGET_DIR:-target}/release
fi

env "${store_env[@]}" LOADBALANCER_SECRET=$secret PORT=3100 POLL_INTERVAL=3600 RUST_LOG=warn \
  "$target/scalelite" serve --demo --demo-servers "${DEMO_SERVERS:-3}" > "$work/serve.log" 2>&1 &
"$target/examples/bare_redirect" 3200 &
sleep 2

# shellcheck source=tests/bench/common.sh
. tests/bench/common.sh
load() { wrk -t"$2" -c"$3" -d"${seconds}s" --latency "${@:4}" > "$work/$1.txt"; } # label threads connections …

load bare 2 "$connections" "http://127.0.0.1:3200/"
if [ "${JOIN_MEETINGS:-1}" -gt 1 ]; then
  : > "$work/joins.txt"
  for i in $(seq 1 "$JOIN_MEETINGS"); do
    curl -sf "http://127.0.0.1:3100$(signed create "meetingID=bench-$i&name=Bench+$i")" > /dev/null
    signed join "meetingID=bench-$i&fullName=Load+Test&role=VIEWER" >> "$work/joins.txt"
  done
  URLS=$work/joins.txt load join 2 "$connections" -s tests/bench/urls.lua "http://127.0.0.1:3100"
else
  curl -sf "http://127.0.0.1:3100$(signed create 'meetingID=bench&name=Bench')" > /dev/null
  load join 2 "$connections" "http://127.0.0.1:3100$(signed join 'meetingID=bench&fullName=Load+Test&role=VIEWER')"
fi
echo "join: $(rate "$work/join.txt")/s through scalelite-rs, $(rate "$work/bare.txt")/s bare 302" \
  "(ratio $(awk -v a="$(rate "$work/join.txt")" -v b="$(rate "$work/bare.txt")" 'BEGIN { printf "%.2f", a / b }'))," \
  "p50 $(p50 "$work/join.txt") ms beside $(p50 "$work/bare.txt") ms"

# A simulated server's address and secret, as the pool lists them.
read -r sim_url sim_secret < <(env "${store_env[@]}" RUST_LOG=error "$target/scalelite" servers yaml |
  awk '$1 == "url:" { url = $2 } $1 == "secret:" && !done { print url, $2; done = 1 }')
creates() { # prefix base secret: create URLs of new meetings
  python3 - "$@" <<'PY'
import hashlib, sys
prefix, base, secret = sys.argv[1:]
for i in range(300000):
    query = f"meetingID={prefix}-{i}&name=Load+{i}"
    checksum = hashlib.sha256(f"create{query}{secret}".encode()).hexdigest()
    print(f"{base}/create?{query}&checksum={checksum}")
PY
}
creates lb /bigbluebutton/api "$secret" > "$work/lb-creates.txt"
creates direct "${sim_url#http://*/}" "$sim_secret" | sed 's|^|/|' > "$work/direct-creates.txt"
sim_origin=$(echo "$sim_url" | cut -d/ -f1-3)
URLS=$work/lb-creates.txt load create-lb 1 1 -s tests/bench/urls.lua "http://127.0.0.1:3100"
URLS=$work/direct-creates.txt load create-direct 1 1 -s tests/bench/urls.lua "$sim_origin"
echo "create round trip, one connection: p50 $(p50 "$work/create-lb.txt") ms through scalelite-rs," \
  "$(p50 "$work/create-direct.txt") ms direct to the simulated server" \
  "(overhead $(awk -v a="$(p50 "$work/create-lb.txt")" -v b="$(p50 "$work/create-direct.txt")" 'BEGIN { printf "%.3f", a - b }') ms)"

creates load /bigbluebutton/api "$secret" > "$work/lb-creates.txt"
creates load-direct "${sim_url#http://*/}" "$sim_secret" | sed 's|^|/|' > "$work/direct-creates.txt"
URLS=$work/lb-creates.txt load create-load 2 "$connections" -s tests/bench/urls.lua "http://127.0.0.1:3100"
URLS=$work/direct-creates.txt load create-load-direct 2 "$connections" -s tests/bench/urls.lua "$sim_origin"
echo "create under load ($connections connections, ${DEMO_SERVERS:-3} servers): $(rate "$work/create-load.txt")/s," \
  "p50 $(p50 "$work/create-load.txt") ms, each a round trip to a simulated BBB server;" \
  "$(rate "$work/create-load-direct.txt")/s direct to one simulated server" \
  "(ratio $(awk -v a="$(rate "$work/create-load.txt")" -v b="$(rate "$work/create-load-direct.txt")" 'BEGIN { printf "%.3f", a / b }'))"
kill $(jobs -p) 2> /dev/null || true

if [ "$poll_servers" -gt 0 ]; then
  env "${poll_env[@]}" RUST_LOG=error "$target/examples/poll_bench" "$poll_servers" $((poll_servers * 10)) 2> /dev/null |
    sed "s/^/poll ($store): /"
fi
