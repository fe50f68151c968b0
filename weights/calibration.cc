#include "weights/calibration.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "weights/format.h"
#include "weights/json_int.h"

namespace dctcm {

using nlohmann::json;

Status WriteCalibration(const std::string& path, const Calibration& c) {
  json j;
  j["format"] = "dctcm-calibration";
  j["version"] = 1;
  j["weights_hash"] = HashHex(c.weights_hash);
  j["method"] = c.method;
  j["images"] = c.images;
  j["source"] = c.source;
  j["scales"] = c.scales;
  if (!c.codec_json.empty()) j["codec"] = json::parse(c.codec_json);
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    if (!f) return Error(tmp + ": cannot open for writing");
    f << j.dump(1) << "\n";
    if (!f) return Error(tmp + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Error(path + ": cannot rename from " + tmp);
  return Status::Ok();
}

Status ParseCalibration(const std::string& text, const std::string& name,
                        uint64_t expected, Calibration* c) {
  try {
    json j = json::parse(text);
    if (!j.is_object() || j.value("format", "") != "dctcm-calibration")
      return Error(name + ": not a dctcm calibration file");
    if (j.at("version") != 1)
      return Error(name + ": unsupported calibration version " +
                   j.at("version").dump() + " (expected 1)");
    std::string h = j.at("weights_hash");
    if (expected != 0 && h != HashHex(expected))
      return Error(name + ": calibration was made for weights " + h +
                   ", but the loaded weight file is " + HashHex(expected) +
                   " (re-run dctcm calibrate)");
    c->weights_hash = std::stoull(h, nullptr, 16);
    c->method = j.at("method");
    c->images = JsonInt(j.at("images"));
    c->source = j.value("source", "");
    c->scales.clear();
    for (auto& [k, v] : j.at("scales").items()) {
      if (!v.is_number())
        return Error(name + ": scale of '" + k + "' is not a number");
      float s = v.get<float>();
      if (!std::isfinite(s) || s <= 0)
        return Error(name + ": scale of '" + k + "' is " + v.dump() +
                     ", expected a finite positive number");
      c->scales[k] = s;
    }
    c->codec_json = j.contains("codec") ? j["codec"].dump() : "";
  } catch (const std::exception& e) {
    return Error(name + ": malformed calibration file: " + e.what());
  }
  c->path = name;
  c->file_hash = Fnv1a64(text.data(), text.size());
  return Status::Ok();
}

Status ReadCalibration(const std::string& path, uint64_t expected,
                       Calibration* c) {
  std::ifstream f(path);
  if (!f) return Error(path + ": cannot open calibration file (run dctcm calibrate)");
  std::stringstream ss;
  ss << f.rdbuf();
  return ParseCalibration(ss.str(), path, expected, c);
}

}  // namespace dctcm
