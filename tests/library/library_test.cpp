// The generated library's C interface: weight-file errors are named and never
// crash, arguments are checked, only cnnc_* is exported.
#include "tests/e2e/library_harness.h"
#include "tools/cnnc/tensor_io.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <random>

using namespace cnnc;

namespace {

test::Built &tiny() {
  static std::unique_ptr<test::Built> b = test::build(CNNC_TEST_DIR "/library/tiny.cnn");
  return *b;
}

std::string writeFile(const std::string &name, const std::string &bytes) {
  std::string path = tiny().dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string le64(uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i)
    s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// A safetensors file from a header text and a data section.
std::string file(const std::string &header, const std::string &data) {
  return le64(header.size()) + header + data;
}

// Loads `bytes` as weights; expects failure with `part` in the error.
void expectLoadError(const std::string &bytes, const std::string &part) {
  test::Library &lib = tiny().lib;
  void *m = lib.load(writeFile("bad.safetensors", bytes).c_str());
  INFO("error: " << lib.lastError());
  CHECK(m == nullptr);
  CHECK(std::string(lib.lastError()).find(part) != std::string::npos);
  if (m)
    lib.free(m);
}

std::vector<NamedTensor> good() { return test::weightsOf(*tiny().graph); }

} // namespace

TEST_CASE("the library describes its network") {
  test::Library &lib = tiny().lib;
  CHECK(std::string(lib.name()) == "tiny");
  int64_t in[3], out[3];
  lib.inputDims(in);
  lib.outputDims(out);
  CHECK((in[0] == 3 && in[1] == 6 && in[2] == 5));
  CHECK((out[0] == 5 && out[1] == 1 && out[2] == 1));
  CHECK(lib.numParams() == 4 * 3 * 9 + 4 + 8 + 5 * 120 + 5);
}

TEST_CASE("bad weight files are named errors") {
  test::Library &lib = tiny().lib;
  CHECK(lib.load((tiny().dir + "/no-such-file.safetensors").c_str()) == nullptr);
  CHECK(std::string(lib.lastError()).find("cannot open") != std::string::npos);
  CHECK(lib.load(nullptr) == nullptr);
  CHECK(lib.load(tiny().dir.c_str()) == nullptr);
  CHECK(std::string(lib.lastError()) == "cannot read '" + tiny().dir + "': Is a directory");

  std::string valid = safetensorsBytes(good());
  expectLoadError("", "truncated");
  expectLoadError("abc", "truncated");
  expectLoadError(le64(1000) + "{}", "runs past the end");
  expectLoadError(valid.substr(0, valid.size() / 2), "outside");
  expectLoadError(file("{\"a.weight\": {\"dtype\": \"F32\"", ""), "malformed");
  expectLoadError(file("[1, 2]", ""), "malformed");
  expectLoadError(
      file("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}} junk",
           std::string(8, '\0')),
      "text after the header");
  expectLoadError(file("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 16]}}",
                       std::string(8, '\0')),
                  "outside");
  expectLoadError(file("{\"x\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                       " \"y\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
                       std::string(12, '\0')),
                  "overlap");
  expectLoadError(file("{\"x\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}",
                       std::string(8, '\0')),
                  "8 bytes of data for 3 F32 elements");
  expectLoadError(file("{\"x\": {\"dtype\": \"F32\", \"shape\": [99999999999, 99999999999, "
                       "99999999999], \"data_offsets\": [0, 8]}}",
                       std::string(8, '\0')),
                  "too large");
  expectLoadError(file("{}", ""), "missing tensor 'a.0.weight'");
}

TEST_CASE("missing, mis-shaped and mistyped tensors name the tensor") {
  auto ws = good();
  auto without = ws;
  without.erase(without.begin() + 3); // a.1.bias
  expectLoadError(safetensorsBytes(without), "missing tensor 'a.1.bias'");

  auto reshaped = ws;
  reshaped[0].shape = {4, 3, 9};
  expectLoadError(safetensorsBytes(reshaped),
                  "tensor 'a.0.weight' has shape [4, 3, 9]; the network needs [4, 3, 3, 3]");

  // An I64 tensor: same bytes, other dtype.
  std::string bytes = safetensorsBytes(ws);
  size_t at = bytes.find("\"F32\"");
  bytes.replace(at, 5, "\"I32\"");
  expectLoadError(bytes, "has dtype I32; F32, F16 or BF16 expected");
}

// A float as IEEE half, rounded toward zero (normal values only).
static uint16_t toHalf(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  uint32_t sign = bits >> 31, exp = (bits >> 23) & 0xff, man = bits & 0x7fffff;
  if (exp < 127 - 14) // below half's normals: zero
    return static_cast<uint16_t>(sign << 15);
  return static_cast<uint16_t>(sign << 15 | (exp - 127 + 15) << 10 | man >> 13);
}

TEST_CASE("extra tensors are ignored, BF16 and F16 weights are widened") {
  test::Library &lib = tiny().lib;
  auto ws = good();
  ws.push_back({"unrelated.tensor", {2, 2}, {1, 2, 3, 4}});
  void *m = lib.load(writeFile("extra.safetensors", safetensorsBytes(ws)).c_str());
  REQUIRE(m != nullptr);
  std::vector<float> x(3 * 6 * 5, 0.5f), y(5), yb(5);
  REQUIRE(lib.run(m, x.data(), 1, y.data()) == 0);
  CHECK(std::string(lib.lastError()).empty());
  lib.free(m);

  // The same weights as BF16 (upper halves of the float bits) and F16: the
  // results as F32's within the types' precision (8 and 11 bits).
  for (std::string dtype : {"BF16", "F16"}) {
    std::string header = "{";
    std::string data;
    for (size_t i = 0; i < ws.size(); ++i) {
      std::string dims;
      for (size_t d = 0; d < ws[i].shape.size(); ++d)
        dims += (d ? "," : "") + std::to_string(ws[i].shape[d]);
      header += (i ? "," : "") + std::string("\"") + ws[i].name + "\":{\"dtype\":\"" + dtype +
                "\",\"shape\":[" + dims + "],\"data_offsets\":[" + std::to_string(data.size()) +
                "," + std::to_string(data.size() + 2 * ws[i].data.size()) + "]}";
      for (float v : ws[i].data) {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        uint16_t half = dtype == "BF16" ? static_cast<uint16_t>(bits >> 16) : toHalf(v);
        data.append(reinterpret_cast<const char *>(&half), 2);
      }
    }
    INFO(dtype);
    m = lib.load(writeFile(dtype + ".safetensors", file(header + "}", data)).c_str());
    INFO(lib.lastError());
    REQUIRE(m != nullptr);
    REQUIRE(lib.run(m, x.data(), 1, yb.data()) == 0);
    double tolerance = dtype == "BF16" ? 0.05 : 0.005;
    for (size_t i = 0; i < y.size(); ++i)
      CHECK(yb[i] == Approx(y[i]).epsilon(tolerance).margin(tolerance));
    lib.free(m);
  }
}

TEST_CASE("F16 weights widen exactly: subnormals, the largest half, signed zero, infinity") {
  auto built = test::build(CNNC_TEST_DIR "/library/fc_identity.cnn");
  test::Library &lib = built->lib;
  // (half bits, the float they stand for): out.weight is [8, 1].
  const std::vector<std::pair<uint16_t, float>> halves = {
      {0x0001, 0x1p-24f},     {0x03ff, 0x3ffp-24f}, {0x8200, -0x1p-15f}, {0x0400, 0x1p-14f},
      {0x3c01, 1 + 0x1p-10f}, {0x7bff, 65504.0f},   {0x8000, -0.0f},     {0x7c00, INFINITY}};
  // Biases of -0, so that -0 * 1 + bias stays -0.
  std::string weight, bias;
  const float negativeZero = -0.0f;
  for (const auto &half : halves) {
    weight.append(reinterpret_cast<const char *>(&half.first), 2);
    bias.append(reinterpret_cast<const char *>(&negativeZero), 4);
  }
  std::string header =
      "{\"out.weight\":{\"dtype\":\"F16\",\"shape\":[8,1],\"data_offsets\":[0,16]},"
      "\"out.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[16,48]}}";
  std::string path = built->dir + "/f16.safetensors";
  std::ofstream(path, std::ios::binary) << file(header, weight + bias);
  void *m = lib.load(path.c_str());
  INFO(lib.lastError());
  REQUIRE(m != nullptr);
  float x = 1, y[8];
  REQUIRE(lib.run(m, &x, 1, y) == 0);
  for (size_t i = 0; i < halves.size(); ++i) {
    INFO("half 0x" << std::hex << halves[i].first);
    CHECK(y[i] == halves[i].second);
    CHECK(std::signbit(y[i]) == std::signbit(halves[i].second));
  }
  lib.free(m);
}

TEST_CASE("damaged weight files never crash the loader") {
  test::Library &lib = tiny().lib;
  std::string valid = safetensorsBytes(good());
  std::mt19937 rng(3);
  for (int round = 0; round < 300; ++round) {
    std::string bytes = valid;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f)
      bytes[rng() % std::min<size_t>(bytes.size(), 400)] = static_cast<char>(rng());
    if (round % 3 == 0)
      bytes.resize(rng() % bytes.size());
    void *m = lib.load(writeFile("damaged.safetensors", bytes).c_str());
    if (m)
      lib.free(m);
    else
      CHECK(std::strlen(lib.lastError()) > 0);
  }
}

TEST_CASE("cnnc run's .npy input is read back as written, its errors named and never thrown") {
  std::vector<int64_t> shape;
  std::vector<float> data;
  std::string reason;
  REQUIRE(readNpy(writeFile("x.npy", npyBytes({2, 3}, {1, 2, 3, 4, 5, 6})), shape, data, reason));
  CHECK(shape == std::vector<int64_t>{2, 3});
  CHECK(data == std::vector<float>{1, 2, 3, 4, 5, 6});
  auto error = [&](const std::string &path) {
    shape.clear();
    reason.clear();
    bool ok = true;
    CHECK_NOTHROW(ok = readNpy(path, shape, data, reason));
    CHECK_FALSE(ok);
    return reason;
  };
  CHECK(error(tiny().dir + "/none.npy") ==
        "cannot open '" + tiny().dir + "/none.npy': No such file or directory");
  CHECK(error(tiny().dir) == "cannot read '" + tiny().dir + "': Is a directory");
  CHECK(error(writeFile("junk.npy", "not numpy")).find("is not a .npy file") != std::string::npos);
  // A header of the given shape text over `floats` floats of data.
  auto npy = [&](const std::string &dims, size_t floats, const std::string &descr = "<f4",
                 const std::string &fortran = "False") {
    std::string header =
        "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': (" + dims + "), }\n";
    std::string bytes = "\x93NUMPY";
    bytes += '\x01';
    bytes += '\x00';
    bytes += static_cast<char>(header.size());
    bytes += '\x00';
    return writeFile("made.npy", bytes + header + std::string(floats * 4, '\0'));
  };
  CHECK(error(npy("2, x", 2)).find("shape") != std::string::npos);
  CHECK(error(npy("99999999999999999999", 1)).find("shape") != std::string::npos);
  CHECK(error(npy("-1, 2", 0)).find("shape") != std::string::npos);
  // 2^32 * 2^32 floats wrap to 0 in 64 bits: not an empty array.
  CHECK(error(npy("4294967296, 4294967296", 0)).find("too large") != std::string::npos);
  CHECK(error(npy("2, 3", 5)).find("data size does not match its shape") != std::string::npos);
  // What the file holds, and how to make what it should (np.random.rand
  // gives float64).
  std::string made = npy("2, 3", 12, "<f8");
  CHECK(error(made) == "'" + made +
                           "' holds '<f8' data; cnnc run takes float32 ('<f4') in C order "
                           "(numpy: x.astype(numpy.float32))");
  // A 1-d shape as numpy writes it, "(6,)", reads back.
  REQUIRE(readNpy(npy("6,", 6), shape, data, reason));
  CHECK(shape == std::vector<int64_t>{6});
  // Version 2 headers: a 4-byte length.
  std::string v2 = "\x93NUMPY";
  v2 += '\x02';
  v2 += '\x00';
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }\n";
  std::string length = {static_cast<char>(header.size()), '\0', '\0', '\0'};
  REQUIRE(readNpy(writeFile("v2.npy", v2 + length + header + std::string(8, '\0')), shape, data,
                  reason));
  CHECK(shape == std::vector<int64_t>{1, 2});
  CHECK(error(writeFile("v2short.npy", v2 + "\x05\x05\x05")).find("is truncated") !=
        std::string::npos);
  CHECK(error(writeFile("v2past.npy", v2 + length + "{'descr'")).find("is truncated") !=
        std::string::npos);
  header = "{'descr': '<f4', 'fortran_order': False}\n";
  length[0] = static_cast<char>(header.size());
  made = writeFile("noshape.npy", v2 + length + header);
  CHECK(error(made) == "'" + made + "': no shape in the header");
  made = npy("2, 3", 6, "<f4", "True");
  CHECK(error(made) == "'" + made +
                           "' holds '<f4' data in Fortran order; cnnc run takes float32 ('<f4') "
                           "in C order (numpy: numpy.ascontiguousarray(x, dtype=numpy.float32))");
}

TEST_CASE("cnnc_run checks its arguments") {
  test::Library &lib = tiny().lib;
  void *m = lib.load(writeFile("w.safetensors", safetensorsBytes(good())).c_str());
  REQUIRE(m != nullptr);
  std::vector<float> x(3 * 6 * 5 * 2, 1.0f), y(5 * 2);
  CHECK(lib.run(nullptr, x.data(), 1, y.data()) != 0);
  CHECK(std::string(lib.lastError()).find("model is NULL") != std::string::npos);
  CHECK(lib.run(m, nullptr, 1, y.data()) != 0);
  CHECK(std::string(lib.lastError()).find("input is NULL") != std::string::npos);
  CHECK(lib.run(m, x.data(), 1, nullptr) != 0);
  CHECK(lib.run(m, x.data(), 0, y.data()) != 0);
  CHECK(std::string(lib.lastError()).find("at least 1") != std::string::npos);
  CHECK(lib.run(m, x.data(), -5, y.data()) != 0);
  CHECK(lib.run(m, x.data(), 2, y.data()) == 0);
  CHECK(std::string(lib.lastError()).empty());
  lib.free(m);
  lib.free(nullptr);
}

TEST_CASE("a batch whose buffers pass 2^31 bytes runs in parts, as each image alone") {
  auto built = test::build(CNNC_TEST_DIR "/library/big_buffer.cnn");
  test::Library &lib = built->lib;
  void *m = lib.load((built->dir + "/weights.safetensors").c_str());
  REQUIRE(m != nullptr);
  const size_t in = 512 * 512, out = 256, batch = 9;
  std::vector<float> x(batch * in), y(batch * out, -1.0f), one(out);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  for (float &v : x)
    v = normal(rng);
  // It failed: "Total allocation for buffer n1_tile is 2415919104, which
  // exceeds the maximum size of 2147483647".
  REQUIRE(lib.run(m, x.data(), static_cast<int64_t>(batch), y.data()) == 0);
  CHECK(std::string(lib.lastError()).empty());
  for (size_t b = 0; b < batch; ++b) {
    REQUIRE(lib.run(m, x.data() + b * in, 1, one.data()) == 0);
    for (size_t o = 0; o < out; ++o)
      CHECK(y[b * out + o] == one[o]);
  }
  lib.free(m);
}

TEST_CASE("softmax of logits past exp's range is finite and sums to 1, as in PyTorch") {
  auto built = test::build(CNNC_TEST_DIR "/library/softmax_large.cnn");
  test::Library &lib = built->lib;
  void *m = lib.load((built->dir + "/weights.safetensors").c_str());
  REQUIRE(m != nullptr);
  // Channel-major (C, H, W): three pixels of four channels each.
  const std::vector<float> x = {1000, -1000, 90,   // channel 0
                                999,  -1001, -200, // channel 1
                                0,    -1000, 89,   // channel 2
                                -50,  -3000, 0};   // channel 3
  std::vector<float> y(x.size(), -1.0f);
  REQUIRE(lib.run(m, x.data(), 1, y.data()) == 0);
  for (size_t p = 0; p < 3; ++p) {
    double top = -1e30, sum = 0;
    for (size_t c = 0; c < 4; ++c)
      top = std::max(top, static_cast<double>(x[c * 3 + p]));
    for (size_t c = 0; c < 4; ++c)
      sum += std::exp(x[c * 3 + p] - top);
    for (size_t c = 0; c < 4; ++c) {
      INFO("pixel " << p << ", channel " << c);
      REQUIRE(std::isfinite(y[c * 3 + p]));
      CHECK(y[c * 3 + p] == Approx(std::exp(x[c * 3 + p] - top) / sum).margin(1e-7));
    }
  }
  lib.free(m);
}

TEST_CASE("a NaN in the input reaches the output through relus, as in PyTorch") {
  auto built = test::build(CNNC_TEST_DIR "/library/nan_relu.cnn");
  test::Library &lib = built->lib;
  void *m = lib.load((built->dir + "/weights.safetensors").c_str());
  REQUIRE(m != nullptr);
  std::vector<float> x(3 * 12 * 12, 0.5f), y(5);
  REQUIRE(lib.run(m, x.data(), 1, y.data()) == 0);
  for (float v : y)
    CHECK(std::isfinite(v));
  for (size_t at : {size_t(0), size_t(12 * 12 + 5 * 12 + 7)}) {
    INFO("NaN at " << at);
    std::vector<float> nan = x;
    nan[at] = std::nanf("");
    REQUIRE(lib.run(m, nan.data(), 1, y.data()) == 0);
    for (float v : y)
      CHECK(std::isnan(v));
  }
  lib.free(m);
}

TEST_CASE("only the C interface is exported and only the C library and libm are needed") {
  void *h = tiny().lib.handle;
  for (const char *hidden : {"cnnc_pipeline", "cnnc_pipeline_argv", "halide_malloc", "halide_error",
                             "halide_do_par_for", "st_open"})
    CHECK(dlsym(h, hidden) == nullptr);
  std::string cmd = "readelf -d '" + tiny().dir + "/net.so'";
  FILE *p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char line[512];
  int needed = 0;
  while (std::fgets(line, sizeof line, p)) {
    std::string l = line;
    if (l.find("(NEEDED)") == std::string::npos)
      continue;
    ++needed;
    INFO(l);
    CHECK((l.find("[libc.so") != std::string::npos || l.find("[libm.so") != std::string::npos ||
           l.find("[libpthread.so") != std::string::npos ||
           l.find("[libdl.so") != std::string::npos ||
           // glibc's dynamic loader, which provides __tls_get_addr
           l.find("[ld-linux") != std::string::npos));
  }
  pclose(p);
  CHECK(needed >= 1);
}

TEST_CASE("buffers kept between runs change no result, across batches, models and frees") {
  static std::unique_ptr<test::Built> wide = test::build(CNNC_TEST_DIR "/library/wide.cnn");
  test::Library &lib = wide->lib;
  std::string weights = wide->dir + "/weights.safetensors";
  const size_t in = 8 * 64 * 64, out = 64 * 32 * 32;
  std::vector<float> x(3 * in);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  for (float &v : x)
    v = normal(rng);
  auto run = [&](void *m, int64_t batch) {
    std::vector<float> y(static_cast<size_t>(batch) * out, -1.0f);
    REQUIRE(lib.run(m, x.data(), batch, y.data()) == 0);
    return y;
  };
  void *m1 = lib.load(weights.c_str());
  REQUIRE(m1 != nullptr);
  std::vector<float> first = run(m1, 3);
  void *m2 = lib.load(weights.c_str());
  REQUIRE(m2 != nullptr);
  CHECK(run(m2, 1) == std::vector<float>(first.begin(), first.begin() + out));
  CHECK(run(m1, 3) == first);
  lib.free(m1);
  CHECK(run(m2, 3) == first);
  CHECK(run(m2, 2) == std::vector<float>(first.begin(), first.begin() + 2 * out));
  lib.free(m2); // the last model: the kept buffers are returned
  void *m3 = lib.load(weights.c_str());
  REQUIRE(m3 != nullptr);
  CHECK(run(m3, 3) == first);
  lib.free(m3);
}
