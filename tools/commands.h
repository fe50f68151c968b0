// Subcommands implemented in their own files.
#pragma once

#include <vector>

#include "engine/session.h"
#include "tools/args.h"

namespace dctcm {

const std::vector<FlagSpec>& SessionFlags();
Status OpenSession(const Args& a, Session* s, MapStore* store, bool time_layers);
int CmdCalibrate(int argc, char** argv);
int CmdBench(int argc, char** argv);

}  // namespace dctcm
