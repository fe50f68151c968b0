// Edge tests for the AVX-512 fast paths (kernels_avx512.cc): the
// multishift packed decoder (four blocks per zmm, 64/128-byte windows at
// the end of the stream, w = 8 blocks spanning 65 bytes), the vector
// packed encoder (funnel-shift merge of four blocks, 65th byte, carries),
// the butterfly DCT kernels and the dequantisation clamp thresholds, and
// the encoder's per-tile candidate order (dctcm with fallback). Every SIMD
// variant must match the scalar reference byte for byte; the same packed
// patterns cover the avx2 variant's 16-block coder (kernels_avx2.cc: masks
// read near the stream's end, w = 8 halves of 64 bits, tiny masked blocks).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/codec/codec_internal.h"
#include "tests/codec/codec_test_util.h"

namespace dctcm {
namespace codec {
namespace internal {
namespace {

using testing::SimdKernels;

// Symbol streams shaped to hit the corner cases of the 4-block windows.
std::vector<uint8_t> Pattern(int kind, size_t n, std::mt19937& rng) {
  std::vector<uint8_t> s(n, 0);
  for (size_t b = 0; b < n; b += 16) {
    const size_t cnt = n - b < 16 ? n - b : 16;
    for (size_t i = 0; i < cnt; ++i) {
      uint8_t v = 0;
      switch (kind) {
        case 0:  // every block dense at w = 8 (128 value bits each)
          v = static_cast<uint8_t>(rng() | 0x80);
          break;
        case 1:  // tiny masked blocks: one non-zero of 2 bits
          v = i == (b / 16) % cnt ? static_cast<uint8_t>(2 + rng() % 2) : 0;
          break;
        case 2: {  // random width 0..8 and density per block
          const int w = static_cast<int>((b / 16 * 7 + rng()) % 9);
          const bool sparse = (b / 16) % 3 == 0;
          if (w > 0 && (!sparse || rng() % 4 == 0))
            v = static_cast<uint8_t>(rng() & ((1u << w) - 1));
          break;
        }
        case 3:  // w = 8 blocks mixed with zero and w = 1 blocks
          v = (b / 16) % 4 == 1 ? 0
              : (b / 16) % 4 == 3 ? static_cast<uint8_t>(rng() & 1)
                                  : static_cast<uint8_t>(rng() | 0x80);
          break;
        default:  // masked w = 7 with 13 non-zeros (the widest masked block)
          v = i < 13 ? static_cast<uint8_t>(0x40 | (rng() & 0x3F)) : 0;
          break;
      }
      s[b + i] = v;
    }
  }
  return s;
}

// The stream a (pa bytes, n symbols) cut by 1-3 bytes and with 64 single
// bit flips (in its last 80 bytes; when anywhere, every other flip
// anywhere): decode gives ref's verdict, and ref's symbols when it accepts.
using DecodeFn = bool (*)(const uint8_t* src, size_t len, size_t n, uint8_t* sym);
void ExpectSameVerdicts(DecodeFn ref, DecodeFn decode, const std::vector<uint8_t>& a, size_t pa,
                        size_t n, bool anywhere, std::mt19937& rng) {
  std::vector<uint8_t> d1(n), d2(n);
  for (size_t cut = 1; cut <= 3 && cut <= pa; ++cut) {
    std::vector<uint8_t> t(a.begin(), a.begin() + (pa - cut));
    ASSERT_EQ(ref(t.data(), t.size(), n, d1.data()), decode(t.data(), t.size(), n, d2.data()));
  }
  for (int f = 0; f < 64; ++f) {
    std::vector<uint8_t> t(a.begin(), a.begin() + pa);
    const size_t at = anywhere && f % 2 ? rng() % pa : pa - 1 - rng() % (pa < 80 ? pa : 80);
    t[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
    const bool r1 = ref(t.data(), pa, n, d1.data());
    const bool r2 = decode(t.data(), pa, n, d2.data());
    ASSERT_EQ(r1, r2) << "flip at " << at;
    if (r1) {
      ASSERT_EQ(d1, d2);
    }
  }
}

// A variant's packed coder against the scalar stream a (pa bytes) of the
// symbols s: the same bytes in b (filled with 0xEE, nothing written past
// the size), decoded back (nothing written past n), and ExpectSameVerdicts.
using EncodeFn = size_t (*)(const uint8_t* sym, size_t n, uint8_t* dst);
void ExpectMatchesScalar(EncodeFn encode, DecodeFn decode, DecodeFn ref_decode,
                         const std::vector<uint8_t>& s, const std::vector<uint8_t>& a, size_t pa,
                         std::vector<uint8_t>& b, bool anywhere, std::mt19937& rng) {
  const size_t n = s.size();
  const size_t pb = encode(s.data(), n, b.data());
  ASSERT_EQ(pa, pb);
  ASSERT_TRUE(std::equal(a.begin(), a.begin() + pa, b.begin()));
  ASSERT_EQ(b[pb], 0xEE);  // nothing written past the returned size
  std::vector<uint8_t> d(n + 1, 0xEE);
  ASSERT_TRUE(decode(a.data(), pa, n, d.data()));
  ASSERT_EQ(d[n], 0xEE);
  ASSERT_TRUE(std::equal(s.begin(), s.end(), d.begin()));
  ExpectSameVerdicts(ref_decode, decode, a, pa, n, anywhere, rng);
}

TEST(SimdPaths, PackedLongStreamsMatchScalar) {
  const Kernels& ref = kScalarKernels;
  std::mt19937 rng(21);
  // n % 16 != 0 takes the two-pass encoder (AVX-512 groups, then blocks
  // one by one): 277 and 793 put a partial block after whole groups whose
  // 4-block windows end exactly at bit 512 (all w = 8).
  const size_t lengths[] = {256, 272, 277, 512, 793, 1024 + 48, 4096, 16384, 16384 + 112, 65536};
  for (auto& [name, k] : SimdKernels()) {
    for (int kind = 0; kind < 5; ++kind) {
      for (size_t n : lengths) {
        SCOPED_TRACE(name + " kind=" + std::to_string(kind) + " n=" + std::to_string(n));
        const auto s = Pattern(kind, n, rng);
        std::vector<uint8_t> a(2 * n + 64), b(2 * n + 64, 0xEE);
        {  // leave non-zero bytes in the encoders' stack scratch
          const std::vector<uint8_t> ff(n, 0xFF);
          k->pzvc_encode(ff.data(), n, b.data());
          std::fill(b.begin(), b.end(), 0xEE);
        }
        const size_t pa = ref.pzvc_encode(s.data(), n, a.data());
        ASSERT_EQ(k->pzvc_size(s.data(), n), pa);
        // Bit flips near the end (where the decoder reads its windows from
        // the zero-padded tail).
        ASSERT_NO_FATAL_FAILURE(ExpectMatchesScalar(k->pzvc_encode, k->pzvc_decode, ref.pzvc_decode,
                                                    s, a, pa, b, false, rng));
      }
    }
  }
}

// The inverse skips its clamps when |q| * step <= 4095 (steps <= 31, or
// <= 16 for an unsigned DC): steps around both thresholds, K > 4 (the
// butterfly) and K <= 4, extreme symbols.
TEST(SimdPaths, DctButterflyAndClampThresholds) {
  std::mt19937 rng(22);
  const uint16_t step_set[] = {1, 15, 16, 17, 31, 32, 33, 127, 128, 255};
  const uint8_t extreme[] = {0x00, 0x01, 0xFE, 0xFF, 0x80, 0x7F};
  for (auto& [name, k] : SimdKernels()) {
    for (int K = 1; K <= 8; ++K) {
      for (bool sg : {false, true}) {
        for (int G : {1, 2, 5, 8}) {
          for (size_t npix : {size_t{1}, size_t{8}, size_t{15}, size_t{16}, size_t{17}, size_t{33},
                              size_t{64}}) {
            uint16_t steps[8];
            for (int i = 0; i < K; ++i) steps[i] = step_set[rng() % 10];
            DctPlan plan;
            MakeDctPlan(8, K, steps, sg, 8 * G, &plan);
            SCOPED_TRACE(name + " K=" + std::to_string(K) + " sg=" + std::to_string(sg) +
                         " G=" + std::to_string(G) + " npix=" + std::to_string(npix));
            std::vector<uint8_t> x(npix * G * 8);
            for (auto& v : x) v = rng() % 3 == 0 ? extreme[rng() % 6] : uint8_t(rng());
            const size_t sn = npix * G * K;
            std::vector<uint8_t> s1(sn), s2(sn);
            // Forward on channel planes, rows in order and reversed (the
            // 8- and 16-pixel tiles take 4 or 2 groups per step).
            std::vector<uint16_t> rev(8 * G);
            for (int j = 0; j < 8 * G; ++j) rev[j] = uint16_t(8 * G - 1 - j);
            for (const uint16_t* pm : {static_cast<const uint16_t*>(nullptr),
                                       static_cast<const uint16_t*>(rev.data())}) {
              kScalarKernels.dct_forward(plan, x.data(), npix, pm, s1.data());
              k->dct_forward(plan, x.data(), npix, pm, s2.data());
              ASSERT_EQ(s1, s2) << "perm=" << (pm != nullptr);
            }
            for (auto& v : s1) v = rng() % 2 ? extreme[rng() % 6] : uint8_t(rng());
            std::vector<uint8_t> y1(x.size()), y2(x.size());
            kScalarKernels.dct_inverse(plan, s1.data(), npix, y1.data());
            k->dct_inverse(plan, s1.data(), npix, y2.data());
            ASSERT_EQ(y1, y2);
          }
        }
      }
    }
  }
}

// dctcm with fallback codes the previous tile's winner in one pass and
// only sizes the other: tiles whose winner alternates (DCT, pzvc, raw)
// must still give the scalar stream, also when the destination is short.
TEST(SimdPaths, DctcmCandidateOrderAndShortDestination) {
  std::mt19937 rng(23);
  const MapDesc d{1, 8, 32, 64, false};  // 256 pixels, 16 pixels per tile
  std::vector<uint8_t> map(size_t{d.h} * d.w * d.c);
  for (size_t p = 0; p < size_t{d.h} * d.w; ++p) {
    const int kind = static_cast<int>((p / 16) % 3);  // per tile
    for (size_t c = 0; c < d.c; ++c) {
      uint8_t v;
      if (kind == 0) v = static_cast<uint8_t>(40 + (c % 8) / 2);  // smooth: DCT wins
      else if (kind == 1) v = rng() % 4 ? 0 : static_cast<uint8_t>(rng() % 8);  // sparse
      else v = static_cast<uint8_t>(rng());  // noise: raw
      map[p * d.c + c] = v;
    }
  }
  EncodeParams p;
  p.mode = Mode::kDctcm;
  p.tile_pixels = 16;
  p.dct.K = 8;
  p.dct.steps.assign(8, 1);
  const Variant& scalar = Variants()[0];
  const auto ref = testing::EncodeOrDie(scalar, map, d, p);
  ASSERT_FALSE(ref.empty());
  EncodeStats st;
  testing::EncodeOrDie(scalar, map, d, p, &st);
  EXPECT_GT(st.tiles_by_kind[kTileRaw], 0u);
  EXPECT_GT(st.tiles_by_kind[kTileCoded], 0u);
  EXPECT_GT(st.tiles_by_kind[kTilePzvc], 0u);
  for (const Variant& v : Variants()) {
    if (!v.supported()) continue;
    SCOPED_TRACE(v.name);
    ASSERT_EQ(testing::EncodeOrDie(v, map, d, p), ref);
    std::vector<uint8_t> out1(map.size()), out2(map.size());
    ASSERT_EQ(scalar.decode(ref.data(), ref.size(), out1.data(), out1.size(), nullptr), Error::kOk);
    ASSERT_EQ(v.decode(ref.data(), ref.size(), out2.data(), out2.size(), nullptr), Error::kOk);
    ASSERT_EQ(out1, out2);
    // Every destination size from the stream size down: same verdicts.
    for (size_t cap = ref.size() + 1; cap + 200 > ref.size() && cap > 0; --cap) {
      std::vector<uint8_t> o1(cap), o2(cap);
      size_t w1 = 0, w2 = 0;
      const Error e1 = scalar.encode(map.data(), d, p, o1.data(), cap, &w1, nullptr);
      const Error e2 = v.encode(map.data(), d, p, o2.data(), cap, &w2, nullptr);
      ASSERT_EQ(e1, e2) << "cap " << cap;
      if (e1 == Error::kOk) {
        ASSERT_EQ(w1, w2);
        ASSERT_TRUE(std::equal(o1.begin(), o1.begin() + w1, o2.begin()));
      }
    }
    // Fallback off: every tile DCT.
    EncodeParams q = p;
    q.dct.fallback = false;
    ASSERT_EQ(testing::EncodeOrDie(v, map, d, q), testing::EncodeOrDie(scalar, map, d, q));
  }
}


// The per-tile choice (FORMAT.md §4, "smallest wins; ties prefer raw, then
// pzvc") checked against sizes measured independently: the DCT tile sizes
// of the same map coded without fallback and the lossless ones of pzvc
// mode (the encoder may stop sizing the DCT early when it cannot win).
TEST(SimdPaths, DctcmTileChoiceFollowsTheRule) {
  std::mt19937 rng(24);
  const MapDesc d{1, 16, 16, 64, false};  // 256 pixels
  for (int variant_map = 0; variant_map < 3; ++variant_map) {
    std::vector<uint8_t> map(size_t{d.h} * d.w * d.c);
    for (size_t p = 0; p < size_t{d.h} * d.w; ++p) {
      const int kind = static_cast<int>((p / 16 + variant_map) % 4);
      for (size_t c = 0; c < d.c; ++c) {
        uint8_t v;
        if (kind == 0) v = static_cast<uint8_t>(40 + (c % 8) / 2);
        else if (kind == 1) v = rng() % 4 ? 0 : static_cast<uint8_t>(rng() % 8);
        else if (kind == 2) v = static_cast<uint8_t>(rng());
        else v = static_cast<uint8_t>(rng() % 2 ? 0 : 20 + rng() % 40);
        map[p * d.c + c] = v;
      }
    }
    for (int step : {1, 2, 6}) {
      EncodeParams p;
      p.mode = Mode::kDctcm;
      p.tile_pixels = 16;
      p.dct.K = 8;
      p.dct.steps.assign(8, static_cast<uint16_t>(step));
      EncodeParams nofb = p;
      nofb.dct.fallback = false;
      EncodeParams pz;
      pz.mode = Mode::kPzvc;
      pz.tile_pixels = 16;
      for (const Variant& v : Variants()) {
        if (!v.supported()) continue;
        SCOPED_TRACE(std::string(v.name) + " map " + std::to_string(variant_map) +
                     " step " + std::to_string(step));
        const auto a = testing::EncodeOrDie(v, map, d, p);
        const auto b = testing::EncodeOrDie(v, map, d, nofb);
        const auto c = testing::EncodeOrDie(v, map, d, pz);
        const auto ta = testing::TileIndex(a), tb = testing::TileIndex(b),
                   tc = testing::TileIndex(c);
        ASSERT_EQ(ta.size(), 16u);
        ASSERT_EQ(tb.size(), 16u);
        ASSERT_EQ(tc.size(), 16u);
        const size_t n = 16 * size_t{d.c};
        for (uint32_t t = 0; t < 16; ++t) {
          const size_t dsize = tb[t].bytes;
          const bool p_raw = tc[t].kind == kTileRaw;  // then psize >= n
          const size_t psize = p_raw ? SIZE_MAX : tc[t].bytes;
          uint32_t want;
          if (n <= psize && n <= dsize) want = kTileRaw;
          else if (psize <= dsize) want = kTilePzvc;
          else want = kTileCoded;
          ASSERT_EQ(ta[t].kind, want) << "tile " << t;
          const size_t sa = ta[t].bytes;
          ASSERT_EQ(sa, want == kTileRaw ? n : want == kTilePzvc ? psize : dsize) << "tile " << t;
        }
      }
    }
  }
}

// §5.4s: the split value layout's kernels (tile kind 3) against the scalar
// reference: the same bytes and size as pzvc, nothing written past the
// size, the same verdicts on truncated and bit-flipped streams. Lengths
// cover whole groups of 16 blocks (the AVX-512 kernels), partial groups
// and long tiles (their scratch on the heap).
TEST(SimdPaths, SplitLayoutMatchesScalar) {
  const Kernels& ref = kScalarKernels;
  std::mt19937 rng(23);
  const size_t lengths[] = {16, 256, 272, 512, 1024 + 48, 4096, 16384, 16384 + 112, 65536, 70000};
  for (int kind = 0; kind < 7; ++kind) {
    for (size_t n : lengths) {
      auto s = Pattern(kind % 5, n, rng);
      if (kind == 5)  // dense random widths: remainders of every length
        for (auto& v : s) v = static_cast<uint8_t>(rng() & ((1u << (1 + rng() % 8)) - 1));
      if (kind == 6) std::fill(s.begin(), s.end(), 0);  // no value part at all
      std::vector<uint8_t> a(2 * n + 64);
      const size_t pa = ref.pzvcs_encode(s.data(), n, a.data());
      ASSERT_EQ(pa, ref.pzvc_size(s.data(), n)) << "kind " << kind << " n " << n;
      std::vector<uint8_t> d(n + 1, 0xEE);
      ASSERT_TRUE(ref.pzvcs_decode(a.data(), pa, n, d.data()));
      ASSERT_TRUE(std::equal(s.begin(), s.end(), d.begin()));
      for (auto& [name, k] : SimdKernels()) {
        SCOPED_TRACE(name + " kind=" + std::to_string(kind) + " n=" + std::to_string(n));
        std::vector<uint8_t> b(2 * n + 64, 0xEE);
        // Bit flips anywhere, and in the last 80 bytes (the reversed remainders).
        ASSERT_NO_FATAL_FAILURE(ExpectMatchesScalar(k->pzvcs_encode, k->pzvcs_decode,
                                                    ref.pzvcs_decode, s, a, pa, b, true, rng));
      }
    }
  }
}

}  // namespace
}  // namespace internal
}  // namespace codec
}  // namespace dctcm
