// The machine's peak, measured: what "% of peak" means in cnnc bench.
#pragma once

#include <functional>
#include <string>

namespace cnnc {

// fp32 FMA GFLOP/s of `threads` threads (AVX-512 when the CPU has it, else
// AVX2), best of `reps` runs of about 0.2 s.
double peakFlops(int threads, int reps);

// The FMA peak on all threads beside one thread's. Where the threads
// together give under 3/4 of `cores` times one thread's GFLOP/s (the
// physical cores they run on: two threads of one core share its FMAs),
// another process or the host has a core (on a shared machine, for
// minutes at a time): measured again after a pause, up to `tries` more
// times, the best kept; `busy` where it stayed short, so that "% of peak"
// can say what it is of. `gflopsOn(t)`: GFLOP/s on t threads; `pause`: the
// wait between tries.
struct FmaPeak {
  double one = 0, all = 0; // GFLOP/s on 1 and on `threads` threads
  int threads = 1, cores = 1;
  int measured = 0; // how many times all threads were measured
  bool busy = false;
};
FmaPeak measureFmaPeak(int threads, int cores, int tries,
                       const std::function<double(int)> &gflopsOn,
                       const std::function<void()> &pause);
// The same on all the machine's threads, with peakFlops(t, reps) and a
// pause of a second.
FmaPeak measureFmaPeak(int reps);

// The physical cores under the first `threads` logical CPUs (Linux's
// /sys/devices/system/cpu/cpuN/topology; `threads` where it cannot tell).
int physicalCores(int threads);
// What a busy peak was: a sentence for the reports that divide by it.
std::string busyNote(const FmaPeak &p);

// GB/s of `threads` threads reading (summing) and copying 1 GiB.
void peakBandwidth(int threads, double &read, double &copy);

} // namespace cnnc
