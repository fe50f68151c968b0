// Deterministic sharding of an image list for cluster runs (validate and
// traffic --shard k/N), and the identity of the full list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/dataset.h"
#include "engine/status.h"

namespace dctcm {

struct ShardSpec {
  int index = 0, count = 1;  // shard k of N, 0 <= k < N
  bool given = false;        // --shard or the Slurm variables were set (also 0/1)
  bool active() const { return given; }
};

// "k/N". Empty: from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT when both
// are set (and the array starts at 0: SLURM_ARRAY_TASK_MIN), else 0/1.
Status ParseShard(const std::string& spec, ShardSpec* out);

// Records the hash and length of the list sorted by file name; with an active
// spec, replaces the list by the items i (in sorted order) with i mod N == k,
// otherwise leaves it as it is.
void SelectShard(const ShardSpec& s, std::vector<DatasetItem>* items, uint64_t* list_hash,
                 size_t* list_count);

}  // namespace dctcm
