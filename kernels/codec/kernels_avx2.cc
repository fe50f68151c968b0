// AVX2 (+ BMI2) variant. Byte-identical to the scalar reference.
//
//  * zvc / pzvc: 8 values at a time with BMI2: pext gathers the non-zero
//    bytes of a 64-bit chunk (mask from a SWAR non-zero test), pdep scatters
//    them back; bit packing at width w is one pext/pdep per 8 values with the
//    mask "low w bits of every byte" (8 values of w bits = w bytes). Every
//    load/store is bounded: partial chunks go through memcpy.
//  * packed blocks (§5.4 v3), 16 blocks per step: the block stats in ymm
//    (StatsAvx2); per qword of a block the pext/pdep mask (low w bits of
//    every selected byte) and its bit count made in ymm (GroupFields);
//    encode appends pext(qword, mask) with the register bit writer
//    (WritePieces), decode deposits the stream bits at each qword's offset
//    with one pdep; the selections of masked blocks by table-driven vpshufb
//    expands. Partial groups and the last block: kernels_bmi2.inc.
//  * count_zeros / zigzag: AVX2 compares.
//  * DCT (L = 8), vpmaddwd on int16 pairs, same binary32 quantiser:
//    forward on channel planes, 16 pixels of one group per step (pairs of
//    rows by vpunpck{l,h}wd); inverse 8 groups per step (pairs of
//    frequencies). L = 16, 32, 64: the butterfly x[n] +- x[L-1-n] (half
//    the multiply-adds), K a run-time loop; the inverse 16 groups per step
//    through the plane transpose.
// pdep/pext are fast on Intel (3-cycle) but microcoded on AMD before Zen 3.
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "kernels/codec/codec_internal.h"

namespace dctcm {
namespace codec {
namespace internal {

bool Avx2Supported() {
  // Every ISA extension this file is compiled with (-mbmi lets GCC emit
  // BMI1 anywhere). LZCNT has no __builtin_cpu_supports name in clang 14;
  // every x86 CPU with BMI2 has it.
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
         __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
}

namespace {

#pragma GCC diagnostic ignored "-Wunused-function"
#include "kernels/codec/kernels_generic.inc"

constexpr uint64_t kLowBytes = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

// Fixed-size copies compile to one mov; the variable tail is rare.
inline uint64_t Load8(const uint8_t* p, size_t avail) {
  uint64_t v = 0;
  if (__builtin_expect(avail >= 8, 1)) {
    std::memcpy(&v, p, 8);
  } else {
    for (size_t i = 0; i < avail; ++i) v |= uint64_t{p[i]} << (8 * i);
  }
  return v;
}
inline void Store8(uint8_t* p, uint64_t v, size_t room) {
  if (__builtin_expect(room >= 8, 1)) {
    std::memcpy(p, &v, 8);
  } else {
    for (size_t i = 0; i < room; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}
// Bit i of the result = byte i of v is non-zero.
inline unsigned NonZeroBytes(uint64_t v) {
  const uint64_t t = (v | ((v & ~kHighBits) + ~kHighBits)) & kHighBits;
  return static_cast<unsigned>(_pext_u64(t, kHighBits));
}
// 0xFF in every byte whose bit is set in mb.
inline uint64_t ByteMask(unsigned mb) { return _pdep_u64(mb, kLowBytes) * 0xFF; }
inline uint64_t WidthMask(int w) { return kLowBytes * ((1u << w) - 1); }

size_t CountZerosB(const uint8_t* src, size_t n);

// ---- zvc
size_t ZvcEncodeB(const uint8_t* src, size_t n, uint8_t* dst) {
  const size_t mbytes = (n + 7) / 8;
  // The exact end is known from the zero count, so 8-byte stores are safe
  // while they stay before it.
  uint8_t* const end = dst + mbytes + (n - CountZerosB(src, n));
  uint8_t* v = dst + mbytes;
  for (size_t i = 0; i < n; i += 8) {
    const size_t rem = n - i < 8 ? n - i : 8;
    const uint64_t x = Load8(src + i, rem);
    const unsigned mb = NonZeroBytes(x);
    dst[i / 8] = static_cast<uint8_t>(mb);
    Store8(v, _pext_u64(x, ByteMask(mb)), static_cast<size_t>(end - v));
    v += _mm_popcnt_u32(mb);
  }
  return static_cast<size_t>(v - dst);
}

bool ZvcDecodeB(const uint8_t* src, size_t len, size_t n, uint8_t* dst) {
  const size_t mbytes = (n + 7) / 8;
  if (len < mbytes) return false;
  if ((n % 8) != 0 && (src[mbytes - 1] >> (n % 8)) != 0) return false;
  const uint8_t* v = src + mbytes;
  const uint8_t* end = src + len;
  for (size_t i = 0; i < n; i += 8) {
    const unsigned mb = src[i / 8];
    const size_t cnt = static_cast<size_t>(_mm_popcnt_u32(mb));
    const size_t avail = static_cast<size_t>(end - v);
    if (cnt > avail) return false;
    const uint64_t y = _pdep_u64(Load8(v, avail), ByteMask(mb));
    Store8(dst + i, y, n - i);
    v += cnt;
  }
  return v == end;
}

// ---- packed blocks (§5.4 v2) and the plane transpose: BMI2/SSE kernels.
#include "kernels/codec/kernels_bmi2.inc"

void ZigZagB(const uint8_t* src, size_t n, uint8_t* dst) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    const __m256i neg = _mm256_cmpgt_epi8(_mm256_setzero_si256(), x);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i),
                        _mm256_xor_si256(_mm256_add_epi8(x, x), neg));
  }
  ZigZagRef(src + i, n - i, dst + i);
}

void UnZigZagB(uint8_t* buf, size_t n) {
  size_t i = 0;
  const __m256i x7f = _mm256_set1_epi8(0x7F), one = _mm256_set1_epi8(1);
  for (; i + 32 <= n; i += 32) {
    const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(buf + i));
    const __m256i r =
        _mm256_xor_si256(_mm256_and_si256(_mm256_srli_epi16(s, 1), x7f),
                         _mm256_sub_epi8(_mm256_setzero_si256(), _mm256_and_si256(s, one)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(buf + i), r);
  }
  UnZigZagRef(buf + i, n - i);
}

size_t CountZerosB(const uint8_t* src, size_t n) {
  size_t z = 0, i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    z += _mm_popcnt_u32(static_cast<unsigned>(
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_setzero_si256()))));
  }
  return z + CountZerosRef(src + i, n - i);
}

// ---- DCT, L = 8 (DctForwardB, DctInverseB) and L = 16, 32, 64 (DctForwardLB, DctInverseLB)
// Sixteen int16 in 0..255 (pixel order) -> bytes.
inline __m128i Bytes16(__m256i w) {
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi16(w, w), 0x08));
}

// The quantiser of §6.2 on the int32 sums of 16 pixels (al: pixels 0-3
// and 8-11, ah: 4-7 and 12-15, as the vpunpck{l,h}wd pairs leave them): the
// scalar code's float multiply + RNE convert, vpackssdw back to pixel order
// (exact: |q| < 4096), the clamps and the zigzag (not for the DC of an
// unsigned map) on int16; the first rem of the 16 symbols stored.
inline void QuantiseStore16(__m256i al, __m256i ah, __m256 iv, bool unsigned_dc, uint8_t* out,
                            size_t rem) {
  const __m256i zero = _mm256_setzero_si256(), u8max = _mm256_set1_epi16(255);
  const __m256i ql = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(al), iv));
  const __m256i qh = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(ah), iv));
  __m256i w = _mm256_packs_epi32(ql, qh);  // pixel order
  if (unsigned_dc) {
    w = _mm256_min_epi16(_mm256_max_epi16(w, zero), u8max);
  } else {
    w = _mm256_min_epi16(_mm256_max_epi16(w, _mm256_set1_epi16(-128)), _mm256_set1_epi16(127));
    w = _mm256_and_si256(_mm256_xor_si256(_mm256_slli_epi16(w, 1), _mm256_srai_epi16(w, 15)),
                         u8max);
  }
  const __m128i v = Bytes16(w);
  if (rem == 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
  } else {
    alignas(16) uint8_t t[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(t), v);
    std::memcpy(out, t, rem);
  }
}

// L = 16, 32, 64 (§6.2): the butterfly s_n = x_n + x_(L-1-n), d_n = x_n -
// x_(L-1-n) (even rows take the pairs of s, odd rows those of d: half the
// multiply-adds), otherwise DctForwardB's arithmetic; 16 pixels of one
// group per step, K a run-time loop, the pairs on the stack.
template <int L>
void DctForwardLB(const DctPlan& plan, const uint8_t* src, size_t npix, const uint16_t* perm,
                  uint8_t* sym) {
  constexpr int P = L / 4;  // int16 pairs per butterfly half
  const int K = plan.K;
  const bool sg = plan.is_signed;
  const size_t G = plan.G, F = npix * G;
  alignas(32) int32_t cp[64][P];
  for (int k = 0; k < K; ++k)
    for (int j = 0; j < P; ++j) cp[k][j] = PairOf(plan.coef[k * L + 2 * j], plan.coef[k * L + 2 * j + 1]);
  const __m256i zero = _mm256_setzero_si256();
  __m256i pl[2][P], ph[2][P];
  for (size_t g = 0; g < G; ++g) {
    auto row = [&](int n) { return src + (perm ? perm[L * g + n] : L * g + n) * npix; };
    uint8_t* out = sym + g * npix;
    for (size_t p0 = 0; p0 < npix; p0 += 16) {
      const size_t rem = npix - p0 < 16 ? npix - p0 : 16;
      auto load = [&](int n) {
        alignas(16) uint8_t t[16];
        const uint8_t* from = row(n) + p0;
        if (rem < 16) {  // the last pixels of the row, zero-padded
          std::memset(t, 0, sizeof(t));
          std::memcpy(t, from, rem);
          from = t;
        }
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from));
        return sg ? _mm256_cvtepi8_epi16(b) : _mm256_cvtepu8_epi16(b);
      };
      for (int j = 0; j < P; ++j) {
        const __m256i a0 = load(2 * j), a1 = load(2 * j + 1);
        const __m256i b0 = load(L - 1 - 2 * j), b1 = load(L - 2 - 2 * j);
        const __m256i s0 = _mm256_add_epi16(a0, b0), s1 = _mm256_add_epi16(a1, b1);
        const __m256i d0 = _mm256_sub_epi16(a0, b0), d1 = _mm256_sub_epi16(a1, b1);
        pl[0][j] = _mm256_unpacklo_epi16(s0, s1);
        ph[0][j] = _mm256_unpackhi_epi16(s0, s1);
        pl[1][j] = _mm256_unpacklo_epi16(d0, d1);
        ph[1][j] = _mm256_unpackhi_epi16(d0, d1);
      }
      for (int k = 0; k < K; ++k) {
        const __m256i* ql_in = pl[k & 1];
        const __m256i* qh_in = ph[k & 1];
        __m256i al = zero, ah = zero;
        for (int j = 0; j < P; ++j) {
          const __m256i c = _mm256_set1_epi32(cp[k][j]);
          al = _mm256_add_epi32(al, _mm256_madd_epi16(ql_in[j], c));
          ah = _mm256_add_epi32(ah, _mm256_madd_epi16(qh_in[j], c));
        }
        QuantiseStore16(al, ah, _mm256_set1_ps(plan.inv[k]), k == 0 && !sg, out + k * F + p0, rem);
      }
    }
  }
}

// L = 16, 32, 64 (§6.3), 16 groups per step: dequantisation in int32 as in
// DctInverseB, narrowed to int16 (|D| <= 4095), pairs (D_4i, D_4i+2) and
// (D_4i+1, D_4i+3) by vpunpck{l,h}wd (K rounded up to a multiple of 4 with
// zero rows), vpmaddwd, the butterfly y_n / y_(L-1-n) = E_n +- O_n,
// saturating packs; the L rows of 16 bytes go through the plane transpose
// to [group][n] order.
template <int L>
void DctInverseLB(const DctPlan& plan, const uint8_t* sym, size_t npix, uint8_t* dst) {
  constexpr int H = L / 2;
  const int K = plan.K, KK = (K + 3) / 4 * 4, PP = KK / 4;
  const bool sg = plan.is_signed;
  const size_t F = npix * plan.G;
  auto cf = [&](int k, int n) { return k < K ? plan.coef[k * L + n] : int16_t{0}; };
  alignas(32) int32_t ce[H][16], co[H][16];
  for (int n = 0; n < H; ++n)
    for (int i = 0; i < PP; ++i) {
      ce[n][i] = PairOf(cf(4 * i, n), cf(4 * i + 2, n));
      co[n][i] = PairOf(cf(4 * i + 1, n), cf(4 * i + 3, n));
    }
  const __m256i dmax = _mm256_set1_epi32(kDequantMax), dmin = _mm256_set1_epi32(-kDequantMax);
  const __m256i round = _mm256_set1_epi32(1 << (kFracBits - 1));
  const __m256i zero = _mm256_setzero_si256(), u8max = _mm256_set1_epi16(255);
  const __m256i s8min = _mm256_set1_epi16(-128), s8max = _mm256_set1_epi16(127);
  const __m128i one = _mm_set1_epi8(1), x7f = _mm_set1_epi8(0x7F);
  __m256i d[64];
  __m256i el[16], eh[16], ol[16], oh[16];
  alignas(32) uint8_t rows[L * 16];
  alignas(32) uint8_t tail[L * 16];
  for (size_t f0 = 0; f0 < F; f0 += 16) {
    const size_t rem = F - f0 < 16 ? F - f0 : 16;
    for (int k = 0; k < K; ++k) {
      __m128i s;
      if (rem == 16) {
        s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(sym + k * F + f0));
      } else {  // the last groups, zero-padded
        alignas(16) uint8_t t[16] = {};
        std::memcpy(t, sym + k * F + f0, rem);
        s = _mm_load_si128(reinterpret_cast<const __m128i*>(t));
      }
      __m128i u = s;
      if (k != 0 || sg)
        u = _mm_xor_si128(_mm_and_si128(_mm_srli_epi16(s, 1), x7f),
                          _mm_sub_epi8(_mm_setzero_si128(), _mm_and_si128(s, one)));
      const __m256i st = _mm256_set1_epi32(plan.step[k]);
      auto deq = [&](__m128i b8) {  // 8 symbols -> 8 int32 D
        const __m256i q = (k == 0 && !sg) ? _mm256_cvtepu8_epi32(b8) : _mm256_cvtepi8_epi32(b8);
        return _mm256_min_epi32(_mm256_max_epi32(_mm256_mullo_epi32(q, st), dmin), dmax);
      };
      // int32 halves (groups 0-7, 8-15) -> int16 in group order
      d[k] = _mm256_permute4x64_epi64(_mm256_packs_epi32(deq(u), deq(_mm_srli_si128(u, 8))), 0xD8);
    }
    for (int k = K; k < KK; ++k) d[k] = zero;
    for (int i = 0; i < PP; ++i) {
      el[i] = _mm256_unpacklo_epi16(d[4 * i], d[4 * i + 2]);
      eh[i] = _mm256_unpackhi_epi16(d[4 * i], d[4 * i + 2]);
      ol[i] = _mm256_unpacklo_epi16(d[4 * i + 1], d[4 * i + 3]);
      oh[i] = _mm256_unpackhi_epi16(d[4 * i + 1], d[4 * i + 3]);
    }
    for (int n = 0; n < H; ++n) {
      __m256i a = round, b = round, c = zero, e = zero;
      for (int i = 0; i < PP; ++i) {
        const __m256i cev = _mm256_set1_epi32(ce[n][i]), cov = _mm256_set1_epi32(co[n][i]);
        a = _mm256_add_epi32(a, _mm256_madd_epi16(el[i], cev));
        b = _mm256_add_epi32(b, _mm256_madd_epi16(eh[i], cev));
        c = _mm256_add_epi32(c, _mm256_madd_epi16(ol[i], cov));
        e = _mm256_add_epi32(e, _mm256_madd_epi16(oh[i], cov));
      }
      auto clamp = [&](__m256i w) {
        // int8 as its two's-complement byte (0..255), for the unsigned pack
        return sg ? _mm256_and_si256(_mm256_min_epi16(_mm256_max_epi16(w, s8min), s8max), u8max)
                  : _mm256_min_epi16(_mm256_max_epi16(w, zero), u8max);
      };
      const __m256i yn = clamp(_mm256_packs_epi32(_mm256_srai_epi32(_mm256_add_epi32(a, c), kFracBits),
                                                  _mm256_srai_epi32(_mm256_add_epi32(b, e), kFracBits)));
      const __m256i ym = clamp(_mm256_packs_epi32(_mm256_srai_epi32(_mm256_sub_epi32(a, c), kFracBits),
                                                  _mm256_srai_epi32(_mm256_sub_epi32(b, e), kFracBits)));
      _mm_store_si128(reinterpret_cast<__m128i*>(rows + 16 * n), Bytes16(yn));
      _mm_store_si128(reinterpret_cast<__m128i*>(rows + 16 * (L - 1 - n)), Bytes16(ym));
    }
    if (rem == 16) {
      TransposeB2(rows, L, 16, dst + f0 * L);
    } else {
      TransposeB2(rows, L, 16, tail);
      std::memcpy(dst + f0 * L, tail, rem * L);
    }
  }
}

// The forward transform on channel planes (§6.2), 16 pixels of one group
// per step: rows widened to int16, vpunpck{l,h}wd int16 pairs (pixels
// 0-3, 8-11 and 4-7, 12-15), vpmaddwd against the table (exact int32),
// the scalar code's float quantiser, vpackssdw back to pixel order (exact:
// |q| < 4096), the clamps and the zigzag on int16.
void DctForwardB(const DctPlan& plan, const uint8_t* src, size_t npix, const uint16_t* perm,
                 uint8_t* sym) {
  if (plan.L != 8) {
    if (PlanSymmetric(plan)) {
      if (plan.L == 16) return DctForwardLB<16>(plan, src, npix, perm, sym);
      if (plan.L == 32) return DctForwardLB<32>(plan, src, npix, perm, sym);
      if (plan.L == 64) return DctForwardLB<64>(plan, src, npix, perm, sym);
    }
    DctForwardRef(plan, src, npix, perm, sym);
    return;
  }
  const int K = plan.K;
  const size_t G = plan.G, F = npix * G;
  __m256i cp[8][4];
  __m256 inv[8];
  for (int k = 0; k < K; ++k) {
    const int16_t* c = plan.coef + k * 8;
    for (int j = 0; j < 4; ++j) cp[k][j] = _mm256_set1_epi32(PairOf(c[2 * j], c[2 * j + 1]));
    inv[k] = _mm256_set1_ps(plan.inv[k]);
  }
  for (size_t g = 0; g < G; ++g) {
    const uint8_t* r[8];
    for (int n = 0; n < 8; ++n) r[n] = src + (perm ? perm[8 * g + n] : 8 * g + n) * npix;
    uint8_t* out = sym + g * npix;
    for (size_t p0 = 0; p0 < npix; p0 += 16) {
      const size_t rem = npix - p0 < 16 ? npix - p0 : 16;
      __m256i x[8];
      for (int n = 0; n < 8; ++n) {
        alignas(16) uint8_t t[16];
        const uint8_t* from = r[n] + p0;
        if (rem < 16) {  // the last pixels of the row, zero-padded
          std::memset(t, 0, sizeof(t));
          std::memcpy(t, from, rem);
          from = t;
        }
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from));
        x[n] = plan.is_signed ? _mm256_cvtepi8_epi16(b) : _mm256_cvtepu8_epi16(b);
      }
      __m256i pl[4], ph[4];
      for (int j = 0; j < 4; ++j) {
        pl[j] = _mm256_unpacklo_epi16(x[2 * j], x[2 * j + 1]);
        ph[j] = _mm256_unpackhi_epi16(x[2 * j], x[2 * j + 1]);
      }
      for (int k = 0; k < K; ++k) {
        __m256i al = _mm256_madd_epi16(pl[0], cp[k][0]), ah = _mm256_madd_epi16(ph[0], cp[k][0]);
        for (int j = 1; j < 4; ++j) {
          al = _mm256_add_epi32(al, _mm256_madd_epi16(pl[j], cp[k][j]));
          ah = _mm256_add_epi32(ah, _mm256_madd_epi16(ph[j], cp[k][j]));
        }
        QuantiseStore16(al, ah, inv[k], k == 0 && !plan.is_signed, out + k * F + p0, rem);
      }
    }
  }
}

void DctInverseB(const DctPlan& plan, const uint8_t* sym, size_t npix, uint8_t* dst) {
  if (plan.L != 8) {
    if (PlanSymmetric(plan)) {
      if (plan.L == 16) return DctInverseLB<16>(plan, sym, npix, dst);
      if (plan.L == 32) return DctInverseLB<32>(plan, sym, npix, dst);
      if (plan.L == 64) return DctInverseLB<64>(plan, sym, npix, dst);
    }
    DctInverseRef(plan, sym, npix, dst);
    return;
  }
  const int K = plan.K;
  const int P = (K + 1) / 2;
  const size_t F = npix * plan.G;
  __m256i cpi[8][4], step[8];
  for (int n = 0; n < 8; ++n)
    for (int j = 0; j < P; ++j) {
      const int16_t lo = plan.coef[(2 * j) * 8 + n];
      const int16_t hi = 2 * j + 1 < K ? plan.coef[(2 * j + 1) * 8 + n] : 0;
      cpi[n][j] = _mm256_set1_epi32(PairOf(lo, hi));
    }
  for (int k = 0; k < K; ++k) step[k] = _mm256_set1_epi32(plan.step[k]);
  const __m256i dmax = _mm256_set1_epi32(kDequantMax), dmin = _mm256_set1_epi32(-kDequantMax);
  const __m256i lo16 = _mm256_set1_epi32(0xFFFF);
  const __m256i round = _mm256_set1_epi32(1 << (kFracBits - 1));
  const __m128i one = _mm_set1_epi8(1), x7f = _mm_set1_epi8(0x7F);
  // Per 128-bit lane: [n][g'] (4x4 bytes) -> [g'][n].
  const __m256i tr = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                      0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  alignas(32) uint8_t tail[64];
  for (size_t f0 = 0; f0 < F; f0 += 8) {
    const size_t rem = F - f0 < 8 ? F - f0 : 8;
    __m256i d[8];
    for (int k = 0; k < K; ++k) {
      const __m128i s = _mm_cvtsi64_si128(static_cast<long long>(Load8(sym + k * F + f0, rem)));
      __m256i q;
      if (k == 0 && !plan.is_signed) {
        q = _mm256_cvtepu8_epi32(s);
      } else {
        const __m128i u = _mm_xor_si128(_mm_and_si128(_mm_srli_epi16(s, 1), x7f),
                                        _mm_sub_epi8(_mm_setzero_si128(), _mm_and_si128(s, one)));
        q = _mm256_cvtepi8_epi32(u);
      }
      d[k] = _mm256_min_epi32(_mm256_max_epi32(_mm256_mullo_epi32(q, step[k]), dmin), dmax);
    }
    __m256i dp[4];
    for (int j = 0; j < P; ++j) {
      const __m256i lo = _mm256_and_si256(d[2 * j], lo16);
      dp[j] = 2 * j + 1 < K ? _mm256_or_si256(lo, _mm256_slli_epi32(d[2 * j + 1], 16)) : lo;
    }
    __m256i y[8];
    for (int n = 0; n < 8; ++n) {
      __m256i acc = round;
      for (int j = 0; j < P; ++j) acc = _mm256_add_epi32(acc, _mm256_madd_epi16(dp[j], cpi[n][j]));
      y[n] = _mm256_srai_epi32(acc, kFracBits);
    }
    const __m256i w01 = _mm256_packs_epi32(y[0], y[1]), w23 = _mm256_packs_epi32(y[2], y[3]);
    const __m256i w45 = _mm256_packs_epi32(y[4], y[5]), w67 = _mm256_packs_epi32(y[6], y[7]);
    __m256i r0, r1;
    if (plan.is_signed) {
      r0 = _mm256_packs_epi16(w01, w23);
      r1 = _mm256_packs_epi16(w45, w67);
    } else {
      r0 = _mm256_packus_epi16(w01, w23);
      r1 = _mm256_packus_epi16(w45, w67);
    }
    r0 = _mm256_shuffle_epi8(r0, tr);
    r1 = _mm256_shuffle_epi8(r1, tr);
    const __m256i lo = _mm256_unpacklo_epi32(r0, r1), hi = _mm256_unpackhi_epi32(r0, r1);
    const __m256i o0 = _mm256_permute2x128_si256(lo, hi, 0x20);
    const __m256i o1 = _mm256_permute2x128_si256(lo, hi, 0x31);
    uint8_t* out = dst + 8 * f0;
    if (rem == 8) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), o0);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32), o1);
    } else {
      _mm256_store_si256(reinterpret_cast<__m256i*>(tail), o0);
      _mm256_store_si256(reinterpret_cast<__m256i*>(tail + 32), o1);
      std::memcpy(out, tail, 8 * rem);
    }
  }
}

// Block stats of 16 full blocks per step (§5.4 v3; the avx512 Stats16 in
// AVX2), same results as StatsB2. Block b is lane b % 2 of ymm b / 2.
// Non-zero masks by vpcmpeqb + vpmovmskb (two blocks per ymm). The OR of
// each block, for the 16 together: the two qwords of each block by unpack
// + or (ymms in pairs), each qword's halves by a shift, the dwords of two
// such vectors by a blend, each dword's bytes by shifts, then two packs
// and one vpshufb into block order (`order`). w = bit length of the
// OR by two nibble lookups; nnz by nibble popcounts of the masks; then the
// normative choice in u16 lanes.
struct Avx2StatsConsts {
  // Byte b <- the packed OR of block b: the packs leave blocks
  // 0 4 2 6 8 12 10 14 1 5 3 7 9 13 11 15 in bytes 0..15.
  alignas(16) uint8_t order[16] = {0, 8, 2, 10, 1, 9, 3, 11, 4, 12, 6, 14, 5, 13, 7, 15};
  // bit length of a nibble (low), of a high nibble (4 + that, 0 for 0),
  // popcount of a nibble.
  alignas(16) uint8_t len_lo[16] = {0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4};
  alignas(16) uint8_t len_hi[16] = {0, 5, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8};
  alignas(16) uint8_t pop[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
};
constexpr Avx2StatsConsts kAvx2Stats;

// Popcount of every byte of x (two nibble lookups).
inline __m256i PopcntBytes(__m256i x) {
  const __m256i pop = _mm256_broadcastsi128_si256(
      _mm_load_si128(reinterpret_cast<const __m128i*>(kAvx2Stats.pop)));
  const __m256i nib = _mm256_set1_epi8(15);
  return _mm256_add_epi8(_mm256_shuffle_epi8(pop, _mm256_and_si256(x, nib)),
                         _mm256_shuffle_epi8(pop, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib)));
}

size_t StatsAvx2(const uint8_t* sym, size_t nfull, uint8_t* code, uint16_t* mask) {
  const size_t groups = nfull / 16;
  const __m256i zero = _mm256_setzero_si256();
  const __m256i nib = _mm256_set1_epi8(15);
  const __m128i order = _mm_load_si128(reinterpret_cast<const __m128i*>(kAvx2Stats.order));
  const __m128i len_lo = _mm_load_si128(reinterpret_cast<const __m128i*>(kAvx2Stats.len_lo));
  const __m128i len_hi = _mm_load_si128(reinterpret_cast<const __m128i*>(kAvx2Stats.len_hi));
  __m256i total = zero;  // bits, i32 lanes
  for (size_t g = 0; g < groups; ++g) {
    const uint8_t* s = sym + 256 * g;
    __m256i x[8];
    uint32_t m[8];
    for (int i = 0; i < 8; ++i) {
      x[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + 32 * i));
      m[i] = ~static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x[i], zero)));
    }
    // b[k], lane L: dword 0 = OR of block 4k + L, dword 2 = of 4k + 2 + L.
    __m256i b[4];
    for (int k = 0; k < 4; ++k) {
      const __m256i a = _mm256_or_si256(_mm256_unpacklo_epi64(x[2 * k], x[2 * k + 1]),
                                        _mm256_unpackhi_epi64(x[2 * k], x[2 * k + 1]));
      b[k] = _mm256_or_si256(a, _mm256_srli_epi64(a, 32));
    }
    // c[j], lane L, dwords: blocks 8j + L, 8j + 4 + L, 8j + 2 + L, 8j + 6 + L.
    __m256i c[2];
    for (int j = 0; j < 2; ++j) {
      __m256i t = _mm256_blend_epi32(b[2 * j], _mm256_slli_epi64(b[2 * j + 1], 32), 0xAA);
      t = _mm256_or_si256(t, _mm256_srli_epi32(t, 16));
      t = _mm256_or_si256(t, _mm256_srli_epi32(t, 8));
      c[j] = _mm256_and_si256(t, _mm256_set1_epi32(0xFF));
    }
    __m256i p = _mm256_packus_epi32(c[0], c[1]);
    p = _mm256_packus_epi16(p, p);
    const __m128i o = _mm_shuffle_epi8(
        _mm256_castsi256_si128(_mm256_permute4x64_epi64(p, 0x08)), order);
    const __m128i lo = _mm_and_si128(o, _mm256_castsi256_si128(nib));
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(o, 4), _mm256_castsi256_si128(nib));
    const __m256i w = _mm256_cvtepu8_epi16(
        _mm_max_epu8(_mm_shuffle_epi8(len_lo, lo), _mm_shuffle_epi8(len_hi, hi)));
    // u16 lane b = mask of block b
    const __m256i mk = _mm256_setr_epi32(static_cast<int>(m[0]), static_cast<int>(m[1]),
                                         static_cast<int>(m[2]), static_cast<int>(m[3]),
                                         static_cast<int>(m[4]), static_cast<int>(m[5]),
                                         static_cast<int>(m[6]), static_cast<int>(m[7]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(mask + 16 * g), mk);
    const __m256i pc = PopcntBytes(mk);
    const __m256i nnz = _mm256_add_epi16(_mm256_and_si256(pc, _mm256_set1_epi16(0xFF)),
                                         _mm256_srli_epi16(pc, 8));
    // The choice of BlockBits: masked (16 + nnz w bits) when smaller than
    // dense (16 w); w = 0 gives code 0 and 0 bits. All values < 2^15.
    const __m256i dense = _mm256_slli_epi16(w, 4);
    const __m256i msk = _mm256_add_epi16(_mm256_set1_epi16(kBlock), _mm256_mullo_epi16(nnz, w));
    const __m256i use_mask = _mm256_cmpgt_epi16(dense, msk);
    const __m256i cd = _mm256_add_epi16(w, _mm256_and_si256(use_mask, _mm256_set1_epi16(kMaskedCodeBase)));
    const __m256i cb = _mm256_permute4x64_epi64(_mm256_packus_epi16(cd, cd), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(code + 16 * g), _mm256_castsi256_si128(cb));
    total = _mm256_add_epi32(total, _mm256_madd_epi16(_mm256_min_epu16(msk, dense),
                                                      _mm256_set1_epi16(1)));
  }
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), total);
  size_t bits = 0;
  for (int32_t v : lanes) bits += static_cast<size_t>(v);
  return bits + StatsB2(sym + 256 * groups, nfull - 16 * groups, code + 16 * groups,
                        mask + 16 * groups);
}

// Values of whole groups of 16 full blocks (PackEncodeT's hook): two
// pieces per block, pext of each of its qwords with the mask "low w bits
// of every selected byte" (selected: the non-zeros of a masked block, all
// 16 of a dense one), appended by WritePieces (kernels_bmi2.inc). The
// masks and lengths of a group are made in vectors: w from the code, the
// selection broadcast to the bytes of its block (vpermd + vpshufb) and
// tested bit by bit, the lengths w * popcount of each half of the selection.
struct Avx2ValuesConsts {
  // vpshufb of a dword (sel of block 2i | sel of 2i + 1 << 16): lane 0
  // takes bytes 0 / 1 (block 2i's low / high half), lane 1 bytes 2 / 3.
  alignas(32) uint8_t spread[32] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                    2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  alignas(32) uint8_t bit[32] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128,
                                 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  // vpshufb of a dword (w mask of block 2i | of 2i + 1 << 16), per lane.
  alignas(32) uint8_t spread_fm[32] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
  // (1 << w) - 1 for w = 0..8
  alignas(16) uint8_t fm[16] = {0, 1, 3, 7, 15, 31, 63, 127, 255, 0, 0, 0, 0, 0, 0, 0};
};
constexpr Avx2ValuesConsts kAvx2Values;

// The pext / pdep masks and the bit counts of the 32 qwords of 16 full
// blocks (qword 2b + h: half h of block b) from their widths w and
// selections sel (u16 lanes).
struct GroupFields {
  alignas(32) uint64_t msk[32], len[32];
  void Make(__m256i w, __m256i sel) {
    const __m256i spread = _mm256_load_si256(reinterpret_cast<const __m256i*>(kAvx2Values.spread));
    const __m256i bit = _mm256_load_si256(reinterpret_cast<const __m256i*>(kAvx2Values.bit));
    const __m256i spread_fm =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(kAvx2Values.spread_fm));
    const __m256i fm_lut = _mm256_broadcastsi128_si256(
        _mm_load_si128(reinterpret_cast<const __m128i*>(kAvx2Values.fm)));
    const __m256i fmv = _mm256_shuffle_epi8(fm_lut, w);  // u16 lanes, w < 9
    const __m256i pc = PopcntBytes(sel);
    const __m256i nlo = _mm256_mullo_epi16(_mm256_and_si256(pc, _mm256_set1_epi16(0xFF)), w);
    const __m256i nhi = _mm256_mullo_epi16(_mm256_srli_epi16(pc, 8), w);
    // unpack{lo,hi} leave blocks 0-3 / 4-7 in lane 0 and 8-11 / 12-15 in lane 1.
    const __m256i il = _mm256_unpacklo_epi16(nlo, nhi);
    const __m256i ih = _mm256_unpackhi_epi16(nlo, nhi);
    const __m128i parts[4] = {_mm256_castsi256_si128(il), _mm256_castsi256_si128(ih),
                              _mm256_extracti128_si256(il, 1), _mm256_extracti128_si256(ih, 1)};
    for (int k = 0; k < 4; ++k) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(len + 8 * k), _mm256_cvtepu16_epi64(parts[k]));
      _mm256_store_si256(reinterpret_cast<__m256i*>(len + 8 * k + 4),
                         _mm256_cvtepu16_epi64(_mm_unpackhi_epi64(parts[k], parts[k])));
    }
    for (int i = 0; i < 8; ++i) {  // blocks 2i, 2i + 1
      const __m256i idx = _mm256_set1_epi32(i);
      const __m256i sb = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(sel, idx), spread);
      const __m256i fb = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(fmv, idx), spread_fm);
      const __m256i on = _mm256_cmpeq_epi8(_mm256_and_si256(sb, bit), bit);
      _mm256_store_si256(reinterpret_cast<__m256i*>(msk + 4 * i), _mm256_and_si256(on, fb));
    }
  }
};

// Which of 16 blocks are masked (u16 lanes of -1), and their widths, from
// their codes (u16 lanes).
inline __m256i MaskedOf(__m256i cd) {
  return _mm256_cmpgt_epi16(cd, _mm256_set1_epi16(kFirstMaskedCode - 1));
}
inline __m256i WidthOf(__m256i cd, __m256i masked) {
  return _mm256_sub_epi16(cd, _mm256_and_si256(masked, _mm256_set1_epi16(kMaskedCodeBase)));
}

size_t ValuesAvx2(const uint8_t* sym, size_t nfull, const uint8_t* code, const uint16_t* mask,
                  uint8_t* p, size_t* pos) {
  const size_t groups = nfull / 16;
  if (groups == 0) return 0;
  size_t bb = *pos, q = bb / 64;
  uint64_t c = WriterStart(p, bb);
  GroupFields f;
  for (size_t g = 0; g < groups; ++g) {
    const __m256i cd = _mm256_cvtepu8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + 16 * g)));
    const __m256i masked = MaskedOf(cd);
    const __m256i sel = _mm256_blendv_epi8(
        _mm256_set1_epi16(-1),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask + 16 * g)), masked);
    f.Make(WidthOf(cd, masked), sel);
    WritePieces(sym + 256 * g, reinterpret_cast<const uint8_t*>(f.msk), f.len, 32, p, &bb, &q, &c);
  }
  std::memcpy(p + 8 * q, &c, 8);  // the qword of bit bb
  *pos = bb;
  return 16 * groups;
}

// vpshufb controls that expand the first popcount(m) u16 masks of a
// vector to the lanes j of m's set bits (the masked blocks among 8), the
// other lanes zero.
struct ExpandTables {
  alignas(16) uint8_t idx[256][16];
  constexpr ExpandTables() : idx() {
    for (int m = 0; m < 256; ++m) {
      int r = 0;
      for (int j = 0; j < 8; ++j) {
        const bool set = (m >> j) & 1;
        idx[m][2 * j] = set ? static_cast<uint8_t>(2 * r) : 0x80;
        idx[m][2 * j + 1] = set ? static_cast<uint8_t>(2 * r + 1) : 0x80;
        r += set;
      }
    }
  }
};
constexpr ExpandTables kExpand;

// Decoder of whole groups of 16 full blocks (PackDecodeT's hook): the
// selections by two table-driven vpshufb expands of the masks, masks and
// bit counts of the 32 qwords as in the encoder (GroupFields), then per
// qword one pdep of the 64 stream bits at its offset.
size_t GroupAvx2(const uint8_t* src, size_t nfull, const BitWindow& win, size_t* pos,
                 size_t* mi, uint8_t* sym) {
  const size_t groups = nfull / 16;
  size_t ps = *pos, m = *mi;
  GroupFields f;
  for (size_t g = 0; g < groups; ++g) {
    const __m256i cd = Codes16(src + 8 * g);
    const __m256i masked = MaskedOf(cd);
    const unsigned km = _pext_u32(static_cast<uint32_t>(_mm256_movemask_epi8(masked)), 0x55555555u);
    // Masks of the masked blocks: 16 readable bytes at each read (At).
    const unsigned k0 = km & 0xFF, k1 = km >> 8;
    const size_t m1 = m + static_cast<size_t>(__builtin_popcount(k0));
    const __m128i s0 = _mm_shuffle_epi8(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(win.At(16 * m))),
        _mm_load_si128(reinterpret_cast<const __m128i*>(kExpand.idx[k0])));
    const __m128i s1 = _mm_shuffle_epi8(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(win.At(16 * m1))),
        _mm_load_si128(reinterpret_cast<const __m128i*>(kExpand.idx[k1])));
    m = m1 + static_cast<size_t>(__builtin_popcount(k1));
    const __m256i sel = _mm256_blendv_epi8(_mm256_set1_epi16(-1), _mm256_set_m128i(s1, s0), masked);
    f.Make(WidthOf(cd, masked), sel);
    uint8_t* out = sym + 256 * g;
    for (int k = 0; k < 32; ++k) {
      const uint64_t v = _pdep_u64(win.Peek(ps), f.msk[k]);
      std::memcpy(out + 8 * k, &v, 8);
      ps += f.len[k];
    }
  }
  *pos = ps;
  *mi = m;
  return 16 * groups;
}

// L = 1 lookup fused with the transpose: here simply the transpose, then
// the table in place (the lookup commutes with the reordering).
void TransposeLutB2(const uint8_t* src, size_t rows, size_t cols, const uint8_t* table,
                    uint8_t* dst) {
  TransposeB2(src, rows, cols, dst);
  for (size_t i = 0, n = rows * cols; i < n; ++i) dst[i] = table[dst[i]];
}

const Kernels kAvx2Kernels = {
    ZvcEncodeB,  ZvcDecodeB,
    PackSizeT<StatsAvx2>, PackEncodeT<StatsAvx2, ValuesAvx2>, PackDecodeT<GroupAvx2>,
    ZigZagB,     UnZigZagB,   DctForwardB, DctInverseB,  TransposeB2,
    CountZerosB, TransposeLutB2,
    PzvcSplitEncodeT<StatsAvx2>, PzvcSplitDecodeB2,
};

}  // namespace

const Kernels* Avx2Kernels() { return &kAvx2Kernels; }

}  // namespace internal
}  // namespace codec
}  // namespace dctcm
