#include "engine/shard.h"

#include <algorithm>
#include <cstdlib>

#include "weights/format.h"

namespace dctcm {

static bool ParseInt(const std::string& s, int* v) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *v = std::atoi(s.c_str());
  return true;
}

Status ParseShard(const std::string& spec, ShardSpec* out) {
  std::string k, n;
  if (!spec.empty()) {
    size_t slash = spec.find('/');
    if (slash == std::string::npos)
      return UsageError("--shard: expected k/N, found '" + spec + "'");
    k = spec.substr(0, slash), n = spec.substr(slash + 1);
  } else {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    const char* cnt = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !cnt) {
      *out = ShardSpec();
      return Status::Ok();
    }
    int base = 0;
    if (const char* mn = std::getenv("SLURM_ARRAY_TASK_MIN")) ParseInt(mn, &base);
    int idv = 0;
    if (!ParseInt(id, &idv)) return UsageError("SLURM_ARRAY_TASK_ID is not a number");
    k = std::to_string(idv - base), n = cnt;
  }
  if (!ParseInt(k, &out->index) || !ParseInt(n, &out->count) || out->count < 1 ||
      out->index >= out->count)
    return UsageError("shard: expected 0 <= k < N, found '" + k + "/" + n + "'");
  out->given = true;
  return Status::Ok();
}

void SelectShard(const ShardSpec& s, std::vector<DatasetItem>* items, uint64_t* list_hash,
                 size_t* list_count) {
  std::vector<DatasetItem> sorted = *items;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const DatasetItem& a, const DatasetItem& b) { return a.file < b.file; });
  uint64_t h = Fnv1a64("", 0);
  for (const auto& it : sorted) {
    std::string line = it.file + "\t" + std::to_string(it.label) + "\n";
    h = Fnv1a64(line.data(), line.size(), h);
  }
  *list_hash = h;
  *list_count = sorted.size();
  if (!s.active()) return;  // no shard: the list keeps its order
  std::vector<DatasetItem> keep;
  for (size_t i = 0; i < sorted.size(); ++i)
    if (static_cast<int>(i % s.count) == s.index) keep.push_back(sorted[i]);
  items->swap(keep);
}

}  // namespace dctcm
