#!/bin/sh
# The real feature maps the codec figures are measured on: every stored map
# (54 .dmap files, 10.8 MB) of the engine's int8 ResNet-50 on each of the
# first N images of the shared validation list, one directory per image.
#   tools/bench_maps.sh OUT_DIR [N]      (default N = 4: OUT_DIR/img1 .. img4)
# Each OUT_DIR/imgI is replaced (removed, then written again).
# Needs the build (build/tools/dctcm, or DCTCM_BUILD) and the set-up of
# tools/run.sh (weights and calibration in DCTCM_CACHE); DCTCM_DATA as there.
# The maps depend on the calibration, so figures quote its summary line.
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 OUT_DIR [N]" >&2
  exit 2
fi
out=$1; count=${2:-4}
root=$(cd "$(dirname "$0")/.." && pwd)
dctcm=${DCTCM_BUILD:-$root/build}/tools/dctcm
data=${DCTCM_DATA:-$root/../shared/data/imagenet-val-1300}
if [ ! -x "$dctcm" ]; then
  echo "bench_maps: $dctcm not found; run tools/run.sh setup first" >&2
  exit 1
fi
if [ ! -f "$data/val.txt" ]; then
  echo "bench_maps: $data/val.txt not found (set DCTCM_DATA to the imagenet-val-1300 directory)" >&2
  exit 1
fi
i=0
head -n "$count" "$data/val.txt" | while read -r file _label; do
  i=$((i + 1))
  dir="$out/img$i"
  rm -rf "$dir" && mkdir -p "$dir"
  if ! log=$("$dctcm" traffic "$data/images/$file" --dump-maps "$dir" 2>&1 >/dev/null); then
    echo "$log" >&2
    exit 1
  fi
  echo "$dir: $file, $(ls "$dir" | wc -l) maps"
done
