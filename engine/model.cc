#include "engine/model.h"

#include <map>
#include <nlohmann/json.hpp>

#include "weights/json_int.h"

namespace dctcm {

const Tensor& Model::tensor(const std::string& name) const {
  return weights.tensors.at(name);
}

int Model::FindOp(const std::string& name) const {
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i].name == name) return static_cast<int>(i);
  return -1;
}

Status ParseGraph(const std::string& text, const std::string& file,
                  Model* m) {
  using nlohmann::json;
  try {
    json g = json::parse(text);
    if (g.at("format") != "dctcm-graph" || g.at("version") != 1)
      return Error(file + ": graph: expected format dctcm-graph version 1");
    m->in_h = JsonInt(g.at("input").at(0));
    m->in_w = JsonInt(g.at("input").at(1));
    m->in_c = JsonInt(g.at("input").at(2));
    // Bounds that keep every size computed below far from int overflow.
    if (m->in_h < 1 || m->in_w < 1 || m->in_c < 1 || m->in_h > 16384 || m->in_w > 16384 ||
        m->in_c > 65536)
      return Error(file + ": graph: input shape out of range (1..16384 x 1..16384 x 1..65536)");
    for (int i = 0; i < 3; ++i)
      m->mean[i] = g.at("preprocess").at("mean").at(i).get<float>();
    m->labels = g.at("labels").get<std::vector<std::string>>();
    m->ops.clear();
    std::map<std::string, int> index;
    std::map<std::string, std::array<int, 3>> shape;
    shape["input"] = {m->in_h, m->in_w, m->in_c};
    index["input"] = -1;
    for (const auto& j : g.at("ops")) {
      OpDesc op;
      const std::string kind = j.at("op");
      op.name = j.at("name");
      op.src = j.at("src");
      auto fail = [&](const std::string& what) {
        return Error(file + ": graph op '" + op.name + "': " + what);
      };
      if (kind == "conv") op.kind = OpDesc::kConv;
      else if (kind == "maxpool") op.kind = OpDesc::kMaxPool;
      else if (kind == "gap") op.kind = OpDesc::kGap;
      else if (kind == "fc") op.kind = OpDesc::kFc;
      else return fail("unknown op kind '" + kind + "'");
      if (index.count(op.name)) return fail("duplicate name");
      if (!index.count(op.src)) return fail("input '" + op.src + "' not defined before use");
      op.src_index = index[op.src];
      auto [ih, iw, ic] = shape[op.src];
      op.in_h = ih, op.in_w = iw, op.in_c = ic;
      op.out_h = JsonInt(j.at("out").at(0));
      op.out_w = JsonInt(j.at("out").at(1));
      op.out_c = JsonInt(j.at("out").at(2));
      if (op.kind == OpDesc::kConv || op.kind == OpDesc::kMaxPool) {
        op.kh = JsonInt(j.at("kh")), op.kw = JsonInt(j.at("kw"));
        op.stride = JsonInt(j.at("stride"));
        for (int i = 0; i < 4; ++i) op.pad[i] = JsonInt(j.at("pad").at(i));
        if (op.kh < 1 || op.kw < 1 || op.stride < 1 || op.kh > 15 || op.kw > 15)
          return fail("kernel/stride out of range");
        for (int p : op.pad)
          if (p < 0 || p >= 15) return fail("padding out of range");
        int oh = (ih + op.pad[0] + op.pad[2] - op.kh) / op.stride + 1;
        int ow = (iw + op.pad[1] + op.pad[3] - op.kw) / op.stride + 1;
        if (oh != op.out_h || ow != op.out_w)
          return fail("output size " + std::to_string(op.out_h) + "x" +
                      std::to_string(op.out_w) + " does not match computed " +
                      std::to_string(oh) + "x" + std::to_string(ow));
      }
      if (op.kind == OpDesc::kConv) {
        op.relu = j.at("relu");
        if (j.contains("add")) {
          op.add = j.at("add");
          if (!index.count(op.add)) return fail("add input '" + op.add + "' undefined");
          op.add_index = index[op.add];
          if (shape[op.add] != std::array<int, 3>{op.out_h, op.out_w, op.out_c})
            return fail("add input shape differs from output shape");
        }
        const Tensor* k = nullptr;
        auto it = m->weights.tensors.find(op.name + "/kernel");
        if (it != m->weights.tensors.end()) k = &it->second;
        std::vector<int64_t> want{op.kh, op.kw, ic, op.out_c};
        if (!k || k->dims != want)
          return fail("tensor " + op.name + "/kernel missing or not [" +
                      std::to_string(op.kh) + "," + std::to_string(op.kw) + "," +
                      std::to_string(ic) + "," + std::to_string(op.out_c) + "]");
        auto b = m->weights.tensors.find(op.name + "/bias");
        if (b == m->weights.tensors.end() ||
            b->second.dims != std::vector<int64_t>{op.out_c})
          return fail("tensor " + op.name + "/bias missing or not [" +
                      std::to_string(op.out_c) + "]");
      } else if (op.kind == OpDesc::kMaxPool || op.kind == OpDesc::kGap) {
        if (op.out_c != ic) return fail("channel count changes across a pool");
        if (op.kind == OpDesc::kGap && (op.out_h != 1 || op.out_w != 1))
          return fail("global pool output must be 1x1");
      } else {
        op.softmax = j.value("softmax", false);
        if (ih != 1 || iw != 1) return fail("fc input must be 1x1");
        auto k = m->weights.tensors.find(op.name + "/kernel");
        if (k == m->weights.tensors.end() ||
            k->second.dims != std::vector<int64_t>{ic, op.out_c})
          return fail("tensor " + op.name + "/kernel missing or wrong shape");
        auto b = m->weights.tensors.find(op.name + "/bias");
        if (b == m->weights.tensors.end() ||
            b->second.dims != std::vector<int64_t>{op.out_c})
          return fail("tensor " + op.name + "/bias missing or wrong shape");
      }
      if (op.out_h < 1 || op.out_w < 1 || op.out_c < 1 || op.out_h > 65536 ||
          op.out_w > 65536 || op.out_c > 65536)
        return fail("output shape out of range");
      index[op.name] = static_cast<int>(m->ops.size());
      shape[op.name] = {op.out_h, op.out_w, op.out_c};
      m->ops.push_back(op);
    }
    if (m->ops.empty() || m->ops.back().kind != OpDesc::kFc)
      return Error(file + ": graph must end with an fc op");
    if (m->labels.size() != static_cast<size_t>(m->ops.back().out_c))
      return Error(file + ": graph has " + std::to_string(m->labels.size()) +
                   " labels for " + std::to_string(m->ops.back().out_c) +
                   " classes");
  } catch (const std::exception& e) {
    return Error(file + ": graph: " + e.what());
  }
  return Status::Ok();
}

Status LoadModel(const std::string& path, Model* m) {
  DCTCM_RETURN_IF_ERROR(ReadWeightFile(path, &m->weights));
  m->path = path;
  m->weights_hash = m->weights.content_hash;
  return ParseGraph(m->weights.graph_json, path, m);
}

}  // namespace dctcm
