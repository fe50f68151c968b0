// Kernel-level tests: every variant's kernels against the scalar reference
// on every length around the 16-symbol block and the SIMD widths, with
// symbol distributions that hit every bit width (0..8) and both dense and
// masked blocks (§5.4).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
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

// Symbols: zero with probability p0 (halved or kept per 16-block), else
// uniform below 2^w (w random 1..8 per 16-block, so codes vary block to
// block).
std::vector<uint8_t> Symbols(size_t n, double p0, std::mt19937& rng) {
  std::vector<uint8_t> s(n);
  std::uniform_real_distribution<double> u(0, 1);
  int w = 1;
  double pb = p0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) {
      w = 1 + int(rng() % 8);
      pb = rng() % 2 ? p0 : p0 / 2;
    }
    s[i] = u(rng) < pb ? 0 : uint8_t(rng() & ((1u << w) - 1));
  }
  return s;
}

const size_t kLengths[] = {1,  2,  7,  8,  9,  15, 16, 17,  31,  32,  33,  63,  64,
                           65, 95, 96, 97, 127, 128, 129, 191, 192, 193, 255, 256,
                           257, 511, 512, 513, 1000, 4096, 4097};

TEST(Kernels, ZvcAndPzvcMatchScalar) {
  const Kernels& ref = kScalarKernels;
  std::mt19937 rng(5);
  for (auto& [name, k] : SimdKernels()) {
    for (size_t n : kLengths) {
      for (double p0 : {0.0, 0.5, 0.97, 1.0}) {
        SCOPED_TRACE(name + " n=" + std::to_string(n) + " p0=" + std::to_string(p0));
        auto s = Symbols(n, p0, rng);
        std::vector<uint8_t> a(2 * n + 64), b(2 * n + 64);
        const size_t za = ref.zvc_encode(s.data(), n, a.data());
        const size_t zb = k->zvc_encode(s.data(), n, b.data());
        ASSERT_EQ(za, zb);
        ASSERT_TRUE(std::equal(a.begin(), a.begin() + za, b.begin()));
        std::vector<uint8_t> d(n + 1, 0xEE);
        ASSERT_TRUE(k->zvc_decode(a.data(), za, n, d.data()));
        ASSERT_EQ(d[n], 0xEE);
        ASSERT_TRUE(std::equal(s.begin(), s.end(), d.begin()));
        if (za > 0) {
          EXPECT_FALSE(k->zvc_decode(a.data(), za - 1, n, d.data()));
        }

        const size_t pa = ref.pzvc_encode(s.data(), n, a.data());
        ASSERT_EQ(ref.pzvc_size(s.data(), n), pa);
        ASSERT_EQ(k->pzvc_size(s.data(), n), pa);
        const size_t pb = k->pzvc_encode(s.data(), n, b.data());
        ASSERT_EQ(pa, pb);
        ASSERT_TRUE(std::equal(a.begin(), a.begin() + pa, b.begin()));
        d.assign(n + 1, 0xEE);
        ASSERT_TRUE(k->pzvc_decode(a.data(), pa, n, d.data()));
        ASSERT_EQ(d[n], 0xEE);
        ASSERT_TRUE(std::equal(s.begin(), s.end(), d.begin()));
        EXPECT_FALSE(k->pzvc_decode(a.data(), pa - 1, n, d.data()));
        EXPECT_FALSE(ref.pzvc_decode(a.data(), pa - 1, n, d.data()));

        std::vector<uint8_t> za_(n), zb_(n);
        ref.zigzag(s.data(), n, za_.data());
        k->zigzag(s.data(), n, zb_.data());
        ASSERT_EQ(za_, zb_);
        k->unzigzag(zb_.data(), n);
        ASSERT_EQ(zb_, s);
        ASSERT_EQ(ref.count_zeros(s.data(), n), k->count_zeros(s.data(), n));
      }
    }
  }
}

// The block choice of §5.4 on hand-made blocks.
TEST(Kernels, PackedBlockCodes) {
  const Kernels& ref = kScalarKernels;
  std::vector<uint8_t> s(16, 0), out(64);
  // All zero: code 0, no bits.
  ASSERT_EQ(ref.pzvc_encode(s.data(), 16, out.data()), 1u);
  EXPECT_EQ(out[0], 0);
  // One non-zero of width 3: masked (16 + 3 bits < 48): code 10.
  s[4] = 5;
  ASSERT_EQ(ref.pzvc_encode(s.data(), 16, out.data()), 1u + 3u);
  EXPECT_EQ(out[0], 10);
  EXPECT_EQ(out[1], 0x10);  // mask bit 4
  EXPECT_EQ(out[2], 0x00);
  EXPECT_EQ(out[3], 0x05);
  // Width 1 is always dense (16 bits <= 16 + nnz): code 1.
  s.assign(16, 1);
  s[3] = 0;
  ASSERT_EQ(ref.pzvc_encode(s.data(), 16, out.data()), 1u + 2u);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 0xF7);
  EXPECT_EQ(out[2], 0xFF);
  // Dense width 8, second block of a 17-symbol stream (high nibble).
  s.assign(17, 0);
  for (int i = 0; i < 16; ++i) s[i] = 0;
  s[16] = 200;
  ASSERT_EQ(ref.pzvc_encode(s.data(), 17, out.data()), 1u + 1u);
  EXPECT_EQ(out[0], 0x80);
  EXPECT_EQ(out[1], 200);
  std::vector<uint8_t> d(17);
  ASSERT_TRUE(ref.pzvc_decode(out.data(), 2, 17, d.data()));
  EXPECT_EQ(d, s);
  out[0] = 0x08;  // the last (odd) block's high nibble must be 0
  EXPECT_FALSE(ref.pzvc_decode(out.data(), 2, 17, d.data()));
}

TEST(Kernels, TransposeMatchesScalar) {
  std::mt19937 rng(3);
  for (auto& [name, k] : SimdKernels()) {
    // Includes the 8-wide shapes (rows x 8 and 8 x cols: the 512-byte block
    // transposes and their remainders).
    for (size_t rows : {1, 2, 7, 8, 15, 16, 17, 33, 63, 64, 65, 127, 128, 200, 256, 2048}) {
      for (size_t cols : {1, 2, 3, 8, 16, 31, 32, 63, 64, 65, 127, 128, 200, 256, 2048}) {
        if (rows * cols > (1u << 20)) continue;
        std::vector<uint8_t> x(rows * cols), a(x.size()), b(x.size() + 1, 0xEE);
        for (auto& v : x) v = uint8_t(rng());
        kScalarKernels.transpose(x.data(), rows, cols, a.data());
        k->transpose(x.data(), rows, cols, b.data());
        ASSERT_EQ(b.back(), 0xEE);
        b.pop_back();
        ASSERT_EQ(a, b) << name << " " << rows << "x" << cols;
        ASSERT_EQ(a[(cols - 1) * rows + rows - 1], x.back());
      }
    }
  }
}

// The L = 1 lookup fused with the transpose: the scalar one is the
// definition (the table applied to the transpose), every variant equals it
// on the same shapes, with a random table and with the plans' tables.
TEST(Kernels, TransposeLutMatchesScalar) {
  std::mt19937 rng(4);
  std::vector<uint8_t> table(256);
  for (auto& v : table) v = uint8_t(rng());
  {
    const size_t rows = 17, cols = 9;
    std::vector<uint8_t> x(rows * cols), t(x.size()), a(x.size());
    for (auto& v : x) v = uint8_t(rng());
    kScalarKernels.transpose(x.data(), rows, cols, t.data());
    kScalarKernels.transpose_lut(x.data(), rows, cols, table.data(), a.data());
    for (size_t i = 0; i < t.size(); ++i) ASSERT_EQ(a[i], table[t[i]]) << i;
  }
  DctPlan plan;
  const uint16_t step3[1] = {3};
  MakeDctPlan(1, 1, step3, true, 64, &plan);
  const uint8_t* tables[3] = {table.data(), plan.lut_fwd, plan.lut_inv};
  for (auto& [name, k] : SimdKernels()) {
    for (const uint8_t* tab : tables) {
      for (size_t rows : {1, 2, 7, 8, 15, 16, 17, 33, 64, 65, 128, 200, 256, 2048}) {
        for (size_t cols : {1, 3, 8, 16, 31, 64, 65, 128, 200, 256, 2048}) {
          if (rows * cols > (1u << 20)) continue;
          std::vector<uint8_t> x(rows * cols), a(x.size()), b(x.size() + 1, 0xEE);
          for (auto& v : x) v = uint8_t(rng());
          kScalarKernels.transpose_lut(x.data(), rows, cols, tab, a.data());
          k->transpose_lut(x.data(), rows, cols, tab, b.data());
          ASSERT_EQ(b.back(), 0xEE);
          b.pop_back();
          ASSERT_EQ(a, b) << name << " " << rows << "x" << cols;
        }
      }
    }
  }
}

// Corrupt pzvc widths and masks: SIMD and scalar agree on accept/reject.
TEST(Kernels, PzvcRejectsSameAsScalar) {
  std::mt19937 rng(8);
  for (auto& [name, k] : SimdKernels()) {
    // 513 and 4100 symbols reach the 16-block groups of the AVX-512 paths
    // (and their partial-group and partial-block edges).
    for (size_t n : {64, 100, 200, 513, 4100}) {
      auto s = Symbols(n, 0.5, rng);
      std::vector<uint8_t> a(2 * n + 64), d(n), d2(n);
      const size_t pa = kScalarKernels.pzvc_encode(s.data(), n, a.data());
      for (int t = 0; t < 2000; ++t) {
        std::vector<uint8_t> b(a.begin(), a.begin() + pa);
        b[rng() % pa] ^= uint8_t(1u << (rng() % 8));
        const bool r1 = kScalarKernels.pzvc_decode(b.data(), pa, n, d.data());
        const bool r2 = k->pzvc_decode(b.data(), pa, n, d2.data());
        ASSERT_EQ(r1, r2) << name;
        if (r1) {
          ASSERT_EQ(d, d2) << name;  // accepted: the same symbols
        }
        const bool z1 = kScalarKernels.zvc_decode(b.data(), pa, n, d.data());
        const bool z2 = k->zvc_decode(b.data(), pa, n, d.data());
        ASSERT_EQ(z1, z2) << name;
      }
    }
  }
}

// DCT kernels directly, every K, steps up to 255, extreme inputs (clamps).
TEST(Kernels, DctMatchesScalarIncludingClamps) {
  std::mt19937 rng(9);
  for (auto& [name, k] : SimdKernels()) {
    for (int L : {1, 8, 16, 32, 64}) {
      for (int K = 1; K <= L; K += (L == 8 ? 1 : 5)) {
        for (bool sg : {false, true}) {
          // Tiles of 8 and 16 pixels take several groups per step in the
          // AVX-512 forward (4 or 2; G up to 9 leaves a remainder).
          for (size_t npix : {size_t{8}, size_t{16}, size_t{1 + rng() % 70}}) {
            const int G = 1 + int(rng() % (npix == 8 || npix == 16 ? 9 : 3));
            uint16_t steps[64];
            for (int i = 0; i < K; ++i) steps[i] = uint16_t(1 + rng() % (i % 3 == 0 ? 255 : 4));
            DctPlan plan;
            MakeDctPlan(L, K, steps, sg, G * L, &plan);
            // Channel planes (row ch = channel ch of the npix pixels), with
            // and without a permutation of the rows.
            std::vector<uint8_t> x(npix * G * L);
            for (auto& v : x) v = uint8_t(rng() % 4 == 0 ? (rng() & 1 ? 255 : 128) : rng());
            std::vector<uint16_t> perm(G * L);
            std::iota(perm.begin(), perm.end(), uint16_t{0});
            std::shuffle(perm.begin(), perm.end(), rng);
            const size_t sn = npix * G * K;
            for (const uint16_t* pm : {static_cast<const uint16_t*>(nullptr), static_cast<const uint16_t*>(perm.data())}) {
              std::vector<uint8_t> s1(sn), s2(sn + 1, 0xEE);
              kScalarKernels.dct_forward(plan, x.data(), npix, pm, s1.data());
              k->dct_forward(plan, x.data(), npix, pm, s2.data());
              ASSERT_EQ(s2.back(), 0xEE);
              s2.pop_back();
              ASSERT_EQ(s1, s2) << name << " L=" << L << " K=" << K << " npix=" << npix
                                << " G=" << G << " perm=" << (pm != nullptr);
            }
            std::vector<uint8_t> s1(sn);
            // Arbitrary symbols too (streams not from the encoder).
            for (auto& v : s1) v = uint8_t(rng());
            std::vector<uint8_t> y1(x.size()), y2(x.size() + 1, 0xEE);
            kScalarKernels.dct_inverse(plan, s1.data(), npix, y1.data());
            k->dct_inverse(plan, s1.data(), npix, y2.data());
            ASSERT_EQ(y2.back(), 0xEE);
            y2.pop_back();
            ASSERT_EQ(y1, y2) << name << " L=" << L << " K=" << K << " npix=" << npix;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace internal
}  // namespace codec
}  // namespace dctcm
