// Library emission: the Halide pipeline compiled ahead of time, the
// network's description and the C runtime, linked by a linker run as a
// program into one shared library with the C interface of tool.md.
#pragma once

#include "ir/diag.h"
#include "ir/graph.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace Halide {
struct Target;
}

namespace cnnc {

struct LibraryOptions {
  std::string target = "host"; // a Halide target string
  std::string runtime; // libcnnc_rt.a (for arm-64-linux libcnnc_rt_aarch64.a); beside cnnc if empty
  std::string linker;  // ld or ld.lld (aarch64-linux-gnu-ld); found on PATH if empty
  // Schedule parameters over the target's defaults (schedules/cpu.h,
  // cpuParamInfo names); std::invalid_argument for an unknown one.
  std::vector<std::pair<std::string, int>> params;
  // Halide's autoscheduler (Mullapudi2016, Adams2019, Li2018) schedules the
  // network instead of schedules/cpu.cpp where set; UserError for another
  // name. `params` then only choose the weights' layout.
  std::string autoScheduler;
};

// Thrown for failures that are the user's to fix (an unknown target, no
// linker); anything else escaping is an internal error.
struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// UserError unless this machine can build a library for `target` (a known
// target string of its own processor and OS, or arm-64-linux on x86-64
// Linux where the AArch64 cross toolchain is installed; GPU features are
// fine), and with `runHere` (bench, tune) run it. Returns a warning to
// print, or "": a GPU target's library runs the CPU schedule (cnnc has no
// GPU schedules).
std::string checkLibraryTarget(const std::string &target, bool runHere);

// `target` with Halide's profiler (bench --per-layer): with `-profile`
// added, unless it has `profile` already.
std::string profiledTarget(const std::string &target);

// Errors, at their places in the source, for a network that no library can
// run: an input or output of 2^31 or more elements an image, a layer with
// 2^31 or more floats of weights.
void checkLibraryLimits(const Graph &g, DiagEngine &diag);

// Writes `soPath` and the header beside it (net.so -> net.h), or nothing.
void buildLibrary(const Graph &g, const std::string &soPath, const LibraryOptions &opts);

// The header buildLibrary writes beside soPath: its extension replaced by .h.
std::string headerPath(const std::string &soPath);

// The nodes after which the library's pipeline is cut into parts compiled
// side by side (backend/library.cpp): none, or one concat.
std::vector<int> libraryCuts(const Graph &g);

// The node after which a network that runs no batch in shares as a whole
// (batchShares; no libraryCuts either) is cut into two pipelines, the
// first run in shares of the batch and the second, its head of fc layers
// (and the elementwise ops, flattens and softmax among them), on all
// threads for the whole batch: the last node before that head, a pool or
// concat, where the layers up to it do at least p.sharesMacsPerWeight
// multiply-adds an image per weight (AlexNet's convs, to pool5); else -1.
int shareCut(const Graph &g, const struct CpuParams &p);

// The network's description that the runtime reads at load (format in
// backend/library.cpp).
// `shares`: whether a batch runs in shares, one a thread (batchShares).
std::string describe(const Graph &g, const struct LoweredNet &net, const Halide::Target &target,
                     bool shares);

// Whether the library runs a batch of at least as many images as threads
// in shares of whole images, one a thread, each share's layers run by its
// thread alone (backend/runtime/cnnc_rt.c): where the network does at least
// p.sharesMacsPerWeight multiply-adds an image per weight.
bool batchShares(const Graph &g, const struct CpuParams &p);
// The shares a call of `batch` images runs as here (0: none, one call on
// all threads), as the runtime decides: one a thread (HL_NUM_THREADS where
// set, else the processors online, as Halide's thread pool counts them)
// where batchShares, or shareCut (the layers up to the cut then), and the
// batch has at least as many images as threads.
int callShares(const Graph &g, const struct CpuParams &p, int64_t batch);
// ... for a library built with `o`.
int callShares(const Graph &g, const LibraryOptions &o, int64_t batch);
int shareCut(const Graph &g, const LibraryOptions &o);

// The lowered Halide statement of the network (cnnc --emit halide), or with
// `assembly` the machine code for opts.target (cnnc --emit asm): any target
// compiles, also one no library is linked for here (x86-64-windows).
std::string emitStage(const Graph &g, const LibraryOptions &opts, bool assembly);

} // namespace cnnc
