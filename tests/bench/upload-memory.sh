#!/usr/bin/env bash
# The memory a recording upload takes, as recorded in BENCHMARKS.md: `scalelite serve` on the embedded store
# takes a tar of MiB mebibytes (default 1024) through POST /scalelite/recordings/upload, and the server's peak
# resident set (VmHWM) after the upload is printed beside the same figure before it.
# Usage: tests/bench/upload-memory.sh [MiB]
set -euo pipefail
cd "$(dirname "$0")/../.."
mib=${1:-1024}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q -p scalelite-cli --bin scalelite
target=${CARGO_TARGET_DIR:-target}/release
bbb_secret=bench-bbb-secret
export SQLITE_PATH=$work/store.db RECORDING_SPOOL_DIR=$work/spool RECORDING_WORK_DIR=$work/import \
  RECORDING_UPLOAD_MAX_BYTES=$(((mib + 16) * 1048576)) LOADBALANCER_SECRET=bench-secret PORT=3300 \
  POLL_INTERVAL=3600 RUST_LOG=warn
server_id=$("$target/scalelite" "servers:add[http://127.0.0.1:9/bigbluebutton/api,$bbb_secret]" |
  awk '$1 == "id:" { print $2 }')
"$target/scalelite" "servers:enable[$server_id]" > /dev/null
"$target/scalelite" serve > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:3300/healthz > /dev/null && break; sleep 0.1; done

# One recording whose tar is a single file of the size asked for.
mkdir -p "$work/tar/video/bench-1"
head -c $((mib * 1048576)) /dev/zero > "$work/tar/video/bench-1/video.webm"
tar -C "$work/tar" -cf "$work/upload.tar" video
rm -rf "$work/tar"
token=$(python3 - "$server_id" "$(sha256sum "$work/upload.tar" | cut -d' ' -f1)" "$bbb_secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
server, digest, secret = sys.argv[1:]
b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=")
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = b64(json.dumps({"sub": server, "record_id": "bench-1", "sha256": digest, "exp": int(time.time()) + 600}).encode())
signature = b64(hmac.new(secret.encode(), head + b"." + claims, hashlib.sha256).digest())
print((head + b"." + claims + b"." + signature).decode())
PY
)

before=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
started=$(date +%s.%N)
status=$(curl -s -o "$work/answer.json" -w '%{http_code}' -X POST -T "$work/upload.tar" \
  -H 'Content-Type: application/x-tar' -H "Authorization: Bearer $token" \
  http://127.0.0.1:3300/scalelite/recordings/upload)
finished=$(date +%s.%N)
peak=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
[ "$status" = 201 ] || { echo "the upload was answered $status: $(cat "$work/answer.json")" >&2; exit 1; }
echo "upload of $mib MiB: 201 in $(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.1f", b - a }') s;" \
  "peak resident set $((peak / 1024)) MiB after it, $((before / 1024)) MiB before it"
