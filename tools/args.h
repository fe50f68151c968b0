// Minimal command-line parsing for the dctcm subcommands.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/status.h"

namespace dctcm {

struct FlagSpec {
  std::string name;  // without "--"
  bool takes_value;
  std::string help;
};

class Args {
 public:
  // Parses argv (after the subcommand). Unknown flags and missing values are
  // usage errors. "--help" sets help().
  Status Parse(int argc, char** argv, const std::vector<FlagSpec>& spec);
  bool has(const std::string& k) const { return v_.count(k) > 0; }
  std::string str(const std::string& k, const std::string& def = "") const;
  Status Int(const std::string& k, int def, int* out) const;
  Status Double(const std::string& k, double def, double* out) const;
  const std::vector<std::string>& positional() const { return pos_; }
  bool help() const { return help_; }

 private:
  std::map<std::string, std::string> v_;
  std::vector<std::string> pos_;
  bool help_ = false;
};

// Prints "dctcm: error: MESSAGE" on stderr and returns the status's exit code.
int Fail(const Status& st);
// The flags of `a` followed by those of `b`.
std::vector<FlagSpec> With(std::vector<FlagSpec> a, const std::vector<FlagSpec>& b);

std::string FormatHelp(const std::string& usage, const std::string& about,
                       const std::vector<FlagSpec>& spec);
// If `a` saw --help: prints FormatHelp(usage, about, spec) on stdout and
// returns true (the command then exits 0).
bool ShowHelp(const Args& a, const std::string& usage, const std::string& about,
              const std::vector<FlagSpec>& spec);

}  // namespace dctcm
