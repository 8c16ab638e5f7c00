// Library emission. The runtime (backend/runtime/cnnc_rt.c) reads the
// network's description, a text linked in as the symbol
// _binary_cnnc_meta_txt_start:
//
//   cnnc-meta 5 network NAME input C H W output C H W params N args K floats F shares S
//       target TARGET features W WORD...
//   arg OFFSET PACK EPS GROUPS STRIDE NSOURCES (NAME RANK DIMS...)... RANK DIMS...   (K times)
//
// The pipeline's arguments are the input, the weights (F floats) and the
// output. S: 1 where a batch runs in shares, one a thread (batchShares),
// else 0; TARGET and its W words of Halide's feature bits: what the code
// needs of the processor. One `arg` per weight tensor in the weights argument: where it
// starts there (in floats), how to pack it (backend/lower.h, Pack), the
// safetensors tensors it comes from with their shapes, and its own extents,
// innermost first.
#include "backend/library.h"

#include "backend/doomed.h"
#include "backend/lower.h"
#include "backend/temp_dir.h"
#include "ir/report.h"
#include "schedules/cpu.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits.h>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace cnnc {

bool batchShares(const Graph &g, const CpuParams &p) {
  Totals t = totals(g);
  return p.sharesMacsPerWeight > 0 &&
         double(t.macs) >= double(p.sharesMacsPerWeight) * double(t.params);
}

int callShares(const Graph &g, const CpuParams &p, int64_t batch) {
  const char *n = std::getenv("HL_NUM_THREADS");
  if (!n)
    n = std::getenv("HL_NUMTHREADS");
  long threads = n ? std::atol(n) : sysconf(_SC_NPROCESSORS_ONLN);
  threads = std::clamp(threads, 1L, 64L); // cnnc_rt.c's MAX_SHARES
  return threads > 1 && batch >= threads && (batchShares(g, p) || shareCut(g, p) >= 0)
             ? static_cast<int>(threads)
             : 0;
}

std::string describe(const Graph &g, const LoweredNet &net, const Halide::Target &target,
                     bool shares) {
  std::ostringstream s;
  s << std::setprecision(17);
  const Shape &in = g.node(g.input).shape, &out = g.node(g.output).shape;
  int64_t params = totals(g).params;
  // The target's features as Halide's runtime counts them, for cnnc_load to
  // ask halide_can_use_target_features whether this processor has them.
  constexpr int kWords = (Halide::Target::FeatureEnd + 63) / 64;
  uint64_t words[kWords] = {};
  for (int f = 0; f < Halide::Target::FeatureEnd; ++f)
    if (target.has_feature(static_cast<Halide::Target::Feature>(f)))
      words[f / 64] |= uint64_t(1) << (f % 64);
  s << "cnnc-meta 5 network " << g.name << " input " << in.c << ' ' << in.h << ' ' << in.w
    << " output " << out.c << ' ' << out.h << ' ' << out.w << " params " << params << " args "
    << net.weights.size() << " floats " << net.weightFloats << " shares " << shares << " target "
    << target.to_string() << " features " << kWords;
  for (uint64_t w : words)
    s << ' ' << w;
  s << '\n';
  for (const auto &w : net.weights) {
    s << "arg " << w.offset << ' ' << static_cast<int>(w.pack) << ' ' << w.eps << ' ' << w.groups
      << ' ' << w.stride << ' ' << w.sources.size();
    for (const auto &src : w.sources) {
      s << ' ' << src.name << ' ' << src.shape.size();
      for (int64_t d : src.shape)
        s << ' ' << d;
    }
    s << ' ' << w.dims.size();
    for (int64_t d : w.dims)
      s << ' ' << d;
    s << '\n';
  }
  return s.str();
}

namespace {

Halide::Target parseTarget(const std::string &t) {
  if (!Halide::Target::validate_target_string(t))
    throw UserError("unknown target '" + t + "'; try host, x86-64-linux-avx2, arm-64-linux");
  Halide::Target target(t);
  // Halide 21 compiles AVX10 only at a stated vector width, and stops
  // while compiling otherwise.
  if (target.has_feature(Halide::Target::AVX10_1) && target.vector_bits != 256 &&
      target.vector_bits != 512)
    throw UserError("target '" + t +
                    "' names AVX10 without its vector width: add vector_bits_256 or "
                    "vector_bits_512 (" +
                    t + "-vector_bits_512)");
  // Halide's `avx512` alone is AVX-512 F and CD, Xeon Phi's subset, for
  // which Halide 21 aborts in LLVM ("This value type is not natively
  // supported"); every other AVX-512 processor has Skylake's BW, DQ and VL
  // too, and `avx512` means them (README).
  if (target.has_feature(Halide::Target::AVX512) &&
      !target.has_feature(Halide::Target::AVX512_Skylake) &&
      !target.has_feature(Halide::Target::AVX512_KNL))
    target.set_feature(Halide::Target::AVX512_Skylake);
  return target;
}

// The first of `names` that PATH holds as an executable, or "".
std::string findOnPath(std::initializer_list<const char *> names) {
  const char *path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    for (const char *name : names)
      if (access((dir + "/" + name).c_str(), X_OK) == 0)
        return dir + "/" + name;
  return "";
}

// The assembler for x86-64 Linux code whose prefetches are retargeted (see
// prefetchIntoL2): CNNC_AS, else `as` on PATH; "" where there is none, or
// for other targets. Without one, the fc schedules go without prefetches.
std::string findAssembler(const Halide::Target &t) {
  if (t.arch != Halide::Target::X86 || t.bits != 64 || t.os != Halide::Target::Linux)
    return "";
  if (const char *env = std::getenv("CNNC_AS"))
    return env;
  return findOnPath({"as"});
}

// Halide (21) emits every prefetch as prefetchnta, which fetches into L1 alone
// and, for weights streamed once, measured slower than no prefetch on this
// kind of Xeon (6.9 against 12.2 GB/s on one core); prefetcht1, into L2, made
// the same stream 22.7 GB/s. The schedules' prefetches are therefore
// retargeted in the assembly before it is assembled.
void prefetchIntoL2(std::string &assembly) {
  const std::string from = "\tprefetchnta\t", to = "\tprefetcht1\t";
  for (size_t at = assembly.find(from); at != std::string::npos;
       at = assembly.find(from, at + to.size()))
    assembly.replace(at, from.size(), to);
}

void writeText(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

std::string readText(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The schedule's parameters for `t`; prefetches only where `assembler` can
// retarget them.
CpuParams scheduleParams(const Halide::Target &t, const ParamSettings &settings,
                         const std::string &assembler) {
  CpuParams params = cpuParams(t, settings);
  if (assembler.empty())
    params.fcPrefetchBytes = 0;
  return params;
}

// Halide's CPU autoschedulers, as --auto-schedule names them, each in a
// plugin next to libHalide. Anderson2021 schedules for GPUs only.
const char *const kAutoSchedulers[] = {"Mullapudi2016", "Adams2019", "Li2018"};

// UserError unless `name` is one of kAutoSchedulers.
void checkAutoScheduler(const std::string &name) {
  if (std::find(std::begin(kAutoSchedulers), std::end(kAutoSchedulers), name) !=
      std::end(kAutoSchedulers))
    return;
  std::string known;
  for (const char *k : kAutoSchedulers)
    known += (known.empty() ? "" : ", ") + std::string(k);
  throw UserError("unknown autoscheduler '" + name + "'; known: " + known +
                  " (Halide's CPU autoschedulers)");
}

// Loads the plugin of autoscheduler `name` (once per process).
void loadAutoScheduler(const std::string &name) {
  static std::vector<std::string> loaded;
  if (std::find(loaded.begin(), loaded.end(), name) != loaded.end())
    return;
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&Halide::load_plugin), &info) || !info.dli_fname)
    throw std::runtime_error("cannot find libHalide, whose directory holds the autoschedulers");
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string plugin = std::filesystem::path(info.dli_fname).parent_path().string() +
                       "/libautoschedule_" + lower + ".so";
  if (access(plugin.c_str(), R_OK) != 0)
    throw UserError("the autoscheduler " + name + " is not installed (no " + plugin + ")");
  Halide::load_plugin(plugin);
  loaded.push_back(name);
}

// `t` without its GPU features: cnnc's libraries run on the CPU (a GPU
// target only links the GPU runtime), and Li2018 scheduled for the GPU where
// the target had one (its library for host-cuda called cuInit every run).
Halide::Target cpuPart(Halide::Target t) {
  using T = Halide::Target;
  for (T::Feature f : {T::CUDA, T::OpenCL, T::Metal, T::D3D12Compute, T::Vulkan, T::WebGPU})
    t = t.without_feature(f);
  return t;
}

// Schedules the lowered network with Halide's autoscheduler `name` instead
// of schedules/cpu.cpp, for images of batch 1 on the CPU: every argument's
// extents are estimated from the network's shapes.
void autoSchedule(const Graph &g, LoweredNet &net, Halide::Pipeline &p, const Halide::Target &t,
                  const std::string &name) {
  loadAutoScheduler(name);
  const Shape &in = g.node(g.input).shape, &out = g.node(g.output).shape;
  auto region = [](const std::vector<int64_t> &dims) {
    Halide::Region r;
    for (int64_t d : dims)
      r.emplace_back(0, static_cast<int>(d));
    return r;
  };
  net.input.set_estimates(region({in.w, in.h, in.c, 1}));
  net.weightData.set_estimates(region({net.weightFloats}));
  net.output.set_estimates(region({out.w, out.h, out.c, 1}));
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::map<std::string, std::string> params = {{"parallelism", std::to_string(cores)}};
  // Adams2019's beam search (32 wide) took 81 s on tests/e2e/mix.cnn;
  // greedy, it takes seconds.
  if (name == "Adams2019")
    params["beam_size"] = "1";
  p.apply_autoscheduler(cpuPart(t), Halide::AutoschedulerParams(name, params));
}

// One pipeline of the library: the network, or a part of it (LowerPart).
struct Part {
  LoweredNet net;
  Halide::Pipeline pipeline;
  std::string name; // its function: cnnc_pipeline, the one the runtime calls, or cnnc_part<k>
};

// Lowers (with the weight layout of `params`) and schedules the network, or
// part `part` of it: with schedules/cpu.cpp, or Halide's autoscheduler
// `autoScheduler`.
Halide::Pipeline buildPipeline(const Graph &g, LoweredNet &net, const CpuParams &params,
                               const Halide::Target &t, const std::string &autoScheduler,
                               const LowerPart &part = {}) {
  if (!autoScheduler.empty())
    checkAutoScheduler(autoScheduler); // before the work of lowering
  net = lower(g, layoutOptions(params), part);
  if (autoScheduler.empty())
    scheduleCpu(g, net, params);
  const Shape &out = g.node(net.last).shape;
  Halide::OutputImageParam ob = net.output.output_buffer();
  std::vector<int64_t> extents = {out.w, out.h, out.c};
  if (net.last != g.output) // a part's last node, (c, x, y, n)
    extents = {out.c, out.w, out.h};
  for (int d = 0; d < 3; ++d)
    ob.dim(d).set_bounds(0, static_cast<int>(extents[static_cast<size_t>(d)]));
  Halide::Pipeline p(net.output);
  if (!autoScheduler.empty())
    autoSchedule(g, net, p, t, autoScheduler);
  return p;
}

} // namespace

// A Halide pipeline is lowered and compiled by LLVM on one core: the
// network is compiled as two pipelines side by side where it is big enough,
// the first called by the second as an extern stage. The cut is a concat
// (computed at root whatever the schedule) that every path from the input
// to the output passes through, after which no node reads one before it,
// chosen so that the parts cost about the same: a weighted layer (conv, fc)
// counts 1 and Halide's runtime, compiled with the second part, 8 (Caffe
// GoogLeNet, cut after inc4c: 19.2 and 19.7 s for the parts on the two cores
// of an EPYC Zen 3, 20.1 s in all against 42.8 s as one pipeline; three
// parts took 28 s there). Networks of fewer than 16 weighted layers are one
// pipeline.
std::vector<int> libraryCuts(const Graph &g) {
  const int runtimeCost = 8, minLayers = 16;
  std::vector<int> before(g.size() + 1, 0); // weighted layers before each node
  std::vector<int> latestReader(g.size(), -1);
  for (const auto &node : g.nodes()) {
    bool weighted = node->op == OpKind::Conv || node->op == OpKind::Fc;
    before[static_cast<size_t>(node->id) + 1] = before[static_cast<size_t>(node->id)] + weighted;
    for (int in : node->inputs)
      latestReader[static_cast<size_t>(in)] =
          std::max(latestReader[static_cast<size_t>(in)], node->id);
  }
  int layers = before.back();
  if (layers < minLayers)
    return {};
  int best = -1, bestGap = 0;
  int latest = 0; // the latest reader of the nodes before this one
  for (const auto &node : g.nodes()) {
    int upTo = before[static_cast<size_t>(node->id) + 1];
    int gap = std::abs(upTo - (layers - upTo + runtimeCost));
    if (node->op == OpKind::Concat && latest <= node->id && node->id != g.output &&
        (best < 0 || gap < bestGap)) {
      best = node->id;
      bestGap = gap;
    }
    latest = std::max(latest, latestReader[static_cast<size_t>(node->id)]);
  }
  return best < 0 ? std::vector<int>{} : std::vector<int>{best};
}

int shareCut(const Graph &g, const CpuParams &p) {
  if (p.sharesMacsPerWeight <= 0 || batchShares(g, p) || !libraryCuts(g).empty())
    return -1;
  auto head = [](OpKind op) {
    return op == OpKind::Fc || op == OpKind::Flatten || op == OpKind::Softmax || isElementwise(op);
  };
  int cut = -1; // the last node not of the head
  for (const auto &node : g.nodes())
    if (!head(node->op))
      cut = node->id;
  if (cut < 0 || cut == g.output)
    return -1;
  OpKind op = g.node(cut).op;
  if (op != OpKind::MaxPool && op != OpKind::AvgPool && op != OpKind::GlobalAvgPool &&
      op != OpKind::Concat)
    return -1;
  Totals before;
  for (const auto &node : g.nodes()) {
    for (int in : node->inputs) // the head reads nothing before the cut
      if (node->id > cut && in < cut)
        return -1;
    if (node->id <= cut) {
      before.params += node->params;
      before.macs += node->macs;
    }
  }
  return double(before.macs) >= double(p.sharesMacsPerWeight) * double(before.params) ? cut : -1;
}

namespace {

std::vector<Part> buildParts(const Graph &g, const CpuParams &params, const Halide::Target &t,
                             const std::string &autoScheduler) {
  std::vector<int> cuts = autoScheduler.empty() ? libraryCuts(g) : std::vector<int>{};
  int shared = autoScheduler.empty() ? shareCut(g, params) : -1;
  if (shared >= 0)
    cuts = {shared};
  std::vector<Part> parts(cuts.size() + 1);
  for (size_t k = 0; k < parts.size(); ++k) {
    LowerPart part;
    part.cut = k ? cuts[k - 1] : -1;
    part.last = k < cuts.size() ? cuts[k] : -1;
    if (k) {
      // The first part in shares of the batch by way of the runtime.
      part.cutFunction = shared >= 0 ? "cnnc_part0_shares" : parts[k - 1].name;
      part.before = parts[k - 1].net.weights;
    }
    parts[k].name = k < cuts.size() ? "cnnc_part" + std::to_string(k) : "cnnc_pipeline";
    parts[k].pipeline = buildPipeline(g, parts[k].net, params, t, autoScheduler, part);
  }
  return parts;
}

std::vector<Halide::Argument> arguments(const LoweredNet &net) {
  return {net.input, net.weightData};
}

// The target a part is compiled for: Halide's runtime goes with the last one.
Halide::Target partTarget(const std::vector<Part> &parts, size_t k, const Halide::Target &t) {
  return k + 1 < parts.size() ? t.with_feature(Halide::Target::NoRuntime) : t;
}

// Runs compile(k) for every part, wrapped in compileOrThrowIfDoomed; where
// there are several, each in a child process of its own, as many at a time
// as there are cores, its results left in files. Processes, not threads:
// Halide names the loops it turns into functions from counters shared by
// the process, and parts compiled side by side in threads got them in an
// order that changed from one compile to the next. Throws the first
// failure's message (std::runtime_error).
void forEachPart(size_t parts, const std::string &dir, const std::string &autoScheduler,
                 const std::function<void(size_t)> &compile) {
  // Part k compiled: "" or why it failed (Halide's errors are no
  // std::exception).
  auto failureOf = [&](size_t k) -> std::string {
    try {
      compileOrThrowIfDoomed([&] { compile(k); }, autoScheduler);
    } catch (const Halide::Error &e) { // its internal errors too
      return std::string("Halide: ") + e.what();
    } catch (const std::exception &e) {
      return e.what();
    } catch (...) {
      return "compiling part " + std::to_string(k) + " of the network failed";
    }
    return "";
  };
  if (parts == 1) {
    std::string why = failureOf(0);
    if (!why.empty())
      throw std::runtime_error(why);
    return;
  }
  size_t cores = std::max(1u, std::thread::hardware_concurrency());
  std::deque<std::pair<pid_t, size_t>> running; // oldest first
  std::string failure;
  auto errorFile = [&](size_t k) { return dir + "/part" + std::to_string(k) + ".error"; };
  auto waitOldest = [&] {
    auto [pid, k] = running.front();
    running.pop_front();
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      return;
    std::string why = readText(errorFile(k));
    if (failure.empty())
      failure =
          why.empty() ? "compiling part " + std::to_string(k) + " of the network crashed" : why;
  };
  std::fflush(nullptr);
  for (size_t k = 0; k < parts; ++k) {
    while (running.size() >= cores)
      waitOldest();
    pid_t pid = forkChild();
    if (pid < 0) {
      failure = "cannot start a process to compile part of the network";
      break;
    }
    if (pid == 0) {
      std::string why = failureOf(k);
      if (!why.empty())
        std::ofstream(errorFile(k)) << why;
      std::fflush(nullptr);
      _exit(why.empty() ? 0 : 1);
    }
    running.emplace_back(pid, k);
  }
  while (!running.empty())
    waitOldest();
  if (!failure.empty())
    throw std::runtime_error(failure);
}

// Part `part`'s assembly, written to `path`; its prefetches retargeted
// where `assembler` is to assemble it, so that --emit asm shows what the
// library gets.
void compileAssembly(Part &part, const Halide::Target &t, const std::string &path,
                     const std::string &assembler) {
  part.pipeline.compile_to_assembly(path, arguments(part.net), part.name, t);
  if (assembler.empty())
    return;
  std::string text = readText(path);
  prefetchIntoL2(text);
  writeText(path, text);
}

std::string exeDir() {
  char buf[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (len <= 0)
    return ".";
  buf[len] = 0;
  std::string p = buf;
  return p.substr(0, p.rfind('/'));
}

bool isFile(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Whether `t` is AArch64 Linux and this machine x86-64 Linux: such a
// library is linked by the cross toolchain of Debian's gcc-aarch64-linux-gnu
// (its aarch64-linux-gnu-ld, and cnnc's runtime built by its compiler when
// cnnc was built, libcnnc_rt_aarch64.a beside libcnnc_rt.a).
bool crossArm(const Halide::Target &t) {
  using T = Halide::Target;
  Halide::Target host = Halide::get_host_target();
  return t.arch == T::ARM && t.bits == 64 && t.os == T::Linux && host.arch == T::X86 &&
         host.bits == 64 && host.os == T::Linux;
}

const char *kCrossToolchain = "install Debian's gcc-aarch64-linux-gnu and build cnnc again "
                              "(tools/setup.sh does both)";

// The runtime for `t`: o.runtime, else beside cnnc (or as installed).
std::string findRuntime(const LibraryOptions &o, const Halide::Target &t) {
  if (!o.runtime.empty())
    return o.runtime;
  std::string name = crossArm(t) ? "libcnnc_rt_aarch64.a" : "libcnnc_rt.a", dir = exeDir();
  for (const std::string &p : {dir + "/" + name, dir + "/../lib/cnnc/" + name})
    if (isFile(p))
      return p;
  if (crossArm(t))
    throw UserError("cannot find cnnc's runtime for AArch64 (" + name + ") next to cnnc (" + dir +
                    "): " + kCrossToolchain);
  throw std::runtime_error("cannot find " + name + " next to cnnc (" + dir + ")");
}

// The linker for `t`: o.linker, else $CNNC_LD or ld or ld.lld on PATH (for
// AArch64 $CNNC_AARCH64_LD or aarch64-linux-gnu-ld).
std::string findLinker(const LibraryOptions &o, const Halide::Target &t) {
  if (!o.linker.empty())
    return o.linker;
  bool cross = crossArm(t);
  if (const char *env = std::getenv(cross ? "CNNC_AARCH64_LD" : "CNNC_LD"))
    return env;
  std::string found = cross ? findOnPath({"aarch64-linux-gnu-ld"}) : findOnPath({"ld", "ld.lld"});
  if (!found.empty())
    return found;
  if (cross)
    throw UserError("a library for AArch64 needs its linker, aarch64-linux-gnu-ld: " +
                    std::string(kCrossToolchain));
  throw UserError("writing a library needs a linker: install binutils (ld) or lld (ld.lld)");
}

// Runs argv (no shell), in `dir`; returns its exit status, output in `log`
// (by way of a file named for the calling process: the parts' compiling
// processes run their assemblers side by side).
int runProgram(const std::vector<std::string> &argv, const std::string &dir, std::string &log) {
  std::string logPath = dir + "/cmd." + std::to_string(getpid()) + ".log";
  pid_t pid = forkChild();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0)
      _exit(127);
    FILE *f = std::freopen(logPath.c_str(), "w", stdout);
    if (!f || dup2(fileno(stdout), 2) < 0)
      _exit(127);
    std::vector<char *> args;
    for (const auto &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(logPath);
  // Quoted in an error: the first lines say what went wrong, the rest is
  // counted (ld repeats itself for every relocation it cannot read).
  const int keep = 20;
  log.clear();
  std::string line;
  int lines = 0;
  while (std::getline(in, line))
    if (++lines <= keep)
      log += line + "\n";
  if (lines > keep)
    log += "(" + std::to_string(lines - keep) + " more lines)\n";
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char *kHeader =
#include "cnnc_h.inc"
    ;

} // namespace

std::string emitStage(const Graph &g, const LibraryOptions &opts, bool assembly) {
  Halide::Target t = parseTarget(opts.target);
  std::string assembler = findAssembler(t);
  std::vector<Part> parts =
      buildParts(g, scheduleParams(t, opts.params, assembler), t, opts.autoScheduler);
  TempDir tmp;
  auto path = [&](size_t k) { return tmp.path + "/" + parts[k].name + ".txt"; };
  forEachPart(parts.size(), tmp.path, opts.autoScheduler, [&](size_t k) {
    if (assembly)
      compileAssembly(parts[k], partTarget(parts, k, t), path(k), assembler);
    else
      parts[k].pipeline.compile_to_lowered_stmt(path(k), arguments(parts[k].net),
                                                Halide::StmtOutputFormat::Text,
                                                partTarget(parts, k, t));
  });
  std::string all;
  for (size_t k = 0; k < parts.size(); ++k)
    all += readText(path(k));
  return all;
}

std::string headerPath(const std::string &soPath) {
  std::string h = soPath;
  size_t dot = h.rfind('.');
  size_t slash = h.rfind('/');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash))
    h = h.substr(0, dot);
  return h + ".h";
}

namespace {

std::string machineName(const Halide::Target &t) {
  using T = Halide::Target;
  std::string arch = t.arch == T::X86     ? "x86"
                     : t.arch == T::ARM   ? "arm"
                     : t.arch == T::RISCV ? "riscv"
                                          : "other";
  std::string os = t.os == T::Linux     ? "Linux"
                   : t.os == T::OSX     ? "macOS"
                   : t.os == T::Windows ? "Windows"
                   : t.os == T::Android ? "Android"
                                        : "other";
  return arch + "-" + std::to_string(t.bits) + " " + os;
}

// `target` parsed, where this machine can build a library for it (and
// run it, with `runHere`): its own processor and OS, or AArch64 Linux on
// x86-64 Linux (crossArm).
Halide::Target libraryTarget(const std::string &target, bool runHere) {
  Halide::Target t = parseTarget(target), host = Halide::get_host_target();
  // Halide features that no library of cnnc's can have: its C interface
  // calls the pipeline by its C name with (input, weights, output), and it
  // carries Halide's runtime and nothing else.
  const char *sanitizer =
      "its checks need the sanitizer's runtime in every program that loads the library";
  const std::pair<Halide::Target::Feature, const char *> refused[] = {
      {Halide::Target::UserContext, "it gives the pipeline a first argument that the library's C "
                                    "interface does not pass"},
      {Halide::Target::CPlusPlusMangling,
       "the library's C interface calls the pipeline by its C name"},
      {Halide::Target::NoRuntime, "the library carries Halide's runtime, which it leaves out"},
      {Halide::Target::ASAN, sanitizer},
      {Halide::Target::MSAN, sanitizer},
      {Halide::Target::TSAN, sanitizer},
      {Halide::Target::SanitizerCoverage, sanitizer},
      {Halide::Target::ProfileByTimer,
       "Halide 21's timer-driven profiler never returns from its shutdown at the exit of a "
       "program that ran the library (Halide's issue 7727 reports such hangs); `profile` works"},
  };
  for (const auto &[feature, why] : refused)
    if (t.has_feature(feature))
      throw UserError("target '" + target +
                      "': cnnc cannot build a library with Halide's feature '" +
                      Halide::Target::feature_to_name(feature) + "': " + why +
                      " (--emit asm prints the code for it)");
  if (t.arch == host.arch && t.bits == host.bits && t.os == host.os)
    return t;
  if (!crossArm(t))
    throw UserError("cannot build a library for " + target + " on this " + machineName(host) +
                    " machine: cnnc links libraries for this machine's processor and OS, and "
                    "for arm-64-linux; --emit asm prints the code for any target");
  if (runHere)
    throw UserError("cannot run a library for " + target + " on this " + machineName(host) +
                    " machine; `cnnc FILE -o net.so --target " + target +
                    "` builds one to copy to an " + machineName(t) + " machine");
  return t;
}

} // namespace

std::string checkLibraryTarget(const std::string &target, bool runHere) {
  Halide::Target t = libraryTarget(target, runHere);
  if (crossArm(t)) { // its toolchain, before any work
    LibraryOptions defaults;
    findLinker(defaults, t);
    findRuntime(defaults, t);
  }
  if (!t.has_gpu_feature())
    return "";
  return "cnnc has no GPU schedules yet: the library for '" + target +
         "' runs on the CPU, as one for 'host' does";
}

int callShares(const Graph &g, const LibraryOptions &o, int64_t batch) {
  return callShares(g, cpuParams(parseTarget(o.target), o.params), batch);
}

int shareCut(const Graph &g, const LibraryOptions &o) {
  return o.autoScheduler.empty() ? shareCut(g, cpuParams(parseTarget(o.target), o.params)) : -1;
}

std::string profiledTarget(const std::string &target) {
  if (parseTarget(target).has_feature(Halide::Target::Profile))
    return target;
  return target + "-profile";
}

// Halide indexes a buffer with 32 bits and checks that each buffer the
// pipeline is given has at most 2^31 - 1 elements: a larger input or output
// fails every run (and Halide's constant folding overflows compiling it);
// all weights are one such buffer (lowering checks their sum as stored).
void checkLibraryLimits(const Graph &g, DiagEngine &diag) {
  for (const auto &node : g.nodes()) {
    double floats = 0;
    for (const WeightInfo &w : node->weights) {
      double size = 1;
      for (int64_t d : w.shape)
        size *= double(d);
      floats += size;
    }
    if (floats > double(INT32_MAX)) {
      std::ostringstream count;
      count << std::fixed << std::setprecision(0) << floats;
      diag.error(node->loc, std::string("the weights of ") + opName(node->op) + " '" + node->name +
                                "' (" + count.str() +
                                " floats) are too large for a library: Halide's 32-bit "
                                "indexing takes at most 2^31 - 1 floats of weights")
          .context = node->context;
    }
  }
  for (int id : {g.input, g.output}) {
    const Node &node = g.node(id);
    const Shape &s = node.shape;
    if (double(s.c) * double(s.h) * double(s.w) <= double(INT32_MAX))
      continue;
    std::string what =
        id == g.input ? "the input "
                      : std::string("the output of ") + opName(node.op) + " '" + node.name + "' ";
    diag.error(node.loc, what + shapeStr(s.dims()) +
                             " is too large for a library: Halide's 32-bit indexing "
                             "takes at most 2^31 - 1 elements an input or output")
        .context = node.context;
  }
}

void buildLibrary(const Graph &g, const std::string &soPath, const LibraryOptions &opts) {
  Halide::Target t = libraryTarget(opts.target, false);
  std::string linker = findLinker(opts, t);
  std::string runtime = findRuntime(opts, t);
  std::string assembler = findAssembler(t);
  TempDir tmp;
  CpuParams params = scheduleParams(t, opts.params, assembler);
  std::vector<Part> parts = buildParts(g, params, t, opts.autoScheduler);
  forEachPart(parts.size(), tmp.path, opts.autoScheduler, [&](size_t k) {
    std::string path = tmp.path + "/" + parts[k].name;
    Halide::Target pt = partTarget(parts, k, t);
    if (assembler.empty()) {
      parts[k].pipeline.compile_to_object(path + ".o", arguments(parts[k].net), parts[k].name, pt);
      return;
    }
    compileAssembly(parts[k], pt, path + ".s", assembler);
    std::string log;
    std::vector<std::string> command = {assembler, "--64"};
    // Halide's `debug` feature writes DWARF 5 line tables (`.file 1 "dir"
    // "name" md5 ...`), which GNU as 2.40 reads only so told.
    if (pt.has_feature(Halide::Target::Debug))
      command.push_back("--gdwarf-5");
    command.insert(command.end(), {"-o", parts[k].name + ".o", parts[k].name + ".s"});
    if (runProgram(command, tmp.path, log) != 0)
      throw std::runtime_error("the assembler (" + assembler + ") failed:\n" + log);
  });
  const LoweredNet &net = parts.back().net;
  std::string log;
  writeText(tmp.path + "/cnnc_meta.txt", describe(g, net, t, batchShares(g, params)));
  // Only the C interface is exported; Halide's runtime and the pipeline stay
  // hidden, so that several libraries load side by side.
  writeText(tmp.path + "/exports.map",
            "{ global: cnnc_network_name; cnnc_input_dims; cnnc_output_dims; cnnc_num_params;\n"
            "  cnnc_load; cnnc_run; cnnc_free; cnnc_last_error;\n  local: *; };\n");
  if (runProgram({linker, "-r", "-b", "binary", "-o", "meta.o", "cnnc_meta.txt"}, tmp.path, log) !=
      0)
    throw std::runtime_error("the linker failed to embed the network description:\n" + log);
  // Named by its file name (SONAME): a program linked with `cc main.c
  // lib/net.so` then looks for "net.so" by the loader's search path, not for
  // the path it was linked with.
  std::vector<std::string> link = {
      linker,
      "-shared",
      "-o",
      "net.so",
      "-soname",
      std::filesystem::path(soPath).filename(),
      "--version-script",
      "exports.map",
      "-z",
      "noexecstack",
      "-z",
      "now",
      "--no-undefined",
  };
  for (const Part &part : parts)
    link.push_back(part.name + ".o");
  link.insert(link.end(), {"meta.o", "--whole-archive", runtime, "--no-whole-archive", "-lm",
                           "-lpthread", "-ldl", "-lc"});
  if (runProgram(link, tmp.path, log) != 0)
    throw std::runtime_error("linking the library failed:\n" + log);
  std::string hPath = headerPath(soPath);
  writeText(tmp.path + "/net.h", kHeader);
  // Both outputs appear only now, each by a rename within its file system.
  for (const auto &[from, to] :
       {std::pair{tmp.path + "/net.so", soPath}, std::pair{tmp.path + "/net.h", hPath}}) {
    std::string staged = to + ".tmp." + std::to_string(getpid());
    std::error_code ec;
    std::filesystem::copy_file(from, staged, std::filesystem::copy_options::overwrite_existing, ec);
    if (!ec)
      std::filesystem::rename(staged, to, ec);
    if (ec) {
      std::string reason = ec.message();
      std::filesystem::remove(staged, ec);
      throw UserError("cannot write '" + to + "': " + reason);
    }
  }
}

} // namespace cnnc
