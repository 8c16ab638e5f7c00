// Summary table, JSON, IR dump and DOT output.
#include "ir/report.h"

#include "ir/ops.h"

#include <algorithm>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace cnnc {

Totals totals(const Graph &g) {
  Totals t;
  for (const auto &n : g.nodes())
    if (__builtin_add_overflow(t.params, n->params, &t.params) ||
        __builtin_add_overflow(t.macs, n->macs, &t.macs)) {
      t.overflowAt = n->id;
      break;
    }
  return t;
}

namespace {

std::string rfStr(const Node &n) {
  return n.rf[0] == n.rf[1] ? std::to_string(n.rf[0])
                            : std::to_string(n.rf[0]) + "x" + std::to_string(n.rf[1]);
}

std::string rfJson(const Node &n) {
  return n.rf[0] == n.rf[1] ? std::to_string(n.rf[0]) : shapeStr({n.rf[0], n.rf[1]});
}

} // namespace

void printSummary(std::ostream &os, const Graph &g) {
  struct Row {
    std::string cells[6];
  };
  std::vector<Row> rows;
  rows.push_back({{"Layer", "Op", "Output shape", "Params", "MACs", "RF"}});
  for (const auto &n : g.nodes())
    if (n->op != OpKind::Input)
      rows.push_back({{n->name, opName(n->op), shapeStr(n->shape.dims()), withCommas(n->params),
                       withCommas(n->macs), rfStr(*n)}});
  Totals t = totals(g);
  rows.push_back({{"Total", "", "", withCommas(t.params), withCommas(t.macs), ""}});
  size_t width[6] = {};
  for (const auto &r : rows)
    for (int c = 0; c < 6; ++c)
      width[c] = std::max(width[c], r.cells[c].size());
  const Node &in = g.node(g.input);
  os << "network " << g.name << ": input " << g.inputName << ' ' << shapeStr(in.shape.dims())
     << ", output " << shapeStr(g.node(g.output).shape.dims()) << '\n';
  size_t line = 0;
  for (size_t w : width)
    line += w + 2;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == 1 || i + 1 == rows.size())
      os << std::string(line - 2, '-') << '\n';
    for (int c = 0; c < 6; ++c) {
      bool left = c < 3;
      os << (left ? std::left : std::right) << std::setw(static_cast<int>(width[c]))
         << rows[i].cells[c] << (c < 5 ? "  " : "");
    }
    os << '\n';
  }
  os << std::right << "params: " << withCommas(t.params) << " (" << std::fixed
     << std::setprecision(1) << static_cast<double>(t.params) * 4 / 1048576
     << " MiB as float32); multiply-adds per image: " << withCommas(t.macs) << '\n';
}

namespace {

std::string joinDims(const std::vector<int64_t> &dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

// "r_in + (k - 1) [x d] x j_in = r[, j = j_in x s = j]" on each axis, or
// once where both read the same; `k` and `s` per axis (a window's kernel and
// stride, or the whole plane's size twice); `r` and `j` the result's.
std::string rfArithmetic(const Node &in, const int64_t r[2], const int64_t j[2], const int64_t k[2],
                         const int64_t d[2], const int64_t s[2]) {
  std::string axis[2];
  for (int i = 0; i < 2; ++i) {
    using std::to_string;
    axis[i] = to_string(in.rf[i]) + " + (" + to_string(k[i]) + " - 1) x " +
              (d[i] > 1 ? to_string(d[i]) + " x " : "") + to_string(in.jump[i]) + " = " +
              to_string(r[i]);
    if (s[i] != 1)
      axis[i] +=
          ", j = " + to_string(in.jump[i]) + " x " + to_string(s[i]) + " = " + to_string(j[i]);
  }
  return axis[0] == axis[1] ? axis[0] : "height " + axis[0] + "; width " + axis[1];
}

// The lines that explain node n's figures, each "  what:  how\n"; empty
// for ops whose figures are their input's (elementwise ops, LRN, softmax but
// one that combines flattened positions).
std::string explainNode(const Graph &g, const Node &n) {
  std::string lines;
  auto line = [&lines](const char *what, const std::string &how) {
    if (!how.empty())
      lines +=
          std::string("  ") + what + std::string(8 - std::string(what).size(), ' ') + how + "\n";
  };
  const Attrs &a = n.attrs;
  const Node *in = n.inputs.empty() ? nullptr : &g.node(n.inputs[0]);
  bool windowed = n.op == OpKind::Conv || n.op == OpKind::MaxPool || n.op == OpKind::AvgPool;
  if (windowed)
    line("shape:", windowArithmetic(g, n));
  else if (n.op == OpKind::Concat)
    line("shape:", channelArithmetic(g, n));
  else if (n.op == OpKind::Flatten)
    line("shape:",
         joinDims(in->shape.dims()) + " = " + withCommas(n.shape.c) + " channels (C, H, W order)");
  std::string params;
  for (const auto &w : n.weights)
    if (w.counted)
      params += (params.empty() ? "" : " + ") + joinDims(w.shape) + " (" + w.name + ")";
  if (!params.empty()) {
    params += " = " + withCommas(n.params);
    if (n.op == OpKind::BatchNorm)
      params += " (running statistics not counted)";
    if (n.op == OpKind::Conv && a.groups > 1)
      params += " (" + std::to_string(in->shape.c / a.groups) + " = " +
                std::to_string(in->shape.c) + " input channels / " + std::to_string(a.groups) +
                " groups)";
    line("params:", params);
  }
  if (n.op == OpKind::Conv)
    line("MACs:", joinDims(n.shape.dims()) + " outputs x " +
                      joinDims({in->shape.c / a.groups, a.kernel[0], a.kernel[1]}) + " = " +
                      withCommas(n.macs));
  else if (n.op == OpKind::Fc)
    line("MACs:", withCommas(in->shape.c * in->shape.h * in->shape.w) + " inputs (" +
                      joinDims(in->shape.dims()) + ") x " + withCommas(a.out) +
                      " outputs = " + withCommas(n.macs));
  if (n.rfOfPlane) {
    line("RF:", "the whole plane flattened into its input's channels, " + rfStr(n));
  } else if (windowed) {
    line("RF:", rfArithmetic(*in, n.rf, n.jump, a.kernel, a.dilation, a.stride));
  } else if (n.op == OpKind::Flatten) {
    int64_t size[2] = {in->shape.h, in->shape.w}, one[2] = {1, 1};
    line("RF:", "each element one position's, " + rfStr(n));
    line("", "a layer combining its channels sees the whole plane: " +
                 rfArithmetic(*in, n.planeRf, n.jump, size, one, one));
  } else if (n.op == OpKind::Fc || n.op == OpKind::GlobalAvgPool) {
    int64_t size[2] = {in->shape.h, in->shape.w}, one[2] = {1, 1};
    line("RF:", "the whole input: " + rfArithmetic(*in, n.rf, n.jump, size, one, size));
  } else if (n.op == OpKind::Concat || n.op == OpKind::Add) {
    line("RF:", "the largest of its inputs', " + rfStr(n));
  }
  return lines;
}

} // namespace

void printExplanation(std::ostream &os, const Graph &g) {
  os << "\nHow each figure follows (language.md section 6): a conv's multiply-adds are\n"
        "its outputs x the input channels it reads (C / groups) x its kernel; the\n"
        "receptive field r = r_in + (k - 1) x d x j_in, with j = j_in x stride input\n"
        "pixels between neighbouring outputs.\n\n";
  for (const auto &n : g.nodes()) {
    std::string lines = explainNode(g, *n);
    if (lines.empty())
      continue;
    os << n->name << " (" << opName(n->op) << "): " << inputShapes(g, *n) << " -> "
       << shapeStr(n->shape.dims()) << '\n'
       << lines;
  }
}

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

void printSummaryJson(std::ostream &os, const Graph &g) {
  Totals t = totals(g);
  os << "{\n  \"network\": " << jsonString(g.name)
     << ",\n  \"input\": " << shapeStr(g.node(g.input).shape.dims())
     << ",\n  \"output\": " << shapeStr(g.node(g.output).shape.dims())
     << ",\n  \"params\": " << t.params << ",\n  \"macs\": " << t.macs << ",\n  \"layers\": [";
  bool first = true;
  for (const auto &n : g.nodes()) {
    if (n->op == OpKind::Input)
      continue;
    os << (first ? "\n" : ",\n") << "    {\"name\": " << jsonString(n->name)
       << ", \"op\": " << jsonString(opName(n->op)) << ", \"shape\": " << shapeStr(n->shape.dims())
       << ", \"params\": " << n->params << ", \"macs\": " << n->macs
       << ", \"receptive_field\": " << rfJson(*n) << ", \"weights\": [";
    for (size_t i = 0; i < n->weights.size(); ++i)
      os << (i ? ", " : "") << "{\"name\": " << jsonString(n->weights[i].name)
         << ", \"shape\": " << shapeStr(n->weights[i].shape) << "}";
    os << "]}";
    first = false;
  }
  os << "\n  ]\n}\n";
}

namespace {

std::string attrStr(const Node &n) {
  const Attrs &a = n.attrs;
  std::ostringstream s;
  auto pair = [](const int64_t v[2]) {
    return v[0] == v[1] ? std::to_string(v[0]) : shapeStr({v[0], v[1]});
  };
  auto pad = shapeStr({a.pad.top, a.pad.left, a.pad.bottom, a.pad.right});
  switch (n.op) {
  case OpKind::Conv:
    s << "out=" << a.out << " kernel=" << pair(a.kernel) << " stride=" << pair(a.stride)
      << " pad=" << pad << " dilation=" << pair(a.dilation) << " groups=" << a.groups
      << " bias=" << (a.bias ? "true" : "false");
    break;
  case OpKind::Fc:
    s << "out=" << a.out << " bias=" << (a.bias ? "true" : "false");
    break;
  case OpKind::MaxPool:
  case OpKind::AvgPool:
    s << "kernel=" << pair(a.kernel) << " stride=" << pair(a.stride) << " pad=" << pad
      << " ceil=" << (a.ceil ? "true" : "false");
    break;
  case OpKind::Lrn:
    s << "size=" << a.size << " alpha=" << a.alpha << " beta=" << a.beta << " k=" << a.k;
    break;
  case OpKind::BatchNorm:
    s << "eps=" << a.eps;
    break;
  case OpKind::Dropout:
    s << "p=" << a.p;
    break;
  default:
    break;
  }
  return s.str();
}

} // namespace

void printIR(std::ostream &os, const Graph &g) {
  os << "graph " << g.name << " (output %" << g.output << ")\n";
  for (const auto &n : g.nodes()) {
    os << "  %" << n->id << " = " << opName(n->op) << '(';
    for (size_t i = 0; i < n->inputs.size(); ++i)
      os << (i ? ", " : "") << '%' << n->inputs[i];
    os << ')';
    std::string attrs = attrStr(*n);
    if (!attrs.empty())
      os << ' ' << attrs;
    os << " : " << shapeStr(n->shape.dims()) << "  # " << n->name << " @" << n->loc.line << ':'
       << n->loc.col << '\n';
    for (const auto &w : n->weights)
      os << "      weight " << w.name << ' ' << shapeStr(w.shape) << '\n';
  }
}

namespace {

// A DOT string: quotes escaped, newlines as DOT's \n.
std::string dotString(const std::string &s) {
  std::string out = "\"";
  for (char ch : s)
    out += ch == '"' ? std::string("\\\"") : ch == '\n' ? std::string("\\n") : std::string(1, ch);
  return out + "\"";
}

} // namespace

void printDot(std::ostream &os, const Graph &g) {
  os << "digraph " << dotString(g.name) << " {\n  rankdir=TB;\n  node [shape=box, "
     << "fontname=\"Helvetica\"];\n";
  for (const auto &n : g.nodes()) {
    std::string label = n->name + "\n" + opName(n->op) + " " + shapeStr(n->shape.dims());
    os << "  n" << n->id << " [label=" << dotString(label)
       << (n->op == OpKind::Input ? ", shape=ellipse" : "") << "];\n";
  }
  for (const auto &n : g.nodes())
    for (int in : n->inputs)
      os << "  n" << in << " -> n" << n->id << ";\n";
  os << "}\n";
}

} // namespace cnnc
