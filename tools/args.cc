#include "tools/args.h"

#include <cstdio>
#include <cstdlib>

namespace dctcm {

Status Args::Parse(int argc, char** argv, const std::vector<FlagSpec>& spec) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      std::string name = a.substr(2), value;
      bool has_eq = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_eq = true;
      }
      const FlagSpec* f = nullptr;
      for (const auto& s : spec)
        if (s.name == name) f = &s;
      if (!f) return UsageError("unknown option --" + name);
      if (f->takes_value && !has_eq) {
        if (i + 1 >= argc) return UsageError("option --" + name + " needs a value");
        value = argv[++i];
      } else if (!f->takes_value && has_eq) {
        return UsageError("option --" + name + " takes no value");
      }
      v_[name] = f->takes_value ? value : "1";
    } else {
      pos_.push_back(a);
    }
  }
  return Status::Ok();
}

std::string Args::str(const std::string& k, const std::string& def) const {
  auto it = v_.find(k);
  return it == v_.end() ? def : it->second;
}

Status Args::Int(const std::string& k, int def, int* out) const {
  *out = def;
  auto it = v_.find(k);
  if (it == v_.end()) return Status::Ok();
  char* end = nullptr;
  long v = std::strtol(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end || v < -1000000000L || v > 1000000000L)
    return UsageError("--" + k + ": expected an integer, found '" + it->second + "'");
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status Args::Double(const std::string& k, double def, double* out) const {
  *out = def;
  auto it = v_.find(k);
  if (it == v_.end()) return Status::Ok();
  char* end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end)
    return UsageError("--" + k + ": expected a number, found '" + it->second + "'");
  *out = v;
  return Status::Ok();
}

int Fail(const Status& st) {
  std::fprintf(stderr, "dctcm: error: %s\n", st.message().c_str());
  return st.exit_code() ? st.exit_code() : 1;
}

std::vector<FlagSpec> With(std::vector<FlagSpec> a, const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string FormatHelp(const std::string& usage, const std::string& about,
                       const std::vector<FlagSpec>& spec) {
  std::string s = "usage: " + usage + "\n\n" + about + "\n\noptions:\n";
  for (const auto& f : spec) {
    std::string l = "  --" + f.name + (f.takes_value ? " V" : "");
    if (l.size() < 24) l.resize(24, ' ');
    else l += "  ";
    s += l + f.help + "\n";
  }
  s += "  --help                show this help\n";
  return s;
}

bool ShowHelp(const Args& a, const std::string& usage, const std::string& about,
              const std::vector<FlagSpec>& spec) {
  if (!a.help()) return false;
  std::printf("%s", FormatHelp(usage, about, spec).c_str());
  return true;
}

}  // namespace dctcm
