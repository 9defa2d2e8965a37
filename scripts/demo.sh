#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, renders the bundled sample
# report into out/ (local-directory object store) and prints the MP4's path.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
chmod 700 "$XDG_RUNTIME_DIR"
# The dev profile (dependencies and per-frame crates optimised, see Cargo.toml) shares its build
# with the tests, so a machine that ran one command does not compile again for the other.
cargo build --locked -p quakecast --bin quakecast
exec "${CARGO_TARGET_DIR:-target}/debug/quakecast" demo "$@"
