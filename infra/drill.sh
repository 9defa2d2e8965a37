#!/usr/bin/env bash
# The fault drill (infra/drill.py): builds the binaries it runs, then runs it.
#
#   bash infra/drill.sh                 # 50 reports, 3 workers, every fault
#   bash infra/drill.sh --short         # what CI runs: 18 reports (two look-alike ids, 3 events, one withdrawn), 2 workers, shorter faults
#   bash infra/drill.sh --scale 1,2,3   # the same storm per worker count, no faults
#
# Needs PostgreSQL, ffmpeg, lavapipe and espeak-ng (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --bins --locked -q
args=("$@")
if [[ ${1:-} == --short ]]; then
    args=(--reports 18 --workers 2 --gap 0.2 --kill-at 3 --s3-stop-at 6 --s3-stop 4
          --restart-at 10 --timeout 420 "${@:2}")
fi
exec python3 infra/drill.py "${args[@]}"
