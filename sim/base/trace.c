/*
 * trace.c - the running digest of executed events (D8) and the optional
 * JSON-lines trace of interface.md section 4.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

void trace_init(struct trace *t, FILE *out)
{
  t->digest = SIM_FNV_INIT;
  t->events = 0;
  t->out = out;
}

/* The digest is sim_fnv1a over (at, phase as int32, seq, kind, subject) in
 * memory order (D8). What follows computes exactly that, faster. */
#define FNV_PRIME UINT64_C(0x100000001b3)

/* FNV_PRIME^k: k zero bytes fold into one multiply (h ^ 0 == h). */
static const uint64_t prime_pow[9] = {
    UINT64_C(0x1),
    UINT64_C(0x100000001b3),
    UINT64_C(0x366000002e329),
    UINT64_C(0x8a97b0004e7feab),
    UINT64_C(0x9ffaac085635bc91),
    UINT64_C(0xcaee32a7d4f6a63),
    UINT64_C(0xdc966432edf1c639),
    UINT64_C(0xc5527b8a51d3d2db),
    UINT64_C(0x1efac7090aef4a21),
};

#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* FNV-1a over the `size` bytes of v as stored (little-endian): its high
 * zero bytes come last, so they cost one multiply together. */
static inline uint64_t fold_int(uint64_t h, uint64_t v, int size)
{
  int n = v ? (71 - __builtin_clzll(v)) / 8 : 0;

  for (int i = 0; i < n; i++) {
    h ^= v & 0xff;
    h *= FNV_PRIME;
    v >>= 8;
  }
  return h * prime_pow[size - n];
}

static uint64_t fold_head(uint64_t h, simtime at, int phase, uint64_t seq)
{
  h = fold_int(h, (uint64_t)at, 8);
  h = fold_int(h, (uint32_t)(int32_t)phase, 4);
  return fold_int(h, seq, 8);
}

static uint64_t fold_tail(uint64_t h, uint64_t subject)
{
  return fold_int(h, subject, 8);
}
#else
static uint64_t fold_head(uint64_t h, simtime at, int phase, uint64_t seq)
{
  int32_t ph = phase;

  h = sim_fnv1a(h, &at, sizeof(at));
  h = sim_fnv1a(h, &ph, sizeof(ph));
  return sim_fnv1a(h, &seq, sizeof(seq));
}

static uint64_t fold_tail(uint64_t h, uint64_t subject)
{
  return sim_fnv1a(h, &subject, sizeof(subject));
}
#endif

#ifdef SIM_PARANOID
/* The definition, byte by byte, that the fast folds must match. */
static uint64_t fold_ref(uint64_t h, simtime at, int phase, uint64_t seq,
                         const char *kind, uint64_t subject)
{
  int32_t ph = phase;

  h = sim_fnv1a(h, &at, sizeof(at));
  h = sim_fnv1a(h, &ph, sizeof(ph));
  h = sim_fnv1a(h, &seq, sizeof(seq));
  if (kind)
    h = sim_fnv1a(h, kind, strlen(kind));
  return sim_fnv1a(h, &subject, sizeof(subject));
}
#endif

static void fold_done(struct trace *t, uint64_t h, simtime at, int phase,
                      uint64_t seq, const char *kind, uint64_t subject)
{
#ifdef SIM_PARANOID
  SIM_ASSERT(h == fold_ref(t->digest, at, phase, seq, kind, subject));
#else
  (void)at, (void)phase, (void)seq, (void)kind, (void)subject;
#endif
  t->digest = h;
  t->events++;
}

void trace_fold(struct trace *t, simtime at, int phase, uint64_t seq,
                const char *kind, uint64_t subject)
{
  uint64_t h = fold_head(t->digest, at, phase, seq);

  if (kind)
    h = sim_fnv1a(h, kind, strlen(kind));
  fold_done(t, fold_tail(h, subject), at, phase, seq, kind, subject);
}

/* --- the kind memo (trace.h) ---------------------------------------------- */

#define MEMO_SLOTS 256 /* kinds, open addressing; 3/4 full at most */

struct memo_kind {
  const char *kind; /* by address: a static string */
  size_t len;
  uint64_t pn;       /* FNV_PRIME^len */
  uint64_t known[4]; /* bit l: d[l] is known */
  uint64_t d[256];   /* fold(h, kind) - h * pn for h & 0xff == l */
};

struct trace_memo {
  struct memo_kind *slot[MEMO_SLOTS];
  size_t nr;
};

struct trace_memo *trace_memo_new(void)
{
  return xcalloc(1, sizeof(struct trace_memo));
}

void trace_memo_free(struct trace_memo *m)
{
  if (!m)
    return;
  for (size_t i = 0; i < MEMO_SLOTS; i++)
    free(m->slot[i]);
  free(m);
}

/* The kind's entry, made on first sight; NULL when the memo is full. */
static struct memo_kind *memo_kind(struct trace_memo *m, const char *kind)
{
  uint64_t a = (uint64_t)(uintptr_t)kind * UINT64_C(0x9e3779b97f4a7c15);
  size_t i = (size_t)(a >> 56) & (MEMO_SLOTS - 1);
  struct memo_kind *k;

  while ((k = m->slot[i]) && k->kind != kind)
    i = (i + 1) & (MEMO_SLOTS - 1);
  if (k)
    return k;
  if (m->nr >= MEMO_SLOTS / 4 * 3)
    return NULL;
  k = xmalloc(sizeof(*k));
  k->kind = kind;
  k->len = strlen(kind);
  k->pn = 1;
  for (size_t j = 0; j < k->len; j++)
    k->pn *= FNV_PRIME;
  memset(k->known, 0, sizeof(k->known));
  m->slot[i] = k;
  m->nr++;
  return k;
}

static uint64_t fold_kind(struct trace_memo *m, uint64_t h, const char *kind)
{
  struct memo_kind *k = memo_kind(m, kind);
  unsigned l = (unsigned)(h & 0xff);

  if (!k)
    return sim_fnv1a(h, kind, strlen(kind));
  if (!(k->known[l >> 6] >> (l & 63) & 1)) {
    k->d[l] = sim_fnv1a(h, kind, k->len) - h * k->pn;
    k->known[l >> 6] |= UINT64_C(1) << (l & 63);
  }
  return h * k->pn + k->d[l];
}

void trace_fold_memo(struct trace *t, struct trace_memo *m, simtime at,
                     int phase, uint64_t seq, const char *kind,
                     uint64_t subject)
{
  uint64_t h;

  if (!m || !kind) {
    trace_fold(t, at, phase, seq, kind, subject);
    return;
  }
  h = fold_kind(m, fold_head(t->digest, at, phase, seq), kind);
  fold_done(t, fold_tail(h, subject), at, phase, seq, kind, subject);
}

void trace_json_string(FILE *f, const char *s)
{
  putc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    default:
      if (*p < 0x20)
        fprintf(f, "\\u%04x", *p);
      else
        putc(*p, f);
    }
  }
  putc('"', f);
}

void trace_line(struct trace *t, simtime at, uint64_t seq, const char *kind,
                const char *object, const char *detail)
{
  if (!t->out)
    return;
  /* Milliseconds with microsecond precision, fixed format (D7). */
  fprintf(t->out, "{\"t\": %" PRId64 ".%03d, \"seq\": %" PRIu64 ", \"kind\": ",
          at / 1000, (int)(at % 1000), seq);
  trace_json_string(t->out, kind);
  if (object) {
    fputs(", \"object\": ", t->out);
    trace_json_string(t->out, object);
  }
  if (detail) {
    fputs(", \"detail\": ", t->out);
    trace_json_string(t->out, detail);
  }
  fputs("}\n", t->out);
}
