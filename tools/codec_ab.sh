#!/bin/sh
# One-process A/B of the AVX-512 codec kernels of revision REV against the
# working tree, on dumped maps (see tools/codec_ab.cc for the method).
#   tools/codec_ab.sh REV DIR_OF_DMAP_FILES [ROUNDS]
# e.g. dctcm traffic IMAGE --dump-maps /tmp/maps; tools/codec_ab.sh HEAD~1 /tmp/maps
# Builds the current library in build/ (Release) if needed, and REV's
# kernels_avx512.cc in a scratch dir with its kernel table renamed. Both
# sides must share the kernel-table interface (codec_internal.h).
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 REV DIR_OF_DMAP_FILES [ROUNDS]" >&2
  exit 2
fi
rev=$1; maps=$2; rounds=${3:-9}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
cxx=${CXX:-g++}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/old"
git -C "$root" archive "$rev" kernels/codec | tar -x -C "$scratch/old"
if ! cmp -s "$scratch/old/kernels/codec/codec_internal.h" "$root/kernels/codec/codec_internal.h"; then
  echo "codec_ab: $rev has another kernel-table interface (kernels/codec/codec_internal.h differs); cannot link both" >&2
  exit 1
fi
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target dctcm_codec >/dev/null
# The flags of kernels_avx512.cc in kernels/codec/CMakeLists.txt.
avx512="-mavx512f -mavx512bw -mavx512cd -mavx512vl -mavx512dq -mavx512vnni -mavx512vbmi
  -mavx512vbmi2 -mavx512bitalg -mavx512vpopcntdq -mbmi -mbmi2 -mpopcnt -mlzcnt"
# shellcheck disable=SC2086
"$cxx" -O3 -std=c++17 -ffp-contract=off -fno-fast-math $avx512 -w -I"$scratch/old" \
  -DAvx512Kernels=Avx512KernelsOld -DAvx512Supported=Avx512SupportedOld \
  -c "$scratch/old/kernels/codec/kernels_avx512.cc" -o "$scratch/old.o"
"$cxx" -O2 -std=c++17 -I"$root" "$root/tools/codec_ab.cc" "$scratch/old.o" \
  "$build/kernels/codec/libdctcm_codec.a" -o "$scratch/codec_ab"
echo "old = $rev ($(git -C "$root" rev-parse --short "$rev")), new = working tree"
if command -v taskset >/dev/null; then
  exec_prefix="taskset -c 1"
else
  exec_prefix=""
fi
$exec_prefix "$scratch/codec_ab" "$maps" "$rounds"
