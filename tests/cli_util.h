// Runs the built `dctcm` binary (path from CMake: DCTCM_BINARY) in a shell and
// captures its exit code, stdout and stderr. Shared by cli_test and
// hardening_test.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

namespace dctcm::test {

struct CliResult {
  int code = -1;  // exit code; 128 + signal if killed by one
  std::string out, err;
};

inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

inline CliResult RunCli(const std::vector<std::string>& args) {
  static int counter = 0;
  // The pid keeps parallel ctest processes (one per test) apart.
  const std::string base = ::testing::TempDir() + "/cli" + std::to_string(getpid()) + "_" +
                           std::to_string(++counter);
  std::string cmd = ShellQuote(DCTCM_BINARY);
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  cmd += " >" + ShellQuote(base + ".out") + " 2>" + ShellQuote(base + ".err");
  const int st = std::system(cmd.c_str());
  CliResult r;
  if (WIFEXITED(st)) r.code = WEXITSTATUS(st);
  else if (WIFSIGNALED(st)) r.code = 128 + WTERMSIG(st);
  r.out = ReadText(base + ".out");
  r.err = ReadText(base + ".err");
  // Under ASan/UBSan a memory error exits 1 (ASan's default) or aborts: never
  // let it pass for the runtime-error exit code.
  for (const char* tag : {"AddressSanitizer", "LeakSanitizer", "runtime error:"})
    EXPECT_EQ(r.err.find(tag), std::string::npos) << cmd << "\n" << r.err;
  return r;
}

inline std::string Describe(const CliResult& r) {
  return "exit " + std::to_string(r.code) + "\n--- stdout:\n" + r.out.substr(0, 2000) +
         "\n--- stderr:\n" + r.err.substr(0, 4000);
}

}  // namespace dctcm::test
