// Internal: the per-variant kernel table and the DCT plan. Kernels only
// assert their preconditions; the framework (codec.cc) validates streams.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/codec/codec.h"

namespace dctcm {
namespace codec {
namespace internal {

constexpr int kBlock = 16;  // block of the packed coder (§5.4, versions 2-3)
constexpr int kBlockLog2 = 4;
constexpr int kMaskedCodeBase = 7;  // codes 9..15: masked block, w = code - 7
constexpr int kFirstMaskedCode = 9;  // 1..8: dense block, w = code
constexpr int kFracBits = 12;  // DCT table scale 2^12 (§6.1)
constexpr int kDequantMax = 4095;  // |step*q| clamp before the inverse (§6.3)

// Everything the DCT kernels need, prepared once per call from the header.
struct DctPlan {
  int L = 8, K = 8;
  int G = 0;  // groups per pixel = C / L
  bool is_signed = false;
  const int16_t* coef = nullptr;  // [K][L] of the table for L (row-major)
  int step[64];                   // per kept frequency
  float inv[64];                  // float32(1 / (4096 * step))
  // L == 1 only (no transform, §6.5): the forward quantiser as a table over
  // the 256 byte values, and the inverse over the 256 symbols, both made by
  // MakeDctPlan from the §6.2/§6.3 formulas (a cache, not a second spec).
  uint8_t lut_fwd[256];
  uint8_t lut_inv[256];
};

// Table Cf[k][n] = round_half_away(4096 * s_k * cos(pi (2n+1) k / 2L)),
// [L][L] row-major, for L in {1,8,16,32,64} (§6.1; L = 1: {4096}).
const int16_t* DctTable(int L);
void MakeDctPlan(int L, int K, const uint16_t* steps, bool is_signed, int C,
                 DctPlan* plan);

constexpr uint8_t ZigZag(int v) {
  return static_cast<uint8_t>((static_cast<unsigned>(v) << 1) ^
                              static_cast<unsigned>(v >> 31));
}
constexpr int UnZigZag(uint8_t s) { return (s >> 1) ^ -(s & 1); }

// Size of a zvc tile of n values with nnz non-zeros.
inline size_t ZvcSize(size_t n, size_t nnz) { return (n + 7) / 8 + nnz; }
// Bytes of the block codes of a packed stream of n symbols (§5.4).
inline size_t PackCodeBytes(size_t n) {
  const size_t blocks = (n + kBlock - 1) / kBlock;
  return (blocks + 1) / 2;
}

// One variant's kernels. Sizes are in bytes; n = number of values/symbols.
// Encoders write exactly the size they return; their dst holds the bound.
struct Kernels {
  // §5.2 zvc. decode: false if the section sizes do not match.
  size_t (*zvc_encode)(const uint8_t* src, size_t n, uint8_t* dst);
  bool (*zvc_decode)(const uint8_t* src, size_t len, size_t n, uint8_t* dst);
  // §5.4 packed blocks (version 3) over symbols (names kept from v1).
  size_t (*pzvc_size)(const uint8_t* sym, size_t n);
  size_t (*pzvc_encode)(const uint8_t* sym, size_t n, uint8_t* dst);
  bool (*pzvc_decode)(const uint8_t* src, size_t len, size_t n, uint8_t* sym);
  // int8 <-> zigzag symbols (signed maps in pzvc tiles).
  void (*zigzag)(const uint8_t* src, size_t n, uint8_t* dst);
  void (*unzigzag)(uint8_t* buf, size_t n);
  // §6.2 on the channel planes of a tile: src row ch (npix bytes at
  // src + ch*npix) is channel ch of its pixels; coded channel j is row
  // perm[j] (row j when perm is null). Writes the K planes of F = npix*G
  // symbols in stream order (§5.5): sym[k*F + g*npix + p].
  void (*dct_forward)(const DctPlan& plan, const uint8_t* src, size_t npix,
                      const uint16_t* perm, uint8_t* sym);
  // §6.3: K planes of npix*G symbols, pixel-major (symbol k*F + p*G + g)
  // -> npix pixels of C = G*L channels (coded order).
  void (*dct_inverse)(const DctPlan& plan, const uint8_t* sym, size_t npix,
                      uint8_t* dst);
  // dst[c*rows + r] = src[r*cols + c] (tile -> planes, and back).
  void (*transpose)(const uint8_t* src, size_t rows, size_t cols,
                    uint8_t* dst);
  // Number of zero bytes (stats).
  size_t (*count_zeros)(const uint8_t* src, size_t n);
  // dst[c*rows + r] = table[src[r*cols + c]]: the L = 1 lookup (§6.5, the
  // plan's lut_fwd / lut_inv) fused with the plane transpose (§5.5).
  void (*transpose_lut)(const uint8_t* src, size_t rows, size_t cols,
                        const uint8_t* table, uint8_t* dst);
  // §5.4s packed blocks with the split value layout (tile kind 3; n % 16
  // == 0): same codes, masks and size as pzvc_encode, the value bits in
  // another order. decode: false on any inconsistency.
  size_t (*pzvcs_encode)(const uint8_t* sym, size_t n, uint8_t* dst);
  bool (*pzvcs_decode)(const uint8_t* src, size_t len, size_t n, uint8_t* sym);
};

extern const Kernels kScalarKernels;
bool Avx2Supported();
bool Avx512Supported();
const Kernels* Avx2Kernels();    // nullptr if not compiled
const Kernels* Avx512Kernels();  // nullptr if not compiled

// Scalar-only baselines (bit-serial; identical in every variant).
size_t RleEncode(const uint8_t* src, size_t n, uint8_t* dst);
bool RleDecode(const uint8_t* src, size_t len, size_t n, uint8_t* dst);
size_t CscEncode(const uint8_t* src, size_t n, uint8_t* dst);
bool CscDecode(const uint8_t* src, size_t len, size_t n, uint8_t* dst);

// The framework, parameterised by a kernel table.
Error EncodeWith(const Kernels& k, const uint8_t* src, const MapDesc& desc,
                 const EncodeParams& params, uint8_t* dst, size_t dst_cap,
                 size_t* written, EncodeStats* stats);
Error DecodeWith(const Kernels& k, const uint8_t* src, size_t len,
                 uint8_t* dst, size_t dst_cap, MapDesc* desc);
Error DecodeTileWith(const Kernels& k, const uint8_t* src, size_t len,
                     uint32_t tile, uint8_t* dst, size_t dst_cap,
                     size_t* tile_bytes);

}  // namespace internal
}  // namespace codec
}  // namespace dctcm
