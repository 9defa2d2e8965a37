#!/usr/bin/env bash
# The audience at national scale, end to end: `quakecast audience select` (the README's dev
# build) against DuckDB straight on the raw snapshot Parquet, for the Luding M6.8 report, in one
# run, printed as ratios. DuckDB comes from PyPI (duckdb==2.0.1) in a virtualenv beside the
# files. Not part of CI (100 M users take ~3 GB of Parquet, ~2 GB of index and a few minutes);
# the criterion bench `audience` covers 1 M in CI's quick mode.
#
#   bash benches/duckdb/audience-vs-duckdb.sh [USERS] [DIR]     # defaults 100000000, /tmp/quakecast-audience-bench
#
# A snapshot already in DIR with the same user count is reused (generation is not measured).
set -euo pipefail
cd "$(dirname "$0")/../.."
users=${1:-100000000}
dir=${2:-/tmp/quakecast-audience-bench}
report=scenes/samples/cenc-record-2022-09-05-luding.json
mkdir -p "$dir"
cargo build --locked -q -p quakecast --bin quakecast
q=${CARGO_TARGET_DIR:-target}/debug/quakecast
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

if [ "$(cat "$dir/users.count" 2>/dev/null)" != "$users" ]; then
  echo "bench: generating $users users into $dir/users.parquet" >&2
  "$q" audience generate --users "$users" --out "$dir/users.parquet" >/dev/null
  echo "$users" >"$dir/users.count"
fi
if [ ! -x "$dir/duckdb-venv/bin/python" ]; then
  python3 -m venv "$dir/duckdb-venv"
  "$dir/duckdb-venv/bin/pip" install -q duckdb==2.0.1
fi

t0=$(now)
"$q" audience index "$dir/users.parquet" --index "$dir/users.qcx" --full >"$dir/index.json"
index_secs=$(secs "$t0" "$(now)")

select_runs=()
for _ in 1 2 3 4 5; do
  t0=$(now)
  "$q" audience select "$report" --index "$dir/users.qcx" --out "$dir/select" 2>/dev/null
  select_runs+=("$(secs "$t0" "$(now)")")
done
scan=$("$q" audience scan --index "$dir/users.qcx")
duck=$("$dir/duckdb-venv/bin/python" benches/duckdb/luding.py "$dir/users.parquet" "$dir/duckdb" 3)

python3 - "$users" "$index_secs" "$scan" "$duck" "$dir/select/summary.json" "${select_runs[@]}" <<'PY'
import json, statistics, sys
users, index_secs, scan, duck, summary = sys.argv[1:6]
runs = sorted(float(x) for x in sys.argv[6:])
scan, duck = json.loads(scan), json.loads(duck)
s = json.load(open(summary))
ours = statistics.median(runs)
d_count = statistics.median(duck["count_secs"])
d_write = statistics.median(duck["write_secs"])
print(f"audience at {int(users):,} users, Luding M6.8 (medians; one run of this script)")
print(f"  quakecast audience select, whole command: {ours:.3f} s (runs {', '.join(f'{r:.3f}' for r in runs)})")
print(f"    inside it: selection {s['timings']['select_secs']:.3f} s, Parquet {s['timings']['write_parquet_secs']:.3f} s, "
      f"tier cells {s['timings']['tier_cells_secs']:.3f} s, summary {s['timings']['summary_secs']:.3f} s")
print(f"  DuckDB {duck['duckdb']} ({duck['threads']} threads) on the raw snapshot: count {d_count:.3f} s, count + write Parquet {d_write:.3f} s "
      f"({duck['users']:,} users; quakecast {s['users']['total']:,})")
print(f"  ratio DuckDB write / quakecast select: {d_write / ours:.2f}  (goal >= 2)")
print(f"  ratio DuckDB count / quakecast select: {d_count / ours:.2f}")
print(f"  scan floor of the index: {scan['secs']:.3f} s; index build {float(index_secs):.1f} s (goal <= 60 s)")
PY
