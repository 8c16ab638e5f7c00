/* safetensors: 8-byte little-endian header length, a JSON header mapping
   names to {dtype, shape, data_offsets}, then the data. */
#include "safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
  const char *p, *end;
  char *err;
  size_t errlen;
} json;

static int fail(json *j, const char *what) {
  if (!j->err[0])
    snprintf(j->err, j->errlen, "malformed safetensors header: %s", what);
  return -1;
}

static void skip_ws(json *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

static int expect(json *j, char c) {
  skip_ws(j);
  if (j->p >= j->end || *j->p != c) {
    char msg[32];
    snprintf(msg, sizeof msg, "expected '%c'", c);
    return fail(j, msg);
  }
  j->p++;
  return 0;
}

/* A JSON string; escapes are kept only for \" and \\ (names are plain). */
static int parse_string(json *j, char **out) {
  skip_ws(j);
  if (j->p >= j->end || *j->p != '"')
    return fail(j, "expected a string");
  j->p++;
  const char *start = j->p;
  size_t len = 0;
  char *s = malloc((size_t)(j->end - start) + 1);
  if (!s)
    return fail(j, "out of memory");
  while (j->p < j->end && *j->p != '"') {
    char c = *j->p++;
    if (c == '\\') {
      if (j->p >= j->end) {
        free(s);
        return fail(j, "unterminated string");
      }
      c = *j->p++;
      if (c == 'u') { /* keep \uXXXX as is: not valid in tensor names we look up */
        s[len++] = '?';
        j->p += (j->end - j->p >= 4) ? 4 : (j->end - j->p);
        continue;
      }
      c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
    }
    s[len++] = c;
  }
  if (j->p >= j->end) {
    free(s);
    return fail(j, "unterminated string");
  }
  j->p++;
  s[len] = 0;
  *out = s;
  return 0;
}

static int parse_uint(json *j, uint64_t *out) {
  skip_ws(j);
  if (j->p >= j->end || *j->p < '0' || *j->p > '9')
    return fail(j, "expected a non-negative integer");
  uint64_t v = 0;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
    uint64_t d = (uint64_t)(*j->p++ - '0');
    if (v > (UINT64_MAX - d) / 10)
      return fail(j, "integer too large");
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

/* Skips any JSON value (for __metadata__ and unknown keys), depth-limited. */
static int skip_value(json *j, int depth) {
  if (depth > 64)
    return fail(j, "nested too deeply");
  skip_ws(j);
  if (j->p >= j->end)
    return fail(j, "unexpected end");
  char c = *j->p;
  if (c == '"') {
    char *s;
    if (parse_string(j, &s))
      return -1;
    free(s);
    return 0;
  }
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
      j->p++;
      return 0;
    }
    for (;;) {
      if (c == '{') {
        char *k;
        if (parse_string(j, &k))
          return -1;
        free(k);
        if (expect(j, ':'))
          return -1;
      }
      if (skip_value(j, depth + 1))
        return -1;
      skip_ws(j);
      if (j->p < j->end && *j->p == ',') {
        j->p++;
        continue;
      }
      return expect(j, close);
    }
  }
  while (j->p < j->end && (strchr("-+.eE", *j->p) || (*j->p >= '0' && *j->p <= '9') ||
                           (*j->p >= 'a' && *j->p <= 'z')))
    j->p++;
  return 0;
}

static int parse_tensor(json *j, st_tensor *t) {
  int have_dtype = 0, have_shape = 0, have_offsets = 0;
  if (expect(j, '{'))
    return -1;
  for (;;) {
    char *key;
    if (parse_string(j, &key))
      return -1;
    if (expect(j, ':')) {
      free(key);
      return -1;
    }
    if (!strcmp(key, "dtype")) {
      char *d;
      if (parse_string(j, &d)) {
        free(key);
        return -1;
      }
      snprintf(t->dtype_name, sizeof t->dtype_name, "%s", d);
      t->dtype = !strcmp(d, "F32")    ? ST_F32
                 : !strcmp(d, "F16")  ? ST_F16
                 : !strcmp(d, "BF16") ? ST_BF16
                                      : ST_OTHER;
      free(d);
      have_dtype = 1;
    } else if (!strcmp(key, "shape")) {
      if (expect(j, '[')) {
        free(key);
        return -1;
      }
      t->rank = 0;
      skip_ws(j);
      if (j->p < j->end && *j->p == ']') {
        j->p++;
      } else {
        for (;;) {
          uint64_t v;
          if (t->rank >= ST_MAX_RANK) {
            free(key);
            return fail(j, "tensor rank above 8");
          }
          if (parse_uint(j, &v) || v > (uint64_t)INT64_MAX) {
            free(key);
            return fail(j, "bad shape");
          }
          t->shape[t->rank++] = (int64_t)v;
          skip_ws(j);
          if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
          }
          if (expect(j, ']')) {
            free(key);
            return -1;
          }
          break;
        }
      }
      have_shape = 1;
    } else if (!strcmp(key, "data_offsets")) {
      if (expect(j, '[') || parse_uint(j, &t->begin) || expect(j, ',') || parse_uint(j, &t->end) ||
          expect(j, ']')) {
        free(key);
        return -1;
      }
      have_offsets = 1;
    } else if (skip_value(j, 1)) {
      free(key);
      return -1;
    }
    free(key);
    skip_ws(j);
    if (j->p < j->end && *j->p == ',') {
      j->p++;
      continue;
    }
    if (expect(j, '}'))
      return -1;
    break;
  }
  if (!have_dtype || !have_shape || !have_offsets)
    return fail(j, "a tensor lacks dtype, shape or data_offsets");
  return 0;
}

static int elem_size(int dtype) { return dtype == ST_F32 ? 4 : 2; }

static int by_begin(const void *a, const void *b) {
  const st_tensor *x = a, *y = b;
  return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static int check_offsets(st_file *f, char *err, size_t errlen) {
  for (int i = 0; i < f->count; ++i) {
    st_tensor *t = &f->tensors[i];
    if (t->begin > t->end || t->end > f->data_size) {
      snprintf(err, errlen, "tensor '%s': data offsets [%llu, %llu) lie outside the %zu-byte data",
               t->name, (unsigned long long)t->begin, (unsigned long long)t->end, f->data_size);
      return -1;
    }
    if (t->dtype == ST_OTHER)
      continue; /* checked only if the tensor is used */
    uint64_t count = 1;
    for (int d = 0; d < t->rank; ++d) {
      if (t->shape[d] && count > UINT64_MAX / (uint64_t)t->shape[d] / 4) {
        snprintf(err, errlen, "tensor '%s': shape too large", t->name);
        return -1;
      }
      count *= (uint64_t)t->shape[d];
    }
    if (count * (uint64_t)elem_size(t->dtype) != t->end - t->begin) {
      snprintf(err, errlen, "tensor '%s': %llu bytes of data for %llu %s elements", t->name,
               (unsigned long long)(t->end - t->begin), (unsigned long long)count, t->dtype_name);
      return -1;
    }
  }
  st_tensor *sorted = malloc(sizeof(st_tensor) * (size_t)(f->count ? f->count : 1));
  if (!sorted) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  memcpy(sorted, f->tensors, sizeof(st_tensor) * (size_t)f->count);
  qsort(sorted, (size_t)f->count, sizeof(st_tensor), by_begin);
  for (int i = 1; i < f->count; ++i)
    if (sorted[i].begin < sorted[i - 1].end && sorted[i].begin < sorted[i].end) {
      snprintf(err, errlen, "tensors '%s' and '%s' overlap in the data", sorted[i - 1].name,
               sorted[i].name);
      free(sorted);
      return -1;
    }
  free(sorted);
  return 0;
}

static int parse_header(st_file *f, const char *text, size_t len, char *err, size_t errlen) {
  json j = {text, text + len, err, errlen};
  int cap = 0;
  if (expect(&j, '{'))
    return -1;
  skip_ws(&j);
  if (j.p < j.end && *j.p == '}') {
    j.p++;
    return 0;
  }
  for (;;) {
    char *key;
    if (parse_string(&j, &key))
      return -1;
    if (expect(&j, ':')) {
      free(key);
      return -1;
    }
    if (!strcmp(key, "__metadata__")) {
      free(key);
      if (skip_value(&j, 1))
        return -1;
    } else {
      if (f->count == cap) {
        cap = cap ? cap * 2 : 64;
        st_tensor *grown = realloc(f->tensors, sizeof(st_tensor) * (size_t)cap);
        if (!grown) {
          free(key);
          return fail(&j, "out of memory");
        }
        f->tensors = grown;
      }
      st_tensor *t = &f->tensors[f->count];
      memset(t, 0, sizeof *t);
      t->name = key;
      f->count++;
      if (parse_tensor(&j, t))
        return -1;
    }
    skip_ws(&j);
    if (j.p < j.end && *j.p == ',') {
      j.p++;
      continue;
    }
    if (expect(&j, '}'))
      return -1;
    break;
  }
  skip_ws(&j);
  if (j.p != j.end)
    return fail(&j, "text after the header object");
  return 0;
}

int st_open(st_file *f, const char *path, char *err, size_t errlen) {
  memset(f, 0, sizeof *f);
  err[0] = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) { /* opens; reads fail */
    snprintf(err, errlen, "cannot read '%s': %s", path, strerror(EISDIR));
    fclose(fp);
    return -1;
  }
  if (fseek(fp, 0, SEEK_END) != 0) {
    snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
    fclose(fp);
    return -1;
  }
  long size = ftell(fp);
  rewind(fp);
  if (size < 0) {
    snprintf(err, errlen, "cannot read '%s'", path);
    fclose(fp);
    return -1;
  }
  f->size = (size_t)size;
  f->bytes = malloc(f->size ? f->size : 1);
  if (!f->bytes || fread(f->bytes, 1, f->size, fp) != f->size) {
    snprintf(err, errlen, "cannot read '%s'", path);
    fclose(fp);
    st_close(f);
    return -1;
  }
  fclose(fp);
  if (f->size < 8) {
    snprintf(err, errlen, "'%s' is truncated: %zu bytes, less than the 8-byte header length", path,
             f->size);
    st_close(f);
    return -1;
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i)
    hlen = (hlen << 8) | f->bytes[i];
  if (hlen > f->size - 8) {
    snprintf(err, errlen, "'%s': header length %llu runs past the end of the %zu-byte file", path,
             (unsigned long long)hlen, f->size);
    st_close(f);
    return -1;
  }
  if (parse_header(f, (const char *)f->bytes + 8, (size_t)hlen, err, errlen) != 0) {
    char inner[400];
    snprintf(inner, sizeof inner, "%s", err);
    snprintf(err, errlen, "'%s': %s", path, inner);
    st_close(f);
    return -1;
  }
  f->data = f->bytes + 8 + hlen;
  f->data_size = f->size - 8 - (size_t)hlen;
  if (check_offsets(f, err, errlen) != 0) {
    char inner[400];
    snprintf(inner, sizeof inner, "%s", err);
    snprintf(err, errlen, "'%s': %s", path, inner);
    st_close(f);
    return -1;
  }
  return 0;
}

void st_close(st_file *f) {
  for (int i = 0; i < f->count; ++i)
    free(f->tensors[i].name);
  free(f->tensors);
  free(f->bytes);
  memset(f, 0, sizeof *f);
}

const st_tensor *st_find(const st_file *f, const char *name) {
  for (int i = 0; i < f->count; ++i)
    if (!strcmp(f->tensors[i].name, name))
      return &f->tensors[i];
  return NULL;
}

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal: normalize */
      exp = 127 - 15 + 1;
      while (!(man & 0x400)) {
        man <<= 1;
        exp--;
      }
      bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (man << 13);
  }
  float out;
  memcpy(&out, &bits, 4);
  return out;
}

float st_get_half(const st_file *f, const st_tensor *t, int64_t i) {
  const unsigned char *p = f->data + t->begin;
  uint16_t h;
  memcpy(&h, p + 2 * i, 2);
  if (t->dtype == ST_BF16) {
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
  }
  return half_to_float(h);
}
