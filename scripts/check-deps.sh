#!/usr/bin/env bash
# The crate seams, checked from the dependency graph (`docs/architecture.md`): the pure crates
# link no async runtime, GPU, network, database or ffmpeg crate; the audience, audio, core and
# farm crates no GPU (the farm renders through the core's SegmentRenderer trait); the
# pipeline no farm; the binary only thin glue. Fails naming the crate and what it pulled in.
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
forbid quakecast-farm 'wgpu|wgpu-core|naga|ash|quakecast-renderer|quakecast-pipeline|ffmpeg-sidecar'
# The local GPU pipeline: no farm (queue, HTTP, database, S3) behind it.
forbid quakecast-pipeline 'quakecast-farm|quakecast-audience|tokio|axum|sqlx|aws-sdk-s3'
# The binary is a thin layer: it reaches the GPU only through the pipeline crate.
direct=$(cargo tree -p quakecast -e normal --depth 1 --prefix none --locked --offline 2>/dev/null |
    awk 'NR>1 {print $1}' | grep -E '^(quakecast-renderer|quakecast-audio|quakecast-scenes|wgpu)$' | tr '\n' ' ' || true)
if [[ -n $direct ]]; then
    echo "check-deps: the quakecast binary depends directly on $direct(it should call quakecast-pipeline)" >&2
    status=1
else
    echo "check-deps: quakecast (binary): no direct renderer, audio or scenes dependency" >&2
fi
exit $status
