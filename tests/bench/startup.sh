#!/usr/bin/env bash
# Start-up of a function process, recorded in BENCHMARKS.md: the release scalelite-function with
# FUNCTION=join on a fresh embedded SQLite store in a temporary directory, from process start to the first
# answered /healthz, repeated (default 20 times), with the idle resident memory.
# Usage: tests/bench/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q -p scalelite-functions --bin scalelite-function -p scalelite-integration-tests --example startup
target=${CARGO_TARGET_DIR:-target}/release
# The example removes the store file before each run, so every start creates and migrates it.
FUNCTION=join PORT=3300 LOADBALANCER_SECRET=bench-secret SQLITE_PATH="$work/startup.db" RUST_LOG=warn \
  "$target/examples/startup" "$target/scalelite-function" "${1:-20}"
