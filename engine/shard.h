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

// Sorts the list by file name, records its hash and length, then keeps item
// i (in sorted order) when i mod N == k.
void SelectShard(const ShardSpec& s, std::vector<DatasetItem>* items, uint64_t* list_hash,
                 size_t* list_count);

}  // namespace dctcm
