"""DuckDB, straight on the raw snapshot Parquet from `quakecast audience generate`: the query a
platform engineer would try first for the Luding M6.8 audience (no index; the snapshot's row
groups are not spatially clustered).

Bounding box of the weak tier's reach, haversine distance, tier by the model's equal-area radii
(exact for a circular model, whose intensity falls monotonically with distance), intensity by
the mean of the western-China relation's two axes at that distance (within ~0.1 of a level of
quakecast's equal-area solve). Prints JSON: users per tier, seconds to count, seconds to write
the audience as Parquet (snappy), DuckDB's version and thread count.

Usage: python luding.py SNAPSHOT.parquet OUT_DIR [RUNS]
"""
import json
import math
import os
import sys
import time

import duckdb

LAT, LON, M = 29.59, 102.08, 6.8
# Equal-area radii (km) of the default tiers for this event, from `quakecast audience cells`
# (summary.json model.tiers[].radius_km.equivalent).
STRONG, FELT, WEAK = 73.58, 259.79, 471.1
R_EARTH = 6371.0088


def main():
    snapshot, out = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    os.makedirs(out, exist_ok=True)
    dlat = math.degrees(WEAK / R_EARTH)
    dlon = dlat / math.cos(math.radians(LAT + dlat))
    query = f"""
        WITH c AS (
          SELECT user_id,
                 2 * {R_EARTH} * asin(sqrt(
                     pow(sin(radians(lat - {LAT}) / 2), 2)
                   + cos(radians({LAT})) * cos(radians(lat)) * pow(sin(radians(lon - {LON}) / 2), 2)
                 )) AS d
          FROM read_parquet('{snapshot}')
          WHERE lat BETWEEN {LAT - dlat} AND {LAT + dlat}
            AND lon BETWEEN {LON - dlon} AND {LON + dlon}
        )
        SELECT user_id,
               CASE WHEN d <= {STRONG} THEN 'strong' WHEN d <= {FELT} THEN 'felt' ELSE 'weak' END AS tier,
               d::FLOAT AS distance_km,
               ((5.643 + 1.538 * {M} - 2.109 * ln(d + 25.0))
              + (2.941 + 1.363 * {M} - 1.494 * ln(d + 7.0))) / 2 AS intensity
        FROM c WHERE d <= {WEAK}
    """
    con = duckdb.connect()
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    count_secs, write_secs, tiers = [], [], None
    for _ in range(runs):
        t = time.perf_counter()
        tiers = dict(con.execute(f"SELECT tier, count(*) FROM ({query}) GROUP BY tier").fetchall())
        count_secs.append(time.perf_counter() - t)
        t = time.perf_counter()
        con.execute(
            f"COPY ({query}) TO '{out}/audience.parquet' (FORMAT parquet, COMPRESSION snappy)"
        )
        write_secs.append(time.perf_counter() - t)
    print(json.dumps({
        "duckdb": duckdb.__version__,
        "threads": threads,
        "users": sum(tiers.values()),
        "tiers": tiers,
        "count_secs": sorted(count_secs),
        "write_secs": sorted(write_secs),
    }))


if __name__ == "__main__":
    main()
