#!/usr/bin/env bash
# The crate seams, checked from the dependency graph (`docs/architecture.md`): the pure crates
# link no async runtime, GPU, network, database or ffmpeg crate; the audience, audio, core and
# farm crates no GPU (the farm renders through its SegmentRenderer trait). Fails naming the crate and what it pulled in.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
forbid() {
    local pkg=$1 pattern=$2 found
    found=$(cargo tree -p "$pkg" -e normal --prefix none --locked --offline 2>/dev/null |
        awk '{print $1}' | grep -E "^($pattern)$" | sort -u | tr '\n' ' ' || true)
    if [[ -n $found ]]; then
        echo "check-deps: $pkg depends on $found(forbidden: $pattern)" >&2
        status=1
    else
        echo "check-deps: $pkg: none of $pattern" >&2
    fi
}
impure='tokio|async-std|wgpu|wgpu-core|naga|ash|axum|hyper|reqwest|ureq|rustls|aws-[a-z0-9-]+|sqlx|sqlx-core|ffmpeg-sidecar|memmap2|libc'
forbid quakecast-facts "$impure"
forbid quakecast-scenes "$impure"
forbid quakecast-audience 'wgpu|wgpu-core|naga|ash|ffmpeg-sidecar|tokio|sqlx|aws-sdk-s3'
forbid quakecast-audio 'wgpu|wgpu-core|naga|ash'
forbid quakecast-core 'wgpu|wgpu-core|naga|ash|quakecast-renderer|tokio|axum|sqlx|aws-sdk-s3'
forbid quakecast-farm 'wgpu|wgpu-core|naga|ash|quakecast-renderer|ffmpeg-sidecar'
exit $status
