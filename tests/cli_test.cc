// The command line's contract (docs/HARDENING.md): --help on every subcommand,
// and the exit codes 0 ok, 1 runtime error, 2 usage error, 3 pool exhausted,
// 4 some inputs failed, each with one clear line on stderr.
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

#include "tests/cli_util.h"
#include "tests/fuzz/loader_corpus.h"
#include "tests/test_util.h"

namespace dctcm {
namespace {

using test::CliResult;
using test::Describe;
using test::RunCli;

const char* const kCommands[] = {"classify", "validate", "calibrate", "bench",
                                 "traffic",  "tune",     "convert-weights"};

// Per process: ctest may run these tests in parallel.
std::string Temp(const std::string& name) {
  return ::testing::TempDir() + "/dctcm_cli_" + std::to_string(getpid()) + "_" + name;
}

// A small valid PNG (no weights needed).
std::string GoodPng() {
  const std::string path = Temp("good.png");
  cv::Mat m(40, 50, CV_8UC3, cv::Scalar(30, 120, 200));
  EXPECT_TRUE(cv::imwrite(path, m));
  return path;
}

TEST(Cli, TopLevelHelpAndUsage) {
  CliResult r = RunCli({"--help"});
  EXPECT_EQ(r.code, 0) << Describe(r);
  for (const char* c : kCommands) EXPECT_NE(r.out.find(c), std::string::npos) << c;
  EXPECT_NE(r.out.find("exit codes"), std::string::npos);
  r = RunCli({});
  EXPECT_EQ(r.code, 2) << Describe(r);
  r = RunCli({"frobnicate"});
  EXPECT_EQ(r.code, 2) << Describe(r);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
}

TEST(Cli, HelpOnEverySubcommandExitsZero) {
  for (const char* c : kCommands) {
    for (const char* flag : {"--help", "-h"}) {
      CliResult r = RunCli({c, flag});
      EXPECT_EQ(r.code, 0) << c << " " << flag << "\n" << Describe(r);
      EXPECT_EQ(r.out.rfind(std::string("usage: dctcm ") + c, 0), 0u) << c << "\n" << r.out;
      EXPECT_NE(r.out.find("--help"), std::string::npos) << c;
      EXPECT_TRUE(r.err.empty()) << c << ": " << r.err;
    }
  }
}

TEST(Cli, UsageErrorsExitTwo) {
  for (const char* c : kCommands) {
    CliResult r = RunCli({c, "--no-such-flag"});
    EXPECT_EQ(r.code, 2) << c << "\n" << Describe(r);
    EXPECT_NE(r.err.find("unknown option --no-such-flag"), std::string::npos) << c << ": " << r.err;
  }
  const std::string png = GoodPng();
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"classify", "--threads", "two", png}, "--threads: expected an integer, found 'two'"},
      {{"classify", "--threads", "-3", png}, "--threads must be >= 0"},
      {{"classify", "--top", "0", png}, "--top must be 1..1000"},
      {{"classify", "--batch", "0", png}, "--batch must be >= 1"},
      {{"classify", "--mode", "fp16", png}, "--mode: expected fp32 or int8, found 'fp16'"},
      {{"classify", "--pool-bytes", "0", png}, "--pool-bytes: expected a positive byte count"},
      {{"classify", "--pool-bytes", "12k", png}, "--pool-bytes: expected a positive byte count"},
      {{"classify", "--weights"}, "option --weights needs a value"},
      {{"classify", "--json=yes", png}, "option --json takes no value"},
      {{"validate"}, "validate needs --data DIR"},
      {{"validate", "--data", Temp("no_such_dir")}, "data directory not found"},
      {{"validate", "--data", ::testing::TempDir(), "--limit", "x"}, "--limit: expected an integer"},
      {{"convert-weights"}, "convert-weights needs --src DIR"},
  };
  for (const Case& c : cases) {
    CliResult r = RunCli(c.args);
    EXPECT_EQ(r.code, 2) << c.args[1] << "\n" << Describe(r);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.message << "\n" << r.err;
  }
}

// Runtime errors: a truncated or missing weight file, a missing calibration.
TEST(Cli, RuntimeErrorsExitOne) {
  WeightFile wf;
  wf.graph_json = fuzz::TinyGraph();
  wf.tensors = fuzz::TinyTensors();
  const std::string full = Temp("tiny.dctw");
  ASSERT_TRUE(WriteWeightFile(full, &wf).ok());
  std::vector<char> bytes;
  {
    std::ifstream f(full, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  const std::string trunc = Temp("truncated.dctw");
  std::ofstream(trunc, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  const std::string png = GoodPng();

  CliResult r = RunCli({"classify", "--weights", trunc, png});
  EXPECT_EQ(r.code, 1) << Describe(r);
  EXPECT_NE(r.err.find(trunc + ": invalid weight file: truncated"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line on stderr: " << r.err;

  r = RunCli({"validate", "--weights", trunc, "--data", ::testing::TempDir(), "--labels",
              Temp("labels_one.txt")});
  EXPECT_EQ(r.code, 2) << "missing labels file is a usage error\n" << Describe(r);

  r = RunCli({"bench", "--weights", Temp("missing.dctw")});
  EXPECT_EQ(r.code, 1) << Describe(r);
  EXPECT_NE(r.err.find("missing.dctw: cannot open weight file"), std::string::npos) << r.err;

  // The tiny network is valid but needs a 9x9 input: the weights load, the
  // crop check is a usage error, so use fp32 with a matching crop.
  r = RunCli({"classify", "--weights", full, "--mode", "fp32", "--resize", "9", "--crop", "9",
              "--codec", "none", png});
  EXPECT_EQ(r.code, 0) << Describe(r);
  r = RunCli({"classify", "--weights", full, "--resize", "9", "--crop", "9", "--calib",
              Temp("missing_calibration.json"), png});
  EXPECT_EQ(r.code, 1) << Describe(r);
  EXPECT_NE(r.err.find("missing_calibration.json: cannot open calibration file"), std::string::npos)
      << r.err;
}

// A bad image among good ones: the good ones are printed, exit 4.
TEST(Cli, SomeInputsFailedExitsFour) {
  WeightFile wf;
  wf.graph_json = fuzz::TinyGraph();
  wf.tensors = fuzz::TinyTensors();
  const std::string weights = Temp("tiny4.dctw");
  ASSERT_TRUE(WriteWeightFile(weights, &wf).ok());
  const std::string png = GoodPng(), bad = Temp("bad.jpg"), missing = Temp("missing.png");
  std::ofstream(bad, std::ios::binary) << "\xFF\xD8\xFF\xE0 not really a jpeg";
  const std::vector<std::string> common = {"classify", "--weights", weights, "--mode", "fp32",
                                           "--resize", "9", "--crop", "9", "--codec", "none"};
  std::vector<std::string> args = common;
  args.insert(args.end(), {png, bad, png, missing});
  CliResult r = RunCli(args);
  EXPECT_EQ(r.code, 4) << Describe(r);
  EXPECT_NE(r.err.find("error: " + bad + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error: " + missing + ": cannot open image file"), std::string::npos) << r.err;
  size_t printed = 0;
  for (size_t p = r.out.find(png + "\n"); p != std::string::npos; p = r.out.find(png + "\n", p + 1))
    ++printed;
  EXPECT_EQ(printed, 2u) << r.out;
  args = common;
  args.push_back(png);
  r = RunCli(args);
  EXPECT_EQ(r.code, 0) << Describe(r);
}

// With the real network: int8 through the pool, a too small pool (exit 3) and
// a bad value that is only checked once the weights are loaded (exit 2).
TEST(Cli, RealNetworkExitCodes) {
  DCTCM_REQUIRE_WEIGHTS();
  const std::vector<std::string> photos = DefaultPhotos();
  if (photos.empty()) GTEST_SKIP() << "no default photos in " << DefaultPhotosDir();
  CliResult r = RunCli({"classify", "--threads", "2", photos[0]});
  EXPECT_EQ(r.code, 0) << Describe(r);
  r = RunCli({"classify", "--threads", "2", "--pool-bytes", "1000", photos[0]});
  EXPECT_EQ(r.code, 3) << Describe(r);
  EXPECT_NE(r.err.find("pool exhausted storing layer 'conv1'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("capacity 1000"), std::string::npos) << r.err;
  r = RunCli({"classify", "--codec", "lz77", photos[0]});
  EXPECT_EQ(r.code, 2) << Describe(r);
  r = RunCli({"classify", "--mode", "fp32", "--codec", "dctcm", photos[0]});
  EXPECT_EQ(r.code, 2) << Describe(r);
  r = RunCli({"classify", "--crop", "200", "--resize", "256", photos[0]});
  EXPECT_EQ(r.code, 2) << Describe(r);
  std::ofstream(Temp("bad.png"), std::ios::binary) << "\x89PNG\r\n\x1a\n truncated";
  r = RunCli({"classify", "--threads", "2", photos[0], Temp("bad.png")});
  EXPECT_EQ(r.code, 4) << Describe(r);
}

}  // namespace
}  // namespace dctcm
