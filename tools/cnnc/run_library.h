// cnnc run: loads a library made by cnnc and runs it once.
#pragma once

#include <cstdint>
#include <string>

namespace cnnc {

struct RunOptions {
  std::string library;
  std::string weights;
  std::string input;       // .npy; random when empty
  std::string output;      // .npy to write, or empty
  int64_t batch = 1;       // when there is no input file; at least 1 (parseArgs)
  bool batchGiven = false; // --batch given: the input file must agree
};

// Returns the exit status: 0, or 1 after printing the error.
int runLibrary(const RunOptions &o);

} // namespace cnnc
