// The simulated off-chip DRAM: a byte arena of fixed capacity holding every
// int8 feature map in compressed form between the layer that writes it and
// the layers that read it. The runner (engine/network.cc) is its only caller,
// so no layer counts bytes by itself; this class counts every byte.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/network.h"
#include "kernels/codec/codec.h"

namespace dctcm {

// Which codec each map goes through.
struct CodecConfig {
  codec::Mode mode = codec::Mode::kDctcm;
  // dctcm only: per-layer mode and parameters (from `dctcm tune`), by map
  // name: kDctcm with its DctParams, or a lossless mode (kPzvc, kRaw). A map
  // without an entry uses kDctcm with `default_dct`.
  std::map<std::string, codec::EncodeParams> per_layer;
  codec::DctParams default_dct;  // L=8, K=8, steps 1: near-lossless DCT-CM
  std::string tuning;  // where per_layer came from ("" = none)
  // Parameters used for map `name` with c channels.
  codec::EncodeParams ParamsFor(const std::string& name, uint32_t c) const;
};

// Parses the "codec" object of a calibration file (docs/TUNING.md).
Status ParseTuning(const std::string& json_text, const std::string& file, CodecConfig* cfg);
// Reads calibration file `file` and parses its codec tuning into cfg (mode
// kDctcm, the pool's configuration); an error if the file has none.
Status ReadTuning(const std::string& file, CodecConfig* cfg);
std::string TuningToJson(const CodecConfig& cfg, const std::string& summary);

// Per-op counters, summed over the images run since Reset().
struct MapCounters {
  uint64_t ofmap_raw = 0, ofmap_comp = 0;       // written by this op
  uint64_t ofmap_payload = 0, ofmap_meta = 0;   // ofmap_comp = payload + meta
  uint64_t ofmap_zeros = 0;                     // zero values in the raw map
  uint64_t ifmap_raw = 0, ifmap_comp = 0;       // read by this op (all inputs)
  uint64_t tiles[3] = {0, 0, 0};                // by codec::TileKind
  uint64_t occupancy_after = 0;                 // max pool bytes in use after its store
  uint64_t stores = 0, loads = 0;
  uint64_t mode = 0;  // codec::Mode of the last store (per-layer tuning may differ from the pool's)
  uint64_t dct_L = 0;  // dctcm only: group length L of the last store (1 = no transform)
  double encode_ms = 0, decode_ms = 0;
};

struct PoolOptions {
  uint64_t capacity = 0;  // bytes; 0 = ample (1 TiB, never the limit)
  CodecConfig codec;
  // Each image's map is coded as this many independent bands of rows (so
  // that threads can code them in parallel). Fixed, not tied to the thread
  // count, so that bytes and decoded maps do not depend on --threads or on
  // --batch.
  int segments_per_image = 2;
};

class CompressedPool : public MapStore {
 public:
  explicit CompressedPool(PoolOptions opt);
  ~CompressedPool() override;

  Status BeginImage() override;
  Status Store(const MapInfo& m, const uint8_t* data) override;
  Status Load(const MapInfo& m, int consumer, uint8_t* dst) override;
  Status Free(const MapInfo& m) override;
  Status EndImage() override;
  void AbortImage() override;  // frees the failed image's maps (counters kept)

  void ResetCounters();
  const std::vector<MapCounters>& counters() const { return counters_; }
  uint64_t images() const { return images_; }
  uint64_t peak_bytes() const { return peak_; }  // since construction
  uint64_t in_use() const { return in_use_; }
  uint64_t capacity() const { return opt_.capacity; }
  const PoolOptions& options() const { return opt_; }
  // Changes the codec between images (used by `dctcm tune`).
  void set_codec(const CodecConfig& c) { opt_.codec = c; }

  // Fault injection for tests: called with the stored bytes right after a
  // store (they may be modified: the checksum was taken before).
  std::function<void(const MapInfo&, uint8_t* bytes, size_t n)> after_store;

 private:
  struct Entry {
    MapInfo info;
    uint64_t offset = 0, size = 0;
    std::vector<uint64_t> seg_offset, seg_size;  // relative to offset
    std::vector<uint32_t> seg_rows;
    uint32_t crc = 0;
  };
  Status Allocate(uint64_t size, const MapInfo& m, uint64_t* offset);
  void Release(uint64_t offset, uint64_t size);
  MapCounters& C(int op);

  PoolOptions opt_;
  std::vector<uint8_t> arena_;           // grows on demand up to capacity
  std::map<uint64_t, uint64_t> free_;    // offset -> size, coalesced
  std::map<int, Entry> live_;            // by producing op
  uint64_t in_use_ = 0, peak_ = 0, top_ = 0;
  std::vector<MapCounters> counters_;
  uint64_t images_ = 0;
  std::vector<std::vector<uint8_t>> scratch_;  // per segment encode buffers
};

}  // namespace dctcm
