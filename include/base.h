/*
 * base.h - what every module shares: the error map, always-on assertions,
 * allocation that never returns NULL, simulated time, growable arrays and
 * the diagnostic record that carries "file:line:col: message" to the user.
 *
 * Ownership: x*alloc results belong to the caller and are released with
 * free(). A struct diag is caller storage, filled only when a function
 * returns an error.
 */
#ifndef SIM_BASE_H
#define SIM_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Virtual time: microseconds since the scenario started (D1, D10). */
typedef int64_t simtime;

#define SIMTIME_NEVER INT64_MAX /* "not set" / "not scheduled" */
#define SIM_US(n) ((simtime)(n))
#define SIM_MS(n) ((simtime)(n)*1000)
#define SIM_SEC(n) ((simtime)(n)*1000000)
#define SIM_MIN(n) ((simtime)(n)*60000000)

/* XX(name, number, message) - the one place error codes are defined. */
#define SIM_ERRNO_MAP(XX)                                                      \
  XX(NOMEM, 1, "out of memory")                                                \
  XX(INVAL, 2, "invalid argument")                                             \
  XX(NOENT, 3, "no such object")                                               \
  XX(EXIST, 4, "object already exists")                                        \
  XX(LIMIT, 5, "input exceeds a limit")                                        \
  XX(PARSE, 6, "scenario is not valid YAML")                                   \
  XX(SCHEMA, 7, "scenario does not match the schema")                          \
  XX(IO, 8, "input/output error")                                              \
  XX(UNSUPPORTED, 9, "not supported yet")                                      \
  XX(USAGE, 10, "bad command-line usage")

enum sim_err {
  SIM_OK = 0,
#define XX(name, num, msg) SIM_E##name = -(num),
  SIM_ERRNO_MAP(XX)
#undef XX
};

/* Returns a static message for a SIM_E* code. */
const char *sim_strerror(int err);

/*
 * Bugs: broken contracts and impossible states. Always on, in every build;
 * they print file:line and abort (exit code 3 is the CLI's for this).
 */
#define SIM_BUG(...) sim__bug(__FILE__, __LINE__, __VA_ARGS__)
#define SIM_ASSERT(cond)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      sim__bug(__FILE__, __LINE__, "assertion failed: %s", #cond);             \
  } while (0)

_Noreturn void sim__bug(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Allocation: never returns NULL; aborts on exhaustion (house style 6.5). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/*
 * Growable arrays (git's ALLOC_GROW): a struct with v, nr and alloc.
 *   VEC(int) xs = {0}; VEC_PUSH(&xs, 3); free(xs.v);
 */
#define VEC(type)                                                              \
  struct {                                                                     \
    type *v;                                                                   \
    size_t nr, alloc;                                                          \
  }
#define VEC_GROW(vec, n)                                                       \
  do {                                                                         \
    if ((n) > (vec)->alloc) {                                                  \
      size_t vec_na_ = (vec)->alloc ? (vec)->alloc * 2 : 8;                    \
      while (vec_na_ < (n))                                                    \
        vec_na_ *= 2;                                                          \
      (vec)->v = xrealloc((vec)->v, vec_na_ * sizeof(*(vec)->v));              \
      (vec)->alloc = vec_na_;                                                  \
    }                                                                          \
  } while (0)
#define VEC_PUSH(vec, x)                                                       \
  do {                                                                         \
    VEC_GROW((vec), (vec)->nr + 1);                                            \
    (vec)->v[(vec)->nr++] = (x);                                               \
  } while (0)

/*
 * A diagnostic for bad input: where (file, 1-based line and column; 0 when
 * unknown) and what was expected, in git's message style (lower case, no
 * full stop, subject quoted).
 */
struct diag {
  char file[256];
  int line, col;
  int code; /* the SIM_E* returned with it */
  char msg[512];
};

/*
 * Fills d (if not NULL) and returns code, so callers can write
 * "return diagf(d, file, line, col, SIM_ESCHEMA, "unknown key '%s'", k);".
 */
int diagf(struct diag *d, const char *file, int line, int col, int code,
          const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Formats d as "file:line:col: msg" (or "file: msg") into buf. */
void diag_format(const struct diag *d, char *buf, size_t n);

/* Formats t as a Go-style duration ("0s", "1m30s", "250ms", "2h0m5s"). */
void sim_format_duration(simtime t, char *buf, size_t n);

/* Parses a Go duration ("500ms", "90s", "1h30m", "1.5s") into *out. */
int sim_parse_duration(const char *s, simtime *out);

/* FNV-1a 64 over bytes, continuing from h (start with SIM_FNV_INIT). */
#define SIM_FNV_INIT UINT64_C(0xcbf29ce484222325)
uint64_t sim_fnv1a(uint64_t h, const void *p, size_t n);

/* splitmix64: the seed mixer used to derive streams and run seeds (D3). */
uint64_t sim_splitmix64(uint64_t x);

#endif
