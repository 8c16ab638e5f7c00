// safetensors and .npy serialization.
#include "tools/cnnc/tensor_io.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cnnc {

namespace {

void appendLe64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string dimsList(const std::vector<int64_t> &shape, const char *sep) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? sep : "") + std::to_string(shape[i]);
  return s;
}

} // namespace

std::string safetensorsBytes(const std::vector<NamedTensor> &tensors) {
  std::string header = "{";
  uint64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const NamedTensor &t = tensors[i];
    uint64_t bytes = t.data.size() * 4;
    header += (i ? "," : "") + std::string("\"") + t.name + "\":{\"dtype\":\"F32\",\"shape\":[" +
              dimsList(t.shape, ",") + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  while (header.size() % 8)
    header += ' ';
  std::string out;
  appendLe64(out, header.size());
  out += header;
  for (const NamedTensor &t : tensors)
    out.append(reinterpret_cast<const char *>(t.data.data()), t.data.size() * 4);
  return out;
}

bool readNpy(const std::string &path, std::vector<int64_t> &shape, std::vector<float> &data,
             std::string &reason) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    reason = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) { // opens, and reads as empty
    reason = "cannot read '" + path + "': " + std::strerror(EISDIR);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    reason = "'" + path + "' is not a .npy file";
    return false;
  }
  int major = static_cast<unsigned char>(bytes[6]);
  size_t hlen, start;
  if (major == 1) {
    hlen = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    start = 10;
  } else {
    if (bytes.size() < 12) {
      reason = "'" + path + "' is truncated";
      return false;
    }
    hlen = 0;
    for (int i = 3; i >= 0; --i)
      hlen = (hlen << 8) | static_cast<unsigned char>(bytes[8 + static_cast<size_t>(i)]);
    start = 12;
  }
  if (start + hlen > bytes.size()) {
    reason = "'" + path + "' is truncated";
    return false;
  }
  std::string header = bytes.substr(start, hlen);
  const std::string key = "'descr': '";
  size_t from = header.find(key);
  from = from == std::string::npos ? from : from + key.size();
  size_t to = from == std::string::npos ? from : header.find('\'', from);
  std::string descr = to == std::string::npos ? "unknown" : header.substr(from, to - from);
  bool fortran = header.find("'fortran_order': False") == std::string::npos;
  if (descr != "<f4" || fortran) { // what it holds, and numpy's way to what it should
    reason =
        "'" + path + "' holds '" + descr + "' data" + (fortran ? " in Fortran order" : "") +
        "; cnnc run takes float32 ('<f4') in C order (numpy: " +
        (fortran ? "numpy.ascontiguousarray(x, dtype=numpy.float32))" : "x.astype(numpy.float32))");
    return false;
  }
  size_t open = header.find('(', header.find("'shape'")), close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos) {
    reason = "'" + path + "': no shape in the header";
    return false;
  }
  // Dimensions: non-negative integers whose product counts bytes in 64 bits.
  std::string text = header.substr(open + 1, close - open - 1);
  std::stringstream dims(text);
  std::string item;
  shape.clear();
  size_t dataStart = start + hlen, count = 1;
  while (std::getline(dims, item, ',')) {
    size_t first = item.find_first_not_of(" "), last = item.find_last_not_of(" ");
    if (first == std::string::npos)
      continue;
    item = item.substr(first, last - first + 1);
    if (item.size() > 18 || item.find_first_not_of("0123456789") != std::string::npos) {
      reason = "'" + path + "': the shape (" + text + ") is not a list of sizes";
      return false;
    }
    shape.push_back(std::stoll(item));
    size_t d = static_cast<size_t>(shape.back());
    if (d && count > SIZE_MAX / 4 / d) {
      reason = "'" + path + "': the shape (" + text + ") is too large";
      return false;
    }
    count *= d;
  }
  if (bytes.size() - dataStart != count * 4) {
    reason = "'" + path + "': data size does not match its shape";
    return false;
  }
  data.resize(count);
  std::memcpy(data.data(), bytes.data() + dataStart, count * 4);
  return true;
}

std::string npyBytes(const std::vector<int64_t> &shape, const std::vector<float> &data) {
  std::string dims = dimsList(shape, ", ");
  if (shape.size() == 1)
    dims += ",";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char *>(data.data()), data.size() * 4);
  return out;
}

} // namespace cnnc
