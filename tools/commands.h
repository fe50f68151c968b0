// Subcommands implemented in their own files.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "engine/session.h"
#include "engine/shard.h"
#include "tools/args.h"

namespace dctcm {

const std::vector<FlagSpec>& SessionFlags();
Status OpenSession(const Args& a, Session* s, MapStore* store, bool time_layers);
// Same, with the codec given explicitly (empty: from --codec / the default).
Status OpenSessionWithCodec(const Args& a, const std::string& codec, Session* s,
                            MapStore* store = nullptr, bool time_layers = false);
Status ListInputs(const Args& a, std::vector<DatasetItem>* items, bool* labelled);
std::string DescribeSession(Session& s);
// Everything that determines a run's results (and threads/ISA for speed):
// the "config" object of every JSON report (docs/REPORTS.md).
nlohmann::json ConfigJson(Session& s, int batch);
// Writes `text` to `path`, or to stdout when `path` is empty.
Status WriteReport(const std::string& path, const std::string& text);
Status WriteJsonFile(const std::string& path, const nlohmann::json& j);

// Raw counts of a validation run (or of merged shards).
struct ValidateCounts {
  int images = 0, failed = 0, top1 = 0, top5 = 0;
  double seconds = 0;
  nlohmann::json failures = nlohmann::json::array();  // [{file, error}]
};
std::string ValidateSummaryLine(const ValidateCounts& c);
nlohmann::json ValidateJson(const ValidateCounts& c, const nlohmann::json& config);
nlohmann::json ValidateShardJson(const ValidateCounts& c, const nlohmann::json& config,
                                 const ShardSpec& sh, uint64_t list_hash, size_t list_count);
int CmdMerge(int argc, char** argv);
// The whole command line: dispatches to a subcommand, returns the exit code.
int Main(int argc, char** argv);
int CmdCalibrate(int argc, char** argv);
int CmdTraffic(int argc, char** argv);
int CmdTune(int argc, char** argv);
int CmdBench(int argc, char** argv);

}  // namespace dctcm
