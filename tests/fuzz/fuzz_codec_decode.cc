// Contract: Decode/DecodeTile/ReadHeader of arbitrary bytes never read or
// write out of bounds, and every supported variant returns the same error
// and the same bytes as the scalar reference.
#include <cstring>
#include <vector>

#include "kernels/codec/codec.h"
#include "tests/fuzz/fuzz_common.h"

using namespace dctcm::codec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  MapDesc d;
  EncodeParams p;
  Error he = ReadHeader(data, size, &d, &p);
  size_t cap = 4096;
  if (he == Error::kOk) {
    const size_t need = size_t{d.n} * d.h * d.w * d.c;
    if (need > (size_t{1} << 22)) return 0;  // valid but too big to bother
    cap = need;
  }
  std::vector<uint8_t> ref(cap), out(cap);
  const Variant& scalar = Variants()[0];
  const Error re = scalar.decode(data, size, ref.data(), cap, nullptr);
  FUZZ_CHECK(he == Error::kOk || re == he);
  for (const Variant& v : Variants()) {
    if (!v.supported() || &v == &scalar) continue;
    std::memset(out.data(), 0, cap);
    const Error e = v.decode(data, size, out.data(), cap, nullptr);
    FUZZ_CHECK(e == re);
    if (e == Error::kOk) FUZZ_CHECK(out == ref);
  }
  TileInfo ti;
  if (ReadTileInfo(data, size, &ti) == Error::kOk && ti.num_tiles > 0) {
    const uint32_t t = ti.num_tiles - 1;
    size_t tb = 0;
    std::vector<uint8_t> tile(size_t{ti.tile_pixels} * d.c);
    const Error te = DecodeTile(data, size, t, tile.data(), tile.size(), &tb);
    if (re == Error::kOk) {
      FUZZ_CHECK(te == Error::kOk);
      FUZZ_CHECK(std::memcmp(tile.data(),
                             ref.data() + size_t{t} * ti.tile_pixels * d.c,
                             tb) == 0);
    }
  }
  return 0;
}
