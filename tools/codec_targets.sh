#!/usr/bin/env bash
# The codec's throughput targets (issue 4) measured in one command: on one
# core (taskset -c CORE), the real maps of N images (tools/bench_maps.sh),
# DCT-CM as the pool runs it (the default tuning of the calibration), with
# zvc (unchanged code: the control for a busy host) and memcpy of the same
# bytes in the same runs; ROUNDS rounds over the images, then the scalar
# and avx2 variants once on img1.
#   tools/codec_targets.sh [MAPS_ROOT] [ROUNDS] [CORE]
# Defaults: /tmp/realmaps (made by tools/bench_maps.sh when absent), 3, 1.
# Needs the Release build (build/, or DCTCM_BUILD) and the calibration
# ($DCTCM_CACHE/calibration.json, default ~/.cache/dctcm, from tools/run.sh).
# GB/s are of raw map bytes, per image sum of bytes / sum of per-map median
# times, as dctcm-bench-codec's summary lines. The verdict per target uses
# the median over rounds of each image, and names the worst image.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
maps=${1:-/tmp/realmaps}
rounds=${2:-3}
core=${3:-1}
bench=${DCTCM_BUILD:-$root/build}/kernels/codec/dctcm-bench-codec
cal=${DCTCM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dctcm}/calibration.json
for f in "$bench" "$cal"; do
  if [ ! -f "$f" ]; then
    echo "codec_targets: $f not found; run tools/run.sh setup first" >&2
    exit 1
  fi
done
if [ ! -d "$maps/img1" ]; then
  "$root/tools/bench_maps.sh" "$maps" 4 >&2
fi
images=$(cd "$maps" && ls -d img* | sort -V)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
date -u +"%Y-%m-%d %H:%M UTC, $(git -C "$root" rev-parse --short HEAD), core $core, calibration $cal" >"$tmp/when"
for r in $(seq "$rounds"); do
  for img in $images; do
    taskset -c "$core" "$bench" --maps "$maps/$img" --seconds 0.05 --variant avx512 \
      --mode zvc --tuning "$cal" --json "$tmp/r$r.$img.avx512.json" >/dev/null
  done
done
for v in scalar avx2; do
  taskset -c "$core" "$bench" --maps "$maps/img1" --seconds 0.05 --variant $v \
    --mode zvc --tuning "$cal" --json "$tmp/r1.img1.$v.json" >/dev/null
done
python3 - "$tmp" "$rounds" $images <<'EOF'
import json, statistics, sys
tmp, rounds, images = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def totals(path):
    """Per mode: (encode, decode GB/s, ratio total), and memcpy GB/s: sum bytes / sum times."""
    res = json.load(open(path))["results"]
    out, mc = {}, {}
    for mode in ("zvc", "tuned"):
        rs = [x for x in res if x["mode"] == mode]
        raw = sum(x["raw_bytes"] for x in rs)
        te = sum(x["raw_bytes"] / x["encode_gbps"] for x in rs)
        td = sum(x["raw_bytes"] / x["decode_gbps"] for x in rs)
        out[mode] = (raw / te, raw / td, raw / sum(x["stream_bytes"] for x in rs))
        for x in rs:
            mc[x["map"]] = (x["raw_bytes"], x["memcpy_gbps"])
    out["memcpy"] = sum(b for b, _ in mc.values()) / sum(b / g for b, g in mc.values())
    return out

print(open(f"{tmp}/when").read().strip())
print(f"avx512, {rounds} rounds; per image: median (min-max) over rounds, GB/s")
print(f"{'image':6} {'ratio':>6} | {'tuned encode':>17} {'tuned decode':>17} | {'zvc encode':>17} {'zvc decode':>17} | {'memcpy':>6} | tuned/zvc enc")
med = {}
for img in images:
    t = [totals(f"{tmp}/r{r}.{img}.avx512.json") for r in range(1, rounds + 1)]
    def col(f):
        v = [f(x) for x in t]
        return statistics.median(v), min(v), max(v)
    cols = {
        "te": col(lambda x: x["tuned"][0]), "td": col(lambda x: x["tuned"][1]),
        "ze": col(lambda x: x["zvc"][0]), "zd": col(lambda x: x["zvc"][1]),
        "mc": col(lambda x: x["memcpy"]), "q": col(lambda x: x["tuned"][0] / x["zvc"][0]),
    }
    med[img] = cols
    f = lambda c: f"{c[0]:5.2f} ({c[1]:5.2f}-{c[2]:5.2f})"
    print(f"{img:6} {t[0]['tuned'][2]:6.3f} | {f(cols['te'])} {f(cols['td'])} | {f(cols['ze'])} {f(cols['zd'])} "
          f"| {cols['mc'][0]:6.1f} | {cols['q'][0]:.2f}")
for v in ("scalar", "avx2"):
    x = totals(f"{tmp}/r1.img1.{v}.json")
    print(f"img1 {v:6}: tuned {x['tuned'][0]:.2f} / {x['tuned'][1]:.2f}, zvc {x['zvc'][0]:.2f} / {x['zvc'][1]:.2f}, memcpy {x['memcpy']:.1f}")
print("targets (median over rounds, worst image):")
for key, name, goal in (("te", "DCT-CM encode", 4.0), ("td", "DCT-CM decode", 4.0), ("zd", "zvc decode", 10.0)):
    worst = min(images, key=lambda i: med[i][key][0])
    w = med[worst][key][0]
    print(f"  {name:14} >= {goal:4.1f}: {'met' if w >= goal else 'NOT met'} (worst {worst} {w:.2f}, "
          f"best {max(med[i][key][0] for i in images):.2f})")
EOF
