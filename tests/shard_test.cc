// --shard k/N and dctcm merge: merged shards equal a single run; shards are
// disjoint and cover the list, also for N larger than the list.
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/shard.h"
#include "tests/cli_util.h"
#include "tests/test_util.h"

namespace dctcm {
namespace {

using nlohmann::json;

json ReadJson(const std::string& p) {
  std::ifstream f(p);
  EXPECT_TRUE(f.good()) << p;
  return json::parse(f);
}

// Everything but timing.
json Comparable(json j) {
  j.erase("seconds");
  j.erase("images_per_s");
  j["config"].erase("threads");
  return j;
}

TEST(Shard, DisjointAndCoveringForAnyN) {
  std::vector<DatasetItem> all;
  for (int i = 0; i < 10; ++i) all.push_back({"p", "f" + std::to_string(9 - i), i});
  for (int n : {1, 2, 3, 7, 25}) {
    std::map<std::string, int> seen;
    uint64_t h0 = 0;
    for (int k = 0; k < n; ++k) {
      auto items = all;
      uint64_t h;
      size_t cnt;
      SelectShard({k, n, true}, &items, &h, &cnt);
      EXPECT_EQ(cnt, all.size());
      if (k == 0) h0 = h;
      EXPECT_EQ(h, h0);
      for (auto& it : items) seen[it.file]++;
    }
    EXPECT_EQ(seen.size(), all.size()) << n;
    for (auto& [f, c] : seen) EXPECT_EQ(c, 1) << f << " n=" << n;
  }
  ShardSpec s;
  EXPECT_FALSE(ParseShard("3/3", &s).ok());
  EXPECT_FALSE(ParseShard("x", &s).ok());
  EXPECT_TRUE(ParseShard("2/7", &s).ok());
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 7);
}

TEST(Shard, MergedValidateEqualsSingleRun) {
  DCTCM_REQUIRE_WEIGHTS();
  DCTCM_REQUIRE_SHARED_DATA();
  // The whole subset with DCTCM_FULL_SHARD_TEST=1 (as measured for the README).
  const char* full = std::getenv("DCTCM_FULL_SHARD_TEST");
  const std::string limit = full && *full == '1' ? "-1" : "130";
  const std::string dir = ::testing::TempDir() + "/shard" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  auto run = [&](const std::string& shard, const std::string& out) {
    std::vector<std::string> args = {"validate", "--data", test::SharedData(), "--limit", limit,
                                     "--codec", "none", "--threads", "1", "--json", out};
    if (!shard.empty()) args.insert(args.end(), {"--shard", shard});
    test::CliResult r = test::RunCli(args);
    EXPECT_EQ(r.code, 0) << test::Describe(r);
  };
  run("", dir + "/single.json");
  const json single = Comparable(ReadJson(dir + "/single.json"));
  for (int n : {1, 2, 3, 7}) {
    std::vector<std::string> merge = {"merge", "--json", dir + "/merged.json"};
    for (int k = 0; k < n; ++k) {
      std::string f = dir + "/s" + std::to_string(k) + "of" + std::to_string(n) + ".json";
      run(std::to_string(k) + "/" + std::to_string(n), f);
      merge.push_back(f);
    }
    test::CliResult r = test::RunCli(merge);
    ASSERT_EQ(r.code, 0) << test::Describe(r);
    EXPECT_EQ(Comparable(ReadJson(dir + "/merged.json")), single) << "N=" << n;
    if (n == 3) {  // a missing shard is refused
      merge.pop_back();
      r = test::RunCli(merge);
      EXPECT_EQ(r.code, 1);
      EXPECT_NE(r.err.find("missing shard(s) 2 of 3"), std::string::npos) << r.err;
    }
  }
}

TEST(Shard, MergedTrafficEqualsSingleRunEvenWithEmptyShards) {
  DCTCM_REQUIRE_WEIGHTS();
  DCTCM_REQUIRE_SHARED_DATA();
  const std::string dir = ::testing::TempDir() + "/tshard" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{"traffic", "--data", test::SharedData(), "--limit", "4",
                                    "--codec", "pzvc", "--threads", "1", "--quiet", "--json", out};
  };
  test::CliResult r = test::RunCli(args(dir + "/single.json"));
  ASSERT_EQ(r.code, 0) << test::Describe(r);
  std::vector<std::string> merge = {"merge", "--quiet", "--json", dir + "/merged.json"};
  for (int k = 0; k < 7; ++k) {  // 7 shards over 4 images
    auto a = args(dir + "/t" + std::to_string(k) + ".json");
    a.insert(a.end(), {"--shard", std::to_string(k) + "/7"});
    r = test::RunCli(a);
    ASSERT_EQ(r.code, 0) << test::Describe(r);
    merge.push_back(dir + "/t" + std::to_string(k) + ".json");
  }
  r = test::RunCli(merge);
  ASSERT_EQ(r.code, 0) << test::Describe(r);
  json a = ReadJson(dir + "/single.json"), b = ReadJson(dir + "/merged.json");
  EXPECT_EQ(a["layers"], b["layers"]);
  EXPECT_EQ(a["total"], b["total"]);
  EXPECT_EQ(a["top1"], b["top1"]);
  EXPECT_EQ(a["images"], b["images"]);
}

}  // namespace
}  // namespace dctcm
