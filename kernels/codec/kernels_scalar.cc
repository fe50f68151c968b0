// Scalar reference kernels: the readable, executable form of FORMAT.md.
// Every SIMD variant must produce exactly these bytes (tests/codec checks it).
#include <cmath>
#include <cstring>

#include "kernels/codec/codec_internal.h"

namespace dctcm {
namespace codec {
namespace internal {
namespace {

// ---- §5.2 zvc: [mask: ceil(n/8) bytes, bit i%8 of byte i/8 = value i != 0]
//                [the non-zero bytes in order]
size_t ZvcEncodeScalar(const uint8_t* src, size_t n, uint8_t* dst) {
  const size_t mbytes = (n + 7) / 8;
  std::memset(dst, 0, mbytes);
  uint8_t* v = dst + mbytes;
  for (size_t i = 0; i < n; ++i) {
    if (src[i] != 0) {
      dst[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
      *v++ = src[i];
    }
  }
  return static_cast<size_t>(v - dst);
}

bool ZvcDecodeScalar(const uint8_t* src, size_t len, size_t n, uint8_t* dst) {
  const size_t mbytes = (n + 7) / 8;
  if (len < mbytes) return false;
  if ((n % 8) != 0 && (src[mbytes - 1] >> (n % 8)) != 0) return false;
  size_t nnz = 0;
  for (size_t i = 0; i < mbytes; ++i) nnz += __builtin_popcount(src[i]);
  if (nnz != len - mbytes) return false;
  const uint8_t* v = src + mbytes;
  for (size_t i = 0; i < n; ++i) {
    dst[i] = ((src[i / 8] >> (i % 8)) & 1) ? *v++ : 0;
  }
  return true;
}

// ---- §5.4 packed zvc over symbols.
// [mask: ceil(n/8) bytes][widths: one nibble per block of 64, low nibble
// first, ceil(blocks/2) bytes][per block: its non-zeros at the block's
// width w, LSB-first, padded to a byte]. w = bit length of the block's
// largest symbol (0 iff the block is all zero).
uint64_t BlockMask(const uint8_t* mask, size_t mbytes, size_t b) {
  uint64_t m = 0;
  for (size_t i = 0; i < 8 && 8 * b + i < mbytes; ++i) {
    m |= static_cast<uint64_t>(mask[8 * b + i]) << (8 * i);
  }
  return m;
}

int BitWidth(unsigned v) { return v == 0 ? 0 : 32 - __builtin_clz(v); }

size_t PzvcSizeScalar(const uint8_t* sym, size_t n) {
  size_t size = PzvcHeadSize(n);
  for (size_t base = 0; base < n; base += kBlock) {
    const size_t cnt = n - base < kBlock ? n - base : kBlock;
    unsigned orv = 0;
    size_t nnz = 0;
    for (size_t i = 0; i < cnt; ++i) {
      orv |= sym[base + i];
      nnz += sym[base + i] != 0;
    }
    size += (nnz * BitWidth(orv) + 7) / 8;
  }
  return size;
}

size_t PzvcEncodeScalar(const uint8_t* sym, size_t n, uint8_t* dst) {
  const size_t mbytes = (n + 7) / 8;
  const size_t head = PzvcHeadSize(n);
  std::memset(dst, 0, head);
  uint8_t* widths = dst + mbytes;
  uint8_t* v = dst + head;
  for (size_t base = 0, b = 0; base < n; base += kBlock, ++b) {
    const size_t cnt = n - base < kBlock ? n - base : kBlock;
    unsigned orv = 0;
    for (size_t i = 0; i < cnt; ++i) {
      const uint8_t s = sym[base + i];
      if (s != 0) dst[(base + i) / 8] |= static_cast<uint8_t>(1u << ((base + i) % 8));
      orv |= s;
    }
    const int w = BitWidth(orv);
    widths[b / 2] |= static_cast<uint8_t>(w << (4 * (b & 1)));
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < cnt; ++i) {
      const uint8_t s = sym[base + i];
      if (s == 0) continue;
      acc |= static_cast<uint32_t>(s) << bits;
      bits += w;
      while (bits >= 8) {
        *v++ = static_cast<uint8_t>(acc);
        acc >>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) *v++ = static_cast<uint8_t>(acc);
  }
  return static_cast<size_t>(v - dst);
}

bool PzvcDecodeScalar(const uint8_t* src, size_t len, size_t n, uint8_t* sym) {
  const size_t mbytes = (n + 7) / 8;
  const size_t blocks = (n + kBlock - 1) / kBlock;
  const size_t head = PzvcHeadSize(n);
  if (len < head) return false;
  if ((n % 8) != 0 && (src[mbytes - 1] >> (n % 8)) != 0) return false;
  if ((blocks & 1) != 0 && (src[head - 1] >> 4) != 0) return false;
  const uint8_t* widths = src + mbytes;
  size_t total = 0;
  for (size_t b = 0; b < blocks; ++b) {
    const uint64_t m = BlockMask(src, mbytes, b);
    const int w = (widths[b / 2] >> (4 * (b & 1))) & 15;
    if (w > 8 || (m == 0) != (w == 0)) return false;
    total += (static_cast<size_t>(__builtin_popcountll(m)) * w + 7) / 8;
  }
  if (total != len - head) return false;
  const uint8_t* v = src + head;
  for (size_t base = 0, b = 0; base < n; base += kBlock, ++b) {
    const size_t cnt = n - base < kBlock ? n - base : kBlock;
    const uint64_t m = BlockMask(src, mbytes, b);
    const int w = (widths[b / 2] >> (4 * (b & 1))) & 15;
    const unsigned wmask = (1u << w) - 1;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < cnt; ++i) {
      if (((m >> i) & 1) == 0) {
        sym[base + i] = 0;
        continue;
      }
      while (bits < w) {
        acc |= static_cast<uint32_t>(*v++) << bits;
        bits += 8;
      }
      sym[base + i] = static_cast<uint8_t>(acc & wmask);
      acc >>= w;
      bits -= w;
    }
  }
  return true;
}

void ZigZagScalar(const uint8_t* src, size_t n, uint8_t* dst) {
  for (size_t i = 0; i < n; ++i) dst[i] = ZigZag(static_cast<int8_t>(src[i]));
}
void UnZigZagScalar(uint8_t* buf, size_t n) {
  for (size_t i = 0; i < n; ++i) buf[i] = static_cast<uint8_t>(UnZigZag(buf[i]));
}

int Clamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// ---- §6.2 forward: acc = sum_n Cf[k][n] x_n ; q = rne(float(acc) * inv_k);
// clamp; symbol. Plane k holds the symbols of all npix*G groups in order.
void DctForwardScalar(const DctPlan& plan, const uint8_t* src, size_t npix,
                      uint8_t* sym) {
  const int L = plan.L, K = plan.K;
  const size_t F = npix * plan.G;
  for (size_t f = 0; f < F; ++f) {
    const uint8_t* x = src + f * L;
    for (int k = 0; k < K; ++k) {
      const int16_t* c = plan.coef + k * L;
      int32_t acc = 0;
      for (int n = 0; n < L; ++n) {
        const int xv = plan.is_signed ? static_cast<int8_t>(x[n]) : x[n];
        acc += c[n] * xv;
      }
      const float qf = static_cast<float>(acc) * plan.inv[k];
      const int q = static_cast<int>(std::nearbyint(qf));
      uint8_t s;
      if (k == 0 && !plan.is_signed) {
        s = static_cast<uint8_t>(Clamp(q, 0, 255));
      } else {
        s = ZigZag(Clamp(q, -128, 127));
      }
      sym[k * F + f] = s;
    }
  }
}

// ---- §6.3 inverse: D_k = clamp(q_k step_k, +-4095);
// y_n = clamp((sum_k Cf[k][n] D_k + 2048) >> 12).
void DctInverseScalar(const DctPlan& plan, const uint8_t* sym, size_t npix,
                      uint8_t* dst) {
  const int L = plan.L, K = plan.K;
  const size_t F = npix * plan.G;
  const int lo = plan.is_signed ? -128 : 0, hi = plan.is_signed ? 127 : 255;
  int32_t d[64];
  for (size_t f = 0; f < F; ++f) {
    for (int k = 0; k < K; ++k) {
      const uint8_t s = sym[k * F + f];
      const int q = (k == 0 && !plan.is_signed) ? s : UnZigZag(s);
      d[k] = Clamp(q * plan.step[k], -kDequantMax, kDequantMax);
    }
    uint8_t* y = dst + f * L;
    for (int n = 0; n < L; ++n) {
      int32_t acc = 1 << (kFracBits - 1);
      for (int k = 0; k < K; ++k) acc += plan.coef[k * L + n] * d[k];
      y[n] = static_cast<uint8_t>(Clamp(acc >> kFracBits, lo, hi));
    }
  }
}

size_t CountZerosScalar(const uint8_t* src, size_t n) {
  size_t z = 0;
  for (size_t i = 0; i < n; ++i) z += src[i] == 0;
  return z;
}

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
  int16_t t8[64], t16[256], t32[1024], t64[4096];
  Tables() {
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
}

const Kernels kScalarKernels = {
    ZvcEncodeScalar,  ZvcDecodeScalar,  PzvcSizeScalar,  PzvcEncodeScalar,
    PzvcDecodeScalar, ZigZagScalar,     UnZigZagScalar,  DctForwardScalar,
    DctInverseScalar, CountZerosScalar,
};

}  // namespace internal
}  // namespace codec
}  // namespace dctcm
