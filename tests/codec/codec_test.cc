// Codec tests: round trips, variants == scalar, DCT accuracy, goldens,
// malformed streams, tile access.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>

#include "kernels/codec/codec.h"
#include "kernels/codec/codec_internal.h"
#include "tests/codec/codec_test_util.h"

namespace dctcm {
namespace codec {
namespace {

using testing::EncodeOrDie;
using testing::MakeMap;
using testing::TileIndex;
using internal::DctPlan;
using internal::MakeDctPlan;
using internal::UnZigZag;

std::vector<const Variant*> Supported() {
  std::vector<const Variant*> v;
  for (const Variant& x : Variants())
    if (x.supported()) v.push_back(&x);
  return v;
}

const Variant& Scalar() { return Variants()[0]; }

struct Shape {
  uint32_t n, h, w, c;
};

// Pixel counts and channel counts around the 64-value block, the SIMD
// widths (16/32/64 bytes) and the tile size: equal, multiple, shorter,
// longer.
const Shape kShapes[] = {
    {1, 1, 1, 1},   {1, 1, 1, 7},    {1, 1, 3, 8},   {1, 2, 2, 16},
    {1, 1, 5, 63},  {1, 1, 1, 64},   {1, 3, 3, 64},  {1, 1, 7, 65},
    {1, 4, 4, 96},  {2, 3, 5, 128},  {1, 7, 7, 256}, {1, 2, 3, 1024},
    {1, 1, 1, 2048}, {1, 9, 9, 24},  {1, 16, 16, 64}, {3, 1, 33, 32},
};

TEST(Codec, ModeNames) {
  for (int m = 0; m < kNumModes; ++m) {
    Mode parsed;
    ASSERT_TRUE(ParseMode(ModeName(static_cast<Mode>(m)), &parsed));
    EXPECT_EQ(static_cast<int>(parsed), m);
  }
  Mode x;
  EXPECT_FALSE(ParseMode("nope", &x));
  EXPECT_STREQ(ErrorString(Error::kCorrupt), "corrupt stream");
}

TEST(Codec, VariantsListed) {
  ASSERT_FALSE(Variants().empty());
  EXPECT_STREQ(Variants()[0].name, "scalar");
  EXPECT_TRUE(ActiveVariant().supported());
  for (const Variant& v : Variants()) EXPECT_EQ(FindVariant(v.name), &v);
  EXPECT_EQ(FindVariant("nope"), nullptr);
}

// Lossless modes: bit-exact round trip, bound respected, every variant
// produces the scalar bytes.
TEST(Codec, LosslessRoundTripAllVariants) {
  const Mode modes[] = {Mode::kRaw, Mode::kZvc, Mode::kRle, Mode::kCsc,
                        Mode::kPzvc};
  const double sparsities[] = {0.0, 0.5, 0.9, 1.0};
  uint32_t seed = 1;
  for (const Shape& s : kShapes) {
    for (bool sg : {false, true}) {
      for (double sp : sparsities) {
        MapDesc d{s.n, s.h, s.w, s.c, sg};
        const size_t bytes = size_t{s.n} * s.h * s.w * s.c;
        auto src = MakeMap(bytes, sp, sg, seed++);
        for (Mode m : modes) {
          for (uint32_t tile : {0u, 1u, 3u, 7u}) {
            EncodeParams p;
            p.mode = m;
            p.tile_pixels = tile;
            SCOPED_TRACE(std::string(ModeName(m)) + " c=" + std::to_string(s.c) +
                         " px=" + std::to_string(bytes / s.c) + " signed=" +
                         std::to_string(sg) + " sp=" + std::to_string(sp) +
                         " tile=" + std::to_string(tile));
            EncodeStats st;
            auto ref = EncodeOrDie(Scalar(), src, d, p, &st);
            ASSERT_FALSE(ref.empty());
            ASSERT_LE(ref.size(), EncodeBound(d, p));
            EXPECT_EQ(st.total_bytes, ref.size());
            EXPECT_EQ(st.header_bytes + st.payload_bytes, ref.size());
            EXPECT_EQ(st.zero_values,
                      size_t(std::count(src.begin(), src.end(), 0)));
            for (const Variant* v : Supported()) {
              SCOPED_TRACE(v->name);
              auto enc = EncodeOrDie(*v, src, d, p);
              ASSERT_EQ(enc, ref);
              std::vector<uint8_t> out(bytes + 1, 0xAB);
              MapDesc got;
              ASSERT_EQ(v->decode(ref.data(), ref.size(), out.data(), bytes,
                                  &got),
                        Error::kOk);
              EXPECT_EQ(out[bytes], 0xAB);  // no write past dst_cap
              out.resize(bytes);
              ASSERT_EQ(out, src);
              EXPECT_EQ(got.c, s.c);
              EXPECT_EQ(got.is_signed, sg);
            }
          }
        }
      }
    }
  }
}

// The exact sizes of the baselines on a known map (ZVC formula of DCTCM.md).
TEST(Codec, BaselineSizes) {
  MapDesc d{1, 1, 16, 64, false};
  auto src = MakeMap(1024, 0.5, false, 7);
  size_t nnz = 1024 - std::count(src.begin(), src.end(), 0);
  EncodeParams p;
  p.mode = Mode::kZvc;
  p.tile_pixels = 16;
  EncodeStats st;
  auto s = EncodeOrDie(Scalar(), src, d, p, &st);
  EXPECT_EQ(st.payload_bytes, 128 + nnz);
  EXPECT_EQ(st.header_bytes, 32u + 4u);
  p.mode = Mode::kRaw;
  s = EncodeOrDie(Scalar(), src, d, p, &st);
  EXPECT_EQ(st.payload_bytes, 1024u);
}

struct DctCase {
  int L, K;
  std::vector<uint16_t> steps;
  bool perm, sg, fallback;
};

std::vector<DctCase> DctCases() {
  std::vector<DctCase> cs;
  for (int L : {1, 8, 16, 32, 64}) {
    for (int K : {1, 3, L / 2, L}) {
      if (K < 1 || K > L || (L == 1 && K == L)) continue;  // L = 1: K = 1 once
      for (bool sg : {false, true}) {
        for (bool fb : {false, true}) {
          std::vector<uint16_t> steps;
          if (K > 1) {
            for (int k = 0; k < K; ++k) steps.push_back(uint16_t(1 + (k * 5) % 7));
          } else if (L == 1) {
            steps.push_back(fb ? 3 : 2);
          }
          cs.push_back({L, K, steps, (K % 2) == 1, sg, fb});
        }
      }
    }
  }
  return cs;
}

TEST(Codec, DctVariantsMatchScalar) {
  uint32_t seed = 100;
  for (const DctCase& dc : DctCases()) {
    for (const Shape& s0 : kShapes) {
      Shape s = s0;
      if (s.c % dc.L != 0) s.c = ((s.c + dc.L - 1) / dc.L) * dc.L;
      for (double sp : {0.0, 0.6, 0.95}) {
        MapDesc d{s.n, s.h, s.w, s.c, dc.sg};
        const size_t bytes = size_t{s.n} * s.h * s.w * s.c;
        auto src = MakeMap(bytes, sp, dc.sg, seed++, sp > 0.9 ? 30 : 8);
        EncodeParams p;
        p.mode = Mode::kDctcm;
        p.dct.L = uint8_t(dc.L);
        p.dct.K = uint8_t(dc.K);
        p.dct.steps = dc.steps;
        p.dct.fallback = dc.fallback;
        p.tile_pixels = (seed % 3) == 0 ? 3 : 0;
        if (dc.perm) {
          for (uint32_t j = 0; j < s.c; ++j)
            p.dct.perm.push_back(uint16_t((j * 7 + 3) % s.c));
          std::sort(p.dct.perm.begin(), p.dct.perm.end());
          std::reverse(p.dct.perm.begin(), p.dct.perm.end());
        }
        SCOPED_TRACE("L=" + std::to_string(dc.L) + " K=" + std::to_string(dc.K) +
                     " c=" + std::to_string(s.c) + " px=" +
                     std::to_string(bytes / s.c) + " signed=" +
                     std::to_string(dc.sg) + " fb=" + std::to_string(dc.fallback) +
                     " sp=" + std::to_string(sp));
        auto ref = EncodeOrDie(Scalar(), src, d, p);
        ASSERT_FALSE(ref.empty());
        ASSERT_LE(ref.size(), EncodeBound(d, p));
        std::vector<uint8_t> ref_out(bytes);
        ASSERT_EQ(Scalar().decode(ref.data(), ref.size(), ref_out.data(), bytes,
                                  nullptr),
                  Error::kOk);
        for (const Variant* v : Supported()) {
          SCOPED_TRACE(v->name);
          auto enc = EncodeOrDie(*v, src, d, p);
          ASSERT_EQ(enc, ref);
          std::vector<uint8_t> out(bytes);
          ASSERT_EQ(v->decode(ref.data(), ref.size(), out.data(), bytes, nullptr),
                    Error::kOk);
          ASSERT_EQ(out, ref_out);
        }
      }
    }
  }
}

// DCT-CM with fallback is never larger than pzvc (metadata aside).
TEST(Codec, DctFallbackNeverWorseThanPzvc) {
  for (double sp : {0.0, 0.3, 0.7, 0.95}) {
    MapDesc d{1, 14, 14, 256, false};
    auto src = MakeMap(14 * 14 * 256, sp, false, 5);
    EncodeParams p;
    p.mode = Mode::kPzvc;
    EncodeStats sp_st, sd_st;
    EncodeOrDie(Scalar(), src, d, p, &sp_st);
    p.mode = Mode::kDctcm;
    EncodeOrDie(Scalar(), src, d, p, &sd_st);
    EXPECT_LE(sd_st.payload_bytes, sp_st.payload_bytes) << sp;
  }
}

// ---- DCT accuracy against the float DCT (documented in FORMAT.md §6.4).
double FloatDct(int L, int k, const int* x) {
  const double pi = 3.14159265358979323846;
  double s = k == 0 ? std::sqrt(1.0 / L) : std::sqrt(2.0 / L), acc = 0;
  for (int n = 0; n < L; ++n) acc += x[n] * std::cos(pi * (2 * n + 1) * k / (2.0 * L));
  return s * acc;
}

TEST(Codec, DctTableAndForwardAccuracy) {
  std::mt19937 rng(3);
  for (int L : {8, 16, 32, 64}) {
    const int16_t* t = internal::DctTable(L);
    ASSERT_NE(t, nullptr);
    double max_err = 0, sum_err = 0;
    int count = 0;
    for (int trial = 0; trial < 2000; ++trial) {
      int x[64];
      for (int n = 0; n < L; ++n) x[n] = int(rng() % 256);
      for (int k = 0; k < L; ++k) {
        int32_t acc = 0;
        for (int n = 0; n < L; ++n) acc += t[k * L + n] * x[n];
        const double e = std::fabs(acc / 4096.0 - FloatDct(L, k, x));
        max_err = std::max(max_err, e);
        sum_err += e;
        ++count;
      }
    }
    // Bound: sum_n |x_n| * 0.5 / 4096 <= L * 255 / 8192.
    printf("forward L=%d: max |err| %.4f mean %.5f (units of coefficient)\n", L,
           max_err, sum_err / count);
    EXPECT_LT(max_err, L * 255 / 8192.0);
    EXPECT_LT(max_err, 0.35);
  }
}

// Full round trip with K = L, steps = 1, no fallback: the reconstruction
// differs from the input by the coefficient rounding only (no clamping on
// activation-like data).
TEST(Codec, DctRoundTripAccuracy) {
  for (int L : {8, 16, 32, 64}) {
    for (bool sg : {false, true}) {
      MapDesc d{1, 16, 16, 64, sg};
      auto src = MakeMap(16 * 16 * 64, 0.5, sg, 11, 6);
      EncodeParams p;
      p.dct.L = uint8_t(L);
      p.dct.K = uint8_t(L);
      p.dct.fallback = false;
      auto enc = EncodeOrDie(Scalar(), src, d, p);
      std::vector<uint8_t> out(src.size());
      ASSERT_EQ(Decode(enc.data(), enc.size(), out.data(), out.size(), nullptr),
                Error::kOk);
      int max_err = 0;
      double sum = 0;
      for (size_t i = 0; i < src.size(); ++i) {
        int a = sg ? int8_t(src[i]) : src[i], b = sg ? int8_t(out[i]) : out[i];
        max_err = std::max(max_err, std::abs(a - b));
        sum += std::abs(a - b);
      }
      printf("round trip L=%d signed=%d K=L step=1: max |err| %d mean %.4f\n",
             L, sg, max_err, sum / src.size());
      EXPECT_LE(max_err, 1);
      EXPECT_LT(sum / src.size(), 0.15);
    }
  }
}

// The permutation (FORMAT.md §3) chooses the coded channels: a stream with
// perm P has the index and payload of the map with channel j = input
// channel P[j] coded without one, and decodes to that map's output put
// back in input order. Checked in every variant, one-pixel and partial
// tiles, with fallback off (the lossless candidate would see the unpermuted
// channels).
TEST(Codec, PermutationEqualsThePermutedMap) {
  std::mt19937 rng(31);
  for (int L : {1, 8, 16}) {
    for (bool sg : {false, true}) {
      const uint32_t C = 32;
      MapDesc d{1, 5, 7, C, sg};
      const size_t P = 5 * 7;
      auto src = MakeMap(P * C, 0.4, sg, 21 + L, 6);
      std::vector<uint16_t> perm(C);
      std::iota(perm.begin(), perm.end(), uint16_t{0});
      std::shuffle(perm.begin(), perm.end(), rng);
      std::vector<uint8_t> permuted(src.size());
      for (size_t p = 0; p < P; ++p)
        for (size_t j = 0; j < C; ++j) permuted[p * C + j] = src[p * C + perm[j]];
      EncodeParams p;
      p.dct.L = uint8_t(L);
      p.dct.K = uint8_t(L == 1 ? 1 : L - 2);
      p.dct.steps.assign(p.dct.K, 1);
      p.dct.steps[0] = 2;
      p.dct.fallback = false;
      for (uint32_t tile : {1u, 3u})
      for (const Variant* v : Supported()) {
        p.tile_pixels = tile;
        EncodeParams pp = p;
        pp.dct.perm = perm;
        SCOPED_TRACE(std::string(v->name) + " L=" + std::to_string(L) + " sg=" + std::to_string(sg) +
                     " tile=" + std::to_string(tile));
        const auto a = EncodeOrDie(*v, src, d, pp);
        const auto b = EncodeOrDie(*v, permuted, d, p);
        ASSERT_FALSE(a.empty());
        ASSERT_FALSE(b.empty());
        const size_t meta_b = 32 + p.dct.K;  // header + steps; a adds 2C perm bytes
        ASSERT_EQ(a.size(), b.size() + 2 * C);
        EXPECT_TRUE(std::equal(b.begin() + meta_b, b.end(), a.begin() + meta_b + 2 * C));
        std::vector<uint8_t> out_a(src.size()), out_b(src.size());
        ASSERT_EQ(v->decode(a.data(), a.size(), out_a.data(), out_a.size(), nullptr), Error::kOk);
        ASSERT_EQ(v->decode(b.data(), b.size(), out_b.data(), out_b.size(), nullptr), Error::kOk);
        for (size_t q = 0; q < P; ++q)
          for (size_t j = 0; j < C; ++j)
            ASSERT_EQ(out_a[q * C + perm[j]], out_b[q * C + j]) << "pixel " << q << " coded channel " << j;
      }
    }
  }
}

// L = 1 (FORMAT.md §6.5): no transform, the step applies to the values.
// Checked against the definition written out independently of the kernels:
// step 1 is lossless, zero stays zero, every reconstruction is a multiple
// of the step (or the clamp bound) within step/2 (+1 for the binary32
// quantiser at an exact half) of the value, and the quantiser is monotone.
TEST(Codec, L1QuantiserMatchesDefinition) {
  for (bool sg : {false, true}) {
    for (int step = 1; step <= 255; ++step) {
      uint16_t st = uint16_t(step);
      DctPlan plan;
      MakeDctPlan(1, 1, &st, sg, 4, &plan);
      int prev_q = -1000;
      for (int b = 0; b < 256; ++b) {
        const int x = sg ? int(int8_t(uint8_t(b - 128))) : b;  // ascending
        const uint8_t byte = uint8_t(x);
        const uint8_t sym = plan.lut_fwd[byte];
        const int q = sg ? UnZigZag(sym) : sym;
        ASSERT_GE(q, prev_q) << "monotone, step " << step;
        prev_q = q;
        const double exact = double(x) / step;
        ASSERT_LE(std::fabs(q - exact), 0.5 + 1e-6) << "x " << x << " step " << step;
        const int y = sg ? int(int8_t(plan.lut_inv[sym])) : plan.lut_inv[sym];
        const int lo = sg ? -128 : 0, hi = sg ? 127 : 255;
        const int want = std::min(hi, std::max(lo, q * step));
        ASSERT_EQ(y, want) << "x " << x << " step " << step;
        ASSERT_LE(std::abs(y - x), (step + 1) / 2) << "x " << x << " step " << step;
        if (step == 1) {
          ASSERT_EQ(y, x);
        }
        if (x == 0) {
          ASSERT_EQ(y, 0);
        }
      }
    }
  }
}

TEST(Codec, L1RoundTripEveryVariant) {
  MapDesc d{1, 9, 7, 40, false};
  auto src = MakeMap(9 * 7 * 40, 0.6, false, 21, 12);
  for (int step : {1, 2, 3, 5}) {
    EncodeParams p;
    p.mode = Mode::kDctcm;
    p.dct.L = 1;
    p.dct.K = 1;
    p.dct.steps = {uint16_t(step)};
    p.dct.fallback = false;
    auto enc = EncodeOrDie(Scalar(), src, d, p);
    std::vector<uint8_t> out(src.size());
    ASSERT_EQ(Decode(enc.data(), enc.size(), out.data(), out.size(), nullptr), Error::kOk);
    uint16_t st = uint16_t(step);
    DctPlan plan;
    MakeDctPlan(1, 1, &st, false, 40, &plan);
    for (size_t i = 0; i < src.size(); ++i)
      ASSERT_EQ(out[i], plan.lut_inv[plan.lut_fwd[src[i]]]) << i;
    if (step == 1) {
      EXPECT_EQ(out, src);
    }
    // Fewer bits than lossless for step > 1 on this sparse map.
    EncodeParams lossless;
    lossless.mode = Mode::kPzvc;
    auto ref = EncodeOrDie(Scalar(), src, d, lossless);
    if (step >= 2) {
      EXPECT_LT(enc.size(), ref.size());
    }
  }
}

// L = 1 without a permutation and without fallback takes the fused path
// (codec.cc: the lookup and the reorder to stream order in one
// transpose_lut pass, both ways). Independent check: its payload equals,
// byte for byte, the pzvc payload of the quantised map (the symbols
// unzigzagged back to int8 for a signed map, which pzvc zigzags again),
// in every variant, and every variant decodes lut_inv[lut_fwd[x]].
TEST(Codec, L1FusedPathEqualsPzvcOfTheSymbols) {
  for (bool sg : {false, true}) {
    for (uint32_t tp : {0u, 5u, 33u}) {
      MapDesc d{1, 13, 11, 48, sg};
      const size_t n = 13 * 11 * 48;
      auto src = MakeMap(n, 0.6, sg, 40 + tp, 9);
      for (int step : {2, 3}) {
        SCOPED_TRACE("signed " + std::to_string(sg) + " tile " + std::to_string(tp) +
                     " step " + std::to_string(step));
        uint16_t st16 = uint16_t(step);
        DctPlan plan;
        MakeDctPlan(1, 1, &st16, sg, 48, &plan);
        std::vector<uint8_t> q(n), want(n);
        for (size_t i = 0; i < n; ++i) {
          const uint8_t sym = plan.lut_fwd[src[i]];
          q[i] = sg ? uint8_t(UnZigZag(sym)) : sym;
          want[i] = plan.lut_inv[sym];
        }
        EncodeParams pz;
        pz.mode = Mode::kPzvc;
        pz.tile_pixels = tp;
        EncodeStats pst;
        const auto ps = EncodeOrDie(Scalar(), q, d, pz, &pst);
        ASSERT_FALSE(ps.empty());
        ASSERT_EQ(pst.tiles_by_kind[kTileRaw], 0u);  // else the payloads differ by design
        EncodeParams p;
        p.mode = Mode::kDctcm;
        p.dct.L = 1;
        p.dct.K = 1;
        p.dct.steps = {st16};
        p.dct.fallback = false;
        p.tile_pixels = tp;
        for (const Variant& v : Variants()) {
          if (!v.supported()) continue;
          SCOPED_TRACE(v.name);
          EncodeStats st;
          const auto ds = EncodeOrDie(v, src, d, p, &st);
          ASSERT_FALSE(ds.empty());
          ASSERT_EQ(st.payload_bytes, pst.payload_bytes);
          ASSERT_TRUE(std::equal(ds.end() - st.payload_bytes, ds.end(),
                                 ps.end() - pst.payload_bytes));
          std::vector<uint8_t> out(n);
          ASSERT_EQ(v.decode(ds.data(), ds.size(), out.data(), n, nullptr), Error::kOk);
          ASSERT_EQ(out, want);
        }
      }
    }
  }
}

// L = 1 with fallback builds no lossless candidate (codec.cc): its tiles are
// never larger than pzvc's, tile by tile, so only raw can beat them. Checked
// against mode pzvc on the same tiles: no kind-2 tile, every tile at most
// the pzvc tile's size, equal sizes at step 1, raw where pzvc is raw.
TEST(Codec, L1TilesNeverLargerThanPzvc) {
  int raw_tiles = 0;
  for (bool sg : {false, true}) {
    for (double sp : {0.0, 0.6, 0.95}) {
      for (uint32_t tp : {0u, 5u, 33u}) {
        MapDesc d{1, 11, 9, 24, sg};
        const double mean = sp == 0.0 ? 120.0 : 10.0;  // dense and wide: pzvc goes raw
        auto src = MakeMap(11 * 9 * 24, sp, sg, 7 + tp, mean);
        EncodeParams pz;
        pz.mode = Mode::kPzvc;
        pz.tile_pixels = tp;
        const auto rs = TileIndex(EncodeOrDie(Scalar(), src, d, pz));
        ASSERT_FALSE(rs.empty());
        for (int step : {1, 2, 4}) {
          SCOPED_TRACE("signed " + std::to_string(sg) + " sparsity " + std::to_string(sp) +
                       " tile " + std::to_string(tp) + " step " + std::to_string(step));
          EncodeParams p;
          p.mode = Mode::kDctcm;
          p.dct.L = 1;
          p.dct.K = 1;
          p.dct.steps = {uint16_t(step)};
          p.tile_pixels = tp;
          for (const Variant& v : Variants()) {
            if (!v.supported()) continue;
            EncodeStats st;
            const auto ds = TileIndex(EncodeOrDie(v, src, d, p, &st));
            ASSERT_EQ(ds.size(), rs.size());
            EXPECT_EQ(st.tiles_by_kind[kTilePzvc], 0u);
            for (size_t t = 0; t < ds.size(); ++t) {
              EXPECT_LE(ds[t].bytes, rs[t].bytes) << t;
              if (step == 1) {
                EXPECT_EQ(ds[t].bytes, rs[t].bytes) << t;
              }
            }
            if (v.name == std::string("scalar")) raw_tiles += int(st.tiles_by_kind[kTileRaw]);
          }
        }
      }
    }
  }
  EXPECT_GT(raw_tiles, 0);  // the raw fallback was exercised
}

// ---- Golden streams: exact bytes pinned for small inputs (FORMAT.md §7).
// Generated once by the scalar reference; the DCT one is checked by hand in
// FORMAT.md §7.
#define GOLDEN_RAW "4443544d04000004010000000100000001000000080000000008000000000000080000000c0a090000030001"
#define GOLDEN_ZVC "4443544d0401000401000000010000000100000008000000000800000000000006000040a70c0a090301"
#define GOLDEN_RLE "4443544d0402000401000000010000000100000008000000000800000000000007000040192a4c1007c000"
#define GOLDEN_CSC "4443544d0403000401000000010000000100000008000000000800000000000008000040c0000a9020031100"
#define GOLDEN_PZVC "4443544d0405000401000000010000000100000008000000000800000000000005000040" "0ba7ac3901"
#define GOLDEN_DCT "4443544d0404000401000000010000000100000008000000000800000804000002010101" "04000040" "05c63201"
// Two pixels of four channels (FORMAT.md §7.2): channel planes 5 6 | 0 0 |
// 0 1 | 7 0, one masked block of width 3.
#define GOLDEN_PZVC_PLANAR "4443544d0405000401000000010000000200000004000000001000000000000004000040" "0a63750e"
// 32 pixels of one channel (FORMAT.md §7.3): two masked blocks, their masks
// first in the bit stream (since version 3), then their values.
#define GOLDEN_PZVC_MASKS_FIRST "4443544d0405000401000000010000002000000001000000004000000000000006000040" "9a018000049d"
// FORMAT.md §7.4: two one-pixel tiles, the second in the split layout.
#define GOLDEN_PZVC_SPLIT "4443544d0405000401000000010000000200000020000000010000000000000011000040" "180000c0" "4498badcfe98badcfe98badcfe98badcfe" "1a11809d555501"
#define GOLDEN_DCT_OUT {13, 10, 6, 2, 1, 1, 1, 1}
#define GOLDEN_CS8 577385943LL
#define GOLDEN_CS16 295876693LL
#define GOLDEN_CS32 681468165LL
#define GOLDEN_CS64 854068562LL

std::string Hex(const std::vector<uint8_t>& v) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t b : v) {
    s += d[b >> 4];
    s += d[b & 15];
  }
  return s;
}

TEST(Codec, GoldenStreams) {
  // One pixel of 8 channels (the worked example of FORMAT.md §7).
  const std::vector<uint8_t> px = {12, 10, 9, 0, 0, 3, 0, 1};
  MapDesc d{1, 1, 1, 8, false};
  EncodeParams p;
  struct G {
    Mode mode;
    const char* hex;
  };
  const G goldens[] = {
      {Mode::kRaw, GOLDEN_RAW},     {Mode::kZvc, GOLDEN_ZVC},
      {Mode::kRle, GOLDEN_RLE},     {Mode::kCsc, GOLDEN_CSC},
      {Mode::kPzvc, GOLDEN_PZVC},
  };
  for (const G& g : goldens) {
    p.mode = g.mode;
    for (const Variant* v : Supported())
      EXPECT_EQ(Hex(EncodeOrDie(*v, px, d, p)), g.hex) << ModeName(g.mode);
  }
  p.mode = Mode::kDctcm;
  p.dct.L = 8;
  p.dct.K = 4;
  p.dct.steps = {2, 1, 1, 1};
  p.dct.fallback = false;
  for (const Variant* v : Supported())
    EXPECT_EQ(Hex(EncodeOrDie(*v, px, d, p)), GOLDEN_DCT);
  // pzvc goldens: every variant writes the pinned bytes and decodes them back.
  auto pzvc_golden = [&](const std::vector<uint8_t>& map, const MapDesc& dm, const char* golden) {
    EncodeParams pz;
    pz.mode = Mode::kPzvc;
    for (const Variant* v : Supported()) {
      const auto e = EncodeOrDie(*v, map, dm, pz);
      EXPECT_EQ(Hex(e), golden) << v->name;
      std::vector<uint8_t> back(map.size());
      ASSERT_EQ(v->decode(e.data(), e.size(), back.data(), back.size(), nullptr), Error::kOk);
      EXPECT_EQ(back, map) << v->name;
    }
  };
  pzvc_golden({5, 0, 0, 7, 6, 0, 1, 0}, MapDesc{1, 1, 2, 4, false}, GOLDEN_PZVC_PLANAR);
  std::vector<uint8_t> col(32, 0);
  col[0] = 5;
  col[15] = 3;
  col[16 + 10] = 2;
  pzvc_golden(col, MapDesc{1, 1, 32, 1, false}, GOLDEN_PZVC_MASKS_FIRST);
  {
    std::vector<uint8_t> two(64);
    for (int i = 0; i < 32; ++i) two[i] = static_cast<uint8_t>(8 + i % 8);
    const uint8_t t1[32] = {5, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6,
                            1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
    std::copy(t1, t1 + 32, two.begin() + 32);
    EncodeParams pz;
    pz.mode = Mode::kPzvc;
    pz.tile_pixels = 1;
    for (const Variant* v : Supported()) {
      const auto e = EncodeOrDie(*v, two, MapDesc{1, 1, 2, 32, false}, pz);
      EXPECT_EQ(Hex(e), GOLDEN_PZVC_SPLIT) << v->name;
      std::vector<uint8_t> back(64);
      ASSERT_EQ(v->decode(e.data(), e.size(), back.data(), back.size(), nullptr), Error::kOk);
      EXPECT_EQ(back, two) << v->name;
    }
  }
  auto enc = EncodeOrDie(Scalar(), px, d, p);
  std::vector<uint8_t> out(8);
  ASSERT_EQ(Decode(enc.data(), enc.size(), out.data(), 8, nullptr), Error::kOk);
  EXPECT_EQ(out, std::vector<uint8_t>(GOLDEN_DCT_OUT));
}

TEST(Codec, DctTablesPinned) {
  // First row entries and a checksum of every table.
  const int16_t* t8 = internal::DctTable(8);
  EXPECT_EQ(t8[0], 1448);
  EXPECT_EQ(t8[8], 2009);
  EXPECT_EQ(t8[9], 1703);
  auto cs = [](int L) {
    const int16_t* t = internal::DctTable(L);
    long long sum = 0;
    for (int i = 0; i < L * L; ++i) sum = (sum * 31 + t[i] + 5000) % 1000000007;
    return sum;
  };
  EXPECT_EQ(cs(8), GOLDEN_CS8);
  EXPECT_EQ(cs(16), GOLDEN_CS16);
  EXPECT_EQ(cs(32), GOLDEN_CS32);
  EXPECT_EQ(cs(64), GOLDEN_CS64);
}

// ---- Malformed streams.
std::vector<std::vector<uint8_t>> SampleStreams() {
  std::vector<std::vector<uint8_t>> v;
  MapDesc d{1, 5, 5, 32, false};
  auto src = MakeMap(5 * 5 * 32, 0.6, false, 9);
  for (int m = 0; m < kNumModes; ++m) {
    EncodeParams p;
    p.mode = Mode(m);
    p.tile_pixels = 4;
    v.push_back(EncodeOrDie(Scalar(), src, d, p));
  }
  MapDesc ds{1, 3, 3, 16, true};
  auto ssrc = MakeMap(3 * 3 * 16, 0.3, true, 10);
  EncodeParams p;
  p.dct.L = 16;
  p.dct.K = 5;
  p.dct.steps = {3, 2, 2, 1, 1};
  for (uint16_t j = 0; j < 16; ++j) p.dct.perm.push_back(uint16_t(15 - j));
  p.tile_pixels = 2;
  v.push_back(EncodeOrDie(Scalar(), ssrc, ds, p));
  return v;
}

TEST(Codec, TruncatedAtEveryLength) {
  for (const auto& s : SampleStreams()) {
    ASSERT_FALSE(s.empty());
    std::vector<uint8_t> out(1 << 16);
    for (const Variant* v : Supported()) {
      ASSERT_EQ(v->decode(s.data(), s.size(), out.data(), out.size(), nullptr),
                Error::kOk);
      for (size_t len = 0; len < s.size(); ++len) {
        std::vector<uint8_t> cut(s.begin(), s.begin() + len);  // exact-size heap
        Error e = v->decode(cut.data(), len, out.data(), out.size(), nullptr);
        EXPECT_NE(e, Error::kOk) << len;
      }
      std::vector<uint8_t> longer = s;
      longer.push_back(0);
      EXPECT_EQ(v->decode(longer.data(), longer.size(), out.data(), out.size(),
                          nullptr),
                Error::kCorrupt);
    }
  }
}

TEST(Codec, BitFlipsNeverCrash) {
  std::mt19937 rng(42);
  for (const auto& s : SampleStreams()) {
    std::vector<uint8_t> out(1 << 16);
    for (const Variant* v : Supported()) {
      for (int trial = 0; trial < 3000; ++trial) {
        std::vector<uint8_t> b = s;
        const int flips = 1 + int(rng() % 3);
        for (int f = 0; f < flips; ++f) b[rng() % b.size()] ^= uint8_t(1u << (rng() % 8));
        MapDesc d;
        Error e = v->decode(b.data(), b.size(), out.data(), out.size(), &d);
        (void)e;
      }
    }
  }
}

TEST(Codec, HeaderErrors) {
  auto s = SampleStreams()[1];
  std::vector<uint8_t> out(1 << 16);
  auto dec = [&](std::vector<uint8_t> b) {
    return Decode(b.data(), b.size(), out.data(), out.size(), nullptr);
  };
  auto b = s;
  b[0] = 'X';
  EXPECT_EQ(dec(b), Error::kBadMagic);
  b = s;
  b[4] = 5;
  EXPECT_EQ(dec(b), Error::kBadVersion);
  b[4] = 3;  // version 3 (no split-layout tiles) is no longer read
  EXPECT_EQ(dec(b), Error::kBadVersion);
  b[4] = 1;  // version 1 (64-value pzvc blocks) is no longer read
  EXPECT_EQ(dec(b), Error::kBadVersion);
  b[4] = 2;  // version 2 (masks inside the block bits) is no longer read
  EXPECT_EQ(dec(b), Error::kBadVersion);
  b = s;
  b[7] = 6;  // block_log2 of version 1
  EXPECT_EQ(dec(b), Error::kBadParams);
  b = s;
  b[5] = 9;
  EXPECT_EQ(dec(b), Error::kBadMode);
  b = s;
  b[6] |= 0x80;
  EXPECT_EQ(dec(b), Error::kBadParams);
  b = s;
  b[23] = 0x7f;  // c huge: rejected before any allocation
  EXPECT_EQ(dec(b), Error::kShapeTooLarge);
  b = s;
  b[8] = 0;  // n = 0
  EXPECT_EQ(dec(b), Error::kShapeTooLarge);
  b = s;
  b[12] = 0xff;
  b[13] = 0xff;
  b[16] = 0xff;
  b[17] = 0xff;  // h*w*c > 2^28
  EXPECT_EQ(dec(b), Error::kShapeTooLarge);
  b = s;
  b[24] = 0;  // tile_pixels = 0
  EXPECT_EQ(dec(b), Error::kBadParams);
  EXPECT_EQ(Decode(s.data(), s.size(), out.data(), 5 * 5 * 32 - 1, nullptr),
            Error::kDstTooSmall);
  EXPECT_EQ(Decode(nullptr, 0, out.data(), out.size(), nullptr), Error::kTruncated);
  // Index entry with a reserved kind.
  b = s;
  b[32 + 3] |= 0xC0;
  EXPECT_EQ(dec(b), Error::kCorrupt);
  // Bad permutation (duplicate entry).
  auto p = SampleStreams().back();
  p[32 + 5] = p[32 + 7];
  p[32 + 6] = p[32 + 8];
  EXPECT_EQ(dec(p), Error::kBadParams);
}

TEST(Codec, EncodeErrorsAndSmallDst) {
  MapDesc d{1, 4, 4, 24, false};
  auto src = MakeMap(4 * 4 * 24, 0.5, false, 1);
  EncodeParams p;
  p.dct.L = 16;  // 24 % 16 != 0
  std::vector<uint8_t> out(1 << 14);
  size_t w;
  EXPECT_EQ(Encode(src.data(), d, p, out.data(), out.size(), &w, nullptr),
            Error::kBadParams);
  EXPECT_EQ(EncodeBound(d, p), 0u);
  p.dct.L = 8;
  p.dct.steps = {1, 2};
  EXPECT_EQ(Encode(src.data(), d, p, out.data(), out.size(), &w, nullptr),
            Error::kBadParams);
  p.dct.steps.assign(8, 256);
  EXPECT_EQ(Encode(src.data(), d, p, out.data(), out.size(), &w, nullptr),
            Error::kBadParams);
  p.dct.steps.clear();
  p.dct.perm.assign(24, 0);
  EXPECT_EQ(Encode(src.data(), d, p, out.data(), out.size(), &w, nullptr),
            Error::kBadParams);
  p.dct.perm.clear();
  MapDesc big{1, 65536, 1, 1, false};
  EXPECT_EQ(Encode(src.data(), big, p, out.data(), out.size(), &w, nullptr),
            Error::kShapeTooLarge);
  // Every capacity below the stream size fails cleanly without overrun.
  for (int m = 0; m < kNumModes; ++m) {
    p.mode = Mode(m);
    ASSERT_EQ(Encode(src.data(), d, p, out.data(), out.size(), &w, nullptr),
              Error::kOk);
    const size_t need = w;
    for (size_t cap = 0; cap < need; ++cap) {
      std::vector<uint8_t> small(cap + 16, 0xCD);
      EXPECT_EQ(Encode(src.data(), d, p, small.data(), cap, &w, nullptr),
                Error::kDstTooSmall);
      for (size_t i = cap; i < small.size(); ++i) ASSERT_EQ(small[i], 0xCD);
    }
  }
}

// §5.4s / §5.6: in pzvc mode a tile takes the split value layout (kind 3)
// exactly when the tile before it coded to at least half its values; the
// sizes are those of v3; every variant writes the scalar bytes and decodes
// them, also tile by tile. Dense and sparse maps, signed and unsigned,
// tiles of whole 16-block groups (the AVX-512 kernels) and not.
TEST(Codec, SplitLayoutTiles) {
  struct Case {
    MapDesc d;
    double sparsity;
    uint32_t tile_pixels;
  };
  const Case cases[] = {
      {{1, 28, 28, 64, false}, 0.1, 0},   // 16 Ki-value tiles, dense
      {{1, 28, 28, 64, true}, 0.2, 0},
      {{1, 14, 14, 256, false}, 0.3, 7},  // 1792 values: partial groups
      {{1, 9, 9, 48, false}, 0.25, 5},
      {{1, 28, 28, 64, false}, 0.9, 0},   // sparse: no split tile
  };
  for (const Case& c : cases) {
    const size_t bytes = size_t{c.d.n} * c.d.h * c.d.w * c.d.c;
    auto src = MakeMap(bytes, c.sparsity, c.d.is_signed, 5, 40.0);
    EncodeParams p;
    p.mode = Mode::kPzvc;
    p.tile_pixels = c.tile_pixels;
    std::vector<uint8_t> ref;
    for (const Variant* v : Supported()) {
      SCOPED_TRACE(std::string(v->name) + " sparsity " + std::to_string(c.sparsity));
      EncodeStats st;
      std::vector<uint8_t> enc(EncodeBound(c.d, p));
      size_t w = 0;
      ASSERT_EQ(v->encode(src.data(), c.d, p, enc.data(), enc.size(), &w, &st), Error::kOk);
      enc.resize(w);
      if (ref.empty()) ref = enc;
      ASSERT_EQ(enc, ref);
      const auto idx = TileIndex(enc);
      ASSERT_FALSE(idx.empty());
      size_t split = 0;
      const size_t pixels = bytes / c.d.c;
      const size_t tp = c.tile_pixels ? c.tile_pixels : std::max<size_t>(1, 16384 / c.d.c);
      for (size_t t = 0; t < idx.size(); ++t) {
        const size_t values = std::min(tp, pixels - t * tp) * c.d.c;
        const size_t prev_values = t > 0 ? std::min(tp, pixels - (t - 1) * tp) * c.d.c : 0;
        const bool want = t > 0 && 2 * idx[t - 1].bytes >= prev_values && values % 16 == 0;
        if (idx[t].kind != kTileRaw) {
          EXPECT_EQ(idx[t].kind == kTilePzvcSplit, want) << "tile " << t;
        }
        split += idx[t].kind == kTilePzvcSplit;
      }
      EXPECT_EQ(st.tiles_by_kind[kTilePzvcSplit], split);
      if (c.sparsity < 0.5) {
        EXPECT_GT(split, 0u);
      } else {
        EXPECT_EQ(split, 0u);
      }
      std::vector<uint8_t> back(bytes);
      ASSERT_EQ(v->decode(enc.data(), enc.size(), back.data(), bytes, nullptr), Error::kOk);
      ASSERT_EQ(back, src);
    }
    // Tile by tile.
    TileInfo ti;
    ASSERT_EQ(ReadTileInfo(ref.data(), ref.size(), &ti), Error::kOk);
    std::vector<uint8_t> full(bytes), tile(bytes);
    ASSERT_EQ(Decode(ref.data(), ref.size(), full.data(), bytes, nullptr), Error::kOk);
    size_t off = 0;
    for (uint32_t t = 0; t < ti.num_tiles; ++t) {
      size_t tb = 0;
      ASSERT_EQ(DecodeTile(ref.data(), ref.size(), t, tile.data(), tile.size(), &tb), Error::kOk);
      ASSERT_TRUE(std::equal(tile.begin(), tile.begin() + tb, full.begin() + off));
      off += tb;
    }
    EXPECT_EQ(off, bytes);
  }
}

TEST(Codec, DecodeTileMatchesFullDecode) {
  MapDesc d{2, 7, 9, 64, false};
  const size_t bytes = 2 * 7 * 9 * 64;
  auto src = MakeMap(bytes, 0.6, false, 21);
  for (int m = 0; m < kNumModes; ++m) {
    EncodeParams p;
    p.mode = Mode(m);
    p.tile_pixels = 10;
    auto enc = EncodeOrDie(Scalar(), src, d, p);
    std::vector<uint8_t> full(bytes);
    ASSERT_EQ(Decode(enc.data(), enc.size(), full.data(), bytes, nullptr), Error::kOk);
    TileInfo ti;
    ASSERT_EQ(ReadTileInfo(enc.data(), enc.size(), &ti), Error::kOk);
    EXPECT_EQ(ti.num_tiles, (2u * 7 * 9 + 9) / 10);
    for (uint32_t t = 0; t < ti.num_tiles; ++t) {
      std::vector<uint8_t> tile(10 * 64);
      size_t tb = 0;
      ASSERT_EQ(DecodeTile(enc.data(), enc.size(), t, tile.data(), tile.size(), &tb),
                Error::kOk);
      ASSERT_TRUE(std::equal(tile.begin(), tile.begin() + tb,
                             full.begin() + size_t{t} * 10 * 64));
    }
    EXPECT_EQ(DecodeTile(enc.data(), enc.size(), ti.num_tiles, full.data(), bytes,
                         nullptr),
              Error::kShapeMismatch);
  }
}

TEST(Codec, ReadHeaderReturnsParams) {
  auto s = SampleStreams().back();
  MapDesc d;
  EncodeParams p;
  ASSERT_EQ(ReadHeader(s.data(), s.size(), &d, &p), Error::kOk);
  EXPECT_EQ(p.mode, Mode::kDctcm);
  EXPECT_EQ(p.dct.L, 16);
  EXPECT_EQ(p.dct.K, 5);
  EXPECT_EQ(p.dct.steps, (std::vector<uint16_t>{3, 2, 2, 1, 1}));
  ASSERT_EQ(p.dct.perm.size(), 16u);
  EXPECT_EQ(p.dct.perm[0], 15);
  EXPECT_EQ(p.tile_pixels, 2u);
  EXPECT_TRUE(d.is_signed);
  EXPECT_EQ(d.c, 16u);
}

}  // namespace
}  // namespace codec
}  // namespace dctcm
