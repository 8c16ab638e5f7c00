// The float64 reference. Each op follows its row in language.md section 3.
#include "tests/reference/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace cnnc::ref {

namespace {

struct T {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<double> v;
  T() = default;
  T(int64_t n_, int64_t c_, int64_t h_, int64_t w_)
      : n(n_), c(c_), h(h_), w(w_), v(static_cast<size_t>(n_ * c_ * h_ * w_), 0.0) {}
  double &at(int64_t b, int64_t ch, int64_t y, int64_t x) {
    return v[static_cast<size_t>(((b * c + ch) * h + y) * w + x)];
  }
  double at(int64_t b, int64_t ch, int64_t y, int64_t x) const {
    return v[static_cast<size_t>(((b * c + ch) * h + y) * w + x)];
  }
};

const std::vector<double> &weight(const Weights &ws, const std::string &name) {
  auto it = ws.find(name);
  if (it == ws.end())
    throw std::runtime_error("reference: no weight " + name);
  return it->second;
}

T conv(const Node &node, const T &in, const Weights &ws) {
  const Attrs &a = node.attrs;
  T out(in.n, node.shape.c, node.shape.h, node.shape.w);
  const auto &wt = weight(ws, node.unit + ".weight");
  int64_t cig = in.c / a.groups, cog = a.out / a.groups;
  int64_t kh = a.kernel[0], kw = a.kernel[1];
  for (int64_t b = 0; b < in.n; ++b)
    for (int64_t co = 0; co < out.c; ++co) {
      int64_t g = co / cog;
      double bias = a.bias ? weight(ws, node.unit + ".bias")[static_cast<size_t>(co)] : 0.0;
      for (int64_t oy = 0; oy < out.h; ++oy)
        for (int64_t ox = 0; ox < out.w; ++ox) {
          double sum = bias;
          for (int64_t ci = 0; ci < cig; ++ci)
            for (int64_t ky = 0; ky < kh; ++ky) {
              int64_t iy = oy * a.stride[0] - a.pad.top + ky * a.dilation[0];
              if (iy < 0 || iy >= in.h)
                continue;
              for (int64_t kx = 0; kx < kw; ++kx) {
                int64_t ix = ox * a.stride[1] - a.pad.left + kx * a.dilation[1];
                if (ix < 0 || ix >= in.w)
                  continue;
                sum += wt[static_cast<size_t>(((co * cig + ci) * kh + ky) * kw + kx)] *
                       in.at(b, g * cig + ci, iy, ix);
              }
            }
          out.at(b, co, oy, ox) = sum;
        }
    }
  return out;
}

T fc(const Node &node, const T &in, const Weights &ws) {
  const auto &wt = weight(ws, node.unit + ".weight");
  int64_t per = in.c * in.h * in.w;
  T out(in.n, node.attrs.out, 1, 1);
  for (int64_t b = 0; b < in.n; ++b)
    for (int64_t o = 0; o < node.attrs.out; ++o) {
      double sum = node.attrs.bias ? weight(ws, node.unit + ".bias")[static_cast<size_t>(o)] : 0;
      for (int64_t i = 0; i < per; ++i)
        sum += wt[static_cast<size_t>(o * per + i)] * in.v[static_cast<size_t>(b * per + i)];
      out.at(b, o, 0, 0) = sum;
    }
  return out;
}

T pool(const Node &node, const T &in) {
  const Attrs &a = node.attrs;
  bool isMax = node.op == OpKind::MaxPool;
  T out(in.n, in.c, node.shape.h, node.shape.w);
  for (int64_t b = 0; b < in.n; ++b)
    for (int64_t ch = 0; ch < in.c; ++ch)
      for (int64_t oy = 0; oy < out.h; ++oy)
        for (int64_t ox = 0; ox < out.w; ++ox) {
          int64_t y0 = oy * a.stride[0] - a.pad.top, x0 = ox * a.stride[1] - a.pad.left;
          double acc = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
          for (int64_t y = y0; y < y0 + a.kernel[0]; ++y)
            for (int64_t x = x0; x < x0 + a.kernel[1]; ++x) {
              if (y < 0 || y >= in.h || x < 0 || x >= in.w)
                continue; // padding: never the max, zero in the sum
              acc = isMax ? std::max(acc, in.at(b, ch, y, x)) : acc + in.at(b, ch, y, x);
            }
          if (!isMax) {
            // count_include_pad: the window clipped at the padded edge.
            int64_t y1 = std::min(y0 + a.kernel[0], in.h + a.pad.bottom);
            int64_t x1 = std::min(x0 + a.kernel[1], in.w + a.pad.right);
            acc /= static_cast<double>((y1 - y0) * (x1 - x0));
          }
          out.at(b, ch, oy, ox) = acc;
        }
  return out;
}

T lrn(const Node &node, const T &in) {
  const Attrs &a = node.attrs;
  T out(in.n, in.c, in.h, in.w);
  for (int64_t b = 0; b < in.n; ++b)
    for (int64_t ch = 0; ch < in.c; ++ch)
      for (int64_t y = 0; y < in.h; ++y)
        for (int64_t x = 0; x < in.w; ++x) {
          double sum = 0;
          for (int64_t k = ch - a.size / 2; k <= ch + (a.size - 1) / 2; ++k)
            if (k >= 0 && k < in.c)
              sum += in.at(b, k, y, x) * in.at(b, k, y, x);
          out.at(b, ch, y, x) = in.at(b, ch, y, x) /
                                std::pow(a.k + a.alpha / static_cast<double>(a.size) * sum, a.beta);
        }
  return out;
}

T elementwise(const T &in, double (*f)(double)) {
  T out = in;
  for (double &v : out.v)
    v = f(v);
  return out;
}

T batchnorm(const Node &node, const T &in, const Weights &ws) {
  const auto &gamma = weight(ws, node.unit + ".weight"), &beta = weight(ws, node.unit + ".bias");
  const auto &mean = weight(ws, node.unit + ".running_mean");
  const auto &var = weight(ws, node.unit + ".running_var");
  T out = in;
  for (int64_t b = 0; b < in.n; ++b)
    for (int64_t ch = 0; ch < in.c; ++ch) {
      size_t c = static_cast<size_t>(ch);
      for (int64_t y = 0; y < in.h; ++y)
        for (int64_t x = 0; x < in.w; ++x)
          out.at(b, ch, y, x) =
              (in.at(b, ch, y, x) - mean[c]) / std::sqrt(var[c] + node.attrs.eps) * gamma[c] +
              beta[c];
    }
  return out;
}

T softmax(const T &in) {
  T out = in;
  for (int64_t b = 0; b < in.n; ++b)
    for (int64_t y = 0; y < in.h; ++y)
      for (int64_t x = 0; x < in.w; ++x) {
        double mx = -std::numeric_limits<double>::infinity(), sum = 0;
        for (int64_t ch = 0; ch < in.c; ++ch)
          mx = std::max(mx, in.at(b, ch, y, x));
        for (int64_t ch = 0; ch < in.c; ++ch)
          sum += std::exp(in.at(b, ch, y, x) - mx);
        for (int64_t ch = 0; ch < in.c; ++ch)
          out.at(b, ch, y, x) = std::exp(in.at(b, ch, y, x) - mx) / sum;
      }
  return out;
}

} // namespace

std::vector<double> run(const Graph &g, const Weights &ws, const std::vector<double> &input,
                        int64_t batch) {
  std::vector<T> vals(g.size());
  for (const auto &np : g.nodes()) {
    const Node &node = *np;
    auto in = [&](size_t i) -> const T & { return vals[static_cast<size_t>(node.inputs[i])]; };
    T out;
    switch (node.op) {
    case OpKind::Input:
      out = T(batch, node.shape.c, node.shape.h, node.shape.w);
      out.v = input;
      break;
    case OpKind::Conv:
      out = conv(node, in(0), ws);
      break;
    case OpKind::Fc:
      out = fc(node, in(0), ws);
      break;
    case OpKind::MaxPool:
    case OpKind::AvgPool:
      out = pool(node, in(0));
      break;
    case OpKind::GlobalAvgPool: {
      const T &x = in(0);
      out = T(x.n, x.c, 1, 1);
      for (int64_t b = 0; b < x.n; ++b)
        for (int64_t ch = 0; ch < x.c; ++ch) {
          double sum = 0;
          for (int64_t y = 0; y < x.h; ++y)
            for (int64_t xx = 0; xx < x.w; ++xx)
              sum += x.at(b, ch, y, xx);
          out.at(b, ch, 0, 0) = sum / static_cast<double>(x.h * x.w);
        }
      break;
    }
    case OpKind::Relu:
      out = elementwise(in(0), [](double v) { return v > 0 ? v : 0.0; });
      break;
    case OpKind::Sigmoid:
      out = elementwise(in(0), [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
      break;
    case OpKind::Tanh:
      out = elementwise(in(0), [](double v) { return std::tanh(v); });
      break;
    case OpKind::Dropout:
      out = in(0);
      break;
    case OpKind::Lrn:
      out = lrn(node, in(0));
      break;
    case OpKind::BatchNorm:
      out = batchnorm(node, in(0), ws);
      break;
    case OpKind::Concat: {
      out = T(batch, node.shape.c, node.shape.h, node.shape.w);
      int64_t base = 0;
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const T &x = in(i);
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t ch = 0; ch < x.c; ++ch)
            for (int64_t y = 0; y < x.h; ++y)
              for (int64_t xx = 0; xx < x.w; ++xx)
                out.at(b, base + ch, y, xx) = x.at(b, ch, y, xx);
        base += x.c;
      }
      break;
    }
    case OpKind::Add:
      out = in(0);
      for (size_t i = 1; i < node.inputs.size(); ++i)
        for (size_t k = 0; k < out.v.size(); ++k)
          out.v[k] += in(i).v[k];
      break;
    case OpKind::Softmax:
      out = softmax(in(0));
      break;
    case OpKind::Flatten:
      out = in(0); // NCHW memory is already the C, H, W flattening
      out.c = node.shape.c;
      out.h = out.w = 1;
      break;
    }
    vals[static_cast<size_t>(node.id)] = std::move(out);
  }
  return vals[static_cast<size_t>(g.output)].v;
}

} // namespace cnnc::ref
