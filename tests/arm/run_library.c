/* Runs a cnnc library once, for tests of libraries this machine cannot load
   (arm-64-linux ones, under qemu-aarch64): the input batch from a file of
   raw float32, the output to another.
     run_library NET.so WEIGHTS.safetensors BATCH IN.f32 OUT.f32
   Exit status 0, or 1 with the reason on standard error. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct cnnc_model cnnc_model;

static int fail(const char *what, const char *why) {
  fprintf(stderr, "run_library: %s: %s\n", what, why);
  return 1;
}

static int64_t volume(void *lib, const char *dims_fn) {
  void (*dims)(int64_t *) = (void (*)(int64_t *))dlsym(lib, dims_fn);
  int64_t chw[3] = {0, 0, 0};
  if (!dims)
    return -1;
  dims(chw);
  return chw[0] * chw[1] * chw[2];
}

int main(int argc, char **argv) {
  if (argc != 6)
    return fail("usage", "run_library NET.so WEIGHTS.safetensors BATCH IN.f32 OUT.f32");
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return fail(argv[1], dlerror());
  cnnc_model *(*load)(const char *) = (cnnc_model * (*)(const char *)) dlsym(lib, "cnnc_load");
  int (*run)(cnnc_model *, const float *, int64_t, float *) =
      (int (*)(cnnc_model *, const float *, int64_t, float *))dlsym(lib, "cnnc_run");
  void (*release)(cnnc_model *) = (void (*)(cnnc_model *))dlsym(lib, "cnnc_free");
  const char *(*last_error)(void) = (const char *(*)(void))dlsym(lib, "cnnc_last_error");
  int64_t batch = atoll(argv[3]), in = volume(lib, "cnnc_input_dims"),
          out = volume(lib, "cnnc_output_dims");
  if (!load || !run || !release || !last_error || in < 1 || out < 1)
    return fail(argv[1], "not a cnnc library");
  if (batch < 1)
    return fail("batch", argv[3]);
  cnnc_model *model = load(argv[2]);
  if (!model)
    return fail(argv[2], last_error());
  float *x = malloc((size_t)(batch * in) * sizeof(float));
  float *y = malloc((size_t)(batch * out) * sizeof(float));
  FILE *f = fopen(argv[4], "rb");
  if (!x || !y || !f || fread(x, sizeof(float), (size_t)(batch * in), f) != (size_t)(batch * in))
    return fail(argv[4], "cannot read the input batch");
  fclose(f);
  if (run(model, x, batch, y))
    return fail("cnnc_run", last_error());
  f = fopen(argv[5], "wb");
  if (!f || fwrite(y, sizeof(float), (size_t)(batch * out), f) != (size_t)(batch * out) ||
      fclose(f))
    return fail(argv[5], "cannot write the output");
  release(model);
  free(x);
  free(y);
  return 0;
}
