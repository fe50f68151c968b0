// Subcommands implemented in their own files.
#pragma once

#include <vector>

#include "engine/session.h"
#include "tools/args.h"

namespace dctcm {

const std::vector<FlagSpec>& SessionFlags();
Status OpenSession(const Args& a, Session* s, MapStore* store, bool time_layers);
// Same, with the codec given explicitly (empty: from --codec / the default).
Status OpenSessionWithCodec(const Args& a, const std::string& codec, Session* s,
                            MapStore* store = nullptr, bool time_layers = false);
Status ListInputs(const Args& a, std::vector<DatasetItem>* items, bool* labelled);
std::string DescribeSession(Session& s);
// The whole command line: dispatches to a subcommand, returns the exit code.
int Main(int argc, char** argv);
int CmdCalibrate(int argc, char** argv);
int CmdTraffic(int argc, char** argv);
int CmdTune(int argc, char** argv);
int CmdBench(int argc, char** argv);

}  // namespace dctcm
