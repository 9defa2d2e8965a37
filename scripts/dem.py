#!/usr/bin/env python3
"""Derive data/dem/etopo5.i16 from Debian ferret-datasets (etopo5.cdf, ETOPO5, public domain).

ETOPO5 is NOAA NGDC's 1988 5-arc-minute global relief: land heights and sea-floor depths in
metres on one grid. ferret-datasets ships it as netCDF classic (CDF1); this reads the file with a
minimal header parser (standard library only, no netCDF library), finds the variable ROSE and its
coordinate variables ETOPO05_X (longitude) and ETOPO05_Y (latitude), and writes a headerless grid:

  etopo5.i16: int16 little-endian metres, row-major, ncols x nrows, row 0 = northernmost,
              column 0 = westernmost, longitudes in -180..180 order (columns rotated if the
              source runs 0..360). Cell (row r, col c) is centred at
              lat = lat0 - r*dy, lon = lon0 + c*dx (dx, dy > 0, from meta.json).

The netCDF classic format (big-endian throughout):
  header  = magic('C','D','F',1|2) numrecs dim_list gatt_list var_list
  dim_list, gatt_list, var_list = ABSENT (two zero int32) | tag(0x0A|0x0C|0x0B) nelems [item ...]
  dim  = name dim_length          attr = name nc_type nelems [values, padded to 4 bytes]
  var  = name nelems [dimid ...] vatt_list nc_type vsize begin (int32 in CDF1, int64 in CDF2)
  name = nelems chars padded to 4 bytes; nc_type 1 byte, 2 char, 3 short, 4 int, 5 float, 6 double
Run by scripts/setup.sh; idempotent (output written to .tmp, then renamed).
usage: dem.py VERSION ETOPO5_CDF OUT_DIR
"""
import array
import json
import math
import os
import struct
import sys
import time

NC_DIMENSION, NC_VARIABLE, NC_ATTRIBUTE = 0x0A, 0x0B, 0x0C
TYPES = {1: ("b", 1), 2: ("c", 1), 3: ("h", 2), 4: ("i", 4), 5: ("f", 4), 6: ("d", 8)}
SAMPLES = [("Mount Everest area", 27.99, 86.93), ("Mariana Trench", 11.35, 142.2), ("Luding", 29.59, 102.08),
           ("Chengdu", 30.66, 104.07), ("Dead Sea", 31.5, 35.5), ("Denver", 39.74, -104.99),
           ("mid-Pacific", 0.0, -150.0)]


class Reader:
    def __init__(self, data):
        self.b, self.o = data, 0

    def take(self, fmt):
        v = struct.unpack_from(">" + fmt, self.b, self.o)
        self.o += struct.calcsize(">" + fmt)
        return v if len(v) > 1 else v[0]

    def pad(self, n):
        self.o += n + (-n % 4)

    def name(self):
        n = self.take("i")
        s = self.b[self.o:self.o + n].decode("utf-8")
        self.pad(n)
        return s

    def values(self, nc_type, n):
        code, size = TYPES[nc_type]
        raw = self.b[self.o:self.o + n * size]
        self.pad(n * size)
        if code == "c":
            return raw.rstrip(b"\0").decode("latin-1")
        return list(struct.unpack(f">{n}{code}", raw))

    def list(self, tag, item):
        t, n = self.take("ii")
        if t == 0 and n == 0:
            return []
        if t != tag:
            raise ValueError(f"netCDF header: tag {t:#x} where {tag:#x} expected at byte {self.o - 8}")
        return [item() for _ in range(n)]

    def attrs(self):
        def attr():
            name = self.name()
            t, n = self.take("ii")
            return name, self.values(t, n)
        return dict(self.list(NC_ATTRIBUTE, attr))


def parse_header(data):
    """(numrecs, dims [(name, len)], global attrs, vars {name: dict}) of a CDF1/CDF2 file."""
    if data[:3] != b"CDF" or data[3] not in (1, 2):
        raise ValueError("not a netCDF classic (CDF1/CDF2) file")
    r = Reader(data)
    r.o = 4
    offset_fmt = "i" if data[3] == 1 else "q"
    numrecs = r.take("i")
    dims = r.list(NC_DIMENSION, lambda: (r.name(), r.take("i")))
    gatts = r.attrs()

    def var():
        name = r.name()
        n = r.take("i")
        dimids = [r.take("i") for _ in range(n)]
        atts = r.attrs()
        nc_type, vsize = r.take("ii")
        begin = r.take(offset_fmt)
        return name, {"dimids": dimids, "attrs": atts, "type": nc_type, "vsize": vsize, "begin": begin}

    return numrecs, dims, gatts, dict(r.list(NC_VARIABLE, var))


def read_var(data, numrecs, dims, variables, name):
    """A variable's values as a flat native array (row-major over its dims) and its shape."""
    v = variables[name]
    code, size = TYPES[v["type"]]
    shape = [dims[i][1] for i in v["dimids"]]
    is_rec = bool(shape) and shape[0] == 0  # the unlimited dimension has length 0 in the header
    if is_rec:
        shape[0] = numrecs
        recsize = sum(x["vsize"] for x in variables.values() if x["dimids"] and dims[x["dimids"][0]][1] == 0)
        nrec_vars = sum(1 for x in variables.values() if x["dimids"] and dims[x["dimids"][0]][1] == 0)
        if nrec_vars == 1:
            recsize = math.prod(shape[1:]) * size  # a lone record variable is not padded
        per = math.prod(shape[1:]) * size
        raw = b"".join(data[v["begin"] + k * recsize:v["begin"] + k * recsize + per] for k in range(numrecs))
    else:
        n = math.prod(shape)
        raw = data[v["begin"]:v["begin"] + n * size]
    if code == "c":
        return raw, shape
    a = array.array(code)
    a.frombytes(raw)
    if sys.byteorder == "little" and size > 1:
        a.byteswap()
    if len(a) != math.prod(shape):
        raise ValueError(f"{name}: file too short for shape {shape}")
    return a, shape


def spacing(coord, name):
    steps = [coord[i + 1] - coord[i] for i in range(len(coord) - 1)]
    d = (coord[-1] - coord[0]) / (len(coord) - 1)
    if any(abs(s - d) > 1e-6 * max(1.0, abs(d)) + 1e-4 for s in steps):
        raise ValueError(f"{name} is not evenly spaced")
    return d


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.rsplit("usage: ", 1)[1])
    version, src, out_dir = sys.argv[1:]
    t0 = time.monotonic()
    with open(src, "rb") as fh:
        data = fh.read()
    numrecs, dims, gatts, variables = parse_header(data)
    rose = variables["ROSE"]
    ydim, xdim = (dims[i][0] for i in rose["dimids"])
    xs, _ = read_var(data, numrecs, dims, variables, xdim)
    ys, _ = read_var(data, numrecs, dims, variables, ydim)
    z, (ny, nx) = read_var(data, numrecs, dims, variables, "ROSE")
    print(f"dem.py: {src}: CDF{data[3]}, dims {dims}, ROSE {TYPES[rose['type']][0]} {ny}x{nx} "
          f"({ydim}, {xdim}) at byte {rose['begin']}, attrs {rose['attrs']}; "
          f"{xdim} {xs[0]}..{xs[-1]} {variables[xdim]['attrs'].get('units', '')}, "
          f"{ydim} {ys[0]}..{ys[-1]} {variables[ydim]['attrs'].get('units', '')}; global {gatts}", file=sys.stderr)
    dx, dy = spacing(xs, xdim), spacing(ys, ydim)
    # Global grid: nx columns over 360 degrees (periodic), ny rows over 180 degrees either with both
    # poles (node-registered, ny - 1 steps, as here) or without (cell-registered). ferret's
    # ETOPO05_X runs 0..359.92 (359.9167 rounded, then spaced evenly), so its step is 0.0833341,
    # not 1/12: snap both axes to the exact global spacing and rebuild them from their first value.
    if abs(abs(dx) * nx - 360) > 0.05:
        raise ValueError(f"{xdim}: {nx} columns of {dx} do not span 360 degrees")
    ysteps = ny - 1 if abs(abs(dy) * (ny - 1) - 180) < abs(abs(dy) * ny - 180) else ny
    if abs(abs(dy) * ysteps - 180) > 0.05:
        raise ValueError(f"{ydim}: {ny} rows of {dy} do not span 180 degrees")
    dx, dy = math.copysign(360 / nx, dx), math.copysign(180 / ysteps, dy)
    xs = [xs[0] + i * dx for i in range(nx)]
    ys = [ys[0] + i * dy for i in range(ny)]
    scale = rose["attrs"].get("scale_factor", [1])[0]
    offset = rose["attrs"].get("add_offset", [0])[0]
    fill = [rose["attrs"][k][0] for k in ("_FillValue", "missing_value") if k in rose["attrs"]]
    if rose["type"] != 2 and any(z.count(v) for v in fill):
        raise ValueError(f"ROSE has missing values {fill}")
    if rose["type"] != 3 or scale != 1 or offset != 0:
        z = array.array("h", (max(-32768, min(32767, round(v * scale + offset))) for v in z))
    rows = [z[r * nx:(r + 1) * nx] for r in range(ny)]
    if dx < 0:  # east first: reverse every row
        rows = [r[::-1] for r in rows]
        xs, dx = xs[::-1], -dx
    if dy > 0:  # south first: north row first
        rows, ys = rows[::-1], ys[::-1]
    else:
        dy = -dy
    lon = [((x + 180) % 360) - 180 for x in xs]  # -180..180, then start at the westernmost
    k = min(range(nx), key=lambda i: (lon[i], i))
    if k:
        rows = [r[k:] + r[:k] for r in rows]
    lon0, lat0 = round(lon[k], 9), round(ys[0], 9)
    out = array.array("h")
    for r in rows:
        out.extend(r)
    if sys.byteorder != "little":
        out.byteswap()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "etopo5.i16")
    with open(path + ".tmp", "wb") as fh:
        out.tofile(fh)
    os.replace(path + ".tmp", path)
    meta = {
        "source": "ETOPO5 (NOAA NGDC, 1988)",
        "package": "ferret-datasets",
        "version": version,
        "file": "etopo5.i16",
        "ncols": nx,
        "nrows": ny,
        "lon0": round(lon0, 6),
        "lat0": round(lat0, 6),
        "dx": dx,
        "dy": dy,
        "layout": "int16 little-endian metres (negative below sea level), row-major, row 0 northernmost, "
                  "column 0 westernmost; cell (r, c) centred at lat = lat0 - r*dy, lon = lon0 + c*dx",
        "resolution": "5′ (≈9 km)",
        "licence": "public domain (U.S. Government work)",
    }
    with open(os.path.join(out_dir, "meta.json.tmp"), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    os.replace(os.path.join(out_dir, "meta.json.tmp"), os.path.join(out_dir, "meta.json"))
    mn, mx = min(out), max(out)
    samples = []
    for name, la, lo in SAMPLES:
        r = min(ny - 1, max(0, round((lat0 - la) / dy)))
        c = round((lo - lon0) / dx) % nx
        samples.append(f"{name} ({la}, {lo}) {out[r * nx + c]} m")
    print(f"dem.py: {nx}x{ny} -> {path} ({os.path.getsize(path) // 1024} KiB), lon0 {lon0} lat0 {lat0} "
          f"dx {dx:.6f} dy {dy:.6f}, heights {mn}..{mx} m; " + "; ".join(samples) +
          f"; {time.monotonic() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
