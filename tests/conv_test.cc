// The oneDNN convolution path of the runner against naive references:
// fp32 within a float tolerance, int8 bit-exact for the same rounding.
#include <cmath>

#include "engine/network.h"
#include "tests/test_util.h"

namespace dctcm {
namespace {

using test::ConvSpec;

// Naive NHWC convolution in double, weights HWIO, for one image.
std::vector<double> NaiveConv(const std::vector<double>& x, int H, int W, int C,
                              const Tensor& k, const Tensor& b, int stride,
                              const int pad[4], int OH, int OW) {
  const int KH = k.dims[0], KW = k.dims[1], O = k.dims[3];
  std::vector<double> y(size_t(OH) * OW * O);
  for (int oy = 0; oy < OH; ++oy)
    for (int ox = 0; ox < OW; ++ox)
      for (int o = 0; o < O; ++o) {
        double acc = b.data[o];
        for (int ky = 0; ky < KH; ++ky)
          for (int kx = 0; kx < KW; ++kx) {
            int iy = oy * stride - pad[0] + ky, ix = ox * stride - pad[1] + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            for (int c = 0; c < C; ++c)
              acc += x[(size_t(iy) * W + ix) * C + c] *
                     k.data[((size_t(ky) * KW + kx) * C + c) * O + o];
          }
        y[(size_t(oy) * OW + ox) * O + o] = acc;
      }
  return y;
}

std::vector<float> RandomInput(const Model& m, int batch, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  std::vector<float> x(size_t(batch) * m.in_h * m.in_w * m.in_c);
  for (auto& v : x) v = u(rng);
  return x;
}

class ConvShapes : public ::testing::TestWithParam<ConvSpec> {};

TEST_P(ConvShapes, Fp32MatchesNaive) {
  ConvSpec s = GetParam();
  Model m = test::MakeTinyModel(s);
  const int batch = 2;
  Network net;
  NetworkConfig cfg;
  cfg.precision = Precision::kFp32;
  cfg.batch = batch;
  ASSERT_TRUE(net.Init(m, cfg).ok());
  std::vector<float> c1;
  net.fp32_observer = [&](int op, const float* d, size_t n) {
    if (op == 0) c1.assign(d, d + n);
  };
  auto x = RandomInput(m, batch, 7);
  std::vector<float> logits, probs;
  Status st = net.Run(x.data(), &logits, &probs);
  ASSERT_TRUE(st.ok()) << st.message();
  const OpDesc& op = m.ops[0];
  const size_t per = size_t(op.out_h) * op.out_w * op.out_c;
  ASSERT_EQ(c1.size(), per * batch);
  for (int n = 0; n < batch; ++n) {
    std::vector<double> xd(x.begin() + n * m.in_h * m.in_w * m.in_c,
                           x.begin() + (n + 1) * m.in_h * m.in_w * m.in_c);
    auto ref = NaiveConv(xd, s.h, s.w, s.cin, m.tensor("c1/kernel"), m.tensor("c1/bias"),
                         s.stride, s.pad, op.out_h, op.out_w);
    for (size_t i = 0; i < per; ++i) {
      double r = s.relu ? std::max(0.0, ref[i]) : ref[i];
      ASSERT_NEAR(c1[n * per + i], r, 1e-3 + 1e-4 * std::fabs(r)) << "n=" << n << " i=" << i;
    }
  }
}

// int8: symmetric per-channel weights, per-tensor activations, int32 bias,
// requantisation rounded half to even and saturated, as the runner documents.
TEST_P(ConvShapes, Int8BitExactAgainstIntegerReference) {
  ConvSpec s = GetParam();
  Model m = test::MakeTinyModel(s);
  Calibration cal;
  cal.path = "test";
  cal.scales["input"] = 3.f / 127;
  cal.scales["c1"] = s.relu ? 0.05f : 0.04f;
  if (s.residual) cal.scales["c2"] = 0.06f;
  cal.scales["gap"] = 0.02f;
  Network net;
  NetworkConfig cfg;
  cfg.precision = Precision::kInt8;
  cfg.calibration = &cal;
  ASSERT_TRUE(net.Init(m, cfg).ok());
  std::vector<uint8_t> c1, c2;
  net.int8_observer = [&](const MapInfo& mi, const uint8_t* d) {
    (mi.op == 0 ? c1 : c2).assign(d, d + mi.bytes());
  };
  auto x = RandomInput(m, 1, 11);
  std::vector<float> logits;
  ASSERT_TRUE(net.Run(x.data(), &logits, nullptr).ok());

  // Integer reference.
  const float s_in = cal.scales["input"];
  std::vector<int32_t> xq(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    xq[i] = static_cast<int32_t>(std::lrint(std::clamp(x[i] / s_in, -128.f, 127.f)));
  auto conv_q = [&](const std::string& name, const std::vector<int32_t>& in, int H, int W, int C,
                    int stride, const int* pad, const OpDesc& op, float s_src,
                    const std::vector<int32_t>* add, float s_add, bool add_signed) {
    const Tensor& k = m.tensor(name + "/kernel");
    const Tensor& b = m.tensor(name + "/bias");
    const int O = op.out_c;
    std::vector<float> sw(O, 0.f);
    for (int64_t j = 0; j < k.size(); ++j) sw[j % O] = std::max(sw[j % O], std::fabs(k.data[j]));
    for (auto& v : sw) v = v > 0 ? v / 127.f : 1.f;
    Tensor kq = k;
    for (int64_t j = 0; j < k.size(); ++j)
      kq.data[j] = std::lrint(std::clamp(k.data[j] / sw[j % O], -127.f, 127.f));
    Tensor zero;
    zero.dims = {O};
    zero.data.assign(O, 0.f);
    std::vector<double> ind(in.begin(), in.end());
    auto acc = NaiveConv(ind, H, W, C, kq, zero, stride, pad, op.out_h, op.out_w);
    const float s_dst = cal.scales[name];
    std::vector<int32_t> out(acc.size());
    for (size_t i = 0; i < acc.size(); ++i) {
      int o = i % O;
      double bs = double(s_src) * sw[o];
      int32_t bq = static_cast<int32_t>(std::nearbyint(b.data[o] / bs));
      float v = static_cast<float>(static_cast<int32_t>(acc[i]) + bq) * static_cast<float>(bs / s_dst);
      if (add) v += (s_add / s_dst) * (*add)[i];
      if (op.relu) v = std::max(v, 0.f);
      float lo = op.relu ? 0.f : -128.f, hi = op.relu ? 255.f : 127.f;
      out[i] = static_cast<int32_t>(std::nearbyint(std::clamp(v, lo, hi)));
    }
    (void)add_signed;
    return out;
  };
  const OpDesc& op1 = m.ops[0];
  auto r1 = conv_q("c1", xq, s.h, s.w, s.cin, s.stride, s.pad, op1, s_in, nullptr, 0, false);
  ASSERT_EQ(c1.size(), r1.size());
  int mismatches = 0;
  for (size_t i = 0; i < r1.size(); ++i) {
    int got = s.relu ? int(c1[i]) : int(int8_t(c1[i]));
    if (got != r1[i] && ++mismatches < 5)
      ADD_FAILURE() << "c1[" << i << "] = " << got << ", reference " << r1[i];
  }
  EXPECT_EQ(mismatches, 0);
  if (s.residual) {
    const int z[4] = {0, 0, 0, 0};
    const OpDesc& op2 = m.ops[1];
    auto r2 = conv_q("c2", r1, op1.out_h, op1.out_w, op1.out_c, 1, z, op2, cal.scales["c1"], &r1,
                     cal.scales["c1"], !s.relu);
    ASSERT_EQ(c2.size(), r2.size());
    mismatches = 0;
    for (size_t i = 0; i < r2.size(); ++i)
      if (int(c2[i]) != r2[i] && ++mismatches < 5)
        ADD_FAILURE() << "c2[" << i << "] = " << int(c2[i]) << ", reference " << r2[i];
    EXPECT_EQ(mismatches, 0);
  }
}

ConvSpec Spec(int k, int stride, int p0, int p1, int p2, int p3, int cin, int cout, int h,
              bool relu, bool residual = false) {
  ConvSpec s;
  s.k = k, s.stride = stride, s.cin = cin, s.cout = cout, s.h = s.w = h, s.relu = relu;
  s.pad[0] = p0, s.pad[1] = p1, s.pad[2] = p2, s.pad[3] = p3;
  s.residual = residual;
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvShapes,
    ::testing::Values(Spec(1, 1, 0, 0, 0, 0, 16, 32, 7, true),     // 1x1
                      Spec(1, 2, 0, 0, 0, 0, 64, 16, 9, false),    // 1x1 stride 2 (projection)
                      Spec(3, 1, 1, 1, 1, 1, 32, 32, 8, true),     // 3x3 same
                      Spec(3, 2, 1, 1, 1, 1, 16, 24, 11, true),    // 3x3 stride 2
                      Spec(7, 2, 3, 3, 3, 3, 3, 64, 20, true),     // conv1-like 7x7/2
                      Spec(3, 1, 0, 1, 2, 0, 8, 8, 6, false),      // asymmetric padding
                      Spec(1, 1, 0, 0, 0, 0, 32, 32, 5, true, true),   // residual sum (u8)
                      Spec(1, 1, 0, 0, 0, 0, 32, 32, 5, false, true)));  // residual sum (s8 shortcut)

}  // namespace
}  // namespace dctcm
