// A guard against libraries that could never run: Halide warns at compile
// time when an assertion of the pipeline is false whatever its inputs (a
// schedule that reaches outside a buffer), and would still write the code.
#pragma once

#include <functional>
#include <string>

namespace cnnc {

// Runs `compile` (Halide compiling a pipeline) with Halide's compile-time
// warnings printed as usual and watched; throws std::runtime_error, an
// internal error, if one says the pipeline is guaranteed to fail at run
// time. Its message blames the schedule's author: Halide's autoscheduler
// `autoScheduler`, or where that is empty, cnnc. Not reentrant: Halide's
// reporter is process-wide.
void compileOrThrowIfDoomed(const std::function<void()> &compile,
                            const std::string &autoScheduler = "");

} // namespace cnnc
