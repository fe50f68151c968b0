#include "engine/network.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

namespace dctcm {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

const char* PrecisionName(Precision p) {
  return p == Precision::kFp32 ? "fp32" : "int8";
}
bool ParsePrecision(const std::string& s, Precision* p) {
  if (s == "fp32") *p = Precision::kFp32;
  else if (s == "int8") *p = Precision::kInt8;
  else return false;
  return true;
}

std::string CpuIsaName() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

std::vector<int> TopK(const float* v, int n, int k) {
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, n);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int a, int b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
  idx.resize(k);
  return idx;
}

struct Network::Layer {
  const OpDesc* op = nullptr;
  dnnl::primitive prim;
  memory::desc src_md, dst_md;
  memory wei, bias;
  bool src_signed = false, dst_signed = false, add_signed = false;
  float dst_scale = 1.f;          // int8: real = q * dst_scale
};

Network::Network() = default;
Network::~Network() = default;

MapInfo Network::map_info(int i) const {
  const OpDesc& op = model_->ops[i];
  MapInfo m;
  m.op = i;
  m.name = op.name;
  m.n = cfg_.batch;
  m.h = op.out_h;
  m.w = op.out_w;
  m.c = op.out_c;
  m.is_signed = layers_[i]->dst_signed;
  return m;
}

static float ScaleOf(const Calibration& c, const std::string& name) {
  auto it = c.scales.find(name);
  return it == c.scales.end() ? -1.f : it->second;
}

Status Network::BuildConv(int i, Layer* L) {
  const OpDesc& op = *L->op;
  const int N = cfg_.batch;
  const bool q = cfg_.precision == Precision::kInt8;
  memory::dims src_d{N, op.in_c, op.in_h, op.in_w};
  memory::dims dst_d{N, op.out_c, op.out_h, op.out_w};
  memory::dims wei_d{op.out_c, op.in_c, op.kh, op.kw};
  memory::dims bias_d{op.out_c};
  dt src_t = dt::f32, dst_t = dt::f32, wei_t = dt::f32, bias_t = dt::f32;
  dnnl::primitive_attr attr;
  dnnl::post_ops po;
  const Tensor& k = model_->tensor(op.name + "/kernel");
  const Tensor& b = model_->tensor(op.name + "/bias");
  std::vector<int8_t> wq;
  std::vector<int32_t> bq;
  if (q) {
    const Calibration& c = *cfg_.calibration;
    float s_src = op.src_index < 0 ? in_scale_ : layers_[op.src_index]->dst_scale;
    L->src_signed = op.src_index < 0 ? true : layers_[op.src_index]->dst_signed;
    L->dst_signed = !op.relu;
    L->dst_scale = ScaleOf(c, op.name);
    if (L->dst_scale <= 0)
      return Error(c.path + ": calibration has no scale for layer '" + op.name + "'");
    src_t = L->src_signed ? dt::s8 : dt::u8;
    dst_t = L->dst_signed ? dt::s8 : dt::u8;
    wei_t = dt::s8;
    bias_t = dt::s32;
    // Symmetric per-output-channel weights: w = wq * sw[o].
    const int cout = op.out_c;
    std::vector<float> sw(cout, 0.f), oscale(cout);
    for (int64_t j = 0; j < k.size(); ++j)
      sw[j % cout] = std::max(sw[j % cout], std::fabs(k.data[j]));
    for (int o = 0; o < cout; ++o) sw[o] = sw[o] > 0 ? sw[o] / 127.f : 1.f;
    wq.resize(k.size());
    for (int64_t j = 0; j < k.size(); ++j)
      wq[j] = static_cast<int8_t>(std::lrint(
          std::clamp(k.data[j] / sw[j % cout], -127.f, 127.f)));
    bq.resize(cout);
    for (int o = 0; o < cout; ++o) {
      double bs = double(s_src) * sw[o];
      bq[o] = static_cast<int32_t>(std::clamp<double>(std::nearbyint(b.data[o] / bs), -2e9, 2e9));
      oscale[o] = static_cast<float>(bs / L->dst_scale);
    }
    attr.set_output_scales(1 << 1, oscale);
    if (op.add_index >= 0) {
      const Layer& A = *layers_[op.add_index];
      L->add_signed = A.dst_signed;
      po.append_sum(A.dst_scale / L->dst_scale, A.dst_signed ? dt::s8 : dt::u8);
    }
  } else if (op.add_index >= 0) {
    po.append_sum(1.f);
  }
  if (op.relu) po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  attr.set_post_ops(po);

  L->src_md = memory::desc(src_d, src_t, tag::nhwc);
  L->dst_md = memory::desc(dst_d, dst_t, tag::nhwc);
  auto wei_any = memory::desc(wei_d, wei_t, tag::any);
  auto bias_md = memory::desc(bias_d, bias_t, tag::x);
  auto d = dnnl::convolution_forward::desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
      L->src_md, wei_any, bias_md, L->dst_md, {op.stride, op.stride},
      {op.pad[0], op.pad[1]}, {op.pad[2], op.pad[3]});
  auto pd = dnnl::convolution_forward::primitive_desc(d, attr, eng_);
  L->prim = dnnl::convolution_forward(pd);

  // Weights: user layout HWIO (as stored), reordered once to oneDNN's choice.
  auto user_wei_md = memory::desc(wei_d, wei_t, tag::hwio);
  void* wptr = q ? static_cast<void*>(wq.data())
                 : const_cast<float*>(k.data.data());
  memory user_wei(user_wei_md, eng_, wptr);
  L->wei = memory(pd.weights_desc(), eng_);
  dnnl::reorder(user_wei, L->wei).execute(strm_, user_wei, L->wei);
  L->bias = memory(bias_md, eng_);
  if (q) std::memcpy(L->bias.get_data_handle(), bq.data(), bq.size() * 4);
  else std::memcpy(L->bias.get_data_handle(), b.data.data(), b.data.size() * 4);
  strm_.wait();
  (void)i;
  return Status::Ok();
}

Status Network::BuildPool(int, Layer* L) {
  const OpDesc& op = *L->op;
  const int N = cfg_.batch;
  const bool q = cfg_.precision == Precision::kInt8;
  if (q) {
    const Layer& S = *layers_[op.src_index];
    L->src_signed = L->dst_signed = S.dst_signed;
    L->dst_scale = S.dst_scale;  // max pool does not change the scale
  }
  dt t = q ? (L->src_signed ? dt::s8 : dt::u8) : dt::f32;
  L->src_md = memory::desc({N, op.in_c, op.in_h, op.in_w}, t, tag::nhwc);
  L->dst_md = memory::desc({N, op.out_c, op.out_h, op.out_w}, t, tag::nhwc);
  // Keras pads with zeros before a "valid" max pool; oneDNN pads with -inf.
  // The input is post-ReLU (>= 0) and every window holds a real value, so the
  // results are identical.
  auto d = dnnl::pooling_forward::desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max,
      L->src_md, L->dst_md, {op.stride, op.stride}, {op.kh, op.kw},
      {op.pad[0], op.pad[1]}, {op.pad[2], op.pad[3]});
  L->prim = dnnl::pooling_forward(dnnl::pooling_forward::primitive_desc(d, eng_));
  return Status::Ok();
}

// The classifier on oneDNN's inner product. int8: the pooled vector is uint8
// with its own calibrated scale ("avg_pool"), weights int8 per output
// channel, int32 bias, fp32 logits out. Weights are 2 MB instead of 8 MB,
// which is what batch-1 latency pays for.
Status Network::BuildFc(Layer* L) {
  const OpDesc& op = *L->op;
  const int N = cfg_.batch;
  const bool q = cfg_.precision == Precision::kInt8;
  const Tensor& k = model_->tensor(op.name + "/kernel");  // [in, out]
  const Tensor& b = model_->tensor(op.name + "/bias");
  const int O = op.out_c;
  dt src_t = dt::f32, wei_t = dt::f32, bias_t = dt::f32;
  dnnl::primitive_attr attr;
  std::vector<int8_t> wq;
  std::vector<int32_t> bq;
  if (q) {
    src_t = layers_[op.src_index]->dst_signed ? dt::s8 : dt::u8;
    wei_t = dt::s8, bias_t = dt::s32;
    const float s_src = layers_[op.src_index]->dst_scale;
    std::vector<float> sw(O, 0.f), oscale(O);
    for (int64_t j = 0; j < k.size(); ++j) sw[j % O] = std::max(sw[j % O], std::fabs(k.data[j]));
    for (auto& v : sw) v = v > 0 ? v / 127.f : 1.f;
    wq.resize(k.size());
    for (int64_t j = 0; j < k.size(); ++j)
      wq[j] = static_cast<int8_t>(std::lrint(std::clamp(k.data[j] / sw[j % O], -127.f, 127.f)));
    bq.resize(O);
    for (int o = 0; o < O; ++o) {
      double bs = double(s_src) * sw[o];
      bq[o] = static_cast<int32_t>(std::clamp<double>(std::nearbyint(b.data[o] / bs), -2e9, 2e9));
      oscale[o] = static_cast<float>(bs);
    }
    attr.set_output_scales(1 << 1, oscale);
  }
  L->src_md = memory::desc({N, op.in_c}, src_t, tag::nc);
  L->dst_md = memory::desc({N, O}, dt::f32, tag::nc);
  auto wei_any = memory::desc({O, op.in_c}, wei_t, tag::any);
  auto bias_md = memory::desc({O}, bias_t, tag::x);
  auto d = dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, L->src_md,
                                             wei_any, bias_md, L->dst_md);
  auto pd = dnnl::inner_product_forward::primitive_desc(d, attr, eng_);
  L->prim = dnnl::inner_product_forward(pd);
  void* wptr = q ? static_cast<void*>(wq.data()) : const_cast<float*>(k.data.data());
  memory user(memory::desc({O, op.in_c}, wei_t, tag::io), eng_, wptr);
  L->wei = memory(pd.weights_desc(), eng_);
  dnnl::reorder(user, L->wei).execute(strm_, user, L->wei);
  L->bias = memory(bias_md, eng_);
  if (q) std::memcpy(L->bias.get_data_handle(), bq.data(), bq.size() * 4);
  else std::memcpy(L->bias.get_data_handle(), b.data.data(), b.data.size() * 4);
  strm_.wait();
  return Status::Ok();
}

Status Network::Init(const Model& model, const NetworkConfig& cfg) {
  model_ = &model;
  cfg_ = cfg;
  if (cfg.batch < 1 || cfg.batch > 4096) return UsageError("batch must be 1..4096");
  const bool q = cfg.precision == Precision::kInt8;
  if (q && !cfg.calibration)
    return UsageError("int8 needs a calibration file (dctcm calibrate)");
  if (!q && cfg.store) return UsageError("the memory pool holds int8 maps only");
  elem_ = q ? 1 : 4;
  try {
    eng_ = dnnl::engine(dnnl::engine::kind::cpu, 0);
    strm_ = dnnl::stream(eng_);
    if (q) {
      in_scale_ = ScaleOf(*cfg.calibration, "input");
      if (in_scale_ <= 0)
        return Error(cfg.calibration->path + ": calibration has no scale for 'input'");
    }
    const int n_ops = static_cast<int>(model.ops.size());
    layers_.clear();
    for (int i = 0; i < n_ops; ++i) {
      auto L = std::make_unique<Layer>();
      L->op = &model.ops[i];
      switch (L->op->kind) {
        case OpDesc::kConv: DCTCM_RETURN_IF_ERROR(BuildConv(i, L.get())); break;
        case OpDesc::kMaxPool: DCTCM_RETURN_IF_ERROR(BuildPool(i, L.get())); break;
        case OpDesc::kGap:
          if (q) {
            L->src_signed = L->dst_signed = layers_[L->op->src_index]->dst_signed;
            L->dst_scale = ScaleOf(*cfg.calibration, L->op->name);
            if (L->dst_scale <= 0)
              return Error(cfg.calibration->path + ": calibration has no scale for layer '" +
                           L->op->name + "' (re-run dctcm calibrate)");
          }
          break;
        case OpDesc::kFc: DCTCM_RETURN_IF_ERROR(BuildFc(L.get())); break;
      }
      layers_.push_back(std::move(L));
    }
    // Liveness: last op that reads each output.
    last_use_.assign(n_ops, -1);
    for (int i = 0; i < n_ops; ++i) {
      const OpDesc& op = model.ops[i];
      if (op.src_index >= 0) last_use_[op.src_index] = std::max(last_use_[op.src_index], i);
      if (op.add_index >= 0) last_use_[op.add_index] = std::max(last_use_[op.add_index], i);
    }
    // Direct mode: a buffer slot per live map, reused once its last reader ran.
    // A conv with a residual input whose last reader it is sums in place.
    slot_.assign(n_ops, -1);
    slots_.clear();
    std::vector<size_t> slot_size;
    std::vector<int> slot_free_after;  // op index after which the slot is free
    auto bytes_of = [&](int i) {
      const OpDesc& op = model.ops[i];
      return size_t(cfg.batch) * op.out_h * op.out_w * op.out_c * elem_;
    };
    size_t max_map = 0;
    for (int i = 0; i < n_ops; ++i) {
      const OpDesc& op = model.ops[i];
      if (op.kind == OpDesc::kGap || op.kind == OpDesc::kFc) continue;
      max_map = std::max(max_map, bytes_of(i));
      if (cfg.store) continue;
      int s = -1;
      if (op.add_index >= 0 && last_use_[op.add_index] == i) s = slot_[op.add_index];
      for (size_t k = 0; s < 0 && k < slot_size.size(); ++k)
        if (slot_free_after[k] < i) s = static_cast<int>(k);
      if (s < 0) {
        s = static_cast<int>(slot_size.size());
        slot_size.push_back(0);
        slot_free_after.push_back(0);
      }
      slot_[i] = s;
      slot_size[s] = std::max(slot_size[s], bytes_of(i));
      slot_free_after[s] = last_use_[i];
    }
    for (size_t s : slot_size) slots_.emplace_back(s + 64);
    if (cfg.store) {
      scratch_src_.assign(max_map + 64, 0);
      scratch_dst_.assign(max_map + 64, 0);
    }
    input_q_.assign(size_t(cfg.batch) * model.in_h * model.in_w * model.in_c + 64, 0);
    times_.assign(n_ops, LayerTime{});
  } catch (const dnnl::error& e) {
    return Error(std::string("oneDNN: ") + e.what() + " (status " +
                 std::to_string(e.status) + ")");
  }
  return Status::Ok();
}

static void* Align64(std::vector<uint8_t>& v) {
  uintptr_t p = reinterpret_cast<uintptr_t>(v.data());
  return reinterpret_cast<void*>((p + 63) & ~uintptr_t{63});
}

Status Network::Run(const float* input, std::vector<float>* logits,
                    std::vector<float>* probs) {
  try {
    return RunImpl(input, logits, probs);
  } catch (const dnnl::error& e) {
    return Error(std::string("oneDNN: ") + e.what());
  }
}

Status Network::RunImpl(const float* input, std::vector<float>* logits,
                        std::vector<float>* probs) {
  using clock = std::chrono::steady_clock;
  const Model& m = *model_;
  const int N = cfg_.batch;
  const bool q = cfg_.precision == Precision::kInt8;
  MapStore* store = cfg_.store;
  const size_t in_count = size_t(N) * m.in_h * m.in_w * m.in_c;
  void* in_ptr = const_cast<float*>(input);
  if (q) {
    int8_t* dst = static_cast<int8_t*>(Align64(input_q_));
    const float inv = 1.f / in_scale_;
    for (size_t j = 0; j < in_count; ++j)
      dst[j] = static_cast<int8_t>(std::lrint(std::clamp(input[j] * inv, -128.f, 127.f)));
    in_ptr = dst;
  }
  if (store) DCTCM_RETURN_IF_ERROR(store->BeginImage());
  // Any error from here on leaves the image's maps in the store: drop them
  // (AbortImage), so that this network can run the next image.
  struct AbortGuard {
    MapStore* store;
    ~AbortGuard() {
      if (store) store->AbortImage();
    }
  } abort_guard{store};
  const int n_ops = static_cast<int>(m.ops.size());
  const int classes = m.ops.back().out_c;
  logits->assign(size_t(N) * classes, 0.f);
  auto out_ptr = [&](int i) -> void* {
    return store ? Align64(scratch_dst_) : Align64(slots_[slot_[i]]);
  };
  for (int i = 0; i < n_ops; ++i) {
    const OpDesc& op = m.ops[i];
    Layer& L = *layers_[i];
    LayerTime& T = times_[i];
    auto t0 = clock::now();
    // Inputs: the network input, a map in place, or a map loaded from the store.
    void* src = in_ptr;
    if (op.kind == OpDesc::kFc) {
      src = nullptr;  // reads the pooled vector (gap_), not a feature map
    } else if (op.src_index >= 0) {
      if (store) {
        src = Align64(scratch_src_);
        DCTCM_RETURN_IF_ERROR(store->Load(map_info(op.src_index), i, static_cast<uint8_t*>(src)));
      } else {
        src = Align64(slots_[slot_[op.src_index]]);
      }
    }
    void* dst = nullptr;
    if (op.kind == OpDesc::kConv || op.kind == OpDesc::kMaxPool) {
      dst = out_ptr(i);
      if (op.add_index >= 0) {
        if (store) {
          DCTCM_RETURN_IF_ERROR(store->Load(map_info(op.add_index), i, static_cast<uint8_t*>(dst)));
        } else if (slot_[op.add_index] != slot_[i]) {
          std::memcpy(dst, Align64(slots_[slot_[op.add_index]]),
                      size_t(N) * op.out_h * op.out_w * op.out_c * elem_);
        }
      }
    }
    auto t1 = clock::now();
    if (op.kind == OpDesc::kConv) {
      memory s(L.src_md, eng_, src), d(L.dst_md, eng_, dst);
      L.prim.execute(strm_, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, L.wei},
                             {DNNL_ARG_BIAS, L.bias}, {DNNL_ARG_DST, d}});
      strm_.wait();
    } else if (op.kind == OpDesc::kMaxPool) {
      memory s(L.src_md, eng_, src), d(L.dst_md, eng_, dst);
      L.prim.execute(strm_, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, d}});
      strm_.wait();
    } else if (op.kind == OpDesc::kGap) {
      // Global average pool: fp32, or in int8 an integer sum requantised to
      // uint8 with the pooled vector's own scale.
      const int hw = op.in_h * op.in_w, C = op.in_c;
      gap_.assign(size_t(N) * C, 0.f);
      gap_q_.resize(size_t(N) * C);
      for (int n = 0; n < N; ++n) {
        float* g = gap_.data() + size_t(n) * C;
        if (q) {
          std::vector<int32_t> acc(C, 0);
          if (L.src_signed) {
            const int8_t* p = static_cast<const int8_t*>(src) + size_t(n) * hw * C;
            for (int j = 0; j < hw; ++j)
              for (int c = 0; c < C; ++c) acc[c] += p[size_t(j) * C + c];
          } else {
            const uint8_t* p = static_cast<const uint8_t*>(src) + size_t(n) * hw * C;
            for (int j = 0; j < hw; ++j)
              for (int c = 0; c < C; ++c) acc[c] += p[size_t(j) * C + c];
          }
          const float k = layers_[op.src_index]->dst_scale / (hw * L.dst_scale);
          const float lo = L.src_signed ? -128.f : 0.f, hi = L.src_signed ? 127.f : 255.f;
          for (int c = 0; c < C; ++c)
            gap_q_[size_t(n) * C + c] = static_cast<uint8_t>(
                static_cast<int32_t>(std::lrint(std::clamp(acc[c] * k, lo, hi))));
        } else {
          const float* p = static_cast<const float*>(src) + size_t(n) * hw * C;
          for (int j = 0; j < hw; ++j)
            for (int c = 0; c < C; ++c) g[c] += p[size_t(j) * C + c];
          for (int c = 0; c < C; ++c) g[c] /= hw;
        }
      }
      if (fp32_observer && !q) fp32_observer(i, gap_.data(), gap_.size());
    } else {  // kFc
      void* x = q ? static_cast<void*>(gap_q_.data()) : static_cast<void*>(gap_.data());
      memory s(L.src_md, eng_, x), d(L.dst_md, eng_, logits->data());
      L.prim.execute(strm_, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, L.wei},
                             {DNNL_ARG_BIAS, L.bias}, {DNNL_ARG_DST, d}});
      strm_.wait();
    }
    auto t2 = clock::now();
    if (dst) {
      const size_t count = size_t(N) * op.out_h * op.out_w * op.out_c;
      if (fp32_observer && !q) fp32_observer(i, static_cast<const float*>(dst), count);
      if (int8_observer && q) int8_observer(map_info(i), static_cast<const uint8_t*>(dst));
      if (store && last_use_[i] >= 0)
        DCTCM_RETURN_IF_ERROR(store->Store(map_info(i), static_cast<const uint8_t*>(dst)));
    }
    if (store && op.kind != OpDesc::kFc) {
      if (op.src_index >= 0 && last_use_[op.src_index] == i)
        DCTCM_RETURN_IF_ERROR(store->Free(map_info(op.src_index)));
      if (op.add_index >= 0 && last_use_[op.add_index] == i)
        DCTCM_RETURN_IF_ERROR(store->Free(map_info(op.add_index)));
    }
    auto t3 = clock::now();
    if (cfg_.time_layers) {
      auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
      T.load_ms += ms(t0, t1);
      T.ms += ms(t1, t2);
      T.store_ms += ms(t2, t3);
    }
  }
  if (store) {
    DCTCM_RETURN_IF_ERROR(store->EndImage());
    abort_guard.store = nullptr;  // the image completed
  }
  if (probs) {
    probs->resize(logits->size());
    for (int n = 0; n < N; ++n) {
      const float* l = logits->data() + size_t(n) * classes;
      float* p = probs->data() + size_t(n) * classes;
      float mx = *std::max_element(l, l + classes);
      double sum = 0;
      for (int o = 0; o < classes; ++o) sum += (p[o] = std::exp(l[o] - mx));
      for (int o = 0; o < classes; ++o) p[o] = static_cast<float>(p[o] / sum);
    }
  }
  return Status::Ok();
}

}  // namespace dctcm
