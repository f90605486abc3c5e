#!/usr/bin/env bash
# The soak recorded in BENCHMARKS.md: `scalelite serve --demo` (3 simulated servers, a poll pass every second)
# under bounded request loops on loopback, all at once: joins, creates and ends of 200 meetings in turn,
# getMeetings and getRecordings, each from its own wrk. getRecordings reads an index the soak fills first:
# $SOAK_RECORDINGS recordings (default 10,000; two formats and a metadata each) imported from the spool over
# 200 meetings, and every minute $SOAK_IMPORTS tars (default 100) land in the spool, so imports run beside the
# reads. They replace recordings already indexed, in turn, so the index keeps its size and the load stays the
# same from minute to minute; with SOAK_INDEX=growing they are new recordings, and the index grows.
# getRecordings asks by one meetingID (about 50 recordings), by three, and by a meta filter. Every minute it
# prints the load balancer's resident memory (all of it, and its anonymous part) and open files, and each call's
# rate, p50 and p99 and how many answers refused; at the end, the growth of memory and open files from the end
# of the warm-up (the first 2 minutes) to the last minute, and how many recordings the index holds.
# Needs wrk (Debian package). Usage: tests/bench/soak.sh [minutes] [sqlite|redis]
# BENCH_BINARIES=<dir> runs the `scalelite` and `examples/recordings_bench` in that directory instead of building them.
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${1:-30}
store=${2:-sqlite}
recordings=${SOAK_RECORDINGS:-10000}
imports=${SOAK_IMPORTS:-100}
index=${SOAK_INDEX:-steady}
case $index in steady | growing) ;; *) echo "SOAK_INDEX is steady or growing, not $index" >&2; exit 2 ;; esac
secret=soak-secret
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
store_env=(SQLITE_PATH="$work/soak.db")
if [ "$store" = redis ]; then
  namespace=soak-$$
  store_env+=(REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" REDIS_NAMESPACE="$namespace" SINGLE_REPLICA=true)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work";
        redis-cli eval "for _,k in ipairs(redis.call(\"KEYS\", ARGV[1])) do redis.call(\"DEL\", k) end" 0 "$namespace:*" > /dev/null' EXIT
fi
if [ -n "${BENCH_BINARIES:-}" ]; then
  target=$BENCH_BINARIES
else
  cargo build --release -q -p scalelite-cli -p scalelite-integration-tests --bin scalelite --example recordings_bench
  target=${CARGO_TARGET_DIR:-target}/release
fi
# shellcheck source=tests/bench/common.sh
. tests/bench/common.sh

spool=$work/recordings/spool
for dir in spool work published unpublished captions; do mkdir -p "$work/recordings/$dir"; done
"$target/examples/recordings_bench" spool "$recordings" "$spool"
env "${store_env[@]}" LOADBALANCER_SECRET=$secret PORT=3400 POLL_INTERVAL=1 RUST_LOG=warn \
  RECORDING_SPOOL_DIR="$spool" RECORDING_WORK_DIR="$work/recordings/work" \
  RECORDING_PUBLISH_DIR="$work/recordings/published" RECORDING_UNPUBLISH_DIR="$work/recordings/unpublished" \
  RECORDING_CAPTIONS_DIR="$work/recordings/captions" RECORDING_IMPORT_SETTLE=0 RECORDING_IMPORT_POLL_INTERVAL=10 \
  "$target/scalelite" serve --demo --demo-servers 3 > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:3400/readyz > /dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:3400$(signed create 'meetingID=soak&name=Soak')" > /dev/null
# The index filled before the soak starts: the spool empties as its tars are imported.
# (A tar the import sets aside moves to a directory below the spool: only the spool's own files count.)
spooled() { find "$spool" -maxdepth 1 -name '*.tar' -print -quit; }
for _ in $(seq 600); do [ -z "$(spooled)" ] && break; sleep 0.5; done
[ -z "$(spooled)" ] || echo "warning: tars still in the spool after 5 minutes; the soak starts anyway" >&2
indexed() { curl -sf "http://127.0.0.1:3400$(signed getRecordings "meetingID=$(seq -s, -f 'soak-rec-%g' 0 199)")" | grep -o '<recordID>' | wc -l; }
echo "index filled: $(indexed) recordings"

signed join 'meetingID=soak&fullName=Soak&role=VIEWER' > "$work/join.txt"
signed getMeetings '' > "$work/getMeetings.txt"
for i in $(seq 0 199); do
  signed getRecordings "meetingID=soak-rec-$i"
  signed getRecordings "meetingID=soak-rec-$i,soak-rec-$(( (i + 1) % 200 )),soak-rec-$(( (i + 2) % 200 ))"
  signed getRecordings "meta_course=course-$i"
done > "$work/getRecordings.txt"
for i in $(seq 0 199); do
  signed create "meetingID=soak-$i&name=Soak+$i&moderatorPW=mp"
  signed end "meetingID=soak-$i&password=mp"
done > "$work/createEnd.txt"
calls=(join createEnd getMeetings getRecordings)

# Resident memory (kB): all of it, and the process's own (anonymous) part, without the pages of the mapped
# embedded store, which the kernel counts while they are touched and drops again.
memory() { awk -v field="$1" '$1 == field":" { print $2 }' "/proc/$server/status"; }
files() { find "/proc/$server/fd" -mindepth 1 | wc -l; }
printf '%-7s %9s %9s %6s' minute rss_kb anon_kb files
for call in "${calls[@]}"; do printf ' | %-13s %7s %7s %7s %5s' "$call" "/s" "p50 ms" "p99 ms" refus; done
echo
warm=()
for minute in $(seq 1 "$minutes"); do
  # Recordings for the import to index while the reads run: the next ones of the index in turn, or new ones.
  first=$(( (minute - 1) * imports ))
  if [ "$index" = steady ]; then first=$(( first % recordings )); else first=$(( recordings + first )); fi
  "$target/examples/recordings_bench" spool "$imports" "$spool" "$first"
  for call in "${calls[@]}"; do
    # Creates and ends go one connection in turn, so each end follows its own create.
    connections=4
    [ "$call" = createEnd ] && connections=1
    URLS="$work/$call.txt" wrk -t1 -c"$connections" -d60s --latency -s tests/bench/soak.lua \
      http://127.0.0.1:3400 > "$work/$call.out" &
  done
  wait $(jobs -p | grep -v "^$server$")
  rss=$(memory VmRSS)
  anon=$(memory RssAnon)
  open=$(files)
  [ "$minute" -eq 2 ] && warm=("$rss" "$anon" "$open")
  printf '%-7s %9s %9s %6s' "$minute" "$rss" "$anon" "$open"
  for call in "${calls[@]}"; do
    out=$work/$call.out
    printf ' | %-13s %7.0f %7s %7s %5s' "$call" "$(rate "$out")" "$(percentile 50 "$out")" "$(percentile 99 "$out")" \
      "$(awk '$1 == "refused" { print $2 }' "$out")"
  done
  echo
done
if [ "${#warm[@]}" -eq 3 ]; then
  awk -v r0="${warm[0]}" -v a0="${warm[1]}" -v f0="${warm[2]}" -v r="$rss" -v a="$anon" -v f="$open" \
    'BEGIN { printf "after warm-up: RSS %+.1f%%, its anonymous part %+.1f%%, open files %+.1f%%\n",
             (r - r0) * 100 / r0, (a - a0) * 100 / a0, (f - f0) * 100 / f0 }'
fi
expected=$recordings
[ "$index" = steady ] || expected=$(( recordings + minutes * imports ))
echo "recordings indexed at the end: $(indexed) (of $expected)"
