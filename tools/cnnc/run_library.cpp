// cnnc run: dlopen the library, load weights, run, print the top-5.
#include "tools/cnnc/run_library.h"

#include "ir/diag.h"
#include "tools/cnnc/library_api.h"
#include "tools/cnnc/output_file.h"
#include "tools/cnnc/tensor_io.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <vector>

namespace cnnc {

namespace {

int fail(const std::string &msg) {
  std::cerr << "cnnc: error: " << msg << '\n';
  return 1;
}

} // namespace

int runLibrary(const RunOptions &o) {
  LibraryApi api;
  std::string error;
  if (!openLibrary(o.library, api, error))
    return fail(error);
  int64_t in[3], out[3];
  api.inputDims(in);
  api.outputDims(out);
  std::vector<float> input;
  int64_t batch = o.batch;
  if (!o.input.empty()) {
    std::vector<int64_t> shape;
    std::string reason;
    if (!readNpy(o.input, shape, input, reason))
      return fail(reason);
    std::string held = shapeStr(shape); // the file's shape, as numpy prints it
    if (shape.size() == 3)
      shape.insert(shape.begin(), 1);
    if (shape.size() != 4 || shape[1] != in[0] || shape[2] != in[1] || shape[3] != in[2]) {
      std::string image = shapeStr({in[0], in[1], in[2]}); // "[3, 224, 224]"
      return fail("'" + o.input + "' holds " + held + " floats; the network takes [N, " +
                  image.substr(1) + " (or " + image + ", one image)");
    }
    if (o.batchGiven && o.batch != shape[0])
      return fail("--batch " + std::to_string(o.batch) + " disagrees with '" + o.input +
                  "': " + std::to_string(shape[0]) + (shape[0] == 1 ? " image" : " images"));
    if (shape[0] == 0)
      return fail("'" + o.input + "' holds no images");
    batch = shape[0];
  }
  std::vector<float> output;
  try {
    if (o.input.empty())
      input = randomInput(api, batch);
    output.resize(outputSize(api, batch));
  } catch (const std::exception &) { // std::bad_alloc, std::length_error
    double gb = static_cast<double>(batch) *
                static_cast<double>(in[0] * in[1] * in[2] + out[0] * out[1] * out[2]) * 4 / 1e9;
    char size[64];
    std::snprintf(size, sizeof size, gb < 100 ? "%.1f GB" : "%.0f GB", gb);
    return fail("cannot allocate the input and output of a batch of " + std::to_string(batch) +
                " (" + size + ")");
  }
  void *model = api.load(o.weights.c_str());
  if (!model)
    return fail(api.lastError());
  size_t perImage = outputSize(api, 1);
  auto t0 = std::chrono::steady_clock::now();
  int rc = api.run(model, input.data(), batch, output.data());
  auto t1 = std::chrono::steady_clock::now();
  if (rc != 0) {
    std::string err = api.lastError();
    api.free(model);
    return fail(err);
  }
  api.free(model);
  std::cout << api.name() << ": output [" << batch << ", " << out[0] << ", " << out[1] << ", "
            << out[2] << "]\n";
  for (int64_t b = 0; b < batch; ++b) {
    const float *img = output.data() + static_cast<size_t>(b) * perImage;
    std::vector<size_t> idx(perImage);
    std::iota(idx.begin(), idx.end(), 0);
    size_t k = std::min<size_t>(5, perImage);
    // Largest first, NaN above all (as torch.topk), ties in index order: a
    // strict weak order, which `>` alone is not where NaN is.
    std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(k), idx.end(),
                      [&](size_t a, size_t c) {
                        bool na = std::isnan(img[a]), nc = std::isnan(img[c]);
                        if (na || nc)
                          return na && (!nc || a < c);
                        return img[a] > img[c] || (img[a] == img[c] && a < c);
                      });
    std::cout << "image " << b << " top-" << k << ":";
    for (size_t i = 0; i < k; ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %zu (%.5g)", idx[i], static_cast<double>(img[idx[i]]));
      std::cout << buf;
    }
    std::cout << '\n';
    size_t nans = static_cast<size_t>(
        std::count_if(img, img + perImage, [](float v) { return std::isnan(v); }));
    if (nans)
      std::cout << "image " << b << ": " << nans << " of " << perImage << " outputs are NaN\n";
  }
  std::printf("time: %.2f ms for batch %lld (one run, cold)\n",
              std::chrono::duration<double, std::milli>(t1 - t0).count(),
              static_cast<long long>(batch));
  if (!o.output.empty()) {
    std::string reason;
    if (!writeFileAtomic(o.output, npyBytes({batch, out[0], out[1], out[2]}, output), reason))
      return fail("cannot write '" + o.output + "': " + reason);
  }
  return 0;
}

} // namespace cnnc
