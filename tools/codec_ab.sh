#!/bin/sh
# One-process A/B of the codec library of revision REV against the working
# tree, on dumped maps (see tools/codec_ab.cc for the method).
#   tools/codec_ab.sh REV DIR_OF_DMAP_FILES [ROUNDS] [--tuning CALIBRATION] [--variant NAME]
# e.g. tools/bench_maps.sh /tmp/maps 1
#      tools/codec_ab.sh HEAD~1 /tmp/maps/img1 9 --tuning ~/.cache/dctcm/calibration.json
# Builds the current tree in build/ (Release) if needed, and REV's whole
# kernels/codec in a scratch dir with the project namespace renamed
# (-Ddctcm=dctcm_old), so that both libraries link into one program; REV
# needs the public API of kernels/codec/codec.h (Encode, Decode, Variants),
# not the same internals.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 REV DIR_OF_DMAP_FILES [ROUNDS] [--tuning CALIBRATION] [--variant NAME]" >&2
  exit 2
fi
rev=$1; shift
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
cxx=${CXX:-g++}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/old"
git -C "$root" archive "$rev" kernels/codec | tar -x -C "$scratch/old"
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target dctcm_codec dctcm_engine >/dev/null
# The flags of kernels/codec/CMakeLists.txt, per file.
old="-O3 -DNDEBUG -fPIC -std=c++17 -ffp-contract=off -fno-fast-math -w -Ddctcm=dctcm_old -I$scratch/old"
avx2="-mavx2 -mbmi -mbmi2 -mpopcnt -mlzcnt"
avx512="-mavx512f -mavx512bw -mavx512cd -mavx512vl -mavx512dq -mavx512vnni -mavx512vbmi
  -mavx512vbmi2 -mavx512bitalg -mavx512vpopcntdq -mbmi -mbmi2 -mpopcnt -mlzcnt"
src="$scratch/old/kernels/codec"
# shellcheck disable=SC2086
{
  "$cxx" $old -c "$src/codec.cc" -o "$scratch/codec.o"
  "$cxx" $old -c "$src/kernels_scalar.cc" -o "$scratch/scalar.o"
  "$cxx" $old $avx2 -c "$src/kernels_avx2.cc" -o "$scratch/avx2.o"
  "$cxx" $old $avx512 -c "$src/kernels_avx512.cc" -o "$scratch/avx512.o"
  "$cxx" $old -I"$root" -DCODEC_AB_OLD -c "$root/tools/codec_ab_side.cc" -o "$scratch/side_old.o"
}
ar rcs "$scratch/libold.a" "$scratch"/codec.o "$scratch"/scalar.o "$scratch"/avx2.o "$scratch"/avx512.o
"$cxx" -O2 -std=c++17 -I"$root" -c "$root/tools/codec_ab_side.cc" -o "$scratch/side_new.o"
"$cxx" -O2 -std=c++17 -I"$root" -c "$root/tools/codec_ab.cc" -o "$scratch/codec_ab.o"
"$cxx" -o "$scratch/codec_ab" "$scratch/codec_ab.o" "$scratch/side_new.o" "$scratch/side_old.o" \
  "$scratch/libold.a" "$build/engine/libdctcm_engine.a" "$build/weights/libdctcm_weights.a" \
  "$build/kernels/codec/libdctcm_codec.a" "$build/kernels/libdctcm_kernels.a" -ldnnl -fopenmp
echo "old = $rev ($(git -C "$root" rev-parse --short "$rev")), new = working tree"
if command -v taskset >/dev/null; then
  exec_prefix="taskset -c 1"
else
  exec_prefix=""
fi
$exec_prefix "$scratch/codec_ab" "$@"
