// The cnnc command: parses the subcommand and its options and runs it.
// Exit status: 0 success, 1 a diagnosed error in the user's input, 2 an
// internal failure.
#include "backend/library.h"
#include "frontend/elaborate.h"
#include "frontend/parser.h"
#include "ir/report.h"
#include "tools/cnnc/bench.h"
#include "tools/cnnc/init_weights.h"
#include "tools/cnnc/output_file.h"
#include "tools/cnnc/run_library.h"
#include "tools/cnnc/schedule_file.h"
#include "tools/cnnc/tensor_io.h"
#include "tools/cnnc/tune.h"

#include <Halide.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace cnnc;

const char *kUsage = R"(usage: cnnc <command> [options]

Commands:
  FILE -o net.so      compile the network to a shared library (and net.h)
  init FILE -o W      write random weights (He-style) as safetensors
  run net.so --weights W
                      run a compiled library once; print the top-5 outputs
  bench FILE          compile, run many times, report the median, GFLOP/s and
                      % of the machine's peak (--per-layer: each layer)
  tune FILE -o S.json search the schedule's parameters on this machine; write
                      the fastest as a schedule file for --schedule
  check FILE          parse and validate a network; print diagnostics only
  summary FILE        per-layer table: name, op, output shape, params,
                      multiply-adds, receptive field; totals
  graph FILE -o OUT   draw the network: OUT.dot, or OUT.svg where Graphviz's
                      'dot' is installed

Options:
  -o PATH             output file
  --target T          Halide target for the library: host (default),
                      x86-64-linux-avx2, x86-64-linux-avx512, arm-64-linux
                      (an AArch64 library, built with a cross linker), ...
  --schedule S.json   compile, bench: set the CPU schedule's named parameters
                      (docs/schedules.md) over the target's defaults
  --auto-schedule NAME
                      compile: schedule with Halide's autoscheduler NAME
                      (Mullapudi2016, Adams2019, Li2018) instead
  --seed N            init: the random seed (default 1)
  --weights W         run: the safetensors weights
  --input X.npy       run: the input batch, float32 [N, C, H, W] (default:
                      random normal)
  --batch N           run, bench, tune: batch size of the random input
                      (default 1)
  --budget SECONDS    tune: time for the search, compiles included (default
                      300)
  --per-layer         bench: time each layer too
  --seconds S         bench: how long to run after warming up (default 3; 10
                      with --per-layer)
  --json              summary, bench: print one JSON object instead of a table
  --explain           summary: after the table, how each layer's figures follow
                      (the size rule with its numbers, the weights' shapes,
                      the multiply-adds' factors, the receptive field's step)
  --emit ast|ir|halide|asm
                      print a stage of the compiler to standard output:
                      the AST, the graph IR, Halide's lowered statement, or
                      the assembly for --target (any target, ARM included)
  -Werror             treat warnings as errors
  -h, --help          show this help; 'cnnc COMMAND --help' (or 'cnnc help
                      COMMAND') for one command
  --version           print cnnc's version and Halide's

Exit status: 0 on success, 1 on an error in the input, 2 on an internal error.
)";

const char *kCheckHelp = R"(usage: cnnc check FILE [-Werror] [--emit ast|ir]

Parses FILE and everything it imports, expands blocks, infers every shape and
reports every error and warning of the language reference, clang-style.
Prints nothing when the network is clean.
)";

const char *kSummaryHelp = R"(usage: cnnc summary FILE [--json | --explain] [-Werror]

Prints each layer in source order (block bodies expanded at their call):
name, op, output shape [C, H, W], parameters, multiply-adds per image and
receptive field, then the totals. --json prints one object with network,
input, output, params, macs and layers (each with name, op, shape, params,
macs, receptive_field and weights). --explain follows the table with how
each layer's figures follow from its arguments and input: the output size
rule with its numbers (height floor((227 + 0 + 0 - 11) / 4) + 1 = 55), the
weights' shapes (a 1x1 conv's 128 x 256 x 1 x 1 against a 3x3's 128 x 256
x 3 x 3), the multiply-adds' factors and the receptive field's step
(r = r_in + (k - 1) x d x j_in: two 3x3 convs reach 5, as one 5x5 does).
)";

const char *kCompileHelp =
    R"(usage: cnnc FILE.cnn -o net.so [--target T] [--schedule S.json |
                --auto-schedule NAME] [-Werror] [--emit halide|asm]

Compiles the network ahead of time with Halide and links it, with Halide's
runtime and cnnc's loader, into one shared library that needs only libc,
libm, libpthread and libdl. Writes net.h beside it. Linking runs a linker as
a program: binutils' ld or lld's ld.lld on PATH (or $CNNC_LD); no C compiler
is needed. For x86-64 Linux it also assembles the code with binutils' as ($CNNC_AS)
where there is one, so that the fc layers' weight prefetches fetch into L2;
without it they go without prefetches. Nothing is written unless compilation
succeeds. FILE need not end in .cnn where it names an existing file. At a
terminal it reports its progress on standard error.
--schedule S.json sets the CPU schedule's named parameters (tile shapes,
unrolling, fusion, prefetching; docs/schedules.md) over the target's
defaults; any setting gives the same results, up to float rounding.
--auto-schedule NAME schedules the network with one of Halide's CPU
autoschedulers instead (Mullapudi2016, Adams2019 or Li2018; for batch 1),
usually slower than cnnc's own schedule: for comparison (docs/schedules.md).
--target arm-64-linux builds an AArch64 Linux library, to run on such a
machine, with the cross linker aarch64-linux-gnu-ld (or $CNNC_AARCH64_LD;
Debian's gcc-aarch64-linux-gnu) and cnnc's runtime built for AArch64; other
targets are this machine's processor and OS. --emit halide prints Halide's
lowered statement instead, --emit asm the assembly for --target; both work
for any target, also one no library can be built for here.
)";

const char *kInitHelp = R"(usage: cnnc init FILE.cnn -o w.safetensors [--seed N] [-Werror]

Writes random weights for every tensor the network needs, under the names
`cnnc summary --json` lists: He-normal conv and fc weights (std
sqrt(2 / fan_in)), small non-zero biases, batchnorm with scale in [0.5, 1.5],
shift and mean in [-0.2, 0.2], variance in [0.5, 1.5]. The same seed gives
the same file on every machine.
)";

const char *kRunHelp = R"(usage: cnnc run net.so --weights W [--input X.npy] [--batch N] [-o Y.npy]

Loads a library made by cnnc, reads the weights, runs one batch (the input
file's, or --batch images of random normal input; given both, they must
agree), and prints the output's shape, each image's top-5 entries and the
time of the run. -o writes the output as float32 .npy.
)";

const char *kBenchHelp =
    R"(usage: cnnc bench FILE.cnn [--batch N] [--per-layer] [--json] [--target T]
                  [--schedule S.json] [--seconds S] [-Werror]

Compiles the network, loads `cnnc init` weights (seed 1), runs a random batch
3 times to warm up and then repeatedly for S seconds (default 3; 10 with
--per-layer), and prints the median time with the 10th and 90th percentiles,
images/s, GFLOP/s (2 x multiply-adds per second) and the percentage of the
machine's fp32 FMA peak, measured on all threads right after (and measured
again, up to 3 times a second apart, where they give under 3/4 of one thread's
times the physical cores: a note then says that other work had part of the
cores). --per-layer compiles with Halide's profiler (the target named then
ends in -profile: its runs, the median's too, are a little slower than plain
ones) and adds each layer's time, the profiler's samples it rests on (one a
millisecond), GFLOP/s and % of peak, the last two only from 25 samples on (a
Winograd conv's GFLOP/s count its direct multiply-adds), and what the layers
add up to a run (the profiler's mean; the rest of a run waits for parallel
tasks or allocates). --schedule S.json compiles with the schedule parameters
of S.json (docs/schedules.md). Times are for this machine as it is: run
benchmarks on a quiet machine and compare only numbers from one run.
)";

const char *kTuneHelp =
    R"(usage: cnnc tune FILE.cnn -o S.json [--batch N] [--budget SECONDS] [--target T]
                 [-Werror]

Searches the CPU schedule's named parameters (docs/schedules.md) for this
network on this machine, at --batch images (default 1), for about SECONDS
(default 300, compiles included), and writes the fastest settings found as a
schedule file for `cnnc --schedule` and `cnnc bench --schedule`. Starting
from the target's defaults, each candidate changes one parameter of the best
so far; it is compiled and timed against the best in turn in one process,
and kept when it is at least 3 % faster in two measurements in a row. A
change that changes nothing in this network (a Winograd threshold no conv
crosses, say) is left out and named instead.
Progress goes to standard error. The target must run on this machine. The
settings are only as good as the machine is quiet while tuning.
)";

const char *kGraphHelp = R"(usage: cnnc graph FILE -o OUT.dot|OUT.svg [-Werror]

Writes the layer graph in Graphviz DOT. An .svg output runs Graphviz's 'dot'
on it, which must be installed.
)";

struct Options {
  std::string command;
  std::string input;
  std::string output;
  std::string emit;
  std::string target = "host";
  std::string schedule;
  std::string autoSchedule;
  std::string weights;
  std::string data;
  uint64_t seed = 1;
  int64_t batch = 1;
  bool perLayer = false;
  double seconds = 0; // bench's default: 3, or 10 with --per-layer
  double budget = 300;
  bool json = false;
  bool explain = false;
  bool werror = false;
  bool help = false, version = false;
  std::vector<std::string> given; // the options given, as spelled, for checkTaken
};

[[noreturn]] void usageError(const std::string &msg) {
  std::cerr << "cnnc: error: " << msg << "\n(see 'cnnc --help')\n";
  std::exit(1);
}

// Digits only, at most 18 of them (fits an int64_t).
bool digitsOnly(const std::string &v) {
  return !v.empty() && v.size() <= 18 && v.find_first_not_of("0123456789") == std::string::npos;
}

const std::string &number(const std::string &v, const char *flag) {
  if (!digitsOnly(v))
    usageError(std::string(flag) + " takes a non-negative integer, not '" + v + "'");
  return v;
}

// A count that must be at least 1 (--batch): 0 and negatives are refused in
// the same words. The only check of --batch: bench, tune and run take it as
// given.
int64_t positiveCount(const std::string &v, const char *flag, const char *what) {
  int64_t n = digitsOnly(v) ? std::strtoll(v.c_str(), nullptr, 10) : 0;
  if (n < 1)
    usageError(std::string(flag) + " takes a positive integer (" + what + "), not '" + v + "'");
  return n;
}

double positiveReal(const std::string &v, const char *flag) {
  char *end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || !(d > 0) || d > 1e6)
    usageError(std::string(flag) + " takes a positive number of seconds" +
               (d > 1e6 ? ", at most 1000000" : "") + ", not '" + v + "'");
  return d;
}

// Each command: its help, and the options it takes (its usage line).
struct Command {
  const char *help;
  std::set<std::string> options;
};

const std::map<std::string, Command> &commands() {
  static const std::map<std::string, Command> all = {
      {"compile",
       {kCompileHelp, {"-o", "--target", "--schedule", "--auto-schedule", "-Werror", "--emit"}}},
      {"check", {kCheckHelp, {"-Werror", "--emit"}}},
      {"summary", {kSummaryHelp, {"--json", "--explain", "-Werror"}}},
      {"graph", {kGraphHelp, {"-o", "-Werror"}}},
      {"init", {kInitHelp, {"-o", "--seed", "-Werror"}}},
      {"run", {kRunHelp, {"--weights", "--input", "--batch", "-o"}}},
      {"bench",
       {kBenchHelp,
        {"--batch", "--per-layer", "--json", "--target", "--schedule", "--seconds", "-Werror"}}},
      {"tune", {kTuneHelp, {"-o", "--batch", "--budget", "--target", "-Werror"}}},
  };
  return all;
}

bool given(const Options &o, const std::string &option) {
  return std::find(o.given.begin(), o.given.end(), option) != o.given.end();
}

// An option the command does not take is an error rather than ignored (bench
// -o would write no file).
void checkTaken(const Options &o) {
  const std::set<std::string> &ok = commands().at(o.command).options;
  for (const std::string &a : o.given)
    if (!ok.count(a)) {
      bool compile = o.command == "compile";
      std::cerr << "cnnc: error: " << (compile ? "compiling" : o.command) << " does not take " << a
                << "; 'cnnc " << (compile ? o.input : o.command)
                << " --help' lists what it takes\n";
      std::exit(1);
    }
}

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *flag) -> std::string {
      if (i + 1 >= argc)
        usageError(std::string(flag) + " needs a value");
      return argv[++i];
    };
    if (!a.empty() && a[0] == '-' && a != "-h" && a != "--help" && a != "--version")
      o.given.push_back(a);
    if (a == "-h" || a == "--help")
      o.help = true;
    else if (a == "--version")
      o.version = true;
    else if (a == "-o")
      o.output = value("-o");
    else if (a == "--json")
      o.json = true;
    else if (a == "--explain")
      o.explain = true;
    else if (a == "--per-layer")
      o.perLayer = true;
    else if (a == "--seconds")
      o.seconds = positiveReal(value("--seconds"), "--seconds");
    else if (a == "--budget")
      o.budget = positiveReal(value("--budget"), "--budget");
    else if (a == "-Werror")
      o.werror = true;
    else if (a == "--emit") {
      o.emit = value("--emit");
      if (o.emit != "ast" && o.emit != "ir" && o.emit != "halide" && o.emit != "asm")
        usageError("--emit takes ast, ir, halide or asm, not '" + o.emit + "'");
    } else if (a == "--target")
      o.target = value("--target");
    else if (a == "--schedule")
      o.schedule = value("--schedule");
    else if (a == "--auto-schedule")
      o.autoSchedule = value("--auto-schedule");
    else if (a == "--weights")
      o.weights = value("--weights");
    else if (a == "--input")
      o.data = value("--input");
    else if (a == "--seed")
      o.seed = std::strtoull(number(value("--seed"), "--seed").c_str(), nullptr, 10);
    else if (a == "--batch")
      o.batch = positiveCount(value("--batch"), "--batch", "images a call");
    else if (!a.empty() && a[0] == '-')
      usageError("unknown option '" + a + "'");
    else if (o.command.empty())
      o.command = a;
    else if (o.input.empty())
      o.input = a;
    else
      usageError("unexpected argument '" + a + "'");
  }
  return o;
}

int finish(const DiagEngine &diag) {
  diag.print(std::cerr);
  return diag.errors() ? 1 : 0;
}

int writeOutput(const std::string &path, const std::string &data) {
  std::string reason;
  if (!writeFileAtomic(path, data, reason)) {
    std::cerr << "cnnc: error: cannot write '" << path << "': " << reason << '\n';
    return 1;
  }
  return 0;
}

bool endsWith(const std::string &s, const std::string &tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// `s` as one word of a POSIX shell command: in single quotes, each quote in
// it closed, escaped and reopened.
std::string shellWord(const std::string &s) {
  std::string out = "'";
  for (char ch : s)
    out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

int drawGraph(const Options &o, const Graph &g) {
  std::ostringstream dot;
  printDot(dot, g);
  if (endsWith(o.output, ".dot"))
    return writeOutput(o.output, dot.str());
  if (!endsWith(o.output, ".svg"))
    usageError("graph writes .dot or .svg, not '" + o.output + "'");
  if (std::system("command -v dot >/dev/null 2>&1") != 0) {
    std::cerr << "cnnc: error: writing .svg needs Graphviz's 'dot', which is not installed; "
                 "write .dot instead\n";
    return 1;
  }
  std::string tmpDot = o.output + ".dot.tmp." + std::to_string(getpid());
  std::string tmpSvg = o.output + ".tmp." + std::to_string(getpid());
  if (writeOutput(tmpDot, dot.str()))
    return 1;
  std::string cmd = "dot -Tsvg " + shellWord(tmpDot) + " -o " + shellWord(tmpSvg);
  int rc = std::system(cmd.c_str());
  std::remove(tmpDot.c_str());
  if (rc != 0 || std::rename(tmpSvg.c_str(), o.output.c_str()) != 0) {
    std::remove(tmpSvg.c_str());
    std::cerr << "cnnc: error: Graphviz failed to write '" << o.output << "'\n";
    return 2;
  }
  return 0;
}

// A file a command reads, and what it is to the command.
struct Input {
  std::string path, what;
};

// Refuses, before anything is written or computed, an output that cannot
// be written (unwritableReason: GoogLeNet compiled for 27 s before saying
// so), and an output that is one of the command's inputs however the two
// are named (one device and inode: symbolic and hard links, ./x): `cnnc
// net.cnn -o net.cnn` replaced the network's source with the library, `run
// -o W` the weights. And a library named like its own header (-o net.h),
// which the header replaced.
void checkOutputs(const Options &o, const std::vector<Input> &inputs) {
  if (o.output.empty() || !o.emit.empty())
    return;
  bool library = o.command == "compile";
  std::string header = library ? headerPath(o.output) : "";
  if (library && header == o.output)
    throw UserError("-o '" + o.output +
                    "' names the library's header: the library and its header would both be '" +
                    header + "'; name the library net.so");
  struct stat out, in;
  for (const std::string &path : {o.output, header}) {
    if (path.empty())
      continue;
    std::string why = unwritableReason(path);
    if (!why.empty())
      throw UserError("cannot write '" + path + "': " + why);
    if (stat(path.c_str(), &out) != 0)
      continue;
    std::string named = path == o.output
                            ? "the output '" + path + "'"
                            : "the header '" + path + "' that -o '" + o.output + "' writes";
    for (const Input &i : inputs)
      if (stat(i.path.c_str(), &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
        throw UserError(named + " is " + i.what + " '" + i.path + "'; choose another -o");
  }
}

int run(const Options &o) {
  SourceManager sm;
  DiagEngine diag(sm);
  diag.setWerror(o.werror);
  if (o.emit == "ast") {
    auto module = loadModule(o.input, sm, diag, diskReader());
    if (module)
      ast::dump(std::cout, *module->files.front());
    return finish(diag);
  }
  auto graph = compileFile(o.input, sm, diag);
  // compile, bench and tune build a library here; --emit halide and asm
  // lower the network too.
  bool library =
      o.emit.empty() && (o.command == "compile" || o.command == "bench" || o.command == "tune");
  // What the language takes but no library can run, where one is made.
  if (graph && !diag.errors() && (library || o.emit == "halide" || o.emit == "asm"))
    checkLibraryLimits(*graph, diag);
  int rc = finish(diag);
  if (rc || !graph)
    return rc ? rc : 1;
  if (o.emit == "ir") {
    printIR(std::cout, *graph);
    return 0;
  }
  std::vector<Input> inputs;
  for (int i = 0; i < sm.count(); ++i)
    inputs.push_back({sm.file(i).path, i ? "the imported file" : "the network's source"});
  if (!o.schedule.empty())
    inputs.push_back({o.schedule, "the schedule file"});
  checkOutputs(o, inputs);
  LibraryOptions lib;
  lib.target = o.target;
  // Say so before any work (or progress line) when the library's target
  // cannot be built on this machine, or will not run where it says.
  if (library) {
    std::string warning = checkLibraryTarget(o.target, o.command != "compile");
    if (!warning.empty()) {
      if (o.werror)
        throw UserError(warning + " [-Werror]");
      std::cerr << "cnnc: warning: " << warning << '\n';
    }
  }
  if (!o.schedule.empty())
    lib.params = readScheduleFile(o.schedule);
  lib.autoScheduler = o.autoSchedule;
  if (o.emit == "halide" || o.emit == "asm") {
    std::cout << emitStage(*graph, lib, o.emit == "asm");
    return 0;
  }
  if (o.command == "compile") {
    // Progress for a person at a terminal (GoogLeNet takes half a minute);
    // scripts and logs see nothing on success, as before.
    bool tty = isatty(STDERR_FILENO);
    auto start = std::chrono::steady_clock::now();
    if (tty)
      std::cerr << "compiling " << graph->name << " for " << lib.target << "..." << std::endl;
    buildLibrary(*graph, o.output, lib);
    if (tty) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::string header = headerPath(o.output);
      std::fprintf(stderr, "wrote %s and %s in %.1f s\n", o.output.c_str(), header.c_str(), s);
    }
    return 0;
  }
  if (o.command == "bench") {
    BenchOptions b;
    b.batch = o.batch;
    b.lib = lib;
    b.perLayer = o.perLayer;
    b.json = o.json;
    b.seconds = o.seconds > 0 ? o.seconds : o.perLayer ? 10 : 3;
    return bench(*graph, b);
  }
  if (o.command == "tune") {
    TuneOptions t;
    t.output = o.output;
    t.target = o.target;
    t.batch = o.batch;
    t.budget = o.budget;
    return tune(*graph, t);
  }
  if (o.command == "init") {
    std::string reason;
    if (!writeFileAtomic(o.output, safetensorsBytes(initWeights(*graph, o.seed)), reason)) {
      std::cerr << "cnnc: error: cannot write '" << o.output << "': " << reason << '\n';
      return 1;
    }
    return 0;
  }
  if (o.command == "summary") {
    if (o.json) {
      printSummaryJson(std::cout, *graph);
    } else {
      printSummary(std::cout, *graph);
      if (o.explain)
        printExplanation(std::cout, *graph);
    }
  } else if (o.command == "graph") {
    return drawGraph(o, *graph);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o = parseArgs(argc, argv);
  if (o.version) {
    std::printf("cnnc %s (Halide %d.%d.%d)\n", CNNC_VERSION, HALIDE_VERSION_MAJOR,
                HALIDE_VERSION_MINOR, HALIDE_VERSION_PATCH);
    return 0;
  }
  if (o.command == "help") { // `cnnc help [COMMAND]`, as `cnnc [COMMAND] --help`
    o.command = o.input;
    o.input.clear();
    o.help = true;
  }
  if (o.command.empty()) {
    if (argc > 1 && !o.help) // options alone: `cnnc -o x.so`
      usageError("no .cnn file or command given");
    std::cout << kUsage;
    return o.help ? 0 : 1;
  }
  // `cnnc net.cnn -o net.so`: the command is the compile itself. A first word
  // that is no command is the network's file where it ends in .cnn, holds a
  // '/' or names something on disk (whatever its name ends in).
  if (!commands().count(o.command) &&
      ((o.command.size() > 4 && o.command.compare(o.command.size() - 4, 4, ".cnn") == 0) ||
       o.command.find('/') != std::string::npos || access(o.command.c_str(), F_OK) == 0)) {
    if (!o.input.empty())
      usageError("unexpected argument '" + o.input + "'");
    o.input = o.command;
    o.command = "compile";
  }
  auto command = commands().find(o.command);
  if (command == commands().end())
    usageError("unknown command '" + o.command + "'");
  if (o.help) {
    std::cout << command->second.help;
    return 0;
  }
  checkTaken(o);
  if (o.input.empty())
    usageError(o.command + (o.command == "run" ? " needs a library" : " needs a .cnn file"));
  bool needsOutput = o.command == "graph" || o.command == "init" || o.command == "tune" ||
                     (o.command == "compile" && o.emit.empty());
  if (needsOutput && o.output.empty())
    usageError(o.command + " needs -o OUTPUT");
  if (!o.autoSchedule.empty() && !o.schedule.empty())
    usageError("--schedule and --auto-schedule exclude each other");
  if (o.json && o.explain)
    usageError("--json and --explain exclude each other");
  try {
    if (o.command == "run") {
      if (o.weights.empty())
        usageError("run needs --weights W.safetensors");
      checkOutputs(o,
                   {{o.input, "the library"}, {o.weights, "the weights"}, {o.data, "the input"}});
      return runLibrary({o.input, o.weights, o.data, o.output, o.batch, given(o, "--batch")});
    }
    return run(o);
  } catch (const UserError &e) {
    std::cerr << "cnnc: error: " << e.what() << '\n';
    return 1;
  } catch (const Halide::Error &e) { // CompileError, InternalError: no std::exception
    std::cerr << "cnnc: internal error: Halide: " << e.what() << '\n';
    return 2;
  } catch (const std::exception &e) {
    std::cerr << "cnnc: internal error: " << e.what() << '\n';
    return 2;
  }
}
