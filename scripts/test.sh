#!/usr/bin/env bash
# The test command: installs what is missing (idempotent), then format, lints and every test.
# Benchmarks run in criterion's test mode here (each once); `cargo bench` gives the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
chmod 700 "$XDG_RUNTIME_DIR"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --all-targets --locked
