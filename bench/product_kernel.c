/* The product loop of a Winograd conv alone, as cnnc's schedule runs it for
 * Caffe AlexNet's conv2 by F(4x4, 5x5) (one group: 48 input channels, a
 * block of 64 output channels, the 7 tiles of a row of tiles, 64 positions),
 * on one thread, with the weights read from a span of the given size: one
 * block's (0.79 MB) fits L2, both groups' (3.15 MB) do not. What it shows is
 * how much of the FMA peak that loop can reach from each level of the cache
 * (docs/performance.md, "The open goal"). Not part of the build:
 *
 *   gcc -O2 -march=native -o product_kernel bench/product_kernel.c
 *   ./product_kernel 1 && ./product_kernel 2 && ./product_kernel 4
 *
 * and compare with `build/peak`'s one-thread figure.
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { K = 48, P = 64, T = 7, BLOCK = 64 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* One weight block: M[p][t][64] = sum over k of V[p][t][k] * W[p][k][64],
 * 4 vectors by 7 tiles of accumulators. */
static void block(const float *W, const float *V, float *M) {
  for (int p = 0; p < P; ++p) {
    const float *w = W + (size_t)p * K * BLOCK, *v = V + (size_t)p * T * K;
    __m512 a[T][4];
    for (int t = 0; t < T; ++t)
      for (int j = 0; j < 4; ++j)
        a[t][j] = _mm512_setzero_ps();
    for (int k = 0; k < K; ++k) {
      __m512 w0 = _mm512_loadu_ps(w + k * BLOCK), w1 = _mm512_loadu_ps(w + k * BLOCK + 16),
             w2 = _mm512_loadu_ps(w + k * BLOCK + 32), w3 = _mm512_loadu_ps(w + k * BLOCK + 48);
#pragma GCC unroll 8 /* the accumulators in registers */
      for (int t = 0; t < T; ++t) {
        __m512 b = _mm512_set1_ps(v[t * K + k]);
        a[t][0] = _mm512_fmadd_ps(b, w0, a[t][0]);
        a[t][1] = _mm512_fmadd_ps(b, w1, a[t][1]);
        a[t][2] = _mm512_fmadd_ps(b, w2, a[t][2]);
        a[t][3] = _mm512_fmadd_ps(b, w3, a[t][3]);
      }
    }
    for (int t = 0; t < T; ++t)
      for (int j = 0; j < 4; ++j)
        _mm512_storeu_ps(M + ((size_t)p * T + t) * BLOCK + j * 16, a[t][j]);
  }
}

int main(int argc, char **argv) {
  int blocks = argc > 1 ? atoi(argv[1]) : 1; /* distinct weight blocks, in turn */
  int reps = argc > 2 ? atoi(argv[2]) : 400;
  if (blocks < 1 || reps < 1) {
    fprintf(stderr, "usage: product_kernel [BLOCKS [REPS]]\n");
    return 1;
  }
  size_t per = (size_t)P * K * BLOCK;
  float *W = aligned_alloc(64, per * blocks * sizeof(float));
  float *V = aligned_alloc(64, (size_t)P * T * K * sizeof(float));
  float *M = aligned_alloc(64, (size_t)P * T * BLOCK * sizeof(float));
  if (!W || !V || !M)
    return 1;
  for (size_t i = 0; i < per * blocks; ++i)
    W[i] = (float)(i % 7) * 0.01f;
  for (size_t i = 0; i < (size_t)P * T * K; ++i)
    V[i] = (float)(i % 5) * 0.01f;
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    double t0 = now();
    for (int i = 0; i < reps; ++i)
      block(W + (size_t)(i % blocks) * per, V, M);
    double dt = now() - t0;
    if (dt < best)
      best = dt;
  }
  double flops = 2.0 * P * K * T * BLOCK * reps;
  printf("weights %.2f MB (%d blocks): %.1f GFLOP/s on one thread (M[0] = %g)\n",
         per * blocks * sizeof(float) / 1e6, blocks, flops / best / 1e9, M[0]);
  free(W);
  free(V);
  free(M);
  return 0;
}
