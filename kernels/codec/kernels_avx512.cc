// AVX-512 kernels (F/BW/VL/CD + VBMI + VBMI2 + VNNI). Byte-identical to the
// scalar reference (kernels_scalar.cc); tests/codec checks every parameter.
//
// Ideas:
//  * zvc: vptestmb gives the mask, vpcompressb / vpexpandb gather and scatter
//    the non-zeros; loads and stores are masked so nothing is touched past a
//    buffer end.
//  * packed blocks (§5.4 v3), 16 blocks (256 symbols) per group, 4 per zmm:
//    decode: every block's bit offset is a prefix sum of codes and masks;
//    an output qword (8 symbols of one block) needs at most 8 consecutive
//    values, which one vpermb brings into the qword from a 64-byte window,
//    and vpmultishiftqb extracts each symbol at its bit (rank among the
//    non-zeros by vpexpandb), zero-masked by the block's selection.
//    encode: vpcompressb gathers the selected symbols (non-zeros of masked
//    blocks, all of dense ones) and, beside them, the masks of their low w
//    bits; per qword of the compacted bytes one pext packs a piece of the
//    value stream, and a register bit writer appends the pieces with
//    whole-qword stores (zeros of masked blocks cost no writer step).
//  * DCT (L = 8), even/odd butterfly (x[n] +- x[7-n]), vpdpwssd against
//    the int16 table (exact int32): the forward reads channel planes, 32
//    pixels of one group per step, and writes the stream order; the same
//    IEEE float multiply + RNE convert as the scalar code, saturating
//    narrowing (= the clamps of FORMAT.md §6.2). The inverse takes 32
//    groups per step. L = 16, 32, 64: the same arithmetic with the
//    butterfly x[n] +- x[L-1-n] and K a run-time loop; the inverse's L
//    rows of 32 groups go through the tile transpose.
// GCC 12's AVX-512 headers build some results from a self-initialised
// "undefined" vector (`__m512i __Y = __Y;`), which -Wuninitialized reports
// at every inlined use under some option sets (RelWithDebInfo + sanitizers);
// the pragma covers the header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstring>
#include <memory>

#include "kernels/codec/codec_internal.h"

namespace dctcm {
namespace codec {
namespace internal {

bool Avx512Supported() {
  // Every extension this file is compiled with (CMakeLists.txt), LZCNT
  // aside (see Avx2Supported).
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
         __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("avx512vnni") &&
         __builtin_cpu_supports("avx512bitalg") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_supports("popcnt") &&
         __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
}

namespace {

// First min(n, 64) lanes. (bzhi alone would only look at the low 8 bits.)
inline __mmask64 Prefix(size_t n) {
  return n >= 64 ? ~0ull : _bzhi_u64(~0ull, static_cast<unsigned>(n));
}

inline uint64_t LoadMask(const uint8_t* p, size_t bytes) {
  if (bytes >= 8) {
    uint64_t m;
    std::memcpy(&m, p, 8);
    return m;
  }
  uint64_t m = 0;
  std::memcpy(&m, p, bytes);
  return m;
}

// ---- zvc
size_t ZvcEncode(const uint8_t* src, size_t n, uint8_t* dst) {
  const size_t mbytes = (n + 7) / 8;
  uint8_t* v = dst + mbytes;
  for (size_t i = 0; i < n; i += 64) {
    const size_t rem = n - i < 64 ? n - i : 64;
    const __m512i x = _mm512_maskz_loadu_epi8(Prefix(rem), src + i);
    const __mmask64 m = _mm512_test_epi8_mask(x, x);
    const uint64_t mm = m;
    std::memcpy(dst + i / 8, &mm, (rem + 7) / 8);
    const unsigned cnt = static_cast<unsigned>(_mm_popcnt_u64(m));
    _mm512_mask_storeu_epi8(v, Prefix(cnt), _mm512_maskz_compress_epi8(m, x));
    v += cnt;
  }
  return static_cast<size_t>(v - dst);
}

bool ZvcDecode(const uint8_t* src, size_t len, size_t n, uint8_t* dst) {
  const size_t mbytes = (n + 7) / 8;
  if (len < mbytes) return false;
  if ((n % 8) != 0 && (src[mbytes - 1] >> (n % 8)) != 0) return false;
  const uint8_t* v = src + mbytes;
  const uint8_t* end = src + len;
  for (size_t i = 0; i < n; i += 64) {
    const size_t rem = n - i < 64 ? n - i : 64;
    const uint64_t m = LoadMask(src + i / 8, (rem + 7) / 8);
    const size_t cnt = static_cast<size_t>(_mm_popcnt_u64(m));
    if (cnt > static_cast<size_t>(end - v)) return false;
    const __m512i x = _mm512_maskz_loadu_epi8(Prefix(cnt), v);
    _mm512_mask_storeu_epi8(dst + i, Prefix(rem), _mm512_maskz_expand_epi8(m, x));
    v += cnt;
  }
  return v == end;
}

// ---- packed blocks (§5.4 v3), plane transpose: the BMI2/SSE kernels,
// with the per-block bookkeeping of 16 full blocks at a time in AVX-512.
#include "kernels/codec/kernels_bmi2.inc"

// Stats of 16 full blocks at s: non-zero masks by vptestmb; the OR of each
// block reduced for the four zmms together (its two qwords by unpack +
// or, each qword's halves by shifts, the 16 results gathered by one
// vpermt2d); w by vplzcntd, the normative choice in u16 lanes. Returns the
// codes and masks (u16 lanes) and the bits (u16 lanes).
struct Stats16Out {
  __m256i code, mask, bits;
};
struct StatsIdx {
  alignas(64) uint32_t v[16];
  // block k: zmm k / 4 (blocks 4q .. 4q + 3), lane k % 4; after the unpack
  // of zmms (0, 1) and (2, 3), its OR is dword 4 (k % 4) + 2 ((k / 4) % 2)
  // of the first or (+16) the second vector.
  constexpr StatsIdx() : v() {
    for (int k = 0; k < 16; ++k) v[k] = static_cast<uint32_t>(16 * (k / 8) + 4 * (k % 4) + 2 * ((k / 4) % 2));
  }
};
constexpr StatsIdx kStatsIdx;
inline Stats16Out Stats16(const uint8_t* s) {
  __m512i x[4];
  uint64_t km[4];
  for (int q = 0; q < 4; ++q) {
    x[q] = _mm512_loadu_si512(s + 64 * q);
    km[q] = _mm512_test_epi8_mask(x[q], x[q]);
  }
  const __m512i a01 = _mm512_or_si512(_mm512_unpacklo_epi64(x[0], x[1]), _mm512_unpackhi_epi64(x[0], x[1]));
  const __m512i a23 = _mm512_or_si512(_mm512_unpacklo_epi64(x[2], x[3]), _mm512_unpackhi_epi64(x[2], x[3]));
  const __m512i b01 = _mm512_or_si512(a01, _mm512_srli_epi64(a01, 32));
  const __m512i b23 = _mm512_or_si512(a23, _mm512_srli_epi64(a23, 32));
  __m512i c = _mm512_permutex2var_epi32(b01, _mm512_load_si512(kStatsIdx.v), b23);
  c = _mm512_or_si512(c, _mm512_srli_epi32(c, 16));
  c = _mm512_or_si512(c, _mm512_srli_epi32(c, 8));
  c = _mm512_and_si512(c, _mm512_set1_epi32(0xFF));
  const __m256i w = _mm512_cvtepi32_epi16(_mm512_sub_epi32(_mm512_set1_epi32(32), _mm512_lzcnt_epi32(c)));
  Stats16Out r;
  r.mask = _mm256_set_epi64x(static_cast<long long>(km[3]), static_cast<long long>(km[2]),
                             static_cast<long long>(km[1]), static_cast<long long>(km[0]));
  const __m256i dense = _mm256_slli_epi16(w, 4);
  const __m256i msk = _mm256_add_epi16(_mm256_set1_epi16(kBlock),
                                       _mm256_mullo_epi16(_mm256_popcnt_epi16(r.mask), w));
  const __mmask16 use_mask = _mm256_cmplt_epu16_mask(msk, dense);
  r.code = _mm256_mask_add_epi16(w, use_mask, w, _mm256_set1_epi16(kMaskedCodeBase));
  r.bits = _mm256_min_epu16(msk, dense);
  return r;
}

size_t StatsAvx512(const uint8_t* sym, size_t nfull, uint8_t* code, uint16_t* mask) {
  const size_t groups = nfull / 16;
  __m512i total = _mm512_setzero_si512();
  for (size_t g = 0; g < groups; ++g) {
    const Stats16Out st = Stats16(sym + 256 * g);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(code + 16 * g), _mm256_cvtepi16_epi8(st.code));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(mask + 16 * g), st.mask);
    total = _mm512_add_epi32(total, _mm512_cvtepu16_epi32(st.bits));
  }
  // Summed through memory: GCC 12's _mm512_reduce_add_epi32 warns about an
  // "uninitialized" _mm256_undefined_si256 inside its own header.
  alignas(64) uint32_t lanes[16];
  _mm512_store_si512(lanes, total);
  size_t bits = 0;
  for (uint32_t v : lanes) bits += v;
  return bits + StatsB2(sym + 256 * groups, nfull - 16 * groups, code + 16 * groups,
                        mask + 16 * groups);
}

// Group g's 8 code bytes (§5.4 nibble order) to c8, and the masks of its
// masked blocks to masks + 2 * *nm, 2 bytes each; *nm counts the masked
// blocks. vpcompressw to memory is microcoded: the masks are compressed in
// a register and stored as 32 bytes when the destination has that slack
// (Slack; a masked store of exactly the masks costs the version 3 encoder
// about 1 %, codec_ab), else by a masked store.
template <bool Slack>
inline void PutCodesMasks(const Stats16Out& st, uint8_t* c8, uint8_t* masks, size_t* nm) {
  // Code bytes c0..c15 as u16 lanes c(2i) | c(2i+1) << 8; x | x >> 4 has
  // the code byte (low nibble first) in each lane's low byte.
  const __m128i cb = _mm256_cvtepi16_epi8(st.code);
  const uint64_t c = static_cast<uint64_t>(_mm_cvtsi128_si64(
      _mm_maskz_compress_epi8(0x5555, _mm_or_si128(cb, _mm_srli_epi16(cb, 4)))));
  std::memcpy(c8, &c, 8);
  const __mmask16 km = _mm256_cmpge_epu16_mask(st.code, _mm256_set1_epi16(kFirstMaskedCode));
  const unsigned nmk = static_cast<unsigned>(__builtin_popcount(km));
  const __m256i packed = _mm256_maskz_compress_epi16(km, st.mask);
  if (Slack) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(masks + 2 * *nm), packed);
  } else {
    _mm256_mask_storeu_epi16(masks + 2 * *nm, static_cast<__mmask16>(_bzhi_u32(~0u, nmk)), packed);
  }
  *nm += nmk;
}

// The selected symbols of 16 blocks (u16 lanes of bits) from their codes
// and non-zero masks: a masked block's non-zeros, all 16 of a dense one,
// none of a zero block; and the blocks' widths w.
struct Selection {
  __m256i sel, w;
};
inline Selection SelectionOf(__m256i codes, __m256i nz) {
  const __mmask16 km = _mm256_cmpge_epu16_mask(codes, _mm256_set1_epi16(kFirstMaskedCode));
  const __mmask16 kz = _mm256_cmpeq_epu16_mask(codes, _mm256_setzero_si256());
  return {_mm256_mask_mov_epi16(_mm256_set1_epi16(-1), km | kz, nz),
          _mm256_mask_sub_epi16(codes, km, codes, _mm256_set1_epi16(kMaskedCodeBase))};
}

// Byte i of a zmm of 4 blocks <- the u16 lane of its block (i / 16).
struct SpreadIdx {
  alignas(64) uint8_t v[64];
  constexpr SpreadIdx() : v() {
    for (int i = 0; i < 64; ++i) v[i] = static_cast<uint8_t>(2 * (i / 16));
  }
};
constexpr SpreadIdx kSpread;

// Value part of the packed encoder (§5.4 v3) in two steps. Add16
// gathers the selected symbols of 16 full blocks (the non-zeros of a
// masked block, all 16 of a dense one, none of a zero block) with
// vpcompressb, and beside each the mask of its block's low w bits (vpermb
// spreads each block's 2^w - 1). The value part is then, byte after byte,
// the low w bits of every compacted symbol, so Flush appends pext(cs qword,
// cw qword) for each qword of the compacted bytes: about 0.6 writer steps
// per 8 symbols on real maps (zeros of masked blocks and zero blocks take
// none) instead of one per qword of the tile. Flushed every kChunk groups
// (measured: every 32 beats every 8 and once per tile).
struct CompactWriter {
  static constexpr size_t kChunk = 32;  // groups of 16 blocks per flush
  // compacted symbols and their low-w-bit masks: kChunk groups, the < 32
  // bytes kept from the last flush, 512 bytes of slack for the length loads.
  alignas(64) uint8_t cs[256 * kChunk + 32 + 576];
  alignas(64) uint8_t cw[256 * kChunk + 32 + 576];
  // (The count of compacted bytes held, S, is the callers' local: kept
  // in a register, where a member would live in memory.)
  uint8_t* p;         // value stream
  size_t b;           // its bit position
  uint64_t cur;       // the bits of the qword at p + 8 * (b / 64) below b

  // Continues the stream at bit pos of p; the bits below pos are kept.
  CompactWriter(uint8_t* p_, size_t pos) : p(p_), b(pos), cur(WriterStart(p_, pos)) {}

  // Group g: 16 full blocks at s, their codes and non-zero masks (u16
  // lanes). S compacted bytes are held; returns the new count, after a
  // flush every kChunk groups.
  inline size_t Add16(size_t g, const uint8_t* s, __m256i codes, __m256i nz, size_t S) {
    const auto [sel, w] = SelectionOf(codes, nz);
    const __m256i ones16 = _mm256_set1_epi16(1);
    const __m512i wmask =
        _mm512_castsi256_si512(_mm256_sub_epi16(_mm256_sllv_epi16(ones16, w), ones16));
    alignas(32) uint64_t selq[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(selq), sel);
    size_t s0 = S;
    for (int z = 0; z < 4; ++z) {
      const __m512i x = _mm512_loadu_si512(s + 64 * z);
      // zmm z, byte i <- u16 lane of block 4z + i/16
      const __m512i idx = _mm512_add_epi8(_mm512_set1_epi8(static_cast<char>(8 * z)),
                                          _mm512_load_si512(kSpread.v));
      const __m512i wm = _mm512_permutexvar_epi8(idx, wmask);
      const __mmask64 k = selq[z];
      _mm512_storeu_si512(cs + s0, _mm512_maskz_compress_epi8(k, x));
      _mm512_storeu_si512(cw + s0, _mm512_maskz_compress_epi8(k, wm));
      s0 += static_cast<size_t>(__builtin_popcountll(k));
    }
    return g % kChunk == kChunk - 1 ? Flush(false, s0) : s0;
  }

  // Appends the pieces of the compacted bytes in steps of four qwords
  // (when last, all of them, the missing ones with a zero mask), keeping
  // the rest for the next flush. Per qword i, piece = pext(cs_i, cw_i) is
  // popcount(cw_i) bits long (lengths by vpopcntq, 64 at a time, read back
  // through memory), appended by the register bit writer WritePieces
  // (kernels_bmi2.inc). On return every qword up to the one holding bit b
  // is stored. Returns the number of compacted bytes kept (0 when last).
  inline size_t Flush(bool last, size_t S) {
    size_t nq = S / 32 * 4;
    if (last) {
      std::memset(cw + S, 0, 32);
      nq = (S + 31) / 32 * 4;
    }
    size_t bb = b;
    size_t q = bb >> 6;
    uint64_t c = cur;
    alignas(64) uint64_t len[64];
    for (size_t j0 = 0; j0 < nq; j0 += 64) {
      for (int z = 0; z < 8; ++z)
        _mm512_store_si512(len + 8 * z,
                           _mm512_popcnt_epi64(_mm512_loadu_si512(cw + 8 * j0 + 64 * z)));
      asm volatile("" ::: "memory");
      const size_t m = nq - j0 < 64 ? nq - j0 : 64;  // a multiple of 4
      WritePieces(cs + 8 * j0, cw + 8 * j0, len, m, p, &bb, &q, &c);
    }
    b = bb;
    cur = c;
    std::memcpy(p + 8 * q, &c, 8);  // the qword of bit b (the last c1)
    // The < 32 bytes left to the front.
    std::memcpy(cs, cs + 8 * nq, 32);
    std::memcpy(cw, cw + 8 * nq, 32);
    return last ? 0 : S - 8 * nq;
  }
};

// Encoder values of whole groups of 16 full blocks (PackEncodeT's hook).
size_t ValuesAvx512(const uint8_t* sym, size_t nfull, const uint8_t* code,
                    const uint16_t* mask, uint8_t* p, size_t* pos) {
  const size_t groups = nfull / 16;
  if (groups == 0) return 0;
  CompactWriter vw(p, *pos);
  size_t S = 0;
  for (size_t g = 0; g < groups; ++g) {
    const __m256i codes = _mm256_cvtepu8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + 16 * g)));
    S = vw.Add16(g, sym + 256 * g, codes,
                 _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask + 16 * g)), S);
  }
  vw.Flush(true, S);
  *pos = vw.b;
  return 16 * groups;
}

// Encoder in one pass when every block is full (n % 16 == 0; otherwise the
// two-pass PackEncodeT): per 16 blocks, stats, codes, masks (vpcompressw
// of the masked blocks') and values, into three scratch parts; the value
// part then starts at a whole byte (16 bits per mask), so the stream is
// codes + masks + values concatenated. A last group of fewer blocks is
// read from a zero-padded copy (zero blocks add no bits and no masks).
size_t PackEncodeAvx512(const uint8_t* sym, size_t n, uint8_t* dst) {
  if (n % kBlock != 0) return PackEncodeT<StatsAvx512, ValuesAvx512>(sym, n, dst);
  const size_t blocks = n / kBlock;
  const size_t groups = (blocks + 15) / 16;
  const size_t head = PackCodeBytes(n);
  alignas(64) uint8_t small[20 * 1024];  // a default 16 Ki-value tile
  std::unique_ptr<uint8_t[]> big;
  // codes: 8 bytes per group; masks: <= 2 bytes per block; values: <= n + 17.
  const size_t need = 8 * groups + 2 * 16 * groups + n + 64 + 128;
  uint8_t* buf = small;
  if (need > sizeof(small)) {
    big.reset(new uint8_t[need]);
    buf = big.get();
  }
  uint8_t* codes = buf;
  uint8_t* masks = codes + 8 * groups;
  uint8_t* vals = masks + 32 * groups;
  size_t nm = 0;
  vals[0] = 0;
  CompactWriter vw(vals, 0);
  size_t S = 0;
  alignas(64) uint8_t pad[256];
  auto group = [&](size_t g) -> const uint8_t* {
    const uint8_t* s = sym + 256 * g;
    if (16 * g + 16 <= blocks) return s;
    std::memset(pad, 0, sizeof(pad));
    std::memcpy(pad, s, n - 256 * g);
    return pad;
  };
  // The stats of group g + 1 are computed before group g's compaction
  // (software pipelining: its chain starts while g's is still running).
  const uint8_t* s = group(0);
  Stats16Out st = Stats16(s);
  for (size_t g = 0; g < groups; ++g) {
    const bool more = g + 1 < groups;
    const uint8_t* sn = more ? group(g + 1) : s;
    const Stats16Out nst = more ? Stats16(sn) : st;
    PutCodesMasks<true>(st, codes + 8 * g, masks, &nm);  // its scratch has the slack
    S = vw.Add16(g, s, st.code, st.mask, S);
    s = sn;
    st = nst;
  }
  vw.Flush(true, S);
  const size_t vpos = vw.b;
  const size_t vbytes = (vpos + 7) / 8;
  std::memcpy(dst, codes, head);
  std::memcpy(dst + head, masks, 2 * nm);
  std::memcpy(dst + head + 2 * nm, vals, vbytes);
  return head + 2 * nm + vbytes;
}

// Decoder of whole groups of 16 full blocks, four blocks (64 symbols) per
// zmm, with vpmultishiftqb. Output lane (block j, symbol i) reads the
// value of rank r (its rank among the block's non-zeros; r = i for dense
// blocks) at bit rel_j + r*w_j of a 64-byte window starting at the byte of
// the zmm's first block. Every 8 output lanes (a qword) need at most 8
// consecutive values: for w <= 7 they lie within 8*w + 7 <= 63 bits, so
// one vpermb puts the 8 bytes from the qword's first value byte qb into
// the qword and vpmultishiftqb pulls each lane's bits at
//   ctrl = bit - 8*qb = C_q + G*w,  G = vpexpandb(sel, 0..63) (the lane's
// rank among the zmm's non-zeros), C_q = (F & 7) - Gq*w per qword (F, Gq:
// bit and rank of the qword's first value). A w = 8 lane whose byte runs
// past the qword (ctrl > 56) takes a second multishift over the bytes
// from qb + 1 (a 128-byte window: four w = 8 blocks span 65 bytes).
// Lanes outside the selection are zeroed by the multishift's zero mask,
// bits above w by the width mask. Per-block bookkeeping runs on 16 u16
// lanes (one per block) as in the pair decoder above.
struct MsConsts {
  alignas(64) uint8_t iota[64];
  alignas(64) uint8_t low7[64];       // b & 7
  alignas(64) uint8_t qi[4][64];      // zmm z byte b: qword byte of X (qb)
  alignas(64) uint8_t ci[4][64];      // ... and C
  alignas(64) uint8_t wi[4][64];      // byte of w (u16 lane 4z + b/16)
  alignas(32) uint16_t first4[16];    // lane j <- 4*(j/4)
  alignas(32) uint16_t sh[3][16];     // lane j <- j - 1 / j - 2 (within 4) ...
  alignas(16) uint8_t wmask[16];      // (1 << w) - 1
  MsConsts() {
    for (int b = 0; b < 64; ++b) {
      iota[b] = static_cast<uint8_t>(b);
      low7[b] = static_cast<uint8_t>(b & 7);
    }
    for (int z = 0; z < 4; ++z)
      for (int b = 0; b < 64; ++b) {
        const int j = 4 * z + b / 16, h = (b / 8) & 1;
        // X holds u16 lanes h*16 + j: low byte qb, high byte C.
        qi[z][b] = static_cast<uint8_t>(2 * (h * 16 + j));
        ci[z][b] = static_cast<uint8_t>(2 * (h * 16 + j) + 1);
        wi[z][b] = static_cast<uint8_t>(2 * j);
      }
    for (int j = 0; j < 16; ++j) {
      first4[j] = static_cast<uint16_t>(4 * (j / 4));
      sh[0][j] = static_cast<uint16_t>(j % 4 >= 1 ? j - 1 : j);
      sh[1][j] = static_cast<uint16_t>(j % 4 >= 2 ? j - 2 : j);
    }
    for (int w = 0; w < 16; ++w) wmask[w] = static_cast<uint8_t>(w >= 8 ? 0xFF : (1u << w) - 1);
  }
};

inline __m512i Mul8(__m512i a, __m512i b) {  // low byte of a*b per byte
  const __m512i even = _mm512_mullo_epi16(a, b);
  const __m512i odd = _mm512_mullo_epi16(_mm512_srli_epi16(a, 8), _mm512_srli_epi16(b, 8));
  return _mm512_mask_blend_epi8(0xAAAAAAAAAAAAAAAAull, even, _mm512_slli_epi16(odd, 8));
}

// 64 bytes of the value part from byte `start` (zeros past its end).
inline __m512i Window64(const BitWindow& win, size_t start) {
  if (__builtin_expect(start + 64 <= win.plen, 1)) return _mm512_loadu_si512(win.p + start);
  return _mm512_maskz_loadu_epi8(start < win.plen ? Prefix(win.plen - start) : 0,
                                 win.p + (start < win.plen ? start : 0));
}

// The multishift decoders' per-qword constants (GroupMs and the split
// layout's): for qword h of each of 16 blocks (u16 lane h*16 + j), from the
// blocks' first value bits rel (relative to their zmm's window byte),
// selected counts pc (pclo in the low half) and widths w: the byte qb of
// the qword's first value and C = (F & 7) - Gq*w (F its bit, Gq its rank
// among the zmm's selected symbols), as qb | C << 8.
inline __m512i QwordStarts(__m256i rel, __m256i pc, __m256i pclo, __m256i w, __m256i sh1,
                           __m256i sh2) {
  const __m256i lo8 = _mm256_set1_epi16(0xFF), seven = _mm256_set1_epi16(7);
  // Exclusive prefix of the non-zero counts within each zmm's 4 blocks.
  __m256i c4 = _mm256_add_epi16(pc, _mm256_maskz_permutexvar_epi16(0xEEEE, sh1, pc));
  c4 = _mm256_add_epi16(c4, _mm256_maskz_permutexvar_epi16(0xCCCC, sh2, c4));
  const __m256i cum = _mm256_sub_epi16(c4, pc);
  // Per qword h of each block: first value's bit F and rank Gq.
  const __m256i f0 = rel, f1 = _mm256_add_epi16(rel, _mm256_mullo_epi16(pclo, w));
  const __m256i g0 = cum, g1 = _mm256_add_epi16(cum, pclo);
  auto qc = [&](__m256i f, __m256i gq) {
    const __m256i qb = _mm256_srli_epi16(f, 3);
    const __m256i c = _mm256_sub_epi16(_mm256_and_si256(f, seven), _mm256_mullo_epi16(gq, w));
    return _mm256_or_si256(_mm256_and_si256(qb, lo8), _mm256_slli_epi16(c, 8));
  };
  return _mm512_inserti64x4(_mm512_castsi256_si512(qc(f0, g0)), qc(f1, g1), 1);
}

// Inclusive prefix sum of 16 u16 lanes.
inline __m256i Scan16(__m256i x) {
  x = _mm256_add_epi16(x, _mm256_slli_si256(x, 2));
  x = _mm256_add_epi16(x, _mm256_slli_si256(x, 4));
  x = _mm256_add_epi16(x, _mm256_slli_si256(x, 8));
  return _mm256_mask_add_epi16(x, 0xFF00, x, _mm256_permutexvar_epi16(_mm256_set1_epi16(7), x));
}

// The per-block quantities of group g of a packed stream, shared by the
// multishift decoders: its codes at c8, the masks of its masked blocks
// read from masks + 2 * *m (only those; *m advances), the selections sel
// (a dense or zero block: all 16; the width mask clears a zero block's),
// the widths w, the selected counts pc (pclo of the first 8) and the
// value bits nb = pc * w, in u16 lanes.
struct GroupHead {
  __m256i sel, w, pc, pclo, nb;
};
inline GroupHead ReadGroupHead(const uint8_t* c8, const uint8_t* masks, size_t* m) {
  const __m256i codes = Codes16(c8);
  const __mmask16 km = _mm256_cmpge_epu16_mask(codes, _mm256_set1_epi16(kFirstMaskedCode));
  const unsigned nmk = static_cast<unsigned>(__builtin_popcount(km));
  const __m256i mv = _mm256_maskz_loadu_epi16(static_cast<__mmask16>(_bzhi_u32(~0u, nmk)),
                                              masks + 2 * *m);
  *m += nmk;
  GroupHead h;
  h.sel = _mm256_mask_expand_epi16(_mm256_set1_epi16(-1), km, mv);
  h.w = _mm256_mask_sub_epi16(codes, km, codes, _mm256_set1_epi16(kMaskedCodeBase));
  h.pc = _mm256_popcnt_epi16(h.sel);
  h.pclo = _mm256_popcnt_epi16(_mm256_and_si256(h.sel, _mm256_set1_epi16(0xFF)));
  h.nb = _mm256_mullo_epi16(h.pc, h.w);
  return h;
}

// What the multishift decoders' zmm loop reads in GPRs: each zmm's window
// byte (lane 4z of wb) and its 64 selection bits (qword z of sel).
struct ZmmScalars {
  alignas(32) uint16_t wbs[16];
  alignas(32) uint64_t selq[4];
  ZmmScalars(__m256i wb, __m256i sel) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(wbs), wb);
    _mm256_store_si256(reinterpret_cast<__m256i*>(selq), sel);
  }
};

size_t GroupMs(const uint8_t* src, size_t nfull, const BitWindow& win, size_t* pos,
               size_t* mi, uint8_t* sym) {
  static const MsConsts kc;
  const size_t groups = nfull / 16;
  size_t ps = *pos, m = *mi;
  const __m512i iota = _mm512_load_si512(kc.iota), low7 = _mm512_load_si512(kc.low7);
  const __m512i wlut = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kc.wmask)));
  const __m256i first4 = _mm256_load_si256(reinterpret_cast<const __m256i*>(kc.first4));
  const __m256i sh1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(kc.sh[0]));
  const __m256i sh2 = _mm256_load_si256(reinterpret_cast<const __m256i*>(kc.sh[1]));
  for (size_t g = 0; g < groups; ++g) {
    const auto [sel, w, pc, pclo, nb] = ReadGroupHead(src + 8 * g, win.p, &m);
    const __m256i incl = Scan16(nb);
    // Bit offsets from byte ps / 8; window of zmm z at the byte of block 4z.
    const __m256i e = _mm256_add_epi16(_mm256_sub_epi16(incl, nb),
                                       _mm256_set1_epi16(static_cast<int16_t>(ps % 8)));
    const __m256i wb = _mm256_srli_epi16(_mm256_permutexvar_epi16(first4, e), 3);
    const __m256i rel = _mm256_sub_epi16(e, _mm256_slli_epi16(wb, 3));
    const __m512i X = QwordStarts(rel, pc, pclo, w, sh1, sh2);
    const __m512i W = _mm512_castsi256_si512(w);
    const ZmmScalars zs(wb, sel);
    const __mmask16 w8 = _mm256_cmpeq_epi16_mask(w, _mm256_set1_epi16(8));
    const size_t gbyte = ps / 8;
    uint8_t* out = sym + 256 * g;
#pragma GCC unroll 4
    for (int z = 0; z < 4; ++z) {
      const __m512i qidx = _mm512_add_epi8(_mm512_permutexvar_epi8(_mm512_load_si512(kc.qi[z]), X), low7);
      const __m512i cv = _mm512_permutexvar_epi8(_mm512_load_si512(kc.ci[z]), X);
      const __m512i wv = _mm512_permutexvar_epi8(_mm512_load_si512(kc.wi[z]), W);
      const __mmask64 s64 = zs.selq[z];
      const __m512i gr = _mm512_maskz_expand_epi8(s64, iota);
      const __m512i ctrl = _mm512_add_epi8(Mul8(gr, wv), cv);
      const size_t start = gbyte + zs.wbs[4 * z];
      const __m512i wnd = Window64(win, start);
      __m512i v = _mm512_maskz_multishift_epi64_epi8(s64, ctrl, _mm512_permutexvar_epi8(qidx, wnd));
      if (__builtin_expect(((w8 >> (4 * z)) & 15) != 0, 0)) {
        const __m512i wnd2 = Window64(win, start + 64);
        const __m512i d2 = _mm512_permutex2var_epi8(wnd, _mm512_add_epi8(qidx, _mm512_set1_epi8(1)), wnd2);
        const __m512i v2 = _mm512_maskz_multishift_epi64_epi8(
            s64, _mm512_sub_epi8(ctrl, _mm512_set1_epi8(8)), d2);
        v = _mm512_mask_blend_epi8(_mm512_cmpgt_epu8_mask(ctrl, _mm512_set1_epi8(56)), v, v2);
      }
      v = _mm512_and_si512(v, _mm512_shuffle_epi8(wlut, wv));
      _mm512_storeu_si512(out + 64 * z, v);
    }
    ps += static_cast<uint32_t>(_mm256_extract_epi16(incl, 15));
  }
  *pos = ps;
  *mi = m;
  return 16 * groups;
}

// ---- §5.4s split value layout, n % 256 == 0 (else the scalar kernels).
// Encoder in two passes: the stats of every group (codes and masks to
// dst, the u16 code/mask vectors kept), then per group of 16 blocks: each
// block's selected symbols justified to the start of its 16-byte lane
// (vpcompressb + vpexpandb; skipped when all 64 are selected), every qword
// of 8 symbols packed to w whole bytes (vpmaddubsw 1 | 2^w, vpmaddwd
// 1 | 2^2w, one 64-bit shift merge; w = 8 qwords as they are), the byte
// part of 4 blocks stored by one vpcompressb, and the 16 remainders
// (byte B of each lane, its low bits % 8 bits) appended by two pext.
struct SplitConsts {
  alignas(64) uint8_t lane[64];     // byte i -> u16 lane of block i / 16
  alignas(16) uint8_t remidx[16];   // block k -> its lane's byte 0 in (t0:t1) / (t2:t3)
  alignas(16) uint8_t lowmask[16];  // (1 << r) - 1
  alignas(16) uint8_t pow2[16];     // index 0..7: 1; 8 + w: 2^w
  alignas(64) uint8_t blk[64];      // byte i -> block i / 16 of the zmm
  constexpr SplitConsts() : lane(), remidx(), lowmask(), pow2(), blk() {
    for (int i = 0; i < 64; ++i) {
      lane[i] = static_cast<uint8_t>(2 * (i / 16));
      blk[i] = static_cast<uint8_t>(i / 16);
    }
    for (int k = 0; k < 16; ++k) remidx[k] = static_cast<uint8_t>(16 * (k % 4) + 64 * ((k / 4) % 2));
    for (int r = 0; r < 16; ++r) lowmask[r] = static_cast<uint8_t>(r >= 8 ? 0xFF : (1u << r) - 1);
    for (int i = 0; i < 16; ++i) pow2[i] = static_cast<uint8_t>(i < 8 ? 1 : 1u << (i - 8));
  }
};
constexpr SplitConsts kSplit;

size_t PzvcSplitEncodeAvx512(const uint8_t* sym, size_t n, uint8_t* dst) {
  if (n % 256 != 0) return PzvcSplitEncodeT<StatsAvx512>(sym, n, dst);
  const size_t groups = n / 256;
  const size_t head = PackCodeBytes(n);
  // Per group: the codes and masks of Stats16 (64 B), then the remainder
  // stream (<= 14 bytes per group, + 8 of slack for the qword stores).
  alignas(64) uint8_t small[64 * 80 + 64];
  std::unique_ptr<uint8_t[]> big;
  uint8_t* scratch = small;
  if (groups * 80 + 64 > sizeof(small)) {
    big.reset(new uint8_t[groups * 80 + 64 + 64]);
    scratch = big.get() + (64 - reinterpret_cast<uintptr_t>(big.get()) % 64) % 64;
  }
  __m256i* gv = reinterpret_cast<__m256i*>(scratch);
  uint8_t* rem = scratch + 64 * groups;
  uint8_t* masks = dst + head;
  size_t nm = 0;
  for (size_t g = 0; g < groups; ++g) {
    const Stats16Out st = Stats16(sym + 256 * g);
    PutCodesMasks<false>(st, dst + 8 * g, masks, &nm);  // straight into dst
    _mm256_store_si256(gv + 2 * g, st.code);
    _mm256_store_si256(gv + 2 * g + 1, st.mask);
  }
  uint8_t* bp = dst + head + 2 * nm;
  uint8_t* rp = rem;
  uint64_t acc = 0;
  unsigned nb = 0;
  const __m512i lane = _mm512_load_si512(kSplit.lane);
  const __m128i remidx = _mm_load_si128(reinterpret_cast<const __m128i*>(kSplit.remidx));
  const __m128i lowmask = _mm_load_si128(reinterpret_cast<const __m128i*>(kSplit.lowmask));
  const __m512i pow2 = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kSplit.pow2)));
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (size_t g = 0; g < groups; ++g) {
    const __m256i codes = _mm256_load_si256(gv + 2 * g), nz = _mm256_load_si256(gv + 2 * g + 1);
    const auto [sel, w] = SelectionOf(codes, nz);
    const __m256i cnt = _mm256_popcnt_epi16(sel);
    const __m256i bits = _mm256_mullo_epi16(cnt, w);
    const __m256i B = _mm256_srli_epi16(bits, 3);
    const __m256i r = _mm256_and_si256(bits, _mm256_set1_epi16(7));
    const __m256i J = _mm256_sub_epi16(_mm256_sllv_epi16(ones16, cnt), ones16);
    // byte part of a lane: field bytes 0 .. w-1 at lane bytes 0 .., w .. 2w-1 at 8 ..
    const __m256i m0 = _mm256_sub_epi16(_mm256_sllv_epi16(ones16, _mm256_min_epu16(B, w)), ones16);
    const __m256i m1 = _mm256_sub_epi16(_mm256_sllv_epi16(ones16, _mm256_subs_epu16(B, w)), ones16);
    const __m256i bm = _mm256_or_si256(m0, _mm256_slli_epi16(m1, 8));
    // the remainder is lane byte B (B < w) or 8 + B - w
    const __m256i ri = _mm256_mask_add_epi16(B, _mm256_cmpge_epu16_mask(B, w),
                                             _mm256_sub_epi16(B, w), _mm256_set1_epi16(8));
    alignas(32) uint64_t selq[4], jq[4], bq[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(selq), sel);
    _mm256_store_si256(reinterpret_cast<__m256i*>(jq), J);
    _mm256_store_si256(reinterpret_cast<__m256i*>(bq), bm);
    const __m512i wz = _mm512_castsi256_si512(w);
    __m512i t[4];
#pragma GCC unroll 4
    for (int z = 0; z < 4; ++z) {
      const __m512i x = _mm512_loadu_si512(sym + 256 * g + 64 * z);
      const __m512i j = selq[z] == ~0ull
                            ? x
                            : _mm512_maskz_expand_epi8(jq[z], _mm512_maskz_compress_epi8(selq[z], x));
      const __m512i wb = _mm512_permutexvar_epi8(
          _mm512_add_epi8(lane, _mm512_set1_epi8(static_cast<char>(8 * z))), wz);
      // u16 = even + odd * 2^w (symbols < 128 when w <= 7; w = 8 lanes are restored below)
      const __m512i i1 = _mm512_ternarylogic_epi64(wb, _mm512_set1_epi16(0x0F00),
                                                   _mm512_set1_epi16(0x0800), 0xEA);
      __m512i v = _mm512_maddubs_epi16(_mm512_shuffle_epi8(pow2, i1), j);
      // u32 = even + odd * 2^2w
      const __m512i s2 = _mm512_slli_epi32(_mm512_and_si512(wb, _mm512_set1_epi32(0x00FF0000)), 1);
      v = _mm512_madd_epi16(v, _mm512_sllv_epi16(_mm512_set1_epi16(1), s2));
      // u64 = lo32 | hi32 << 4w
      const __m512i s3 = _mm512_slli_epi64(_mm512_and_si512(wb, _mm512_set1_epi64(0xFF)), 2);
      v = _mm512_ternarylogic_epi64(v, _mm512_set1_epi64(0xFFFFFFFF),
                                    _mm512_sllv_epi64(_mm512_srli_epi64(v, 32), s3), 0xEA);
      v = _mm512_mask_mov_epi8(v, _mm512_cmpeq_epi8_mask(wb, _mm512_set1_epi8(8)), j);
      t[z] = v;
      const unsigned nbz = static_cast<unsigned>(__builtin_popcountll(bq[z]));
      _mm512_mask_storeu_epi8(bp, Prefix(nbz), _mm512_maskz_compress_epi8(bq[z], v));
      bp += nbz;
    }
    // The 16 remainders: byte ri of each lane, its low r bits, by two pext.
    const __m512i idx = _mm512_castsi128_si512(_mm_add_epi8(_mm256_cvtepi16_epi8(ri), remidx));
    const __m128i rb = _mm_mask_blend_epi8(0xFF00, _mm512_castsi512_si128(_mm512_permutex2var_epi8(t[0], idx, t[1])),
                                           _mm512_castsi512_si128(_mm512_permutex2var_epi8(t[2], idx, t[3])));
    const __m128i rmk = _mm_shuffle_epi8(lowmask, _mm256_cvtepi16_epi8(r));
    alignas(16) uint64_t rq[2], mq[2];
    _mm_store_si128(reinterpret_cast<__m128i*>(rq), rb);
    _mm_store_si128(reinterpret_cast<__m128i*>(mq), rmk);
    for (int h = 0; h < 2; ++h) {  // <= 56 bits each, nb <= 7 before
      acc |= _pext_u64(rq[h], mq[h]) << nb;
      nb += static_cast<unsigned>(_mm_popcnt_u64(mq[h]));
      std::memcpy(rp, &acc, 8);
      rp += nb >> 3;
      acc = (nb & ~7u) == 64 ? 0 : acc >> (nb & ~7u);
      nb &= 7;
    }
  }
  if (nb) *rp++ = static_cast<uint8_t>(acc);
  const size_t rl = static_cast<size_t>(rp - rem);
  // reversed behind the byte part, 32 bytes per step
  const __m256i rev = _mm256_setr_epi8(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
                                       15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  for (size_t i = 0; i < rl; i += 32) {
    const size_t c = rl - i < 32 ? rl - i : 32;  // bytes i .. i + c - 1 -> bp + rl - i - c ..
    const __m256i x = _mm256_permutexvar_epi8(rev, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rem + i)));
    // x byte 31 - j = rem[i + j]; rem[i + j] goes to bp + rl - 1 - i - j
    _mm256_mask_storeu_epi8(bp + rl - i - 32, static_cast<__mmask32>(~0u << (32 - c)), x);
  }
  return static_cast<size_t>(bp - dst) + rl;
}

// Decoder (n % 256 == 0): per group GroupMs's scheme with each block's
// field starting on its byte (8 * its offset in the byte part), and the
// byte after each block's byte part taken from its remainder (vpermt2b
// with the 16 remainders, read from the reversed stream at the tile's
// end, as the second table). Windows are loaded within the value part; a
// stream whose two sections do not meet exactly is rejected at the end.
bool PzvcSplitDecodeAvx512(const uint8_t* src, size_t len, size_t n, uint8_t* sym) {
  if (n % 256 != 0) return PzvcSplitDecodeB2(src, len, n, sym);
  static const MsConsts kc;
  const size_t groups = n / 256;
  const size_t head = PackCodeBytes(n);
  if (len < head) return false;
  const __m256i seven = _mm256_set1_epi16(7), ones16 = _mm256_set1_epi16(1);
  // The masked blocks (the value part starts after their masks).
  const size_t nm = CountMasked(src, n / kBlock);
  if (len - head < 2 * nm) return false;
  const size_t vstart = head + 2 * nm;
  const uint8_t* bp = src + vstart;
  const size_t vlen = len - vstart;  // byte part + remainders
  const __m256i rrev = _mm256_set1_epi16(0x1E1F);  // bytes 31, 30
  const __m512i iota = _mm512_load_si512(kc.iota), low7 = _mm512_load_si512(kc.low7);
  const __m512i wlut = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kc.wmask)));
  const __m256i first4 = _mm256_load_si256(reinterpret_cast<const __m256i*>(kc.first4));
  const __m256i sh1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(kc.sh[0]));
  const __m256i sh2 = _mm256_load_si256(reinterpret_cast<const __m256i*>(kc.sh[1]));
  size_t O = 0, R0 = 0, m = 0;
  for (size_t g = 0; g < groups; ++g) {
    const auto [sel, w, pc, pclo, nb] = ReadGroupHead(src + 8 * g, src + head, &m);
    const __m256i B = _mm256_srli_epi16(nb, 3), r = _mm256_and_si256(nb, seven);
    // One scan for both prefixes: sums of B <= 256 (9 bits), of r <= 112.
    const __m256i both = Scan16(_mm256_or_si256(B, _mm256_slli_epi16(r, 9)));
    const __m256i incl = _mm256_and_si256(both, _mm256_set1_epi16(0x1FF)), inclR = _mm256_srli_epi16(both, 9);
    const __m256i exB = _mm256_sub_epi16(incl, B);
    const __m256i wb = _mm256_permutexvar_epi16(first4, exB);  // window byte of each zmm
    const __m256i relB = _mm256_sub_epi16(exB, wb);
    const __m256i rel = _mm256_slli_epi16(relB, 3);
    const __m256i endB = _mm256_add_epi16(relB, B);  // byte of the remainder, from the window
    // The 16 remainders: r bits at bit R0 + (exclusive prefix of r).
    const __m256i er = _mm256_add_epi16(_mm256_sub_epi16(inclR, r), _mm256_set1_epi16(static_cast<short>(R0 & 7)));
    const __m256i bi = _mm256_srli_epi16(er, 3);
    // remainder bytes rs .. rs + 31 are the value part's bytes vlen - 1 - rs down to vlen - 32 - rs
    const size_t rs = R0 >> 3;
    const __m256i rwin = rs + 32 <= vlen
                             ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + vlen - rs - 32))
                             : _mm256_maskz_loadu_epi8(rs < vlen ? ~0u << (32 - (vlen - rs)) : 0,
                                                       bp + (rs < vlen ? vlen - rs : 32) - 32);
    const __m256i g16 = _mm256_permutexvar_epi8(_mm256_sub_epi16(rrev, _mm256_or_si256(bi, _mm256_slli_epi16(bi, 8))), rwin);
    const __m256i rv = _mm256_and_si256(_mm256_srlv_epi16(g16, _mm256_and_si256(er, seven)),
                                        _mm256_sub_epi16(_mm256_sllv_epi16(ones16, r), ones16));
    R0 += static_cast<uint16_t>(_mm256_extract_epi16(inclR, 15));
    // u16 lane j: low byte endB, high byte the remainder of block j.
    const __m512i E = _mm512_castsi256_si512(_mm256_or_si256(endB, _mm256_slli_epi16(rv, 8)));
    const __m512i X = QwordStarts(rel, pc, pclo, w, sh1, sh2);
    const __m512i W = _mm512_castsi256_si512(w);
    const ZmmScalars zs(wb, sel);
    uint8_t* out = sym + 256 * g;
#pragma GCC unroll 4
    for (int z = 0; z < 4; ++z) {
      const __m512i wi = _mm512_load_si512(kc.wi[z]);
      const __m512i qidx = _mm512_add_epi8(_mm512_permutexvar_epi8(_mm512_load_si512(kc.qi[z]), X), low7);
      const __m512i cv = _mm512_permutexvar_epi8(_mm512_load_si512(kc.ci[z]), X);
      const __m512i wv = _mm512_permutexvar_epi8(wi, W);
      const __m512i ev = _mm512_permutexvar_epi8(wi, E);
      const __mmask64 s64 = zs.selq[z];
      const __m512i ctrl = _mm512_add_epi8(Mul8(_mm512_maskz_expand_epi8(s64, iota), wv), cv);
      const size_t start = O + zs.wbs[4 * z];
      const __m512i wnd = start + 64 <= vlen
                              ? _mm512_loadu_si512(bp + start)
                              : _mm512_maskz_loadu_epi8(start < vlen ? Prefix(vlen - start) : 0,
                                                        bp + (start < vlen ? start : 0));
      // bytes at or past the block's end: its remainder (E byte 2j + 1, + 64)
      const __m512i idx = _mm512_mask_add_epi8(qidx, _mm512_cmpge_epu8_mask(qidx, ev), wi,
                                               _mm512_set1_epi8(65));
      __m512i v = _mm512_maskz_multishift_epi64_epi8(s64, ctrl, _mm512_permutex2var_epi8(wnd, idx, E));
      v = _mm512_and_si512(v, _mm512_shuffle_epi8(wlut, wv));
      _mm512_storeu_si512(out + 64 * z, v);
    }
    O += static_cast<uint16_t>(_mm256_extract_epi16(incl, 15));
  }
  // The two sections meet exactly; the remainder's padding bits are zero.
  if (O > vlen || vlen - O != (R0 + 7) / 8) return false;
  return R0 % 8 == 0 || (bp[O] >> (R0 % 8)) == 0;
}

// ---- plane transpose: 16x16 byte tiles (four rows per zmm, two vpermt2b
// stages), the edges by the 8x8 SSE tiles. The L = 1 variant (§6.5) looks
// every loaded vector up in the plan's 256-entry table on the way (Lut512);
// its edges are a plain loop. The transposes take the per-vector step and
// the edge from one of these two.

// A 256-entry byte table, 64 lookups per call: two vpermi2b look up the
// low and high halves of the table (index bits 0-6), the index's top bit
// picks one. edge(): rows [r0, r1) x columns [c0, c1) of the transpose.
struct Lut512 {
  const uint8_t* table;
  __m512i t0, t1, t2, t3;
  explicit Lut512(const uint8_t* tab)
      : table(tab), t0(_mm512_loadu_si512(tab)), t1(_mm512_loadu_si512(tab + 64)),
        t2(_mm512_loadu_si512(tab + 128)), t3(_mm512_loadu_si512(tab + 192)) {}
  __m512i operator()(__m512i x) const {
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), _mm512_permutex2var_epi8(t0, x, t1),
                                  _mm512_permutex2var_epi8(t2, x, t3));
  }
  void edge(const uint8_t* src, size_t rows, size_t cols, uint8_t* dst, size_t r0, size_t r1,
            size_t c0, size_t c1) const {
    for (size_t c = c0; c < c1; ++c)
      for (size_t r = r0; r < r1; ++r) dst[c * rows + r] = table[src[r * cols + c]];
  }
};
struct NoLut {
  __m512i operator()(__m512i x) const { return x; }
  void edge(const uint8_t* src, size_t rows, size_t cols, uint8_t* dst, size_t r0, size_t r1,
            size_t c0, size_t c1) const {
    TransposeRange(src, rows, cols, dst, r0, r1, c0, c1);
  }
};
struct Tr16Consts {
  alignas(64) uint8_t lo[64], hi[64];  // (col c, row r) <- a[r/4] lane r%4 byte c
  Tr16Consts() {
    for (int c = 0; c < 8; ++c)
      for (int r = 0; r < 8; ++r) {
        lo[8 * c + r] = static_cast<uint8_t>((r / 4) * 64 + (r % 4) * 16 + c);
        hi[8 * c + r] = static_cast<uint8_t>((r / 4) * 64 + (r % 4) * 16 + c + 8);
      }
  }
};

// 8-byte-wide shapes (DCT planes with G = 8 groups, tiles of 8 pixels):
// rows x 8 <-> 8 x cols in blocks of 512 bytes, a vpermb (8x8 bytes inside
// each qword group) and an 8x8 qword transpose (unpack + 2 x vshufi64x2).
inline void Tr8x8Qwords(const __m512i t[8], __m512i out[8]) {
  __m512i x[8], y[8];
  for (int i = 0; i < 4; ++i) {
    x[2 * i] = _mm512_unpacklo_epi64(t[2 * i], t[2 * i + 1]);
    x[2 * i + 1] = _mm512_unpackhi_epi64(t[2 * i], t[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h)  // t[0..3] -> y[0..3], t[4..7] -> y[4..7]
    for (int o = 0; o < 2; ++o) {
      y[4 * h + o] = _mm512_shuffle_i64x2(x[4 * h + 0 + o], x[4 * h + 2 + o], 0x88);
      y[4 * h + 2 + o] = _mm512_shuffle_i64x2(x[4 * h + 0 + o], x[4 * h + 2 + o], 0xDD);
    }
  // y[0]: qwords 0/4 of t0..t3 (lo half of lanes), y[1]: 1/5, y[2]: 2/6, y[3]: 3/7.
  for (int q = 0; q < 4; ++q) {
    out[q] = _mm512_shuffle_i64x2(y[q], y[4 + q], 0x88);
    out[q + 4] = _mm512_shuffle_i64x2(y[q], y[4 + q], 0xDD);
  }
}

struct Tr8Consts {
  alignas(64) uint8_t idx[64];  // byte (c, r) <- (r, c) in each 8x8 block
  Tr8Consts() {
    for (int c = 0; c < 8; ++c)
      for (int r = 0; r < 8; ++r) idx[8 * c + r] = static_cast<uint8_t>(8 * r + c);
  }
};

// Returns false when the shape is not one of these.
template <class Pre>
bool Transpose8Wide(const uint8_t* src, size_t rows, size_t cols, uint8_t* dst, const Pre& pre) {
  static const Tr8Consts k8;
  const __m512i idx = _mm512_load_si512(k8.idx);
  if (cols == 8 && rows >= 64) {
    const size_t r64 = rows & ~size_t{63};
    for (size_t r0 = 0; r0 < r64; r0 += 64) {
      __m512i t[8], o[8];
      for (int i = 0; i < 8; ++i)
        t[i] = _mm512_permutexvar_epi8(idx, pre(_mm512_loadu_si512(src + (r0 + 8 * i) * 8)));
      Tr8x8Qwords(t, o);
      for (int c = 0; c < 8; ++c) _mm512_storeu_si512(dst + c * rows + r0, o[c]);
    }
    if (r64 < rows) pre.edge(src, rows, cols, dst, r64, rows, 0, cols);
    return true;
  }
  if (rows == 8 && cols >= 64) {
    const size_t c64 = cols & ~size_t{63};
    for (size_t c0 = 0; c0 < c64; c0 += 64) {
      __m512i t[8], o[8];
      for (int r = 0; r < 8; ++r) t[r] = pre(_mm512_loadu_si512(src + r * cols + c0));
      Tr8x8Qwords(t, o);
      for (int q = 0; q < 8; ++q)
        _mm512_storeu_si512(dst + (c0 + 8 * q) * 8, _mm512_permutexvar_epi8(idx, o[q]));
    }
    if (c64 < cols) pre.edge(src, rows, cols, dst, 0, rows, c64, cols);
    return true;
  }
  return false;
}

// Rows r0 .. r0 + 63, columns c0 .. c0 + 15: zmm j holds rows j, j + 16,
// j + 32, j + 48 (one per 128-bit lane; the upper three by merge-masked
// broadcast loads, which leave port 5 to the shuffles). Within every lane
// this is a 16 x 16 byte transpose across the 16 zmms: four rounds of the
// same perfect shuffle, out[2i] / out[2i + 1] = unpacklo / unpackhi_epi8
// (in[i], in[i + 8]), each moving one bit of the zmm index into the byte
// position. Then zmm c holds column c0 + c of the 64 rows, in row order:
// one whole 64-byte store. (tools/transpose_bench.cc, in L1: 28-38 GB/s
// against 20-22 for the 16 x 16 path below, which needs 3 inserts and 3
// extracts per 64 B.)
template <class Pre>
inline void Transpose64x16(const uint8_t* src, size_t rows, size_t cols, uint8_t* dst,
                           size_t r0, size_t c0, const Pre& pre) {
  __m512i a[16];
  const uint8_t* s = src + r0 * cols + c0;
  const size_t c16 = 16 * cols;
#pragma GCC unroll 16
  for (int j = 0; j < 16; ++j) {
    __m512i x = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)));
    x = _mm512_mask_broadcast_i32x4(x, 0x00F0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + c16)));
    x = _mm512_mask_broadcast_i32x4(x, 0x0F00, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 2 * c16)));
    a[j] = pre(_mm512_mask_broadcast_i32x4(x, 0xF000, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 3 * c16))));
    s += cols;
    asm("" : "+r"(s));  // one running pointer (GCC otherwise keeps 64 addresses)
  }
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    __m512i o[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      o[2 * i] = _mm512_unpacklo_epi8(a[i], a[i + 8]);
      o[2 * i + 1] = _mm512_unpackhi_epi8(a[i], a[i + 8]);
    }
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) a[j] = o[j];
  }
#pragma GCC unroll 16
  for (int c = 0; c < 16; ++c) _mm512_storeu_si512(dst + (c0 + c) * rows + r0, a[c]);
}

template <class Pre>
void Transpose512T(const uint8_t* src, size_t rows, size_t cols, uint8_t* dst, const Pre& pre) {
  if ((cols == 8 || rows == 8) && Transpose8Wide(src, rows, cols, dst, pre)) return;
  static const Tr16Consts kt;
  const size_t r16 = rows & ~size_t{15}, c16 = cols & ~size_t{15};
  const size_t r64 = rows & ~size_t{63};
  for (size_t r0 = 0; r0 < r64; r0 += 64)
    for (size_t c0 = 0; c0 < c16; c0 += 16) Transpose64x16(src, rows, cols, dst, r0, c0, pre);
  const __m512i ilo = _mm512_load_si512(kt.lo), ihi = _mm512_load_si512(kt.hi);
  for (size_t r0 = r64; r0 < r16; r0 += 16) {
    for (size_t c0 = 0; c0 < c16; c0 += 16) {
      __m512i a[4];
      for (int q = 0; q < 4; ++q) {
        const uint8_t* s = src + (r0 + 4 * q) * cols + c0;
        __m512i x = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)));
        x = _mm512_inserti32x4(x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + cols)), 1);
        x = _mm512_inserti32x4(x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 2 * cols)), 2);
        a[q] = pre(_mm512_inserti32x4(x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 3 * cols)), 3));
      }
      // qword c of t: column c (or c + 8) of rows 0..7 (t0, t1) / 8..15 (t2, t3).
      const __m512i t0 = _mm512_permutex2var_epi8(a[0], ilo, a[1]);
      const __m512i t1 = _mm512_permutex2var_epi8(a[0], ihi, a[1]);
      const __m512i t2 = _mm512_permutex2var_epi8(a[2], ilo, a[3]);
      const __m512i t3 = _mm512_permutex2var_epi8(a[2], ihi, a[3]);
      // Lane l of u: columns 2l (lo), 2l+1 (hi), 8+2l, 8+2l+1.
      const __m512i u[4] = {_mm512_unpacklo_epi64(t0, t2), _mm512_unpackhi_epi64(t0, t2),
                            _mm512_unpacklo_epi64(t1, t3), _mm512_unpackhi_epi64(t1, t3)};
      for (int q = 0; q < 4; ++q) {
        const size_t c = c0 + (q & 1) + 8 * (q >> 1);
        uint8_t* d = dst + c * rows + r0;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm512_castsi512_si128(u[q]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 2 * rows), _mm512_extracti32x4_epi32(u[q], 1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 4 * rows), _mm512_extracti32x4_epi32(u[q], 2));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 6 * rows), _mm512_extracti32x4_epi32(u[q], 3));
      }
    }
  }
  if (c16 < cols) pre.edge(src, rows, cols, dst, 0, r16, c16, cols);
  if (r16 < rows) pre.edge(src, rows, cols, dst, r16, rows, 0, cols);
}

void Transpose512(const uint8_t* src, size_t rows, size_t cols, uint8_t* dst) {
  Transpose512T(src, rows, cols, dst, NoLut());
}

void TransposeLut512(const uint8_t* src, size_t rows, size_t cols, const uint8_t* table,
                     uint8_t* dst) {
  Transpose512T(src, rows, cols, dst, Lut512(table));
}

// ---- zigzag, zeros
inline __m512i ZigZag64(__m512i x) {
  return _mm512_xor_si512(_mm512_add_epi8(x, x), _mm512_movm_epi8(_mm512_movepi8_mask(x)));
}
inline __m512i UnZigZag64(__m512i s) {
  const __m512i half = _mm512_and_si512(_mm512_srli_epi16(s, 1), _mm512_set1_epi8(0x7F));
  const __m512i neg = _mm512_sub_epi8(_mm512_setzero_si512(),
                                      _mm512_and_si512(s, _mm512_set1_epi8(1)));
  return _mm512_xor_si512(half, neg);
}

void ZigZag(const uint8_t* src, size_t n, uint8_t* dst) {
  for (size_t i = 0; i < n; i += 64) {
    const __mmask64 k = Prefix(n - i);
    _mm512_mask_storeu_epi8(dst + i, k, ZigZag64(_mm512_maskz_loadu_epi8(k, src + i)));
  }
}
void UnZigZag(uint8_t* buf, size_t n) {
  for (size_t i = 0; i < n; i += 64) {
    const __mmask64 k = Prefix(n - i);
    _mm512_mask_storeu_epi8(buf + i, k, UnZigZag64(_mm512_maskz_loadu_epi8(k, buf + i)));
  }
}

size_t CountZeros(const uint8_t* src, size_t n) {
  size_t nz = 0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i x = _mm512_loadu_si512(src + i);
    nz += _mm_popcnt_u64(_mm512_test_epi8_mask(x, x));
  }
  if (i < n) {
    const __m512i x = _mm512_maskz_loadu_epi8(Prefix(n - i), src + i);
    nz += _mm_popcnt_u64(_mm512_test_epi8_mask(x, x));
  }
  return n - nz;
}

// ---- DCT, L = 8, and L = 16, 32, 64 (DctPlanesL, DctInverseL).
// The quantiser of §6.2 on the int32 sums of 32 pixels (al: pixels 8l +
// 0..3 of lane l, ah: 8l + 4..7, as the vpunpck{l,h}wd pairs leave them):
// IEEE float multiply + RNE convert as the scalar code, vpackssdw back to
// pixel order (exact: |q| < 4096), saturating narrowing (the clamps), zigzag
// unless it is the DC of an unsigned map; 32 symbols stored under m.
inline void QuantiseStore32(__m512i al, __m512i ah, __m512 iv, bool unsigned_dc, uint8_t* out,
                            __mmask32 m) {
  const __m512i ql = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(al), iv));
  const __m512i qh = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(ah), iv));
  const __m512i w = _mm512_packs_epi32(ql, qh);  // pixel order
  __m256i b;
  if (unsigned_dc) {  // clamp 0..255, no zigzag
    b = _mm512_cvtusepi16_epi8(_mm512_max_epi16(w, _mm512_setzero_si512()));
  } else {
    b = _mm512_cvtsepi16_epi8(w);
    b = _mm256_xor_si256(_mm256_add_epi8(b, b), _mm256_movm_epi8(_mm256_movepi8_mask(b)));
  }
  _mm256_mask_storeu_epi8(out, m, b);
}

// The steps of 32 lanes of the forward transforms over the G groups of a
// tile of npix pixels: 32 pixels of one group, or, for tiles of 8 or 16
// pixels (C = 2048, 1024), all pixels of 4 or 2 groups, whose symbols are
// also consecutive in the stream (g*npix + p). body(g, ng, p0, m): groups
// g .. g + ng - 1, pixels from p0, lanes m.
template <class Body>
inline void ForEachStep32(size_t G, size_t npix, const Body& body) {
  const size_t gps = npix == 8 || npix == 16 ? 32 / npix : 1;
  for (size_t g = 0; g < G;) {
    const size_t ng = gps > 1 && g + gps <= G ? gps : 1;  // the last < gps: one by one
    for (size_t p0 = 0; p0 < (ng > 1 ? 1 : npix); p0 += 32) {
      const __mmask32 m = ng > 1 || npix - p0 >= 32 ? ~__mmask32{0}
                                                    : static_cast<__mmask32>(Prefix(npix - p0));
      body(g, ng, p0, m);
    }
    g += ng;
  }
}

// Row n of a step of ForEachStep32 (32 bytes): pixels p0.. of group g
// under m, or row n of groups g .. g + ng - 1 (ng = 2: 16 pixels each, 4:
// 8 pixels each).
template <class Row>
inline __m256i StepRow(const Row& row, size_t g, int n, size_t ng, size_t p0, __mmask32 m) {
  if (ng == 1) return _mm256_maskz_loadu_epi8(m, row(g, n) + p0);
  if (ng == 2)
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row(g, n)))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(row(g + 1, n))), 1);
  uint64_t q[4];
  for (int i = 0; i < 4; ++i) std::memcpy(&q[i], row(g + i, n), 8);
  return _mm256_set_epi64x(static_cast<long long>(q[3]), static_cast<long long>(q[2]),
                           static_cast<long long>(q[1]), static_cast<long long>(q[0]));
}

// The forward transform on channel planes: 32 pixels of one group per
// step, or all pixels of 4 or 2 groups for tiles of 8 or 16 pixels (their
// symbols are consecutive in the stream too). K is a template parameter:
// the frequency loops unroll and the coefficient pairs stay in registers.
// The group's 8 rows are widened to
// int16 (vpmovzxbw / vpmovsxbw); the butterfly x[n] +- x[7-n] and
// vpunpck{l,h}wd give int16 pairs (two vectors of 16 pixels each, pixels
// 0-3, 8-11, ... and 4-7, 12-15, ...), vpdpwssd accumulates against the
// table (exact int32), the quantiser is the same IEEE float multiply + RNE
// convert as the scalar code, and vpackssdw puts the pixels back in order
// (exact: |q| < 4096). vpmovswb / vpmovuswb saturate (= the clamps of
// FORMAT.md §6.2); 32 symbols per plane are stored at their stream place,
// so no reorder pass follows.
template <int K, bool SG>
void DctPlanesK(const DctPlan& plan, const uint8_t* src, size_t npix, const uint16_t* perm,
                uint8_t* sym) {
  const size_t G = plan.G, F = npix * G;
  // Pair coefficients: row k takes (c0, c1), (c2, c3) on (s0, s1), (s2, s3)
  // (even k) or on (d0, d1), (d2, d3) (odd k).
  int32_t cp[8][2];
  float inv[8];
  for (int k = 0; k < K; ++k) {
    const int16_t* c = plan.coef + k * 8;
    for (int j = 0; j < 2; ++j) cp[k][j] = PairOf(c[2 * j], c[2 * j + 1]);
    inv[k] = plan.inv[k];
  }
  auto row = [&](size_t g, int n) { return src + (perm ? perm[8 * g + n] : 8 * g + n) * npix; };
  ForEachStep32(G, npix, [&](size_t g, size_t ng, size_t p0, __mmask32 m) {
    uint8_t* out = sym + g * npix;
    __m512i x[8];
    for (int n = 0; n < 8; ++n) {
      const __m256i b = StepRow(row, g, n, ng, p0, m);
      x[n] = SG ? _mm512_cvtepi8_epi16(b) : _mm512_cvtepu8_epi16(b);
    }
    __m512i pl[4], ph[4];  // int16 pairs (s0, s1), (s2, s3), (d0, d1), (d2, d3)
    __m512i sd[8];         // s0..s3, d0..d3
    for (int n = 0; n < 4; ++n) {
      sd[n] = _mm512_add_epi16(x[n], x[7 - n]);
      sd[4 + n] = _mm512_sub_epi16(x[n], x[7 - n]);
    }
    for (int j = 0; j < 4; ++j) {
      pl[j] = _mm512_unpacklo_epi16(sd[2 * j], sd[2 * j + 1]);
      ph[j] = _mm512_unpackhi_epi16(sd[2 * j], sd[2 * j + 1]);
    }
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) {
      const int o = (k & 1) ? 2 : 0;  // pairs of s (even k) or d (odd k)
      const __m512i c0 = _mm512_set1_epi32(cp[k][0]), c1 = _mm512_set1_epi32(cp[k][1]);
      const __m512 iv = _mm512_set1_ps(inv[k]);
      const __m512i al = _mm512_dpwssd_epi32(_mm512_madd_epi16(pl[o], c0), pl[o + 1], c1);
      const __m512i ah = _mm512_dpwssd_epi32(_mm512_madd_epi16(ph[o], c0), ph[o + 1], c1);
      QuantiseStore32(al, ah, iv, !SG && k == 0, out + k * F + p0, m);
    }
  });
}

// The forward transform for L = 16, 32, 64 on channel planes: the
// arithmetic of DctPlanesK (butterfly s_n = x_n + x_(L-1-n), d_n = x_n -
// x_(L-1-n), int16 pairs by vpunpck{l,h}wd, vpdpwssd, the IEEE quantiser,
// saturating packs), the steps of ForEachStep32, with K a run-time loop
// and the L / 2 pairs of each half kept on the stack (up to 64 zmm for
// L = 64). Even rows k take the pairs of s, odd rows those of d.
template <int L, bool SG>
void DctPlanesL(const DctPlan& plan, const uint8_t* src, size_t npix, const uint16_t* perm,
                uint8_t* sym) {
  constexpr int H = L / 2, P = H / 2;  // butterfly half, int16 pairs per half
  const int K = plan.K;
  const size_t G = plan.G, F = npix * G;
  alignas(64) int32_t cp[64][P];
  for (int k = 0; k < K; ++k)
    for (int j = 0; j < P; ++j) cp[k][j] = PairOf(plan.coef[k * L + 2 * j], plan.coef[k * L + 2 * j + 1]);
  __m512i pl[2][P], ph[2][P];  // [s or d][pair]: pixels 8l + 0..3 / 8l + 4..7 of lane l
  auto row = [&](size_t g, int n) { return src + (perm ? perm[L * g + n] : L * g + n) * npix; };
  ForEachStep32(G, npix, [&](size_t g, size_t ng, size_t p0, __mmask32 m) {
    uint8_t* out = sym + g * npix;
    auto load = [&](int n) {
      const __m256i b = StepRow(row, g, n, ng, p0, m);
      return SG ? _mm512_cvtepi8_epi16(b) : _mm512_cvtepu8_epi16(b);
    };
#pragma GCC unroll 16
    for (int j = 0; j < P; ++j) {
      const __m512i a0 = load(2 * j), a1 = load(2 * j + 1);
      const __m512i b0 = load(L - 1 - 2 * j), b1 = load(L - 2 - 2 * j);
      const __m512i s0 = _mm512_add_epi16(a0, b0), s1 = _mm512_add_epi16(a1, b1);
      const __m512i d0 = _mm512_sub_epi16(a0, b0), d1 = _mm512_sub_epi16(a1, b1);
      pl[0][j] = _mm512_unpacklo_epi16(s0, s1);
      ph[0][j] = _mm512_unpackhi_epi16(s0, s1);
      pl[1][j] = _mm512_unpacklo_epi16(d0, d1);
      ph[1][j] = _mm512_unpackhi_epi16(d0, d1);
    }
    for (int k = 0; k < K; ++k) {
      const __m512i* ql_in = pl[k & 1];
      const __m512i* qh_in = ph[k & 1];
      __m512i al = _mm512_setzero_si512(), ah = _mm512_setzero_si512();
#pragma GCC unroll 16
      for (int j = 0; j < P; ++j) {
        const __m512i c = _mm512_set1_epi32(cp[k][j]);
        al = _mm512_dpwssd_epi32(al, ql_in[j], c);
        ah = _mm512_dpwssd_epi32(ah, qh_in[j], c);
      }
      const __m512 iv = _mm512_set1_ps(plan.inv[k]);
      QuantiseStore32(al, ah, iv, !SG && k == 0, out + k * F + p0, m);
    }
  });
}

// L = 1 (FORMAT.md §6.5): the plan's 256-entry table, 64 values per step
// (Lut512). Tail by masked load/store.
void Lut256(const uint8_t* table, const uint8_t* src, size_t n, uint8_t* dst) {
  const Lut512 look(table);
  size_t i = 0;
  for (; i + 64 <= n; i += 64) _mm512_storeu_si512(dst + i, look(_mm512_loadu_si512(src + i)));
  if (i < n) {
    const __mmask64 m = Prefix(n - i);
    _mm512_mask_storeu_epi8(dst + i, m, look(_mm512_maskz_loadu_epi8(m, src + i)));
  }
}

void DctForward(const DctPlan& plan, const uint8_t* src, size_t npix, const uint16_t* perm,
                uint8_t* sym) {
  if (plan.L == 1) {
    if (!perm) {  // rows in coded order: one lookup over the tile
      Lut256(plan.lut_fwd, src, npix * plan.G, sym);
    } else {
      for (size_t g = 0; g < static_cast<size_t>(plan.G); ++g)
        Lut256(plan.lut_fwd, src + perm[g] * npix, npix, sym + g * npix);
    }
    return;
  }
  // (The butterflies need the table's symmetry, which holds for the
  // normative table; checked rather than assumed.)
  const bool sym_ok = PlanSymmetric(plan);
  if (plan.L == 8 && sym_ok) {
    using Fn = void (*)(const DctPlan&, const uint8_t*, size_t, const uint16_t*, uint8_t*);
    static constexpr Fn kByK[2][8] = {
        {DctPlanesK<1, false>, DctPlanesK<2, false>, DctPlanesK<3, false>, DctPlanesK<4, false>,
         DctPlanesK<5, false>, DctPlanesK<6, false>, DctPlanesK<7, false>, DctPlanesK<8, false>},
        {DctPlanesK<1, true>, DctPlanesK<2, true>, DctPlanesK<3, true>, DctPlanesK<4, true>,
         DctPlanesK<5, true>, DctPlanesK<6, true>, DctPlanesK<7, true>, DctPlanesK<8, true>}};
    kByK[plan.is_signed][plan.K - 1](plan, src, npix, perm, sym);
  } else if (sym_ok && plan.L == 16) {
    (plan.is_signed ? DctPlanesL<16, true> : DctPlanesL<16, false>)(plan, src, npix, perm, sym);
  } else if (sym_ok && plan.L == 32) {
    (plan.is_signed ? DctPlanesL<32, true> : DctPlanesL<32, false>)(plan, src, npix, perm, sym);
  } else if (sym_ok && plan.L == 64) {
    (plan.is_signed ? DctPlanesL<64, true> : DctPlanesL<64, false>)(plan, src, npix, perm, sym);
  } else {
    kScalarKernels.dct_forward(plan, src, npix, perm, sym);
  }
}

// D_k = clamp(q_k * step_k, +-4095) of 32 symbols (§6.3) in int16 lanes:
// q is first clamped to +-qlim = +-(4095/step + 1), which gives the same
// result as the scalar int32 code; when exact (|q| * step <= 4095 for
// every symbol) no clamp can act and none is applied.
inline __m512i Dequantise32(const uint8_t* s8, __mmask32 lm, bool unsigned_dc, __m512i step,
                            __m512i qlim, bool exact) {
  const __m256i s = _mm256_maskz_loadu_epi8(lm, s8);
  __m512i q;
  if (unsigned_dc) {
    q = _mm512_cvtepu8_epi16(s);
  } else {
    const __m256i u = _mm256_xor_si256(
        _mm256_and_si256(_mm256_srli_epi16(s, 1), _mm256_set1_epi8(0x7F)),
        _mm256_sub_epi8(_mm256_setzero_si256(), _mm256_and_si256(s, _mm256_set1_epi8(1))));
    q = _mm512_cvtepi8_epi16(u);
  }
  if (exact) return _mm512_mullo_epi16(q, step);
  q = _mm512_min_epi16(_mm512_max_epi16(q, _mm512_sub_epi16(_mm512_setzero_si512(), qlim)), qlim);
  return _mm512_min_epi16(_mm512_max_epi16(_mm512_mullo_epi16(q, step), _mm512_set1_epi16(-kDequantMax)),
                          _mm512_set1_epi16(kDequantMax));
}

struct InvIdx {
  alignas(64) uint8_t idx[64];
  InvIdx() {
    for (int g = 0; g < 8; ++g)
      for (int n = 0; n < 8; ++n) {
        const int half = g < 4 ? 0 : 32, gg = g % 4;
        idx[8 * g + n] = static_cast<uint8_t>(half + (n < 4 ? 4 * n + gg : 16 + 4 * (n - 4) + gg));
      }
  }
};

// 32 groups per step. Dequantisation runs in int16 (q is first clamped to
// +-(4095/step + 1), which gives the same clamp(q*step, +-4095) as the
// scalar int32 code); vpunpck{l,h}wd pair D_2j/D_2j+1 for vpdpwssd, which
// splits the groups into {8l..8l+3} (lo) and {8l+4..8l+7} (hi) per 128-bit
// lane l; saturating packs give the output clamps; lane shuffles + vpermb
// restore the [group][n] order.
// K as a template parameter: the frequency loops unroll and the
// coefficient vectors stay in registers.
template <int K, bool SG>
void DctInverseK(const DctPlan& plan, const uint8_t* sym, size_t npix, uint8_t* dst) {
  static const InvIdx iidx;
  const int P = (K + 1) / 2;
  const size_t F = npix * plan.G;
  __m512i cpi[8][4], step[8], qlim[8];
  for (int n = 0; n < 8; ++n)
    for (int j = 0; j < P; ++j) {
      const int16_t lo = plan.coef[(2 * j) * 8 + n];
      const int16_t hi = 2 * j + 1 < K ? plan.coef[(2 * j + 1) * 8 + n] : 0;
      cpi[n][j] = _mm512_set1_epi32(PairOf(lo, hi));
    }
  // No clamp can act when |q| * step <= 4095 (|q| <= 255 for an unsigned
  // DC, else 128): then q * step is exact in int16 and already in range.
  bool exact[8];
  for (int k = 0; k < K; ++k) {
    step[k] = _mm512_set1_epi16(static_cast<int16_t>(plan.step[k]));
    qlim[k] = _mm512_set1_epi16(static_cast<int16_t>(kDequantMax / plan.step[k] + 1));
    exact[k] = (k == 0 && !SG ? 255 : 128) * plan.step[k] <= kDequantMax;
  }
  // Butterfly (as the forward): y[n] / y[7-n] = E_n +- O_n, E from the
  // even rows, O from the odd ones, n < 4: half the multiply-adds.
  const bool bfly = K > 4 && PlanSymmetric(plan);
  __m512i ce[4][2], co[4][2];
  if (bfly) {
    for (int n = 0; n < 4; ++n)
      for (int j = 0; j < 2; ++j) {
        auto cf = [&](int k) { return k < K ? plan.coef[k * 8 + n] : int16_t{0}; };
        ce[n][j] = _mm512_set1_epi32(PairOf(cf(4 * j), cf(4 * j + 2)));
        co[n][j] = _mm512_set1_epi32(PairOf(cf(4 * j + 1), cf(4 * j + 3)));
      }
  }
  const __m512i round = _mm512_set1_epi32(1 << (kFracBits - 1));
  const __m512i oidx = _mm512_load_si512(iidx.idx);
  constexpr bool sg = SG;
  for (size_t f0 = 0; f0 < F; f0 += 32) {
    const size_t rem = F - f0 < 32 ? F - f0 : 32;
    const __mmask32 lm = static_cast<__mmask32>(Prefix(rem));
    __m512i d[8];
    for (int k = 0; k < K; ++k)
      d[k] = Dequantise32(sym + k * F + f0, lm, k == 0 && !sg, step[k], qlim[k], exact[k]);
    for (int k = K; k < 8; ++k) d[k] = _mm512_setzero_si512();
    __m512i ylo[8], yhi[8];
    if (bfly) {
      __m512i elo[2], ehi[2], olo[2], ohi[2];
      for (int j = 0; j < 2; ++j) {
        elo[j] = _mm512_unpacklo_epi16(d[4 * j], d[4 * j + 2]);
        ehi[j] = _mm512_unpackhi_epi16(d[4 * j], d[4 * j + 2]);
        olo[j] = _mm512_unpacklo_epi16(d[4 * j + 1], d[4 * j + 3]);
        ohi[j] = _mm512_unpackhi_epi16(d[4 * j + 1], d[4 * j + 3]);
      }
      for (int n = 0; n < 4; ++n) {
        __m512i el = round, eh = round, ol = _mm512_setzero_si512(), oh = _mm512_setzero_si512();
        for (int j = 0; j < 2; ++j) {
          el = _mm512_dpwssd_epi32(el, elo[j], ce[n][j]);
          eh = _mm512_dpwssd_epi32(eh, ehi[j], ce[n][j]);
          ol = _mm512_dpwssd_epi32(ol, olo[j], co[n][j]);
          oh = _mm512_dpwssd_epi32(oh, ohi[j], co[n][j]);
        }
        ylo[n] = _mm512_srai_epi32(_mm512_add_epi32(el, ol), kFracBits);
        yhi[n] = _mm512_srai_epi32(_mm512_add_epi32(eh, oh), kFracBits);
        ylo[7 - n] = _mm512_srai_epi32(_mm512_sub_epi32(el, ol), kFracBits);
        yhi[7 - n] = _mm512_srai_epi32(_mm512_sub_epi32(eh, oh), kFracBits);
      }
    }
    __m512i plo[4], phi[4];
    for (int j = 0; j < P && !bfly; ++j) {
      plo[j] = _mm512_unpacklo_epi16(d[2 * j], d[2 * j + 1]);
      phi[j] = _mm512_unpackhi_epi16(d[2 * j], d[2 * j + 1]);
    }
    for (int n = 0; n < 8 && !bfly; ++n) {
      __m512i alo = round, ahi = round;
      for (int j = 0; j < P; ++j) {
        alo = _mm512_dpwssd_epi32(alo, plo[j], cpi[n][j]);
        ahi = _mm512_dpwssd_epi32(ahi, phi[j], cpi[n][j]);
      }
      ylo[n] = _mm512_srai_epi32(alo, kFracBits);
      yhi[n] = _mm512_srai_epi32(ahi, kFracBits);
    }
    auto pack4 = [&](const __m512i* y) {
      const __m512i w01 = _mm512_packs_epi32(y[0], y[1]);
      const __m512i w23 = _mm512_packs_epi32(y[2], y[3]);
      return sg ? _mm512_packs_epi16(w01, w23) : _mm512_packus_epi16(w01, w23);
    };
    const __m512i rl0 = pack4(ylo), rl1 = pack4(ylo + 4);
    const __m512i rh0 = pack4(yhi), rh1 = pack4(yhi + 4);
    const __m512i a = _mm512_shuffle_i64x2(rl0, rl1, 0x44), b = _mm512_shuffle_i64x2(rh0, rh1, 0x44);
    const __m512i c = _mm512_shuffle_i64x2(rl0, rl1, 0xEE), e = _mm512_shuffle_i64x2(rh0, rh1, 0xEE);
    __m512i t[4] = {_mm512_shuffle_i64x2(a, b, 0x88), _mm512_shuffle_i64x2(a, b, 0xDD),
                    _mm512_shuffle_i64x2(c, e, 0x88), _mm512_shuffle_i64x2(c, e, 0xDD)};
    uint8_t* out = dst + 8 * f0;
    for (int l = 0; l < 4; ++l) {
      const __m512i o = _mm512_permutexvar_epi8(oidx, t[l]);
      if (rem == 32) {
        _mm512_storeu_si512(out + 64 * l, o);
      } else if (8 * rem > size_t(64) * l) {
        _mm512_mask_storeu_epi8(out + 64 * l, Prefix(8 * rem - 64 * l), o);
      }
    }
  }
}

// The inverse for L = 16, 32, 64: the arithmetic of DctInverseK (int16
// dequantisation with the same clamps, butterfly y_n / y_(L-1-n) = E_n +-
// O_n, vpdpwssd over pairs (D_4i, D_4i+2) and (D_4i+1, D_4i+3), K rounded
// up to a multiple of 4 with zero rows), 32 groups per step; the L output
// rows of 32 bytes go through the tile transpose to [group][n] order.
template <int L, bool SG>
void DctInverseL(const DctPlan& plan, const uint8_t* sym, size_t npix, uint8_t* dst) {
  constexpr int H = L / 2;
  const int K = plan.K, KK = (K + 3) / 4 * 4, PP = KK / 4;
  const size_t F = npix * plan.G;
  auto cf = [&](int k, int n) { return k < K ? plan.coef[k * L + n] : int16_t{0}; };
  alignas(64) int32_t ce[H][16], co[H][16];
  for (int n = 0; n < H; ++n)
    for (int i = 0; i < PP; ++i) {
      ce[n][i] = PairOf(cf(4 * i, n), cf(4 * i + 2, n));
      co[n][i] = PairOf(cf(4 * i + 1, n), cf(4 * i + 3, n));
    }
  int16_t qlim[64];
  bool exact[64];
  for (int k = 0; k < K; ++k) {
    qlim[k] = static_cast<int16_t>(kDequantMax / plan.step[k] + 1);
    exact[k] = (k == 0 && !SG ? 255 : 128) * plan.step[k] <= kDequantMax;
  }
  const __m512i round = _mm512_set1_epi32(1 << (kFracBits - 1));
  __m512i d[64];
  __m512i el[16], eh[16], ol[16], oh[16];  // pairs of lanes 8l + 0..3 / 8l + 4..7
  alignas(64) uint8_t rows[L * 32];
  alignas(64) uint8_t tail[L * 32];
  for (size_t f0 = 0; f0 < F; f0 += 32) {
    const size_t rem = F - f0 < 32 ? F - f0 : 32;
    const __mmask32 lm = static_cast<__mmask32>(Prefix(rem));
    for (int k = 0; k < K; ++k)
      d[k] = Dequantise32(sym + k * F + f0, lm, k == 0 && !SG,
                          _mm512_set1_epi16(static_cast<int16_t>(plan.step[k])),
                          _mm512_set1_epi16(qlim[k]), exact[k]);
    for (int k = K; k < KK; ++k) d[k] = _mm512_setzero_si512();
    for (int i = 0; i < PP; ++i) {
      el[i] = _mm512_unpacklo_epi16(d[4 * i], d[4 * i + 2]);
      eh[i] = _mm512_unpackhi_epi16(d[4 * i], d[4 * i + 2]);
      ol[i] = _mm512_unpacklo_epi16(d[4 * i + 1], d[4 * i + 3]);
      oh[i] = _mm512_unpackhi_epi16(d[4 * i + 1], d[4 * i + 3]);
    }
    for (int n = 0; n < H; ++n) {
      __m512i a = round, b = round, c = _mm512_setzero_si512(), e = _mm512_setzero_si512();
      for (int i = 0; i < PP; ++i) {
        const __m512i cev = _mm512_set1_epi32(ce[n][i]), cov = _mm512_set1_epi32(co[n][i]);
        a = _mm512_dpwssd_epi32(a, el[i], cev);
        b = _mm512_dpwssd_epi32(b, eh[i], cev);
        c = _mm512_dpwssd_epi32(c, ol[i], cov);
        e = _mm512_dpwssd_epi32(e, oh[i], cov);
      }
      // rows n and L-1-n, 32 groups each in order (the packs undo the unpacks)
      const __m512i yn = _mm512_packs_epi32(_mm512_srai_epi32(_mm512_add_epi32(a, c), kFracBits),
                                            _mm512_srai_epi32(_mm512_add_epi32(b, e), kFracBits));
      const __m512i ym = _mm512_packs_epi32(_mm512_srai_epi32(_mm512_sub_epi32(a, c), kFracBits),
                                            _mm512_srai_epi32(_mm512_sub_epi32(b, e), kFracBits));
      const __m256i rn = SG ? _mm512_cvtsepi16_epi8(yn)
                            : _mm512_cvtusepi16_epi8(_mm512_max_epi16(yn, _mm512_setzero_si512()));
      const __m256i rm = SG ? _mm512_cvtsepi16_epi8(ym)
                            : _mm512_cvtusepi16_epi8(_mm512_max_epi16(ym, _mm512_setzero_si512()));
      _mm256_store_si256(reinterpret_cast<__m256i*>(rows + 32 * n), rn);
      _mm256_store_si256(reinterpret_cast<__m256i*>(rows + 32 * (L - 1 - n)), rm);
    }
    if (rem == 32) {
      Transpose512(rows, L, 32, dst + f0 * L);
    } else {
      Transpose512(rows, L, 32, tail);
      std::memcpy(dst + f0 * L, tail, rem * L);
    }
  }
}

void DctInverse(const DctPlan& plan, const uint8_t* sym, size_t npix, uint8_t* dst) {
  if (plan.L == 1) {
    Lut256(plan.lut_inv, sym, npix * plan.G, dst);
    return;
  }
  if (plan.L != 8) {  // (L = 8 works without the butterfly, DctInverseK)
    const bool sym_ok = PlanSymmetric(plan);
    if (sym_ok && plan.L == 16) {
      (plan.is_signed ? DctInverseL<16, true> : DctInverseL<16, false>)(plan, sym, npix, dst);
    } else if (sym_ok && plan.L == 32) {
      (plan.is_signed ? DctInverseL<32, true> : DctInverseL<32, false>)(plan, sym, npix, dst);
    } else if (sym_ok && plan.L == 64) {
      (plan.is_signed ? DctInverseL<64, true> : DctInverseL<64, false>)(plan, sym, npix, dst);
    } else {
      kScalarKernels.dct_inverse(plan, sym, npix, dst);
    }
    return;
  }
  using Fn = void (*)(const DctPlan&, const uint8_t*, size_t, uint8_t*);
  static constexpr Fn kByK[2][8] = {
      {DctInverseK<1, false>, DctInverseK<2, false>, DctInverseK<3, false>, DctInverseK<4, false>,
       DctInverseK<5, false>, DctInverseK<6, false>, DctInverseK<7, false>, DctInverseK<8, false>},
      {DctInverseK<1, true>, DctInverseK<2, true>, DctInverseK<3, true>, DctInverseK<4, true>,
       DctInverseK<5, true>, DctInverseK<6, true>, DctInverseK<7, true>, DctInverseK<8, true>}};
  kByK[plan.is_signed][plan.K - 1](plan, sym, npix, dst);
}

const Kernels kAvx512Kernels = {
    ZvcEncode, ZvcDecode, PackSizeT<StatsAvx512>, PackEncodeAvx512,
    PackDecodeT<GroupMs>,
    ZigZag,    UnZigZag,  DctForward, DctInverse,   Transpose512,
    CountZeros, TransposeLut512,
    PzvcSplitEncodeAvx512, PzvcSplitDecodeAvx512,
};

}  // namespace

const Kernels* Avx512Kernels() { return &kAvx512Kernels; }

}  // namespace internal
}  // namespace codec
}  // namespace dctcm
