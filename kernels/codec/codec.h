// dctcm::codec — the feature-map codec (DCT-CM and the lossless baselines).
//
// The byte format is specified in kernels/codec/FORMAT.md; section numbers
// below (§n) refer to it. The scalar kernels (kernels_scalar.cc) are the
// executable form of that spec; every SIMD variant produces the same bytes.
//
// Contract (lz4/zstd style):
//  * Encode never writes more than EncodeBound(desc, params) bytes, and never
//    more than dst_cap; if the stream does not fit it returns kDstTooSmall.
//  * Decode and ReadHeader accept any bytes: whatever src holds, they never
//    read outside [src, src+len) nor write outside [dst, dst+dst_cap). A
//    malformed stream yields an Error, never a crash. The header shape is
//    validated against the caps below before anything is allocated.
//  * All functions are pure functions of their arguments (thread-safe). The
//    only global state is the CPU dispatch, chosen once on first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dctcm {
namespace codec {

enum class Mode : uint8_t {
  kRaw = 0,    // stored as is
  kZvc = 1,    // 1 mask bit per value + the non-zero bytes (Rhu et al.)
  kRle = 2,    // zero runs <= 16: 0 + 4-bit length; value: 1 + 8 bits
  kCsc = 3,    // per non-zero: 4-bit distance + 8-bit value
  kDctcm = 4,  // channel DCT + mask + quantiser + packed bitmap coding (lossy)
  kPzvc = 5,   // packed blocks of 16 along channel planes: 4-bit code
               // (zero / dense width w / mask + non-zeros at w), §5.4
};
constexpr int kNumModes = 6;

const char* ModeName(Mode mode);  // "raw","zvc","rle","csc","dctcm","pzvc"
bool ParseMode(const std::string& name, Mode* mode);

// NHWC bytes. is_signed: values are int8 (two's complement), else uint8.
struct MapDesc {
  uint32_t n = 1, h = 0, w = 0, c = 0;
  bool is_signed = false;
};

// Caps checked by Encode and by the decoder before any allocation (§2).
constexpr uint32_t kMaxDim = 65535;              // each of n, h, w, c
constexpr uint64_t kMaxValues = uint64_t{1} << 28;  // n*h*w*c
constexpr uint64_t kMaxTileValues = uint64_t{1} << 20;  // tile_pixels*c

// DCT-CM group lengths a stream may use (FORMAT.md §2): 1 (no transform,
// §6.5), 8, 16, 32, 64.
constexpr bool ValidGroupLength(int L) {
  return L == 1 || L == 8 || L == 16 || L == 32 || L == 64;
}

struct DctParams {
  uint8_t L = 8;  // group length along channels: 8,16,32,64 (C % L == 0); 1 = no transform (FORMAT.md §6.5)
  uint8_t K = 8;  // keep the K lowest frequencies of L (1..L)
  // Quantisation step per kept frequency (steps[0] = DC), each 1..255.
  // Empty = all 1.
  std::vector<uint16_t> steps;
  // Optional channel permutation, size C: coded channel j is input channel
  // perm[j]. Empty = identity.
  std::vector<uint16_t> perm;
  // Per tile, store packed-zvc or raw when smaller than the transform
  // (signalled in the tile index). Not stored in the stream.
  bool fallback = true;
};

struct EncodeParams {
  Mode mode = Mode::kDctcm;
  DctParams dct;  // used only by kDctcm
  // Pixels per tile (§4). 0 = auto: max(1, 16384 / c), at most 65535.
  // tile_pixels * c must not exceed kMaxTileValues.
  uint32_t tile_pixels = 0;
};

// Tile kinds (§4): 0 raw, 1 the mode's own coder, 2 packed zvc (lossless).
// 3: packed zvc with the split value layout (§5.4s).
enum TileKind : uint8_t { kTileRaw = 0, kTileCoded = 1, kTilePzvc = 2, kTilePzvcSplit = 3 };

struct EncodeStats {
  size_t total_bytes = 0;
  size_t header_bytes = 0;  // header + steps + perm + tile index (metadata)
  size_t payload_bytes = 0;
  size_t tiles_by_kind[4] = {0, 0, 0, 0};  // indexed by TileKind
  size_t zero_values = 0;               // zeros in the input map
};

enum class Error {
  kOk = 0,
  kDstTooSmall,    // dst_cap smaller than needed
  kTruncated,      // stream shorter than its header/index says
  kBadMagic,       // not a DCT-CM stream
  kBadVersion,     // format version not supported by this reader
  kBadMode,        // unknown mode byte
  kBadParams,      // invalid L/K/steps/perm/tile size/flags
  kShapeTooLarge,  // a dimension is 0 or exceeds the caps
  kShapeMismatch,  // caller's desc does not match (or tile out of range)
  kCorrupt,        // payload or tile index inconsistent
  kBadArgument,    // null pointer with non-zero size, etc.
};
const char* ErrorString(Error error);

// Worst-case stream size for this shape and parameters (never exceeded).
// Returns 0 if desc/params are invalid.
size_t EncodeBound(const MapDesc& desc, const EncodeParams& params);

// Encodes desc.n*h*w*c bytes at src. On success *written = stream size.
Error Encode(const uint8_t* src, const MapDesc& desc,
             const EncodeParams& params, uint8_t* dst, size_t dst_cap,
             size_t* written, EncodeStats* stats /*nullable*/);

// Parses and validates the header (§2-§3), without touching the payload.
// params->dct.fallback is reported as true. Either output may be null.
Error ReadHeader(const uint8_t* src, size_t len, MapDesc* desc,
                 EncodeParams* params);

// Decodes the whole map into dst (needs n*h*w*c bytes). The stream must be
// exactly len bytes long. *desc (nullable) receives the shape.
Error Decode(const uint8_t* src, size_t len, uint8_t* dst, size_t dst_cap,
             MapDesc* desc /*out, nullable*/);

// Tile geometry: tile t covers flat pixels [t*tile_pixels,
// min(P, (t+1)*tile_pixels)) with P = n*h*w, pixel (b,y,x) -> (b*h+y)*w+x.
struct TileInfo {
  uint32_t tile_pixels = 0;
  uint32_t num_tiles = 0;
};
Error ReadTileInfo(const uint8_t* src, size_t len, TileInfo* info);

// Decodes one tile through the tile index, without decoding the tiles
// before it. dst receives that tile's pixels (pixels * c bytes); the tile
// index and sizes are validated first.
Error DecodeTile(const uint8_t* src, size_t len, uint32_t tile, uint8_t* dst,
                 size_t dst_cap, size_t* tile_bytes /*out, nullable*/);

// ---- Variants (XNNPACK style): one list shared by tests and benchmarks.
using EncodeFn = Error (*)(const uint8_t*, const MapDesc&, const EncodeParams&,
                           uint8_t*, size_t, size_t*, EncodeStats*);
using DecodeFn = Error (*)(const uint8_t*, size_t, uint8_t*, size_t,
                           MapDesc*);
struct Variant {
  const char* name;  // "scalar", "avx2", "avx512"
  bool (*supported)();
  EncodeFn encode;
  DecodeFn decode;
};
// All compiled variants, scalar first (supported or not on this CPU).
const std::vector<Variant>& Variants();
// The variant the default Encode/Decode use (best supported, chosen once).
const Variant& ActiveVariant();
// Finds a variant by name; nullptr if unknown.
const Variant* FindVariant(const std::string& name);

}  // namespace codec
}  // namespace dctcm
