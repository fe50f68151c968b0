#!/bin/sh
# Builds a codec fuzz target with clang + libFuzzer + ASan + UBSan in
# build-fuzz/ and runs it on its committed corpus (copied to a scratch dir,
# so new inputs do not touch the repository).
#   tests/fuzz/run_fuzz.sh fuzz_codec_decode 600        # seconds
#   tests/fuzz/run_fuzz.sh fuzz_codec_roundtrip -runs=1000000
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 TARGET SECONDS|-runs=N [libFuzzer flags...]" >&2
  exit 2
fi
target=$1; limit=$2; shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
cxx=$(command -v clang++-14 || command -v clang++)
cc=$(command -v clang-14 || command -v clang)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DDCTCM_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  >/dev/null
cmake --build "$build" -j2 --target "$target"
work="$build/corpus-$target"
mkdir -p "$work"
# Committed seeds, or (fuzz_image) the ones drawn at build time.
cp -n "$root/tests/fuzz/corpus/$target/"* "$build/tests/fuzz/corpus/$target/"* \
  "$work/" 2>/dev/null || true
case "$limit" in
  -runs=*) flags="$limit" ;;
  *) flags="-max_total_time=$limit" ;;
esac
exe=$(find "$build" -name "$target" -type f -perm -u+x | head -1)
exec "$exe" $flags -print_final_stats=1 "$@" "$work"
