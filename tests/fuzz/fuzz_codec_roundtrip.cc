// Contract: for any map and any valid parameters, every variant encodes to
// the same bytes within EncodeBound; decoding gives the input back exactly
// for the lossless modes, and the same map in every variant for DCT-CM.
//
// Input layout: 8 parameter bytes, then the map bytes (repeated to size).
#include <cstring>
#include <vector>

#include "kernels/codec/codec.h"
#include "tests/fuzz/fuzz_common.h"

using namespace dctcm::codec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) return 0;
  const uint8_t* q = data;
  EncodeParams p;
  p.mode = static_cast<Mode>(q[0] % kNumModes);
  const int Ls[4] = {8, 16, 32, 64};
  // DCT-CM with bit 7 of q[3]: L = 1 (no transform, FORMAT.md §6.5).
  const bool l1 = p.mode == Mode::kDctcm && (q[3] & 0x80) != 0;
  const int L = l1 ? 1 : Ls[(q[0] >> 3) & 3];
  MapDesc d;
  d.is_signed = (q[0] >> 5) & 1;
  const bool perm = (q[0] >> 6) & 1;
  p.dct.fallback = (q[0] >> 7) & 1;
  // Small maps keep the run fast; vector-tile edges are still hit (c up to
  // 2L or 96, pixel counts 1..24, tiles of 1..7 pixels).
  d.h = 1 + q[1] % 4;
  d.w = 1 + q[2] % 6;
  d.c = p.mode == Mode::kDctcm && !l1 ? L * (1 + q[3] % 2) : 1 + q[3] % 96;
  p.tile_pixels = q[4] % 8;  // 0 = auto
  p.dct.L = static_cast<uint8_t>(L);
  p.dct.K = static_cast<uint8_t>(1 + q[5] % L);
  for (int k = 0; k < p.dct.K; ++k)
    p.dct.steps.push_back(static_cast<uint16_t>(1 + ((q[6] >> (k % 8)) & 1) * (q[7] % 32)));
  if (perm && p.mode == Mode::kDctcm) {
    for (uint32_t j = 0; j < d.c; ++j) p.dct.perm.push_back(static_cast<uint16_t>(j));
    for (uint32_t j = d.c - 1; j > 0; --j) {  // deterministic shuffle
      const uint32_t r = (j * 2654435761u + q[8]) % (j + 1);
      std::swap(p.dct.perm[j], p.dct.perm[r]);
    }
  }
  const size_t bytes = size_t{d.n} * d.h * d.w * d.c;
  std::vector<uint8_t> src(bytes);
  const uint8_t* m = data + 9;
  const size_t ml = size - 9;
  for (size_t i = 0; i < bytes; ++i) src[i] = ml ? m[i % ml] : 0;

  const size_t bound = EncodeBound(d, p);
  FUZZ_CHECK(bound > 0);
  std::vector<uint8_t> ref(bound);
  size_t ref_len = 0;
  const Variant& scalar = Variants()[0];
  FUZZ_CHECK(scalar.encode(src.data(), d, p, ref.data(), bound, &ref_len, nullptr) ==
             Error::kOk);
  FUZZ_CHECK(ref_len <= bound);
  ref.resize(ref_len);
  std::vector<uint8_t> ref_out(bytes);
  FUZZ_CHECK(scalar.decode(ref.data(), ref.size(), ref_out.data(), bytes, nullptr) ==
             Error::kOk);
  if (p.mode != Mode::kDctcm) FUZZ_CHECK(ref_out == src);
  for (const Variant& v : Variants()) {
    if (!v.supported() || &v == &scalar) continue;
    std::vector<uint8_t> enc(bound);
    size_t len = 0;
    FUZZ_CHECK(v.encode(src.data(), d, p, enc.data(), bound, &len, nullptr) ==
               Error::kOk);
    enc.resize(len);
    FUZZ_CHECK(enc == ref);
    std::vector<uint8_t> out(bytes);
    FUZZ_CHECK(v.decode(enc.data(), len, out.data(), bytes, nullptr) == Error::kOk);
    FUZZ_CHECK(out == ref_out);
  }
  return 0;
}
