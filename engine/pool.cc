#include "engine/pool.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "kernels/crc32c.h"
#include "weights/calibration.h"
#include "weights/json_int.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DCTCM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DCTCM_ASAN 1
#endif
#ifdef DCTCM_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace dctcm {

using nlohmann::json;

codec::EncodeParams CodecConfig::ParamsFor(const std::string& name, uint32_t c) const {
  codec::EncodeParams p;
  p.mode = mode;
  if (mode != codec::Mode::kDctcm) return p;
  auto it = per_layer.find(name);
  if (it != per_layer.end()) {
    p = it->second;
  } else {
    p.dct = default_dct;
  }
  if (p.mode == codec::Mode::kDctcm) {
    // A map whose channels do not split into groups of L (or a tuning made
    // for another shape): lossless packed zvc.
    if (c % p.dct.L != 0 || (!p.dct.perm.empty() && p.dct.perm.size() != c)) {
      p.mode = codec::Mode::kPzvc;
      p.dct = codec::DctParams();
    }
  }
  return p;
}

Status ReadTuning(const std::string& file, CodecConfig* cfg) {
  Calibration cal;
  DCTCM_RETURN_IF_ERROR(ReadCalibration(file, 0, &cal));
  if (cal.codec_json.empty())
    return Error(file + ": no codec tuning in this calibration (run dctcm tune)");
  DCTCM_RETURN_IF_ERROR(ParseTuning(cal.codec_json, file, cfg));
  cfg->mode = codec::Mode::kDctcm;
  return Status::Ok();
}

Status ParseTuning(const std::string& text, const std::string& file, CodecConfig* cfg) {
  try {
    json j = json::parse(text);
    if (j.value("format", "") != "dctcm-tuning" || j.value("version", 0) != 1)
      return Error(file + ": codec tuning: expected format dctcm-tuning version 1");
    cfg->per_layer.clear();
    for (auto& item : j.at("layers").items()) {
      // Not a structured binding: clang < 16 cannot capture one in `fail`.
      const std::string name = item.key();
      const json& v = item.value();
      codec::EncodeParams p;
      auto fail = [&](const std::string& what) {
        return Error(file + ": codec tuning of '" + name + "': " + what);
      };
      if (!codec::ParseMode(v.value("mode", "dctcm"), &p.mode)) return fail("unknown mode");
      if (p.mode == codec::Mode::kDctcm) {
        codec::DctParams& d = p.dct;
        int L = JsonInt(v.at("L")), K = JsonInt(v.at("K"));
        if (!codec::ValidGroupLength(L) || K < 1 || K > L)
          return fail("L must be 1/8/16/32/64 and 1 <= K <= L");
        d.L = static_cast<uint8_t>(L);
        d.K = static_cast<uint8_t>(K);
        for (auto& s : v.at("steps")) {
          int x = JsonInt(s);
          if (x < 1 || x > 255) return fail("step out of 1..255");
          d.steps.push_back(static_cast<uint16_t>(x));
        }
        if (!d.steps.empty() && d.steps.size() != d.K) return fail("need K steps");
        if (v.contains("perm")) {
          for (auto& s : v.at("perm")) d.perm.push_back(JsonInt<uint16_t>(s));
          std::vector<uint16_t> sorted = d.perm;
          std::sort(sorted.begin(), sorted.end());
          for (size_t i = 0; i < sorted.size(); ++i)
            if (sorted[i] != i) return fail("perm is not a permutation");
        }
      }
      cfg->per_layer[name] = p;
    }
    cfg->tuning = file + " (" + j.value("summary", std::string("tuned")) + ")";
  } catch (const std::exception& e) {
    return Error(file + ": malformed codec tuning: " + e.what());
  }
  return Status::Ok();
}

std::string TuningToJson(const CodecConfig& cfg, const std::string& summary) {
  json layers = json::object();
  for (auto& [name, p] : cfg.per_layer) {
    json v = {{"mode", codec::ModeName(p.mode)}};
    if (p.mode == codec::Mode::kDctcm) {
      v["L"] = p.dct.L;
      v["K"] = p.dct.K;
      v["steps"] = p.dct.steps;
      if (!p.dct.perm.empty()) v["perm"] = p.dct.perm;
    }
    layers[name] = v;
  }
  return json({{"format", "dctcm-tuning"}, {"version", 1}, {"summary", summary}, {"layers", layers}})
      .dump();
}

CompressedPool::CompressedPool(PoolOptions opt) : opt_(std::move(opt)) {
  if (opt_.capacity == 0) opt_.capacity = uint64_t{1} << 40;
  opt_.segments_per_image = std::max(1, opt_.segments_per_image);
}

CompressedPool::~CompressedPool() { UNPOISON(arena_.data(), arena_.size()); }

MapCounters& CompressedPool::C(int op) {
  if (op >= static_cast<int>(counters_.size())) counters_.resize(op + 1);
  return counters_[op];
}

void CompressedPool::ResetCounters() {
  counters_.clear();
  images_ = 0;
}

Status CompressedPool::Allocate(uint64_t size, const MapInfo& m, uint64_t* offset) {
  // First fit among freed blocks, else bump the top.
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < size) continue;
    *offset = it->first;
    uint64_t rest = it->second - size;
    free_.erase(it);
    if (rest) free_[*offset + size] = rest;
    return Status::Ok();
  }
  if (top_ + size > opt_.capacity && in_use_ + size <= opt_.capacity) {
    // Fragmented: slide the live maps down in address order so that all free
    // space is one block at the top. The capacity then limits the bytes
    // stored (what peak_bytes() reports), not the first-fit allocator's luck.
    std::vector<Entry*> order;
    for (auto& [op, e] : live_) order.push_back(&e);
    std::sort(order.begin(), order.end(),
              [](const Entry* a, const Entry* b) { return a->offset < b->offset; });
    UNPOISON(arena_.data(), arena_.size());
    top_ = 0;
    for (Entry* e : order) {
      std::memmove(arena_.data() + top_, arena_.data() + e->offset, e->size);
      e->offset = top_;
      top_ += e->size;
    }
    free_.clear();
    POISON(arena_.data(), arena_.size());
    for (Entry* e : order) UNPOISON(arena_.data() + e->offset, e->size);
  }
  if (top_ + size > opt_.capacity) {
    return Status(StatusCode::kPoolExhausted,
                  "pool exhausted storing layer '" + m.name + "': requested " +
                      std::to_string(size) + " bytes, capacity " + std::to_string(opt_.capacity) +
                      ", in use " + std::to_string(in_use_) + ", peak " + std::to_string(peak_));
  }
  *offset = top_;
  top_ += size;
  if (arena_.size() < top_) {
    UNPOISON(arena_.data(), arena_.size());
    arena_.resize(std::max<uint64_t>(top_, std::min<uint64_t>(opt_.capacity, arena_.size() * 2)));
    POISON(arena_.data(), arena_.size());
    // Re-expose live entries (resize moved the arena).
    for (auto& [op, e] : live_) UNPOISON(arena_.data() + e.offset, e.size);
  }
  return Status::Ok();
}

void CompressedPool::Release(uint64_t offset, uint64_t size) {
  POISON(arena_.data() + offset, size);  // a read of a freed map trips ASan
  auto it = free_.emplace(offset, size).first;
  auto next = std::next(it);
  if (next != free_.end() && it->first + it->second == next->first) {
    it->second += next->second;
    free_.erase(next);
  }
  if (it != free_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second == it->first) {
      prev->second += it->second;
      free_.erase(it);
      it = prev;
    }
  }
  if (it->first + it->second == top_) {  // give the tail back to the top
    top_ = it->first;
    free_.erase(it);
  }
}

Status CompressedPool::BeginImage() {
  if (!live_.empty())
    return Error("pool: " + std::to_string(live_.size()) + " maps still stored at image start");
  return Status::Ok();
}

Status CompressedPool::Store(const MapInfo& m, const uint8_t* data) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  if (live_.count(m.op)) return Error("pool: layer '" + m.name + "' stored twice");
  const uint32_t rows = static_cast<uint32_t>(m.n) * m.h;
  const int per_image = static_cast<int>(std::min<uint32_t>(opt_.segments_per_image, m.h));
  const int segs = m.n * per_image;
  const codec::EncodeParams params = opt_.codec.ParamsFor(m.name, m.c);
  Entry e;
  e.info = m;
  e.seg_rows.resize(segs);
  e.seg_size.resize(segs);
  e.seg_offset.resize(segs);
  if (scratch_.size() < size_t(segs)) scratch_.resize(segs);
  std::vector<codec::EncodeStats> stats(segs);
  std::vector<codec::Error> errs(segs, codec::Error::kOk);
  const size_t row_bytes = size_t(m.w) * m.c;
  std::vector<uint32_t> first(segs + 1);
  // Segment s: image s / per_image, its band s % per_image of rows.
  for (int s = 0; s < segs; ++s)
    first[s] = static_cast<uint32_t>((s / per_image) * m.h + uint64_t(m.h) * (s % per_image) / per_image);
  first[segs] = rows;
  for (int s = 0; s < segs; ++s) {
    e.seg_rows[s] = first[s + 1] - first[s];
    codec::MapDesc d{1, e.seg_rows[s], static_cast<uint32_t>(m.w), static_cast<uint32_t>(m.c),
                     m.is_signed};
    size_t bound = codec::EncodeBound(d, params);
    if (bound == 0) return Error("layer '" + m.name + "': codec rejects the map's parameters");
    if (scratch_[s].size() < bound) scratch_[s].resize(bound);
  }
#pragma omp parallel for schedule(static, 1) if (segs > 1)
  for (int s = 0; s < segs; ++s) {
    codec::MapDesc d{1, e.seg_rows[s], static_cast<uint32_t>(m.w), static_cast<uint32_t>(m.c),
                     m.is_signed};
    size_t written = 0;
    errs[s] = codec::Encode(data + row_bytes * first[s], d, params, scratch_[s].data(),
                            scratch_[s].size(), &written, &stats[s]);
    e.seg_size[s] = written;
  }
  for (int s = 0; s < segs; ++s)
    if (errs[s] != codec::Error::kOk)
      return Error("layer '" + m.name + "': encode failed: " + codec::ErrorString(errs[s]));
  for (int s = 0; s < segs; ++s) {
    e.seg_offset[s] = e.size;
    e.size += e.seg_size[s];
  }
  DCTCM_RETURN_IF_ERROR(Allocate(e.size, m, &e.offset));
  uint8_t* dst = arena_.data() + e.offset;
  UNPOISON(dst, e.size);
  for (int s = 0; s < segs; ++s) std::memcpy(dst + e.seg_offset[s], scratch_[s].data(), e.seg_size[s]);
  e.crc = Crc32c(dst, e.size);
  in_use_ += e.size;
  peak_ = std::max(peak_, in_use_);
  MapCounters& c = C(m.op);
  c.ofmap_raw += m.bytes();
  c.ofmap_comp += e.size;
  for (int s = 0; s < segs; ++s) {
    c.ofmap_meta += stats[s].header_bytes;
    c.ofmap_payload += stats[s].payload_bytes;
    c.ofmap_zeros += stats[s].zero_values;
    for (int k = 0; k < 3; ++k) c.tiles[k] += stats[s].tiles_by_kind[k];
    // a split-layout tile (kind 3) is a pzvc map's own coder, as kind 1
    c.tiles[codec::kTileCoded] += stats[s].tiles_by_kind[codec::kTilePzvcSplit];
  }
  c.occupancy_after = std::max(c.occupancy_after, in_use_);
  c.stores++;
  c.mode = static_cast<uint64_t>(params.mode);
  c.dct_L = params.mode == codec::Mode::kDctcm ? params.dct.L : 0;
  live_[m.op] = std::move(e);
  if (after_store) after_store(m, dst, live_[m.op].size);
  c.encode_ms += std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  return Status::Ok();
}

Status CompressedPool::Load(const MapInfo& m, int consumer, uint8_t* dst) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  auto it = live_.find(m.op);
  if (it == live_.end())
    return Error("pool: layer '" + m.name + "' is not stored (read after free?)");
  const Entry& e = it->second;
  const uint8_t* src = arena_.data() + e.offset;
  if (Crc32c(src, e.size) != e.crc)
    return Error("pool: stored map of layer '" + m.name +
                 "' failed its checksum (corrupted in the pool)");
  const int segs = static_cast<int>(e.seg_rows.size());
  const size_t row_bytes = size_t(m.w) * m.c;
  std::vector<codec::Error> errs(segs, codec::Error::kOk);
  std::vector<size_t> row0(segs, 0);
  for (int s = 1; s < segs; ++s) row0[s] = row0[s - 1] + e.seg_rows[s - 1];
#pragma omp parallel for schedule(static, 1) if (segs > 1)
  for (int s = 0; s < segs; ++s) {
    codec::MapDesc d;
    errs[s] = codec::Decode(src + e.seg_offset[s], e.seg_size[s], dst + row0[s] * row_bytes,
                            size_t(e.seg_rows[s]) * row_bytes, &d);
    if (errs[s] == codec::Error::kOk &&
        (d.h != e.seg_rows[s] || d.w != uint32_t(m.w) || d.c != uint32_t(m.c) || d.n != 1 ||
         d.is_signed != m.is_signed))
      errs[s] = codec::Error::kShapeMismatch;
  }
  for (int s = 0; s < segs; ++s)
    if (errs[s] != codec::Error::kOk)
      return Error("pool: decoding layer '" + m.name + "' failed: " + codec::ErrorString(errs[s]));
  MapCounters& c = C(consumer);
  c.ifmap_raw += m.bytes();
  c.ifmap_comp += e.size;
  c.loads++;
  C(m.op).decode_ms += std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  return Status::Ok();
}

Status CompressedPool::Free(const MapInfo& m) {
  auto it = live_.find(m.op);
  if (it == live_.end()) return Error("pool: freeing layer '" + m.name + "' that is not stored");
  in_use_ -= it->second.size;
  Release(it->second.offset, it->second.size);
  live_.erase(it);
  return Status::Ok();
}

void CompressedPool::AbortImage() {
  for (auto& [op, e] : live_) {
    in_use_ -= e.size;
    Release(e.offset, e.size);
  }
  live_.clear();
}

Status CompressedPool::EndImage() {
  if (!live_.empty()) {
    std::string names;
    for (auto& [op, e] : live_) names += (names.empty() ? "" : ", ") + e.info.name;
    return Error("pool not empty after the image: " + names);
  }
  if (in_use_ != 0 || top_ != 0 || !free_.empty())
    return Error("pool accounting error: " + std::to_string(in_use_) + " bytes in use after the image");
  ++images_;
  return Status::Ok();
}

}  // namespace dctcm
