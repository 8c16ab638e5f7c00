// The machine's peak, measured: what "% of peak" means in cnnc bench.
#pragma once

namespace cnnc {

// fp32 FMA GFLOP/s of `threads` threads (AVX-512 when the CPU has it, else
// AVX2), best of `reps` runs of about 0.2 s.
double peakFlops(int threads, int reps);

// GB/s of `threads` threads reading (summing) and copying 1 GiB.
void peakBandwidth(int threads, double &read, double &copy);

} // namespace cnnc
