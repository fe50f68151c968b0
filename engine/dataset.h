// ImageNet-style evaluation sets: a flat folder plus a `FILENAME LABEL` list
// (the Caffe val.txt form), or one sub-folder per synset (label = the
// synset's index in sorted order).
#pragma once

#include <string>
#include <vector>

#include "engine/status.h"

namespace dctcm {

struct DatasetItem {
  std::string path;
  std::string file;  // as named in the labels file / relative to the root
  int label = -1;    // -1: unknown
};

// `labels_file` may be empty: then DIR/val.txt is used if present, else the
// synset-folder layout is tried. A label-file entry is looked up as DIR/NAME,
// then DIR/images/NAME. Applies `skip` and `limit` (limit < 0: all).
Status ListDataset(const std::string& dir, const std::string& labels_file,
                   int skip, int limit, std::vector<DatasetItem>* items);

}  // namespace dctcm
