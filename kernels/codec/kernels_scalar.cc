// Scalar reference kernels: the readable, executable form of FORMAT.md.
// Every SIMD variant must produce exactly these bytes (tests/codec checks it).
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/codec/codec_internal.h"

namespace dctcm {
namespace codec {
namespace internal {
namespace {

#include "kernels/codec/kernels_generic.inc"

}  // namespace

namespace {

// ---- Bit I/O for the bit-serial baselines (LSB-first, §5.1).
struct BitWriter {
  uint8_t* p;
  uint64_t acc = 0;
  int bits = 0;
  void Put(unsigned v, int nb) {
    acc |= static_cast<uint64_t>(v) << bits;
    bits += nb;
    while (bits >= 8) {
      *p++ = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
  uint8_t* Finish() {
    if (bits > 0) *p++ = static_cast<uint8_t>(acc);
    return p;
  }
};

struct BitReader {
  const uint8_t* p;
  size_t len;
  size_t pos = 0;  // in bits
  bool Get(int nb, unsigned* v) {
    if (pos + nb > len * 8) return false;
    unsigned r = 0;
    for (int i = 0; i < nb; ++i, ++pos) r |= ((p[pos / 8] >> (pos % 8)) & 1u) << i;
    *v = r;
    return true;
  }
  // The stream must end in this byte, with zero padding.
  bool AtCleanEnd() const {
    if ((pos + 7) / 8 != len) return false;
    return (pos % 8) == 0 || (p[len - 1] >> (pos % 8)) == 0;
  }
};

}  // namespace

// ---- §5.3 rle: zero run r (1..16) -> bit 0 + 4 bits (r-1);
// value v -> bit 1 + 8 bits v.
size_t RleEncode(const uint8_t* src, size_t n, uint8_t* dst) {
  BitWriter bw{dst};
  size_t i = 0;
  while (i < n) {
    if (src[i] == 0) {
      size_t r = 1;
      while (r < 16 && i + r < n && src[i + r] == 0) ++r;
      bw.Put(0, 1);
      bw.Put(static_cast<unsigned>(r - 1), 4);
      i += r;
    } else {
      bw.Put(1, 1);
      bw.Put(src[i], 8);
      ++i;
    }
  }
  return static_cast<size_t>(bw.Finish() - dst);
}

bool RleDecode(const uint8_t* src, size_t len, size_t n, uint8_t* dst) {
  BitReader br{src, len};
  size_t i = 0;
  while (i < n) {
    unsigned flag, v;
    if (!br.Get(1, &flag)) return false;
    if (flag == 0) {
      if (!br.Get(4, &v)) return false;
      const size_t r = v + 1;
      if (r > n - i) return false;
      std::memset(dst + i, 0, r);
      i += r;
    } else {
      if (!br.Get(8, &v)) return false;
      dst[i++] = static_cast<uint8_t>(v);
    }
  }
  return br.AtCleanEnd();
}

// ---- §5.3 csc: per entry 4-bit distance d (zeros skipped) + 8-bit value.
// Gaps > 15 are bridged by entries (15, 0). Trailing zeros are implicit.
size_t CscEncode(const uint8_t* src, size_t n, uint8_t* dst) {
  BitWriter bw{dst};
  size_t gap = 0;
  for (size_t i = 0; i < n; ++i) {
    if (src[i] == 0) {
      ++gap;
      continue;
    }
    while (gap > 15) {
      bw.Put(15, 4);
      bw.Put(0, 8);
      gap -= 16;
    }
    bw.Put(static_cast<unsigned>(gap), 4);
    bw.Put(src[i], 8);
    gap = 0;
  }
  return static_cast<size_t>(bw.Finish() - dst);
}

bool CscDecode(const uint8_t* src, size_t len, size_t n, uint8_t* dst) {
  const size_t entries = len * 8 / 12;
  if ((entries * 12 + 7) / 8 != len) return false;
  if ((entries * 12) % 8 != 0 && (src[len - 1] >> 4) != 0) return false;
  std::memset(dst, 0, n);
  BitReader br{src, len};
  size_t pos = 0;
  for (size_t e = 0; e < entries; ++e) {
    unsigned d = 0, v = 0;
    br.Get(4, &d);
    br.Get(8, &v);
    pos += d;
    if (pos >= n) return false;
    dst[pos++] = static_cast<uint8_t>(v);
  }
  return true;
}

// ---- §6.1 tables.
namespace {
struct Tables {
  int16_t t1[1], t8[64], t16[256], t32[1024], t64[4096];
  Tables() {
    Fill(1, t1);
    Fill(8, t8);
    Fill(16, t16);
    Fill(32, t32);
    Fill(64, t64);
  }
  static void Fill(int L, int16_t* t) {
    const double pi = 3.14159265358979323846;
    for (int k = 0; k < L; ++k) {
      const double s = k == 0 ? std::sqrt(1.0 / L) : std::sqrt(2.0 / L);
      for (int n = 0; n < L; ++n) {
        const double v = 4096.0 * s * std::cos(pi * (2 * n + 1) * k / (2.0 * L));
        t[k * L + n] = static_cast<int16_t>(std::round(v));  // half away
      }
    }
  }
};
}  // namespace

const int16_t* DctTable(int L) {
  static const Tables tables;
  switch (L) {
    case 1: return tables.t1;
    case 8: return tables.t8;
    case 16: return tables.t16;
    case 32: return tables.t32;
    case 64: return tables.t64;
    default: return nullptr;
  }
}

void MakeDctPlan(int L, int K, const uint16_t* steps, bool is_signed, int C,
                 DctPlan* plan) {
  plan->L = L;
  plan->K = K;
  plan->G = C / L;
  plan->is_signed = is_signed;
  plan->coef = DctTable(L);
  for (int k = 0; k < K; ++k) {
    const int s = steps ? steps[k] : 1;
    plan->step[k] = s;
    plan->inv[k] = static_cast<float>(1.0 / (4096.0 * s));
  }
  if (L == 1) {  // §6.5: tabulate §6.2 over the 256 values, §6.3 over symbols
    const int c = plan->coef[0];  // 4096
    const int lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
    for (int b = 0; b < 256; ++b) {
      const int x = is_signed ? static_cast<int8_t>(b) : b;
      plan->lut_fwd[b] = QuantiseCoef(c * x, plan->inv[0], !is_signed);
      const int q = is_signed ? UnZigZag(static_cast<uint8_t>(b)) : b;
      const int d = Clamp(q * plan->step[0], -kDequantMax, kDequantMax);
      plan->lut_inv[b] =
          static_cast<uint8_t>(Clamp((c * d + (1 << (kFracBits - 1))) >> kFracBits, lo, hi));
    }
  }
}

const Kernels kScalarKernels = {
    ZvcEncodeRef,  ZvcDecodeRef,  PzvcSizeRef,  PzvcEncodeRef,
    PzvcDecodeRef, ZigZagRef,     UnZigZagRef,  DctForwardRef,
    DctInverseRef, TransposeRef,  CountZerosRef, TransposeLutRef,
    PzvcSplitEncodeRef, PzvcSplitDecodeRef,
};

}  // namespace internal
}  // namespace codec
}  // namespace dctcm
