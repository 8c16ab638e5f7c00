/* The part of every cnnc library that is not the network: the C interface,
   weight loading and repacking, argument checks and error reporting. It is
   compiled once with cnnc and linked into each library next to the Halide
   pipeline `cnnc_pipeline` and the network's description (see
   backend/library.cpp for its format). */
#include "cnnc.h"
#include "safetensors.h"

#include <HalideRuntime.h>

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))

extern int cnnc_pipeline_argv(void **args);
extern const char _binary_cnnc_meta_txt_start[];
extern const char _binary_cnnc_meta_txt_end[];

/* ---- errors ---------------------------------------------------------- */

static __thread char last_error[1024];

static void set_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
}

/* Halide's runtime reports here instead of printing to stderr. */
void halide_error(void *user_context, const char *msg) {
  (void)user_context;
  size_t len = strlen(msg);
  while (len && msg[len - 1] == '\n')
    len--;
  set_error("%.*s", (int)(len < 1000 ? len : 1000), msg);
}

API const char *cnnc_last_error(void) { return last_error; }

/* ---- memory ---------------------------------------------------------- */

/* Memory for a weight tensor's packed copy or a layer's output. A block of
   2 MB or more (AlexNet's fc6 weights: 151 MB) starts on a 2 MB boundary
   and asks Linux for transparent huge pages (where they are enabled only on
   request, as Debian's default "madvise"): a layer that streams it then
   crosses a page boundary, and misses the TLB, every 2 MB instead of every
   4 KB. Two threads streaming 160 MB with the fc's prefetches read 5-6 %
   faster so, 15 % without them. Weights so: torchvision's AlexNet at batch 1
   0.94-0.97x the time; layers' outputs too: GoogLeNet at batch 8 0.96-0.99x
   (build/alternate, 2026-11-28). Freed with free(). */
#define HUGE_PAGE ((size_t)2 << 20)

static void *huge_alloc(size_t bytes) {
  if (bytes < HUGE_PAGE)
    return malloc(bytes);
  void *p = NULL;
  if (posix_memalign(&p, HUGE_PAGE, (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE); /* advice only: ignored where unsupported */
#endif
  return p;
}

/* Halide allocates each layer's output anew on every run. Where malloc's
   mmap threshold is fixed (a Python process that has loaded PyTorch, or
   MALLOC_MMAP_THRESHOLD_ set), every large block comes fresh from mmap and
   is faulted in page by page, run after run: AlexNet at batch 8 ran 15 %
   slower so. Blocks of CACHE_MIN bytes and more are therefore kept when
   freed, while a model is loaded, up to CACHE_SLOTS blocks and CACHE_MAX
   bytes, and handed out again to requests they fit with at most a quarter
   to spare; cnnc_free of the last model returns them. Each block carries its
   size, and whether huge_alloc made it, in a header of one alignment unit
   (64 bytes: x86's widest vector). */
#define HEADER 64
#define CACHE_MIN ((size_t)256 << 10)
#define CACHE_MAX ((size_t)1 << 30)
#define CACHE_SLOTS 64

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char *block;
  size_t size;
} cache[CACHE_SLOTS];
static int cached;
static size_t cached_bytes;
static int live_models;

void *halide_malloc(void *user_context, size_t x) {
  if (x >= CACHE_MIN) {
    pthread_mutex_lock(&cache_lock);
    int best = -1;
    for (int i = 0; i < cached; ++i)
      if (cache[i].size >= x && cache[i].size - x <= x / 4 &&
          (best < 0 || cache[i].size < cache[best].size))
        best = i;
    char *b = NULL;
    if (best >= 0) {
      b = cache[best].block;
      cached_bytes -= cache[best].size;
      cache[best] = cache[--cached];
    }
    pthread_mutex_unlock(&cache_lock);
    if (b)
      return b + HEADER;
  }
  /* Whole alignment units, and one more: Halide may read a little past the
     end of a buffer. */
  size_t rounded = (x + HEADER - 1) / HEADER * HEADER;
  size_t bytes = rounded + 2 * HEADER;
  int huge = bytes >= HUGE_PAGE;
  char *b = huge ? huge_alloc(bytes) : halide_default_malloc(user_context, bytes);
  if (!b)
    return NULL;
  ((size_t *)b)[0] = x;
  ((size_t *)b)[1] = (size_t)huge;
  return b + HEADER;
}

/* A block of halide_malloc's, from the allocator that made it. */
static void release(void *user_context, char *b) {
  if (((size_t *)b)[1])
    free(b);
  else
    halide_default_free(user_context, b);
}

void halide_free(void *user_context, void *ptr) {
  if (!ptr)
    return;
  char *b = (char *)ptr - HEADER;
  size_t size = *(size_t *)b;
  if (size >= CACHE_MIN) {
    pthread_mutex_lock(&cache_lock);
    if (live_models > 0 && cached < CACHE_SLOTS && cached_bytes + size <= CACHE_MAX) {
      cache[cached].block = b;
      cache[cached].size = size;
      cached++;
      cached_bytes += size;
      b = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
  }
  if (b)
    release(user_context, b);
}

/* A model is loaded (+1) or freed (-1); the last one's free empties the cache. */
static void count_model(int delta) {
  pthread_mutex_lock(&cache_lock);
  live_models += delta;
  int empty = live_models == 0;
  int n = empty ? cached : 0;
  char *blocks[CACHE_SLOTS];
  for (int i = 0; i < n; ++i)
    blocks[i] = cache[i].block;
  if (empty) {
    cached = 0;
    cached_bytes = 0;
  }
  pthread_mutex_unlock(&cache_lock);
  for (int i = 0; i < n; ++i)
    release(NULL, blocks[i]);
}

/* ---- the network's description ------------------------------------------ */

enum {
  PACK_COPY,
  PACK_CONV,
  PACK_FC,
  PACK_BN_SCALE,
  PACK_BN_SHIFT,
  PACK_CONV_BN,
  PACK_BN_BIAS,
  PACK_WINO,
  PACK_WINO_BN
};
#define MAX_RANK 5
#define MAX_SOURCES 6 /* a conv folded with a batchnorm: weight, bias and four */

typedef struct {
  char name[256];
  int rank;
  int64_t shape[ST_MAX_RANK];
} source_t;

typedef struct {
  int64_t offset; /* where it starts in the weights argument, in floats */
  int pack;
  double eps;
  int groups;
  int stride; /* WINO: a strided conv's, whose phases are the channels */
  int nsources;
  source_t sources[MAX_SOURCES];
  int rank;
  int64_t dims[MAX_RANK]; /* its extents, innermost first, packed densely */
} arg_t;

#define MAX_FEATURE_WORDS 4

static struct {
  char name[256];
  int64_t in[3], out[3], params;
  int64_t floats; /* the weights argument's extent */
  int shares;     /* whether a batch runs in shares, one a thread (cnnc_run) */
  int nargs;
  arg_t *args;
  char target[1024]; /* the Halide target compiled for */
  int nfeatures;     /* its features, as words of Halide's runtime bitset */
  uint64_t features[MAX_FEATURE_WORDS];
  int ok;
} meta;

static pthread_once_t meta_once = PTHREAD_ONCE_INIT;

static int64_t count(const int64_t *dims, int rank);

static int read_dims(const char **p, int64_t *dims, int max, int *rank) {
  int consumed;
  if (sscanf(*p, "%d%n", rank, &consumed) != 1 || *rank < 0 || *rank > max)
    return -1;
  *p += consumed;
  for (int i = 0; i < *rank; ++i) {
    long long v;
    if (sscanf(*p, "%lld%n", &v, &consumed) != 1)
      return -1;
    dims[i] = v;
    *p += consumed;
  }
  return 0;
}

static void parse_meta(void) {
  size_t len = (size_t)(_binary_cnnc_meta_txt_end - _binary_cnnc_meta_txt_start);
  char *text = malloc(len + 1);
  if (!text)
    return;
  memcpy(text, _binary_cnnc_meta_txt_start, len);
  text[len] = 0;
  const char *p = text;
  int consumed = 0, i = 0;
  long long params, floats;
  if (sscanf(p,
             "cnnc-meta 5 network %255s input %lld %lld %lld output %lld %lld %lld "
             "params %lld args %d floats %lld shares %d target %1023s features %d%n",
             meta.name, (long long *)&meta.in[0], (long long *)&meta.in[1],
             (long long *)&meta.in[2], (long long *)&meta.out[0], (long long *)&meta.out[1],
             (long long *)&meta.out[2], &params, &meta.nargs, &floats, &meta.shares, meta.target,
             &meta.nfeatures, &consumed) != 13 ||
      meta.nargs < 0 || floats < 0 || floats > INT32_MAX || meta.nfeatures < 1 ||
      meta.nfeatures > MAX_FEATURE_WORDS) {
    free(text);
    return;
  }
  meta.params = params;
  meta.floats = floats;
  p += consumed;
  for (i = 0; i < meta.nfeatures; ++i) {
    unsigned long long w;
    if (sscanf(p, " %llu%n", &w, &consumed) != 1) {
      free(text);
      return;
    }
    meta.features[i] = w;
    p += consumed;
  }
  meta.args = calloc((size_t)meta.nargs + 1, sizeof(arg_t));
  for (i = 0; meta.args && i < meta.nargs; ++i) {
    arg_t *a = &meta.args[i];
    long long offset;
    if (sscanf(p, " arg %lld %d %lf %d %d %d%n", &offset, &a->pack, &a->eps, &a->groups, &a->stride,
               &a->nsources, &consumed) != 6 ||
        offset < 0 || a->nsources < 1 || a->nsources > MAX_SOURCES || a->groups < 1 ||
        a->stride < 1)
      break;
    p += consumed;
    int s;
    for (s = 0; s < a->nsources; ++s) {
      if (sscanf(p, " %255s%n", a->sources[s].name, &consumed) != 1)
        break;
      p += consumed;
      if (read_dims(&p, a->sources[s].shape, ST_MAX_RANK, &a->sources[s].rank))
        break;
    }
    if (s < a->nsources || read_dims(&p, a->dims, MAX_RANK, &a->rank))
      break;
    a->offset = offset;
    if (a->offset + count(a->dims, a->rank) > meta.floats)
      break;
  }
  meta.ok = meta.args && i == meta.nargs;
  free(text);
}

static int meta_ready(void) {
  pthread_once(&meta_once, parse_meta);
  if (!meta.ok)
    set_error("internal error: the library's network description is damaged");
  return meta.ok;
}

API const char *cnnc_network_name(void) { return meta_ready() ? meta.name : ""; }

API void cnnc_input_dims(int64_t chw[3]) {
  if (chw && meta_ready())
    memcpy(chw, meta.in, sizeof meta.in);
}

API void cnnc_output_dims(int64_t chw[3]) {
  if (chw && meta_ready())
    memcpy(chw, meta.out, sizeof meta.out);
}

API int64_t cnnc_num_params(void) { return meta_ready() ? meta.params : 0; }

/* ---- loading ----------------------------------------------------------- */

struct cnnc_model {
  float *weights; /* every weight tensor packed, at its offset (arg_t) */
  int64_t part;   /* images a pipeline call took where more failed (0: none failed) */
};

static void shape_str(char *buf, size_t len, const int64_t *shape, int rank) {
  size_t used = (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < rank && used < len; ++i)
    used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (used < len)
    snprintf(buf + used, len - used, "]");
}

static const st_tensor *find_checked(const st_file *f, const source_t *s, const char *path) {
  const st_tensor *t = st_find(f, s->name);
  char want[128], got[128];
  if (!t) {
    set_error("'%s': missing tensor '%s'", path, s->name);
    return NULL;
  }
  if (t->dtype == ST_OTHER) {
    set_error("'%s': tensor '%s' has dtype %s; F32, F16 or BF16 expected", path, s->name,
              t->dtype_name);
    return NULL;
  }
  int same = t->rank == s->rank;
  for (int d = 0; same && d < s->rank; ++d)
    same = t->shape[d] == s->shape[d];
  if (!same) {
    shape_str(want, sizeof want, s->shape, s->rank);
    shape_str(got, sizeof got, t->shape, t->rank);
    set_error("'%s': tensor '%s' has shape %s; the network needs %s", path, s->name, got, want);
    return NULL;
  }
  return t;
}

static int64_t count(const int64_t *dims, int rank) {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i)
    n *= dims[i];
  return n;
}

/* The scale of batchnorm channel c, whose four tensors (weight, bias,
   running_mean, running_var) start at bn[0]: weight / sqrt(var + eps). */
static double bn_scale(const st_file *f, const st_tensor **bn, int64_t c, double eps) {
  return st_get(f, bn[0], c) / sqrt((double)st_get(f, bn[3], c) + eps);
}

/* Repacks the sources of `a` into `out`, in the layout the pipeline reads. */
static void pack(const st_file *f, const st_tensor **src, const arg_t *a, float *out) {
  int64_t total = count(a->dims, a->rank);
  switch (a->pack) {
  case PACK_COPY:
    for (int64_t i = 0; i < total; ++i)
      out[i] = st_get(f, src[0], i);
    break;
  case PACK_CONV:
  case PACK_CONV_BN: { /* [O, I, kh, kw] -> (o % B, i, kx, ky, block); blocks of B
                          output channels within a group, zeros past its end;
                          CONV_BN: times the folded batchnorm's scale (src[1..4]) */
    int64_t B = a->dims[0], I = a->dims[1], KW = a->dims[2], KH = a->dims[3];
    int64_t G = a->groups, per = a->sources[0].shape[0] / G, blocks = a->dims[4] / G;
    for (int64_t b = 0; b < G * blocks; ++b)
      for (int64_t t = 0; t < B; ++t) {
        int64_t inGroup = b % blocks * B + t, o = b / blocks * per + inGroup;
        /* the folded scale, once per output channel */
        double scale =
            a->pack == PACK_CONV_BN && inGroup < per ? bn_scale(f, src + 1, o, a->eps) : 1.0;
        for (int64_t ky = 0; ky < KH; ++ky)
          for (int64_t kx = 0; kx < KW; ++kx)
            for (int64_t i = 0; i < I; ++i)
              out[(((b * KH + ky) * KW + kx) * I + i) * B + t] =
                  inGroup < per
                      ? (float)(st_get(f, src[0], ((o * I + i) * KH + ky) * KW + kx) * scale)
                      : 0.0f;
      }
    break;
  }
  case PACK_WINO:
  case PACK_WINO_BN: { /* [O, I, r, r] -> (o % B, i, e, o / B): Winograd F(m x m, r x r)'s
                          U = G g G^T, e = t * row + column, zeros past O;
                          t = m + r - 1 = 4, 6, 7 or 8 from e's extent (16, 36,
                          49, 64): F(2, 3), F(4, 3), F(2, 5), F(5, 3), F(4, 4),
                          F(3, 5) or F(4, 5) (r = 5 from the kernel); for a
                          stride S > 1,
                          i = S C py + S c + px is the phase (px, py) of
                          channel c, g its kernel g(c, S ky + py, S kx + px)
                          (zeros past r), r = ceil(r / S):
                          F(2, 3), F(4, 3), F(3, 4) or F(4, 4);
                          WINO_BN: times the folded batchnorm's scale */
    static const double G23[4][5] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    int64_t B = a->dims[0], I = a->dims[1], E = a->dims[2], O = a->sources[0].shape[0];
    int S = a->stride, K = (int)a->sources[0].shape[3], R = (K + S - 1) / S;
    int T = E == 64 ? 8 : E == 49 ? 7 : (E == 36 ? 6 : 4);
    int64_t C = I / (S * S); /* the source kernel's input channels */
    /* T = 6, 7, 8: the points 0, 1, -1, 2, -2 (and -1/2, and 1/2), then the
       point at infinity, as lower.cpp's B^T and A^T. Row j is c_j (1, p_j,
       p_j^2, ...) with c_j = 1 / (the product of p_j - q over the other
       finite points q): 1/4, -1/6, -1/6, 1/24, 1/24 for T = 6, 1/2, -1/9,
       1/3, 1/60, -1/36, -32/45 for T = 7 (the powers of p_j are powers of
       2: exact); the point at infinity's row has its 1 at r - 1. */
    static const double points[7] = {0, 1, -1, 2, -2, -0.5, 0.5};
    double GP[8][5] = {{0}};
    for (int j = 0; T > 4 && j < T - 1; ++j) {
      double c = 1;
      for (int q = 0; q < T - 1; ++q)
        if (q != j)
          c *= points[j] - points[q];
      c = 1 / c;
      for (int k = 0; k < R; ++k, c *= points[j])
        GP[j][k] = c;
    }
    GP[T - 1][R - 1] = 1;
    const double(*G)[5] = T == 4 ? G23 : GP;
    for (int64_t o = 0; o < B * a->dims[3]; ++o) {
      double scale = a->pack == PACK_WINO_BN && o < O ? bn_scale(f, src + 1, o, a->eps) : 1.0;
      for (int64_t i = 0; i < I; ++i) {
        double g[5][5], gt[8][5]; /* the kernel [ky][kx]; G g */
        int64_t py = i / (S * C), c = i / S % C, px = i % S;
        for (int ky = 0; ky < R; ++ky)
          for (int kx = 0; kx < R; ++kx) {
            int64_t sy = S * ky + py, sx = S * kx + px; /* in the source's kernel */
            g[ky][kx] = o < O && sy < K && sx < K
                            ? st_get(f, src[0], ((o * C + c) * K + sy) * K + sx) * scale
                            : 0.0;
          }
        for (int r = 0; r < T; ++r)
          for (int kx = 0; kx < R; ++kx) {
            gt[r][kx] = 0;
            for (int ky = 0; ky < R; ++ky)
              gt[r][kx] += G[r][ky] * g[ky][kx];
          }
        for (int r = 0; r < T; ++r)
          for (int q = 0; q < T; ++q) {
            double u = 0;
            for (int kx = 0; kx < R; ++kx)
              u += gt[r][kx] * G[q][kx];
            out[((o / B * E + r * T + q) * I + i) * B + o % B] = (float)u;
          }
      }
    }
    break;
  }
  case PACK_FC: { /* [O, C*H*W] -> (o % B, c, x, y, o / B), zeros past O */
    int64_t B = a->dims[0], C = a->dims[1], W = a->dims[2], H = a->dims[3];
    int64_t O = a->sources[0].shape[0], N = C * H * W;
    for (int64_t o = 0; o < B * a->dims[4]; ++o) {
      /* o's lane of its block, written in its order: B floats apart (the
         block's B rows fill each line in turn in cache), where an order of
         the source's wrote C * B floats apart and took twice as long */
      float *lane = out + o / B * N * B + o % B;
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x)
          for (int64_t c = 0; c < C; ++c, lane += B)
            *lane = o < O ? st_get(f, src[0], o * N + (c * H + y) * W + x) : 0.0f;
    }
    break;
  }
  case PACK_BN_SCALE:
  case PACK_BN_SHIFT: /* sources: weight, bias, running_mean, running_var */
    for (int64_t c = 0; c < total; ++c) {
      double scale = bn_scale(f, src, c, a->eps);
      out[c] = a->pack == PACK_BN_SCALE
                   ? (float)scale
                   : (float)(st_get(f, src[1], c) - st_get(f, src[2], c) * scale);
    }
    break;
  case PACK_BN_BIAS: { /* sources: [conv bias,] then the batchnorm's four */
    const st_tensor **bn = src + (a->nsources - 4);
    for (int64_t c = 0; c < total; ++c) {
      double b = a->nsources == 5 ? st_get(f, src[0], c) : 0.0;
      out[c] =
          (float)((b - st_get(f, bn[2], c)) * bn_scale(f, bn, c, a->eps) + st_get(f, bn[1], c));
    }
    break;
  }
  }
}

API void cnnc_free(cnnc_model *m) {
  if (!m)
    return;
  count_model(-1);
  free(m->weights);
  free(m);
}

API cnnc_model *cnnc_load(const char *path) {
  last_error[0] = 0;
  if (!path) {
    set_error("cnnc_load: weights path is NULL");
    return NULL;
  }
  if (!meta_ready())
    return NULL;
  /* Code for processor features this one lacks would stop at its first
     such instruction (SIGILL): Halide's runtime knows the CPU features its
     targets name. */
  if (!halide_can_use_target_features(meta.nfeatures, meta.features)) {
    set_error("cnnc_load: this library was compiled for %s, and this processor lacks some of "
              "its features; compile the network for this machine (--target host) or a target "
              "it has (x86-64-linux-avx2, ...)",
              meta.target);
    return NULL;
  }
  st_file f;
  char err[512];
  if (st_open(&f, path, err, sizeof err) != 0) {
    set_error("%s", err);
    return NULL;
  }
  cnnc_model *m = calloc(1, sizeof *m);
  if (m) {
    count_model(+1);
    /* zeros between the tensors (each starts on a 64-byte boundary) */
    m->weights = huge_alloc(sizeof(float) * (size_t)(meta.floats ? meta.floats : 1));
    if (m->weights)
      memset(m->weights, 0, sizeof(float) * (size_t)meta.floats);
  }
  if (!m || !m->weights) {
    set_error("cnnc_load: out of memory");
    cnnc_free(m);
    st_close(&f);
    return NULL;
  }
  for (int i = 0; i < meta.nargs; ++i) {
    const arg_t *a = &meta.args[i];
    const st_tensor *src[MAX_SOURCES];
    for (int s = 0; s < a->nsources; ++s)
      if (!(src[s] = find_checked(&f, &a->sources[s], path))) {
        cnnc_free(m);
        st_close(&f);
        return NULL;
      }
    pack(&f, src, a, m->weights + a->offset);
  }
  st_close(&f);
  return m;
}

/* ---- running ----------------------------------------------------------- */

static void make_buffer(halide_buffer_t *b, halide_dimension_t *dims, void *host, int rank) {
  memset(b, 0, sizeof *b);
  b->host = host;
  b->type.code = halide_type_float;
  b->type.bits = 32;
  b->type.lanes = 1;
  b->dimensions = rank;
  b->dim = dims;
}

/* An NCHW batch as Halide sees it: (x, y, c, n), x innermost. */
static void nchw_dims(halide_dimension_t d[4], const int64_t chw[3], int64_t batch) {
  int64_t extent[4] = {chw[2], chw[1], chw[0], batch};
  int64_t stride = 1;
  for (int i = 0; i < 4; ++i) {
    d[i].min = 0;
    d[i].extent = (int32_t)extent[i];
    d[i].stride = (int32_t)stride;
    d[i].flags = 0;
    stride *= extent[i];
  }
}

/* One call of the pipeline on `batch` images (buffers indexed in 32 bits). */
static int run_pipeline(cnnc_model *m, const float *input, int64_t batch, float *output) {
  halide_dimension_t in_dims[4], out_dims[4];
  halide_buffer_t in_buf, out_buf;
  nchw_dims(in_dims, meta.in, batch);
  nchw_dims(out_dims, meta.out, batch);
  make_buffer(&in_buf, in_dims, (void *)input, 4);
  make_buffer(&out_buf, out_dims, output, 4);
  /* Each call builds its own buffer structs over the shared weights, so that
     calls from several threads share nothing they write. */
  halide_dimension_t w_dim = {0, (int32_t)meta.floats, 1, 0};
  halide_buffer_t w_buf;
  make_buffer(&w_buf, &w_dim, m->weights, 1);
  void *args[3] = {&in_buf, &w_buf, &out_buf};
  return cnnc_pipeline_argv(args);
}

/* Floats of one image (C x H x W). */
static int64_t image_floats(const int64_t chw[3]) { return chw[0] * chw[1] * chw[2]; }

/* `batch` images (at most an array's worth: cnnc_run checks) in calls of
   the pipeline on parts of them. */
static int run_parts(cnnc_model *m, const float *input, int64_t batch, float *output) {
  int64_t in_elems = image_floats(meta.in), out_elems = image_floats(meta.out);
  int64_t most = in_elems > out_elems ? in_elems : out_elems;
  /* The images are independent: a batch runs in parts of at most `part`
     images, as many as the input and output buffers' 32-bit indexing takes,
     halved while a part's buffers inside the pipeline would pass the 2^31
     bytes a Halide buffer may hold or memory runs out. */
  int64_t part = INT32_MAX / most, known = __atomic_load_n(&m->part, __ATOMIC_RELAXED);
  if (known && part > known)
    part = known; /* not the failed sizes again, call after call */
  if (part > batch)
    part = batch;
  for (int64_t done = 0; done < batch;) {
    int64_t n = batch - done < part ? batch - done : part;
    int rc = run_pipeline(m, input + done * in_elems, n, output + done * out_elems);
    if (rc != 0 && n > 1 &&
        (rc == halide_error_code_buffer_allocation_too_large ||
         rc == halide_error_code_out_of_memory)) {
      part = n / 2;
      __atomic_store_n(&m->part, part, __ATOMIC_RELAXED);
      last_error[0] = 0;
      continue;
    }
    if (rc != 0) {
      if (!last_error[0])
        set_error("cnnc_run: the pipeline failed with code %d", rc);
      return 1;
    }
    done += n;
  }
  return 0;
}

/* ---- a batch in shares ------------------------------------------------- */

/* Where the library says so (meta.shares: the compiler's choice, by the
   network's multiply-adds per weight), a batch of at least as many images
   as Halide's threads runs as one share of whole images a thread, each
   share's pipeline running its parallel loops itself, serially: no thread
   waits for another at the end of each layer, and each reads only what it
   wrote. The images left over (fewer than the threads) run as before, all
   threads on each layer. GoogLeNet at batch 8 on 2 threads took 0.90x the
   time so (Sapphire Rapids, build/alternate, 2026-12-06); AlexNet 1.15x,
   whose fc layers read their 234 MB of weights once a call for all the
   images, and in shares once a share: its convs run in shares, its fc
   layers not (cnnc_part0_shares, below). */

#define MAX_SHARES 64 /* threads a batch is shared among, at most */

static __thread int in_share; /* this thread runs a share: its loops serially */

static int share_do_par_for(void *user_context, halide_task_t f, int min, int size,
                            uint8_t *closure) {
  if (!in_share)
    return halide_default_do_par_for(user_context, f, min, size, closure);
  for (int i = min; i < min + size; ++i) {
    int rc = f(user_context, i, closure);
    if (rc)
      return rc;
  }
  return 0;
}

static void install_shares(void) { halide_set_custom_do_par_for(share_do_par_for); }

static void shares_installed(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_shares);
}

/* The threads of Halide's pool: its own count once it has started, else
   as it will count them (HL_NUM_THREADS, or the processors online). */
static int pool_threads(void) {
  int started = halide_get_num_threads();
  if (started > 0)
    return started < MAX_SHARES ? started : MAX_SHARES;
  const char *n = getenv("HL_NUM_THREADS");
  if (!n)
    n = getenv("HL_NUMTHREADS");
  long threads = n ? atol(n) : sysconf(_SC_NPROCESSORS_ONLN);
  return threads < 1 ? 1 : threads > MAX_SHARES ? MAX_SHARES : (int)threads;
}

/* Images [first, first + count) of a batch, by whatever runs them (`ctx`):
   0, or an error code with this thread's error set. */
typedef int (*images_fn)(void *ctx, int64_t first, int64_t count);

typedef struct {
  images_fn run;
  void *ctx;
  int64_t first, each;             /* the first image, images a share */
  char error[][sizeof last_error]; /* each share's, where it failed */
} shares_t;

/* Share `i` of a batch, a task of Halide's pool (one a thread). */
static int run_share(void *user_context, int i, uint8_t *closure) {
  (void)user_context;
  shares_t *s = (shares_t *)closure;
  in_share = 1;
  int rc = s->run(s->ctx, s->first + i * s->each, s->each);
  in_share = 0;
  if (rc)
    snprintf(s->error[i], sizeof s->error[i], "%s", last_error);
  return rc;
}

/* `batch` images from `first` (at least `threads` of them, 2 or more) as one
   share of whole images a thread, then the images left over on all
   threads: 0, or an error code with this thread's error the first failing
   share's. */
static int in_shares(images_fn run, void *ctx, int64_t first, int64_t batch, int threads) {
  shares_installed();
  shares_t *s = calloc(1, sizeof *s + (size_t)threads * sizeof s->error[0]);
  if (!s) {
    set_error("cnnc_run: out of memory");
    return halide_error_code_out_of_memory;
  }
  s->run = run;
  s->ctx = ctx;
  s->first = first;
  s->each = batch / threads;
  int64_t done = s->each * threads;
  int rc = halide_do_par_for(NULL, run_share, 0, threads, (uint8_t *)s);
  for (int i = 0; rc && i < threads; ++i)
    if (s->error[i][0]) {
      set_error("%s", s->error[i]);
      break;
    }
  free(s);
  if (!rc && done < batch)
    rc = run(ctx, first + done, batch - done);
  return rc;
}

typedef struct {
  cnnc_model *m;
  const float *input;
  float *output;
} batch_t;

/* Images of a cnnc_run batch by the pipeline (run_parts). */
static int batch_images(void *ctx, int64_t first, int64_t count) {
  batch_t *b = (batch_t *)ctx;
  return run_parts(b->m, b->input + first * image_floats(meta.in), count,
                   b->output + first * image_floats(meta.out));
}

API int cnnc_run(cnnc_model *m, const float *input, int64_t batch, float *output) {
  last_error[0] = 0;
  if (!m || !input || !output) {
    set_error("cnnc_run: %s is NULL", !m ? "model" : !input ? "input" : "output");
    return 1;
  }
  if (batch < 1) {
    set_error("cnnc_run: batch is %lld; it must be at least 1", (long long)batch);
    return 1;
  }
  int64_t in_elems = image_floats(meta.in), out_elems = image_floats(meta.out);
  int64_t most = in_elems > out_elems ? in_elems : out_elems;
  if (batch > INT64_MAX / 4 / most) { /* no such array can exist */
    set_error("cnnc_run: batch %lld is too large", (long long)batch);
    return 1;
  }
  int threads = meta.shares ? pool_threads() : 1;
  if (threads < 2 || batch < threads)
    return run_parts(m, input, batch, output);
  batch_t b = {m, input, output};
  int rc = in_shares(batch_images, &b, 0, batch, threads);
  if (rc && !last_error[0])
    set_error("cnnc_run: the pipeline failed with code %d", rc);
  return rc ? 1 : 0;
}

/* ---- the layers before a head of fc layers in shares ------------------- */

/* A network whose layers up to some node do many multiply-adds per weight
   (AlexNet's convs) and whose fc layers after it read their weights once a
   call (234 MB) is two pipelines, cut there (backend/library.cpp,
   shareCut): the second, run by cnnc_run on all threads for the whole
   batch, calls the first through this function, an extern stage, which
   runs a batch of at least as many images as threads as one share of
   whole images a thread, as cnnc_run does a whole network's (above). */

int cnnc_part0(halide_buffer_t *input, halide_buffer_t *weights, halide_buffer_t *out)
    __attribute__((weak, visibility("hidden")));

typedef struct {
  halide_buffer_t *input, *weights, *out;
} part_t;

/* `b` narrowed to images [first, first + count) of its last dimension. */
static void images_of(halide_buffer_t *to, halide_dimension_t dims[4], const halide_buffer_t *b,
                      int64_t first, int64_t count) {
  *to = *b;
  memcpy(dims, b->dim, 4 * sizeof *dims);
  to->dim = dims;
  to->host = b->host + (first - dims[3].min) * dims[3].stride * (int64_t)((b->type.bits + 7) / 8);
  dims[3].min = (int32_t)first;
  dims[3].extent = (int32_t)count;
}

/* Images [first, first + count) by the first pipeline. */
static int part0_images(void *ctx, int64_t first, int64_t count) {
  part_t *p = (part_t *)ctx;
  halide_dimension_t in_dims[4], out_dims[4];
  halide_buffer_t in, out;
  images_of(&in, in_dims, p->input, first, count);
  images_of(&out, out_dims, p->out, first, count);
  return cnnc_part0(&in, p->weights, &out);
}

int cnnc_part0_shares(halide_buffer_t *input, halide_buffer_t *weights, halide_buffer_t *out) {
  /* A bounds query (no memory yet) or a batch too small to share: as is. */
  if (!input->host || !weights->host || !out->host || input->dimensions != 4 ||
      out->dimensions != 4)
    return cnnc_part0(input, weights, out);
  int threads = pool_threads();
  int64_t batch = out->dim[3].extent;
  if (in_share || threads < 2 || batch < threads)
    return cnnc_part0(input, weights, out);
  part_t p = {input, weights, out};
  return in_shares(part0_images, &p, out->dim[3].min, batch, threads);
}
