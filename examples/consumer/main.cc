// Loads the engine, classifies one image with int8 + DCT-CM, and prints the
// top class and the off-chip traffic counters of the run.
#include <cstdio>

#include "engine/session.h"
#include "engine/traffic.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dctcm_consumer IMAGE\n");
    return 2;
  }
  dctcm::SessionOptions opt;  // default weights/calibration in ~/.cache/dctcm
  opt.codec = "dctcm";
  dctcm::Session s;
  dctcm::Status st = s.Open(opt);
  std::vector<float> input, logits, probs;
  if (st.ok()) st = dctcm::LoadInput(argv[1], opt.preprocess, opt.limits, &input);
  if (st.ok()) st = s.Run(input, 1, &logits, &probs);
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.message().c_str());
    return st.exit_code();
  }
  int top = dctcm::TopK(probs.data(), static_cast<int>(probs.size()), 1)[0];
  std::printf("%s: %d %s %.4f\n", argv[1], top, s.model().labels[top].c_str(), probs[top]);
  dctcm::TrafficReport r = dctcm::BuildTrafficReport(*s.network(1), *s.pool(), 1);
  std::printf("feature maps: %.0f bytes raw, %.0f bytes in DRAM (ratio %.2fx total, %.2fx mean)\n",
              r.total.ofmap_raw, r.total.ofmap_comp, r.ratio_total, r.ratio_mean);
  return 0;
}
