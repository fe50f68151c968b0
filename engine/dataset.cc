#include "engine/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dctcm {
namespace fs = std::filesystem;

Status ListDataset(const std::string& dir, const std::string& labels_file,
                   int skip, int limit, std::vector<DatasetItem>* items) {
  items->clear();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return UsageError(dir + ": data directory not found");
  std::string lf = labels_file;
  if (lf.empty() && fs::exists(fs::path(dir) / "val.txt")) lf = (fs::path(dir) / "val.txt").string();
  if (!lf.empty()) {
    std::ifstream f(lf);
    if (!f) return UsageError(lf + ": cannot open labels file");
    std::string line;
    int lineno = 0;
    bool images_sub = fs::is_directory(fs::path(dir) / "images", ec);
    while (std::getline(f, line)) {
      ++lineno;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      std::istringstream ss(line);
      DatasetItem it;
      if (!(ss >> it.file >> it.label) || it.label < 0 || it.label > 99999)
        return Error(lf + ":" + std::to_string(lineno) +
                     ": expected 'FILENAME LABEL', found '" + line + "'");
      fs::path p = fs::path(dir) / it.file;
      if (!fs::exists(p, ec) && images_sub) p = fs::path(dir) / "images" / it.file;
      it.path = p.string();
      items->push_back(std::move(it));
    }
  } else {
    std::vector<std::string> synsets;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_directory()) synsets.push_back(e.path().filename().string());
    std::sort(synsets.begin(), synsets.end());
    if (synsets.empty())
      return UsageError(dir + ": no labels file (val.txt) and no synset sub-folders");
    for (size_t i = 0; i < synsets.size(); ++i) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(fs::path(dir) / synsets[i], ec))
        if (e.is_regular_file()) files.push_back(e.path().filename().string());
      std::sort(files.begin(), files.end());
      for (auto& fn : files)
        items->push_back({(fs::path(dir) / synsets[i] / fn).string(),
                          synsets[i] + "/" + fn, static_cast<int>(i)});
    }
  }
  if (skip > 0) items->erase(items->begin(), items->begin() + std::min<size_t>(skip, items->size()));
  if (limit >= 0 && static_cast<size_t>(limit) < items->size()) items->resize(limit);
  return Status::Ok();
}

}  // namespace dctcm
