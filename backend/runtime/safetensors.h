/* A safetensors reader for the cnnc library's loader: every malformation is
   an error with a reason, never a crash. */
#ifndef CNNC_SAFETENSORS_H
#define CNNC_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ST_MAX_RANK 8

typedef struct {
  char *name;
  int dtype; /* ST_F32, ST_F16, ST_BF16, or ST_OTHER */
  char dtype_name[16];
  int rank;
  int64_t shape[ST_MAX_RANK];
  uint64_t begin, end; /* byte offsets into the data section */
} st_tensor;

enum { ST_F32, ST_F16, ST_BF16, ST_OTHER };

typedef struct {
  unsigned char *bytes; /* the whole file */
  size_t size;
  const unsigned char *data; /* the data section */
  size_t data_size;
  st_tensor *tensors;
  int count;
} st_file;

/* Reads and validates `path`. Returns 0, or -1 with `err` set. */
int st_open(st_file *f, const char *path, char *err, size_t errlen);
void st_close(st_file *f);
const st_tensor *st_find(const st_file *f, const char *name);
/* Element `i` of an F16 or BF16 tensor `t`, widened to float. */
float st_get_half(const st_file *f, const st_tensor *t, int64_t i);

/* Element `i` of tensor `t` as float (F16 and BF16 are widened). Inline, so
   that the loader's loops over F32 tensors compile to plain loads. */
static inline float st_get(const st_file *f, const st_tensor *t, int64_t i) {
  if (t->dtype != ST_F32)
    return st_get_half(f, t, i);
  float v;
  memcpy(&v, f->data + t->begin + 4 * i, 4);
  return v;
}

#endif
