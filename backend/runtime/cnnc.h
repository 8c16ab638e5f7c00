/* The C interface of a library made by cnnc: one network compiled ahead of
   time (cnnc_network_name() names it). Tensors are float32, batch x C x H x
   W, in C order. Weights are safetensors under the names that `cnnc summary
   --json` lists. cnnc_run may be called from several threads on one model. */
#ifndef CNNC_H
#define CNNC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cnnc_model cnnc_model;

const char *cnnc_network_name(void);
void cnnc_input_dims(int64_t chw[3]);  /* C, H, W of one image */
void cnnc_output_dims(int64_t chw[3]); /* e.g. 1000, 1, 1 */
int64_t cnnc_num_params(void);

/* Reads a safetensors file. Returns NULL on any error: a missing file, a
   malformed header, a missing tensor, a wrong shape or dtype. */
cnnc_model *cnnc_load(const char *weights_path);

/* input: batch x C x H x W floats; output: batch x outC x outH x outW.
   Returns 0, or nonzero with the reason in cnnc_last_error(). */
int cnnc_run(cnnc_model *model, const float *input, int64_t batch, float *output);

void cnnc_free(cnnc_model *model);
const char *cnnc_last_error(void); /* thread-local; "" if none */

#ifdef __cplusplus
}
#endif

#endif
