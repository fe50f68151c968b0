// Off-chip traffic report: per layer, what the simulated accelerator moves
// to and from DRAM, from the pool's counters and the model's shapes.
//
// Traffic model (printed in every report's header): each feature map is
// written once and read once per consumer; weights (int8 + int32 bias + fp32
// per-channel scales) are read once per image per layer; the input image is
// read once (int8, uncompressed); nothing is reused on chip across layers,
// except that the global average pool and the classifier run fused.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/network.h"
#include "engine/pool.h"

namespace dctcm {

extern const char* const kTrafficModel;

struct TrafficRow {
  std::string name, op, mode;
  int in_h = 0, in_w = 0, in_c = 0, out_h = 0, out_w = 0, out_c = 0;
  double macs = 0, weight_bytes = 0;
  // Per image (averaged over the images run).
  double ifmap_raw = 0, ifmap_comp = 0;    // read by this layer
  double ofmap_raw = 0, ofmap_comp = 0;    // written by this layer (0 if not stored)
  double payload = 0, meta = 0;            // ofmap_comp = payload + meta
  double zero_frac = 0;                    // of the raw ofmap
  double ratio = 0;                        // ofmap_raw / ofmap_comp (0 if not stored)
  double peak_pool = 0;                    // max pool bytes in use after its store
  double dram_bytes() const { return weight_bytes + ifmap_comp + ofmap_comp; }
};

struct TrafficReport {
  std::string codec, tuning, calibration;
  int images = 0;
  std::vector<TrafficRow> rows;
  TrafficRow total;           // sums of the rows (ratio: total definition)
  double ratio_total = 0;     // sum raw / sum compressed over stored maps
  double ratio_mean = 0;      // mean of per-layer ratios over stored maps
  double peak_pool = 0;       // bytes
  int maps = 0;               // stored maps per image
  int top1 = -1, top5 = -1, n = 0;  // when labels were given
};

// `images`: images run since the pool's counters were reset.
TrafficReport BuildTrafficReport(const Network& net, const CompressedPool& pool, int images);
// The same from raw counters (e.g. summed over shards by `dctcm merge`).
TrafficReport BuildTrafficReport(const Model& model, const std::vector<MapCounters>& counters,
                                 const std::string& codec, const std::string& tuning,
                                 double peak_pool, int images);
// Integer counters <-> JSON (shard files).
nlohmann::json CountersToJson(const std::vector<MapCounters>& c);
Status CountersFromJson(const nlohmann::json& j, std::vector<MapCounters>* c);
std::string FormatTrafficTable(const TrafficReport& r);
std::string FormatTrafficCsv(const TrafficReport& r);
nlohmann::json TrafficToJson(const TrafficReport& r);
// Per layer, raw vs compressed bytes (bars, log scale) and the ratio (line).
Status PlotTraffic(const std::vector<TrafficReport>& reports, const std::string& png);

}  // namespace dctcm
