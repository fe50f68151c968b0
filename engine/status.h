// Status: the error type used at every I/O and configuration edge.
// A Status carries a code that the CLI maps to an exit code, and one line of
// text that names the file or layer and what was expected versus found.
#pragma once

#include <string>
#include <utility>

namespace dctcm {

enum class StatusCode {
  kOk = 0,
  kRuntime = 1,        // exit 1: I/O, corrupt files, library errors
  kUsage = 2,          // exit 2: bad command line
  kPoolExhausted = 3,  // exit 3: simulated DRAM capacity exceeded
  kInputsFailed = 4,   // exit 4: some inputs (images) could not be processed
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int exit_code() const { return static_cast<int>(code_); }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status Error(std::string message) {
  return Status(StatusCode::kRuntime, std::move(message));
}
inline Status UsageError(std::string message) {
  return Status(StatusCode::kUsage, std::move(message));
}

#define DCTCM_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::dctcm::Status _st = (expr);          \
    if (!_st.ok()) return _st;             \
  } while (0)

}  // namespace dctcm
