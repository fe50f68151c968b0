// The codec framework: header (§2-§3), tile index (§4), per-tile choice,
// validation, bound and dispatch. Kernels come from a variant's table.
#include "kernels/codec/codec.h"

#include <cstdlib>
#include <cstring>
#include <memory>

#include "kernels/codec/codec_internal.h"

namespace dctcm {
namespace codec {

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kRaw: return "raw";
    case Mode::kZvc: return "zvc";
    case Mode::kRle: return "rle";
    case Mode::kCsc: return "csc";
    case Mode::kDctcm: return "dctcm";
    case Mode::kPzvc: return "pzvc";
  }
  return "?";
}

bool ParseMode(const std::string& name, Mode* mode) {
  for (int m = 0; m < kNumModes; ++m) {
    if (name == ModeName(static_cast<Mode>(m))) {
      *mode = static_cast<Mode>(m);
      return true;
    }
  }
  if (name == "dct") {
    *mode = Mode::kDctcm;
    return true;
  }
  return false;
}

const char* ErrorString(Error error) {
  switch (error) {
    case Error::kOk: return "ok";
    case Error::kDstTooSmall: return "destination buffer too small";
    case Error::kTruncated: return "stream truncated";
    case Error::kBadMagic: return "bad magic (not a DCTM stream)";
    case Error::kBadVersion: return "unsupported format version";
    case Error::kBadMode: return "unknown mode";
    case Error::kBadParams: return "invalid codec parameters";
    case Error::kShapeTooLarge: return "shape empty or above the caps";
    case Error::kShapeMismatch: return "shape or tile mismatch";
    case Error::kCorrupt: return "corrupt stream";
    case Error::kBadArgument: return "bad argument";
  }
  return "unknown error";
}

namespace internal {
namespace {

constexpr uint8_t kMagic[4] = {'D', 'C', 'T', 'M'};
constexpr uint8_t kVersion = 4;
constexpr size_t kHeaderSize = 32;
constexpr uint8_t kFlagSigned = 1, kFlagPerm = 2;
constexpr uint32_t kOffsetMask = (1u << 30) - 1;

void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}
uint32_t Get32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Everything the header says, validated.
struct Layout {
  Mode mode = Mode::kRaw;
  MapDesc desc;
  uint32_t tile_pixels = 0;
  uint32_t num_tiles = 0;
  uint64_t pixels = 0;
  int L = 0, K = 0;
  uint16_t steps[64];
  const uint8_t* perm_bytes = nullptr;  // decoder: C little-endian u16
  const uint16_t* perm = nullptr;       // encoder
  size_t meta_size = 0;  // header + steps + perm + index
  size_t index_offset = 0;
};

Error CheckShape(const MapDesc& d) {
  if (d.n == 0 || d.h == 0 || d.w == 0 || d.c == 0) return Error::kShapeTooLarge;
  if (d.n > kMaxDim || d.h > kMaxDim || d.w > kMaxDim || d.c > kMaxDim)
    return Error::kShapeTooLarge;
  const uint64_t v = uint64_t{d.n} * d.h * d.w * d.c;
  if (v > kMaxValues) return Error::kShapeTooLarge;
  return Error::kOk;
}

// Checks that perm (C entries, read through get) is a permutation.
template <typename Get>
bool IsPermutation(uint32_t C, Get get) {
  uint64_t seen[(kMaxDim + 64) / 64];
  std::memset(seen, 0, sizeof(seen));
  for (uint32_t j = 0; j < C; ++j) {
    const uint32_t p = get(j);
    if (p >= C) return false;
    if ((seen[p / 64] >> (p % 64)) & 1) return false;
    seen[p / 64] |= uint64_t{1} << (p % 64);
  }
  return true;
}

void FinishLayout(Layout* lo) {
  lo->pixels = uint64_t{lo->desc.n} * lo->desc.h * lo->desc.w;
  lo->num_tiles =
      static_cast<uint32_t>((lo->pixels + lo->tile_pixels - 1) / lo->tile_pixels);
  size_t s = kHeaderSize;
  if (lo->mode == Mode::kDctcm) s += lo->K;
  if (lo->perm || lo->perm_bytes) s += 2 * size_t{lo->desc.c};
  lo->index_offset = s;
  lo->meta_size = s + 4 * size_t{lo->num_tiles};
}

Error LayoutFromParams(const MapDesc& desc, const EncodeParams& p, Layout* lo) {
  Error e = CheckShape(desc);
  if (e != Error::kOk) return e;
  if (static_cast<int>(p.mode) >= kNumModes) return Error::kBadMode;
  lo->mode = p.mode;
  lo->desc = desc;
  uint32_t t = p.tile_pixels;
  if (t == 0) {
    t = 16384 / desc.c;
    if (t < 1) t = 1;
    if (t > 65535) t = 65535;
  }
  if (uint64_t{t} * desc.c > kMaxTileValues) return Error::kBadParams;
  lo->tile_pixels = t;
  if (p.mode == Mode::kDctcm) {
    const DctParams& d = p.dct;
    if (!ValidGroupLength(d.L) || desc.c % d.L != 0) return Error::kBadParams;
    if (d.K < 1 || d.K > d.L) return Error::kBadParams;
    if (!d.steps.empty() && d.steps.size() != d.K) return Error::kBadParams;
    lo->L = d.L;
    lo->K = d.K;
    for (int k = 0; k < d.K; ++k) {
      const uint16_t s = d.steps.empty() ? 1 : d.steps[k];
      if (s < 1 || s > 255) return Error::kBadParams;
      lo->steps[k] = s;
    }
    if (!d.perm.empty()) {
      if (d.perm.size() != desc.c) return Error::kBadParams;
      if (!IsPermutation(desc.c, [&](uint32_t j) { return d.perm[j]; }))
        return Error::kBadParams;
      lo->perm = d.perm.data();
    }
  }
  FinishLayout(lo);
  return Error::kOk;
}

// §2-§4: parse and validate everything up to the payload.
Error ParseLayout(const uint8_t* src, size_t len, Layout* lo) {
  if (src == nullptr && len != 0) return Error::kBadArgument;
  if (len < 4) return len == 0 || std::memcmp(src, kMagic, len) == 0
                          ? Error::kTruncated
                          : Error::kBadMagic;
  if (std::memcmp(src, kMagic, 4) != 0) return Error::kBadMagic;
  if (len < kHeaderSize) return Error::kTruncated;
  if (src[4] != kVersion) return Error::kBadVersion;
  if (src[5] >= kNumModes) return Error::kBadMode;
  lo->mode = static_cast<Mode>(src[5]);
  const uint8_t flags = src[6];
  if ((flags & ~(kFlagSigned | kFlagPerm)) != 0) return Error::kBadParams;
  if (src[7] != kBlockLog2) return Error::kBadParams;  // 16 in versions 2 to 4
  lo->desc.n = Get32(src + 8);
  lo->desc.h = Get32(src + 12);
  lo->desc.w = Get32(src + 16);
  lo->desc.c = Get32(src + 20);
  lo->desc.is_signed = (flags & kFlagSigned) != 0;
  Error e = CheckShape(lo->desc);
  if (e != Error::kOk) return e;
  lo->tile_pixels = Get32(src + 24);
  if (lo->tile_pixels == 0 ||
      uint64_t{lo->tile_pixels} * lo->desc.c > kMaxTileValues)
    return Error::kBadParams;
  const int L = src[28], K = src[29];
  if (src[30] != 0 || src[31] != 0) return Error::kBadParams;
  const bool has_perm = (flags & kFlagPerm) != 0;
  if (lo->mode == Mode::kDctcm) {
    if (!ValidGroupLength(L) || lo->desc.c % L != 0 || K < 1 || K > L)
      return Error::kBadParams;
    lo->L = L;
    lo->K = K;
    if (len < kHeaderSize + K) return Error::kTruncated;
    for (int k = 0; k < K; ++k) {
      lo->steps[k] = src[kHeaderSize + k];
      if (lo->steps[k] == 0) return Error::kBadParams;
    }
    if (has_perm) {
      const uint8_t* pb = src + kHeaderSize + K;
      if (len - (kHeaderSize + K) < 2 * size_t{lo->desc.c}) return Error::kTruncated;
      if (!IsPermutation(lo->desc.c, [&](uint32_t j) { return Get16(pb + 2 * j); }))
        return Error::kBadParams;
      lo->perm_bytes = pb;
    }
  } else if (L != 0 || K != 0 || has_perm) {
    return Error::kBadParams;
  }
  FinishLayout(lo);
  if (len < lo->meta_size) return Error::kTruncated;
  return Error::kOk;
}

bool KindAllowed(Mode mode, uint32_t kind) {
  switch (mode) {
    case Mode::kRaw: return kind == kTileRaw;
    case Mode::kZvc:
    case Mode::kRle:
    case Mode::kCsc: return kind == kTileCoded;
    case Mode::kPzvc: return kind == kTileRaw || kind == kTileCoded || kind == kTilePzvcSplit;
    case Mode::kDctcm: return kind <= kTilePzvc;
  }
  return false;
}

size_t TileBound(Mode mode, size_t n, size_t sym_n) {
  switch (mode) {
    case Mode::kRaw: return n;
    case Mode::kZvc: return ZvcSize(n, n);
    case Mode::kRle: return (9 * n + 7) / 8;
    case Mode::kCsc: return (12 * n + 7) / 8;
    case Mode::kPzvc: return n;  // falls back to raw when not smaller
    case Mode::kDctcm: {
      const size_t dct = PackCodeBytes(sym_n) + sym_n;
      return dct > n ? dct : n;
    }
  }
  return 0;
}

size_t BoundFromLayout(const Layout& lo) {
  const uint64_t C = lo.desc.c;
  const uint64_t full = lo.pixels / lo.tile_pixels;
  const uint64_t rest = lo.pixels % lo.tile_pixels;
  const int K = lo.K, L = lo.L;
  auto symn = [&](uint64_t px) { return L ? px * (C / L) * K : 0; };
  uint64_t b = lo.meta_size;
  b += full * TileBound(lo.mode, lo.tile_pixels * C, symn(lo.tile_pixels));
  if (rest) b += TileBound(lo.mode, rest * C, symn(rest));
  return static_cast<size_t>(b);
}

// ZigZag / UnZigZag (§5.4) as byte tables, for the lookup transposes: fwd[b]
// is the symbol of the int8 value whose byte is b, inv the inverse.
struct ZigZagTables {
  uint8_t fwd[256], inv[256];
  constexpr ZigZagTables() : fwd(), inv() {
    for (int b = 0; b < 256; ++b) {
      fwd[b] = ZigZag(static_cast<int8_t>(b));
      inv[b] = static_cast<uint8_t>(UnZigZag(static_cast<uint8_t>(b)));
    }
  }
};
constexpr ZigZagTables kZigZagTables;

struct Buf {
  std::unique_ptr<uint8_t[]> p;
  explicit Buf(size_t n) : p(n ? new uint8_t[n + 64] : nullptr) {}
  uint8_t* get() const { return p.get(); }
};

// §5.5: the K planes of F = npix*G symbols, group-major (g*npix + p, the
// stream order) -> pixel-major (symbol p*G + g, as the DCT inverse reads
// them). G = 1 needs no reordering.
void StreamToPlanes(const Kernels& k, const uint8_t* in, size_t npix,
                    size_t G, int K, uint8_t* sym) {
  const size_t F = npix * G;
  for (int q = 0; q < K; ++q) k.transpose(in + q * F, G, npix, sym + q * F);
}

// Decodes one tile whose payload bytes are [t, t+size). sym and tmp hold
// a tile's values each; planes holds a tile's values.
Error DecodeOneTile(const Kernels& k, const Layout& lo, const DctPlan& plan,
                    uint32_t kind, const uint8_t* t, size_t size, size_t npix,
                    uint8_t* dst, uint8_t* sym, uint8_t* tmp, uint8_t* planes) {
  const size_t C = lo.desc.c;
  const size_t n = npix * C;
  if (kind == kTileRaw) {
    if (size != n) return Error::kCorrupt;
    std::memcpy(dst, t, n);
    return Error::kOk;
  }
  const bool zz = lo.desc.is_signed;
  if (kind == kTilePzvc || kind == kTilePzvcSplit || (kind == kTileCoded && lo.mode == Mode::kPzvc)) {
    // §5.4: channel planes (symbol ch*npix + p) -> NHWC.
    const auto dec = kind == kTilePzvcSplit ? k.pzvcs_decode : k.pzvc_decode;
    if (C == 1 || npix == 1) {
      if (!dec(t, size, n, dst)) return Error::kCorrupt;
      if (zz) k.unzigzag(dst, n);
    } else {
      if (!dec(t, size, n, planes)) return Error::kCorrupt;
      if (zz) {  // the unzigzag by lookup, fused with the transpose
        k.transpose_lut(planes, C, npix, kZigZagTables.inv, dst);
      } else {
        k.transpose(planes, C, npix, dst);
      }
    }
    return Error::kOk;
  }
  switch (lo.mode) {
    case Mode::kZvc:
      return k.zvc_decode(t, size, n, dst) ? Error::kOk : Error::kCorrupt;
    case Mode::kRle:
      return RleDecode(t, size, n, dst) ? Error::kOk : Error::kCorrupt;
    case Mode::kCsc:
      return CscDecode(t, size, n, dst) ? Error::kOk : Error::kCorrupt;
    case Mode::kDctcm: {
      const size_t G = C / lo.L;
      const size_t sn = npix * G * lo.K;
      if (G == 1 || npix == 1) {
        if (!k.pzvc_decode(t, size, sn, sym)) return Error::kCorrupt;
      } else {
        if (!k.pzvc_decode(t, size, sn, planes)) return Error::kCorrupt;
        if (lo.L == 1 && lo.perm_bytes == nullptr) {
          // §6.5 lookup fused with the reorder from stream order.
          k.transpose_lut(planes, G, npix, plan.lut_inv, dst);
          return Error::kOk;
        }
        StreamToPlanes(k, planes, npix, G, lo.K, sym);
      }
      if (lo.perm_bytes == nullptr) {
        k.dct_inverse(plan, sym, npix, dst);
      } else {
        // Coded channel j goes to input channel perm[j] (§3): as channel
        // planes that is a row copy, between two transposes (sym and
        // planes are free again here).
        k.dct_inverse(plan, sym, npix, tmp);
        k.transpose(tmp, npix, C, planes);
        for (size_t j = 0; j < C; ++j)
          std::memcpy(sym + Get16(lo.perm_bytes + 2 * j) * npix, planes + j * npix, npix);
        k.transpose(sym, C, npix, dst);
      }
      return Error::kOk;
    }
    default:
      return Error::kCorrupt;
  }
}

}  // namespace

Error EncodeWith(const Kernels& k, const uint8_t* src, const MapDesc& desc,
                 const EncodeParams& params, uint8_t* dst, size_t dst_cap,
                 size_t* written, EncodeStats* stats) {
  if (written) *written = 0;
  Layout lo;
  Error e = LayoutFromParams(desc, params, &lo);
  if (e != Error::kOk) return e;
  if (src == nullptr || (dst == nullptr && dst_cap != 0))
    return Error::kBadArgument;
  if (dst_cap < lo.meta_size) return Error::kDstTooSmall;
  const size_t C = desc.c;
  // §2 header.
  std::memset(dst, 0, kHeaderSize);
  std::memcpy(dst, kMagic, 4);
  dst[4] = kVersion;
  dst[5] = static_cast<uint8_t>(lo.mode);
  dst[6] = static_cast<uint8_t>((desc.is_signed ? kFlagSigned : 0) |
                                (lo.perm ? kFlagPerm : 0));
  dst[7] = kBlockLog2;
  Put32(dst + 8, desc.n);
  Put32(dst + 12, desc.h);
  Put32(dst + 16, desc.w);
  Put32(dst + 20, desc.c);
  Put32(dst + 24, lo.tile_pixels);
  dst[28] = static_cast<uint8_t>(lo.L);
  dst[29] = static_cast<uint8_t>(lo.K);
  size_t pos = kHeaderSize;
  if (lo.mode == Mode::kDctcm) {
    for (int i = 0; i < lo.K; ++i) dst[pos++] = static_cast<uint8_t>(lo.steps[i]);
  }
  if (lo.perm) {
    for (size_t j = 0; j < C; ++j) {
      dst[pos++] = static_cast<uint8_t>(lo.perm[j]);
      dst[pos++] = static_cast<uint8_t>(lo.perm[j] >> 8);
    }
  }
  uint8_t* index = dst + lo.index_offset;
  uint8_t* payload = dst + lo.meta_size;
  const size_t cap = dst_cap - lo.meta_size;

  const size_t tile_n = size_t{lo.tile_pixels} * C;
  const bool need_tmp = lo.mode == Mode::kPzvc || lo.mode == Mode::kDctcm ||
                        lo.mode == Mode::kRle || lo.mode == Mode::kCsc;
  Buf tmp(need_tmp ? TileBound(lo.mode, tile_n, tile_n) : 0);
  // The tile as channel planes (the lossless symbols of §5.4 and the
  // DCT's input) and the DCT symbols in stream order (§5.5).
  Buf planes(lo.mode == Mode::kPzvc || lo.mode == Mode::kDctcm ? tile_n : 0);
  Buf dplanes(lo.mode == Mode::kDctcm ? tile_n : 0);
  // One-pass packed encodes go here first when they may lose (or not fit).
  Buf penc(lo.mode == Mode::kPzvc || lo.mode == Mode::kDctcm
               ? PackCodeBytes(tile_n) + tile_n : 0);
  // dctcm with fallback: the candidate that won the previous tile is coded
  // in one pass (stats + values) into penc, the other one only sized; the
  // loser's values are never packed when the guess holds.
  bool guess_dct = false;
  DctPlan plan;
  if (lo.mode == Mode::kDctcm)
    MakeDctPlan(lo.L, lo.K, lo.steps, desc.is_signed, static_cast<int>(C), &plan);

  EncodeStats st;
  size_t off = 0;
  bool prev_dense = false;
  for (uint32_t t = 0; t < lo.num_tiles; ++t) {
    const uint64_t pix0 = uint64_t{t} * lo.tile_pixels;
    const size_t npix = static_cast<size_t>(
        lo.pixels - pix0 < lo.tile_pixels ? lo.pixels - pix0 : lo.tile_pixels);
    const size_t n = npix * C;
    const uint8_t* ts = src + pix0 * C;
    uint8_t* out = payload + off;
    const size_t room = cap - off;
    // §5.4s, §5.6: a pzvc tile takes the split layout when the previous
    // tile coded to at least half its size (dense tiles, where it is faster).
    const bool split = lo.mode == Mode::kPzvc && n % kBlock == 0 && prev_dense;
    // Zeros are only needed for stats and the zvc size.
    const size_t zeros =
        (stats || lo.mode == Mode::kZvc) ? k.count_zeros(ts, n) : 0;
    st.zero_values += zeros;
    uint32_t kind = kTileCoded;
    size_t size = 0;
    switch (lo.mode) {
      case Mode::kRaw:
        kind = kTileRaw;
        if (room < n) return Error::kDstTooSmall;
        std::memcpy(out, ts, n);
        size = n;
        break;
      case Mode::kZvc:
        size = ZvcSize(n, n - zeros);
        if (room < size) return Error::kDstTooSmall;
        k.zvc_encode(ts, n, out);
        break;
      case Mode::kRle:
      case Mode::kCsc: {
        const bool rle = lo.mode == Mode::kRle;
        uint8_t* w = room >= TileBound(lo.mode, n, 0) ? out : tmp.get();
        size = rle ? RleEncode(ts, n, w) : CscEncode(ts, n, w);
        if (room < size) return Error::kDstTooSmall;
        if (w != out) std::memcpy(out, w, size);
        break;
      }
      case Mode::kPzvc:
      case Mode::kDctcm: {
        // With L = 1 (§6.5) and no permutation the DCT tile has the pzvc
        // tile's layout, and its symbols are, position by position, no
        // larger than the lossless ones (zero wherever those are), so no
        // block is wider or less sparse: the DCT tile is never larger.
        // Only raw can beat it; the lossless candidate is not built (a size
        // tie with it goes to the DCT).
        const bool l1 = lo.mode == Mode::kDctcm && lo.L == 1 && !lo.perm;
        const bool fb = lo.mode == Mode::kPzvc || (params.dct.fallback && !l1);
        const size_t G = lo.mode == Mode::kDctcm ? C / lo.L : 0;
        const bool reorder = C > 1 && npix > 1;  // else the planes are the tile
        // L = 1 without a permutation or a lossless candidate: the lookup
        // and the reorder to stream order in one pass (the same symbols).
        const bool l1_fused = l1 && !fb && reorder;
        // pzvc of a signed map: the zigzag (§5.4) by lookup, fused with the
        // transpose (no DCT needs the values themselves).
        const bool zz_fused = lo.mode == Mode::kPzvc && desc.is_signed && reorder;
        const uint8_t* cp = ts;  // channel planes of the tile's values (zz_fused: symbols)
        if (zz_fused) {
          k.transpose_lut(ts, npix, C, kZigZagTables.fwd, planes.get());
          cp = planes.get();
        } else if (reorder && !l1_fused) {
          k.transpose(ts, npix, C, planes.get());
          cp = planes.get();
        }
        const uint8_t* ls = cp;  // lossless symbols, channel planes (§5.4)
        if (fb && desc.is_signed && !zz_fused) {
          k.zigzag(cp, n, tmp.get());
          ls = tmp.get();
        }
        // A tile with one packed candidate (count symbols): coded in one
        // pass, straight into the stream when it fits; stored raw instead
        // when raw is allowed and the packed tile is not smaller (§5.6).
        auto code_one = [&](const uint8_t* s, size_t count, bool raw_allowed, bool sp) {
          const bool direct = room >= PackCodeBytes(count) + count;
          uint8_t* w = direct ? out : penc.get();
          size = sp ? k.pzvcs_encode(s, count, w) : k.pzvc_encode(s, count, w);
          kind = sp ? kTilePzvcSplit : kTileCoded;
          const uint8_t* from = w;
          if (raw_allowed && size >= n) {
            kind = kTileRaw;
            size = n;
            from = ts;
          }
          if (room < size) return Error::kDstTooSmall;
          if (from != out) std::memcpy(out, from, size);
          return Error::kOk;
        };
        if (lo.mode == Mode::kPzvc) {
          const Error e = code_one(ls, n, true, split);
          if (e != Error::kOk) return e;
          break;
        }
        const uint8_t* ds = dplanes.get();  // DCT symbols in stream order
        const size_t sn = npix * G * lo.K;
        const size_t F = npix * G;
        if (l1_fused) {
          k.transpose_lut(ts, npix, G, plan.lut_fwd, dplanes.get());
        } else {  // the permutation is a choice of rows (§3)
          k.dct_forward(plan, cp, npix, lo.perm, dplanes.get());
        }
        size_t psize = SIZE_MAX, dsize = SIZE_MAX;
        if (fb && !guess_dct && F % kBlock == 0) {
          // The lossless candidate first; then the DCT planes one at a
          // time, stopping as soon as a lower bound of the DCT size reaches
          // min(psize, n): the DCT cannot win, and the choice between raw
          // and pzvc needs no exact DCT size (same decision as the rule
          // below). Each plane starts on a block (F % 16 == 0) and has at
          // least 8 * (its size - its code bytes) - 7 bits.
          psize = k.pzvc_encode(ls, n, penc.get());
          const size_t limit = psize < n ? psize : n;
          size_t lb_bits = 0;
          int q = 0;
          for (; q < lo.K; ++q) {
            const size_t sq = k.pzvc_size(ds + q * F, F) - PackCodeBytes(F);
            lb_bits += sq ? 8 * sq - 7 : 0;
            if (PackCodeBytes(sn) + (lb_bits + 7) / 8 >= limit) break;
          }
          if (q < lo.K) {
            dsize = limit;  // a stand-in: >= psize or >= n, never chosen
          } else {
            dsize = k.pzvc_size(ds, sn);
          }
        }
        if (!fb) {  // no lossless candidate: fallback off, or L = 1 (raw only)
          const Error e = code_one(ds, sn, params.dct.fallback, false);
          if (e != Error::kOk) return e;
          break;
        }
        if (guess_dct) {
          dsize = k.pzvc_encode(ds, sn, penc.get());
          // The lossless size in chunks of whole blocks, stopping once a
          // lower bound shows pzvc cannot win: > dsize (a tie would go to
          // pzvc) when the DCT beats raw, else >= n (raw wins either way).
          const size_t need = dsize < n ? dsize + 1 : n;
          constexpr size_t kChunk = 4096;  // symbols, a multiple of 16
          size_t lb_bits = 0, done = 0;
          while (done < n) {
            const size_t len = n - done < kChunk ? n - done : kChunk;
            if (len % kBlock != 0) break;  // partial last block: size it all
            const size_t sq = k.pzvc_size(ls + done, len) - PackCodeBytes(len);
            lb_bits += sq ? 8 * sq - 7 : 0;
            done += len;
            if (PackCodeBytes(n) + (lb_bits + 7) / 8 >= need) break;
          }
          psize = PackCodeBytes(n) + (lb_bits + 7) / 8 >= need ? need  // stand-in
                                                               : k.pzvc_size(ls, n);
        } else if (psize == SIZE_MAX) {
          psize = k.pzvc_encode(ls, n, penc.get());
          dsize = k.pzvc_size(ds, sn);
        }
        // Smallest wins; ties prefer raw, then pzvc (lossless, cheaper).
        if (n <= psize && n <= dsize) {
          kind = kTileRaw;
          size = n;
        } else if (psize <= dsize) {
          kind = kTilePzvc;
          size = psize;
        } else {
          kind = kTileCoded;
          size = dsize;
        }
        if (room < size) return Error::kDstTooSmall;
        if (kind == kTileRaw) {
          std::memcpy(out, ts, n);
        } else if ((kind == kTileCoded) == guess_dct) {
          std::memcpy(out, penc.get(), size);
        } else if (kind == kTileCoded) {
          k.pzvc_encode(ds, sn, out);
        } else {
          k.pzvc_encode(ls, n, out);
        }
        if (kind != kTileRaw) guess_dct = kind == kTileCoded;
        break;
      }
    }
    off += size;
    if (lo.mode == Mode::kPzvc) prev_dense = 2 * size >= n;
    st.tiles_by_kind[kind]++;
    Put32(index + 4 * size_t{t}, (kind << 30) | static_cast<uint32_t>(off));
  }
  st.header_bytes = lo.meta_size;
  st.payload_bytes = off;
  st.total_bytes = lo.meta_size + off;
  if (written) *written = st.total_bytes;
  if (stats) *stats = st;
  return Error::kOk;
}

Error DecodeWith(const Kernels& k, const uint8_t* src, size_t len,
                 uint8_t* dst, size_t dst_cap, MapDesc* desc) {
  Layout lo;
  Error e = ParseLayout(src, len, &lo);
  if (e != Error::kOk) return e;
  if (desc) *desc = lo.desc;
  const size_t C = lo.desc.c;
  const uint64_t total = lo.pixels * C;
  if (dst_cap < total) return Error::kDstTooSmall;
  if (dst == nullptr) return Error::kBadArgument;
  // §4: validate the whole index before touching the payload.
  const uint8_t* index = src + lo.index_offset;
  const size_t payload_len = len - lo.meta_size;
  uint32_t prev = 0;
  for (uint32_t t = 0; t < lo.num_tiles; ++t) {
    const uint32_t entry = Get32(index + 4 * size_t{t});
    const uint32_t end = entry & kOffsetMask;
    if (!KindAllowed(lo.mode, entry >> 30) || end < prev) return Error::kCorrupt;
    prev = end;
  }
  if (prev > payload_len) return Error::kTruncated;
  if (prev < payload_len) return Error::kCorrupt;
  const uint8_t* payload = src + lo.meta_size;
  const size_t tile_n = size_t{lo.tile_pixels} * C;
  Buf sym(lo.mode == Mode::kDctcm ? tile_n : 0);
  Buf tmp(lo.perm_bytes ? tile_n : 0);
  Buf planes(lo.mode == Mode::kPzvc || lo.mode == Mode::kDctcm ? tile_n : 0);
  DctPlan plan;  // once per map, not per tile
  if (lo.mode == Mode::kDctcm)
    MakeDctPlan(lo.L, lo.K, lo.steps, lo.desc.is_signed, static_cast<int>(C), &plan);
  prev = 0;
  for (uint32_t t = 0; t < lo.num_tiles; ++t) {
    const uint32_t entry = Get32(index + 4 * size_t{t});
    const uint32_t end = entry & kOffsetMask;
    const uint64_t pix0 = uint64_t{t} * lo.tile_pixels;
    const size_t npix = static_cast<size_t>(
        lo.pixels - pix0 < lo.tile_pixels ? lo.pixels - pix0 : lo.tile_pixels);
    e = DecodeOneTile(k, lo, plan, entry >> 30, payload + prev, end - prev, npix,
                      dst + pix0 * C, sym.get(), tmp.get(), planes.get());
    if (e != Error::kOk) return e;
    prev = end;
  }
  return Error::kOk;
}

Error DecodeTileWith(const Kernels& k, const uint8_t* src, size_t len,
                     uint32_t tile, uint8_t* dst, size_t dst_cap,
                     size_t* tile_bytes) {
  Layout lo;
  Error e = ParseLayout(src, len, &lo);
  if (e != Error::kOk) return e;
  if (tile >= lo.num_tiles) return Error::kShapeMismatch;
  const size_t C = lo.desc.c;
  const uint64_t pix0 = uint64_t{tile} * lo.tile_pixels;
  const size_t npix = static_cast<size_t>(
      lo.pixels - pix0 < lo.tile_pixels ? lo.pixels - pix0 : lo.tile_pixels);
  if (tile_bytes) *tile_bytes = npix * C;
  if (dst_cap < npix * C) return Error::kDstTooSmall;
  if (dst == nullptr) return Error::kBadArgument;
  const uint8_t* index = src + lo.index_offset;
  const uint32_t entry = Get32(index + 4 * size_t{tile});
  const uint32_t start = tile ? Get32(index + 4 * size_t{tile - 1}) & kOffsetMask : 0;
  const uint32_t end = entry & kOffsetMask;
  const size_t payload_len = len - lo.meta_size;
  if (!KindAllowed(lo.mode, entry >> 30) || end < start) return Error::kCorrupt;
  if (end > payload_len) return Error::kTruncated;
  Buf sym(lo.mode == Mode::kDctcm ? npix * C : 0);
  Buf tmp(lo.perm_bytes ? npix * C : 0);
  Buf planes(lo.mode == Mode::kPzvc || lo.mode == Mode::kDctcm ? npix * C : 0);
  DctPlan plan;
  if (lo.mode == Mode::kDctcm)
    MakeDctPlan(lo.L, lo.K, lo.steps, lo.desc.is_signed, static_cast<int>(C), &plan);
  return DecodeOneTile(k, lo, plan, entry >> 30, src + lo.meta_size + start,
                       end - start, npix, dst, sym.get(), tmp.get(),
                       planes.get());
}

Error ReadTileInfoImpl(const uint8_t* src, size_t len, TileInfo* info) {
  Layout lo;
  Error e = ParseLayout(src, len, &lo);
  if (e != Error::kOk) return e;
  info->tile_pixels = lo.tile_pixels;
  info->num_tiles = lo.num_tiles;
  return Error::kOk;
}

Error ReadHeaderImpl(const uint8_t* src, size_t len, MapDesc* desc,
                     EncodeParams* params) {
  Layout lo;
  Error e = ParseLayout(src, len, &lo);
  if (e != Error::kOk) return e;
  if (desc) *desc = lo.desc;
  if (params) {
    *params = EncodeParams();
    params->mode = lo.mode;
    params->tile_pixels = lo.tile_pixels;
    if (lo.mode == Mode::kDctcm) {
      params->dct.L = static_cast<uint8_t>(lo.L);
      params->dct.K = static_cast<uint8_t>(lo.K);
      params->dct.steps.assign(lo.steps, lo.steps + lo.K);
      if (lo.perm_bytes) {
        params->dct.perm.resize(lo.desc.c);
        for (size_t j = 0; j < lo.desc.c; ++j)
          params->dct.perm[j] = Get16(lo.perm_bytes + 2 * j);
      }
    }
  }
  return Error::kOk;
}

size_t BoundImpl(const MapDesc& desc, const EncodeParams& params) {
  Layout lo;
  if (LayoutFromParams(desc, params, &lo) != Error::kOk) return 0;
  return BoundFromLayout(lo);
}

}  // namespace internal

// ---- Variants and dispatch.
namespace {

template <const internal::Kernels* (*Get)()>
Error EncodeT(const uint8_t* src, const MapDesc& d, const EncodeParams& p,
              uint8_t* dst, size_t cap, size_t* w, EncodeStats* s) {
  return internal::EncodeWith(*Get(), src, d, p, dst, cap, w, s);
}
template <const internal::Kernels* (*Get)()>
Error DecodeT(const uint8_t* src, size_t len, uint8_t* dst, size_t cap,
              MapDesc* d) {
  return internal::DecodeWith(*Get(), src, len, dst, cap, d);
}
const internal::Kernels* ScalarK() { return &internal::kScalarKernels; }
bool Always() { return true; }

std::vector<Variant> MakeVariants() {
  std::vector<Variant> v;
  v.push_back({"scalar", Always, EncodeT<ScalarK>, DecodeT<ScalarK>});
  if (internal::Avx2Kernels())
    v.push_back({"avx2", internal::Avx2Supported, EncodeT<internal::Avx2Kernels>,
                 DecodeT<internal::Avx2Kernels>});
  if (internal::Avx512Kernels())
    v.push_back({"avx512", internal::Avx512Supported,
                 EncodeT<internal::Avx512Kernels>,
                 DecodeT<internal::Avx512Kernels>});
  return v;
}

const internal::Kernels* KernelsOf(const Variant& v) {
  const std::string name = v.name;
  if (name == "avx2") return internal::Avx2Kernels();
  if (name == "avx512") return internal::Avx512Kernels();
  return &internal::kScalarKernels;
}

struct Active {
  const Variant* variant;
  const internal::Kernels* kernels;
};

const Active& GetActive() {
  static const Active active = [] {
    const std::vector<Variant>& all = Variants();
    const Variant* best = &all[0];
    for (const Variant& v : all)
      if (v.supported()) best = &v;
    // DCTCM_CODEC_VARIANT=<name> forces a (supported) variant.
    if (const char* env = std::getenv("DCTCM_CODEC_VARIANT")) {
      const Variant* f = FindVariant(env);
      if (f && f->supported()) best = f;
    }
    return Active{best, KernelsOf(*best)};
  }();
  return active;
}

}  // namespace

const std::vector<Variant>& Variants() {
  static const std::vector<Variant> variants = MakeVariants();
  return variants;
}

const Variant* FindVariant(const std::string& name) {
  for (const Variant& v : Variants())
    if (name == v.name) return &v;
  return nullptr;
}

const Variant& ActiveVariant() { return *GetActive().variant; }

size_t EncodeBound(const MapDesc& desc, const EncodeParams& params) {
  return internal::BoundImpl(desc, params);
}

Error Encode(const uint8_t* src, const MapDesc& desc,
             const EncodeParams& params, uint8_t* dst, size_t dst_cap,
             size_t* written, EncodeStats* stats) {
  return internal::EncodeWith(*GetActive().kernels, src, desc, params, dst,
                              dst_cap, written, stats);
}

Error ReadHeader(const uint8_t* src, size_t len, MapDesc* desc,
                 EncodeParams* params) {
  return internal::ReadHeaderImpl(src, len, desc, params);
}

Error Decode(const uint8_t* src, size_t len, uint8_t* dst, size_t dst_cap,
             MapDesc* desc) {
  return internal::DecodeWith(*GetActive().kernels, src, len, dst, dst_cap,
                              desc);
}

Error ReadTileInfo(const uint8_t* src, size_t len, TileInfo* info) {
  return internal::ReadTileInfoImpl(src, len, info);
}

Error DecodeTile(const uint8_t* src, size_t len, uint32_t tile, uint8_t* dst,
                 size_t dst_cap, size_t* tile_bytes) {
  return internal::DecodeTileWith(*GetActive().kernels, src, len, tile, dst,
                                  dst_cap, tile_bytes);
}

}  // namespace codec
}  // namespace dctcm
