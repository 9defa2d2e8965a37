#!/usr/bin/env bash
# The test command: installs what is missing (idempotent), then format, lints and every test.
# Benchmarks run in criterion's test mode here (each once); `cargo bench` gives the figures.
# Each phase prints how long it took, so a slow CI run shows where the time went.
set -euo pipefail
cd "$(dirname "$0")/.."
phase() {
    local name=$1 start=$SECONDS
    shift
    echo "==> $name" >&2
    "$@"
    echo "==> $name: done in $((SECONDS - start)) s" >&2
}
phase setup bash scripts/setup.sh --system
# The data (registry downloads and conversions: ~4 min on a fresh machine, 0 s after) is made
# while fmt, clippy and the test build run; the tests wait for it.
data_log=$(mktemp)
bash scripts/setup.sh --data >"$data_log" 2>&1 &
data_pid=$!
trap 'kill "$data_pid" 2>/dev/null || true' EXIT
wait_data() {
    local rc=0
    wait "$data_pid" || rc=$?
    trap - EXIT
    cat "$data_log" >&2
    if ((rc)); then
        echo "setup --data failed (exit $rc)" >&2
        return "$rc"
    fi
}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
chmod 700 "$XDG_RUNTIME_DIR"
phase fmt cargo fmt --all -- --check
phase crate-seams bash scripts/check-deps.sh
phase clippy cargo clippy --workspace --all-targets --locked -- -D warnings
phase build-tests cargo test --workspace --all-targets --locked --no-run ${QUAKECAST_TIMINGS:+--timings}
# Tests that need PostgreSQL or Chromium fail under CI (CI=true) when they are missing, and
# are skipped elsewhere; the skipped ones are listed after the run.
phase setup-data wait_data
export QUAKECAST_SKIP_LOG=${QUAKECAST_SKIP_LOG:-$(mktemp)}
: >"$QUAKECAST_SKIP_LOG"
phase tests cargo test --workspace --all-targets --locked --no-fail-fast
if [ -s "$QUAKECAST_SKIP_LOG" ]; then
    echo "==> skipped (not run, missing components):" >&2
    sort -u "$QUAKECAST_SKIP_LOG" >&2
fi
# Kubernetes + KEDA manifests, validated offline (pinned PyPI packages in .venv-infra/).
phase infra bash infra/validate.sh
# The fault drill, short form: PostgreSQL, an S3 process, the service and two workers on
# loopback under a small storm with a worker killed, S3 stopped and the service restarted.
phase drill bash infra/drill.sh --short
echo "==> all green in $SECONDS s" >&2
