/*
 * base.c - the error map, bug reports, allocation that never fails,
 * diagnostics, Go-style durations and the hash and seed mixers every
 * module shares.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

const char *sim_strerror(int err)
{
  switch (err) {
  case SIM_OK:
    return "success";
#define XX(name, num, msg)                                                     \
  case SIM_E##name:                                                            \
    return msg;
    SIM_ERRNO_MAP(XX)
#undef XX
  }
  return "unknown error";
}

void sim__bug(const char *file, int line, const char *fmt, ...)
{
  va_list ap;

  fprintf(stderr, "stsim: internal error at %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\nstsim: this is a bug in stsim; please report it with the "
        "scenario and seed that produced it\n",
        stderr);
  fflush(stderr);
  abort();
}

static void oom(size_t n)
{
  fprintf(stderr, "stsim: out of memory allocating %zu bytes\n", n);
  abort();
}

void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);

  if (!p)
    oom(n);
  return p;
}

void *xcalloc(size_t count, size_t size)
{
  void *p = calloc(count ? count : 1, size ? size : 1);

  if (!p)
    oom(count * size);
  return p;
}

void *xrealloc(void *p, size_t n)
{
  void *q = realloc(p, n ? n : 1);

  if (!q)
    oom(n);
  return q;
}

char *xstrdup(const char *s)
{
  size_t n = strlen(s) + 1;

  return memcpy(xmalloc(n), s, n);
}

int diagf(struct diag *d, const char *file, int line, int col, int code,
          const char *fmt, ...)
{
  va_list ap;

  if (!d)
    return code;
  snprintf(d->file, sizeof(d->file), "%s", file ? file : "");
  d->line = line;
  d->col = col;
  d->code = code;
  va_start(ap, fmt);
  vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
  va_end(ap);
  return code;
}

void diag_format(const struct diag *d, char *buf, size_t n)
{
  if (d->line > 0)
    snprintf(buf, n, "%s:%d:%d: %s", d->file, d->line, d->col > 0 ? d->col : 1,
             d->msg);
  else if (d->file[0])
    snprintf(buf, n, "%s: %s", d->file, d->msg);
  else
    snprintf(buf, n, "%s", d->msg);
}

/*
 * Go's time.Duration.String(), restricted to what simtime can hold:
 * "0s", "250ms", "1.5s", "1m30s", "2h0m5s".
 */
void sim_format_duration(simtime t, char *buf, size_t n)
{
  const char *sign = "";
  uint64_t us;

  if (t < 0) {
    sign = "-";
    us = (uint64_t)(-(t + 1)) + 1;
  } else {
    us = (uint64_t)t;
  }
  if (us == 0) {
    snprintf(buf, n, "0s");
    return;
  }
  if (us < 1000000) {
    if (us % 1000 == 0)
      snprintf(buf, n, "%s%" PRIu64 "ms", sign, us / 1000);
    else if (us < 1000)
      snprintf(buf, n, "%s%" PRIu64 "us", sign, us);
    else
      snprintf(buf, n, "%s%" PRIu64 ".%03" PRIu64 "ms", sign, us / 1000,
               us % 1000);
    return;
  }
  uint64_t h = us / 3600000000u, m = us / 60000000u % 60,
           s = us / 1000000u % 60, frac = us % 1000000u;
  char secs[32];

  if (frac == 0) {
    snprintf(secs, sizeof(secs), "%" PRIu64 "s", s);
  } else {
    char digits[8];

    snprintf(digits, sizeof(digits), "%06" PRIu64, frac);
    for (int i = 5; i > 0 && digits[i] == '0'; i--)
      digits[i] = '\0';
    snprintf(secs, sizeof(secs), "%" PRIu64 ".%ss", s, digits);
  }
  if (h)
    snprintf(buf, n, "%s%" PRIu64 "h%" PRIu64 "m%s", sign, h, m, secs);
  else if (m)
    snprintf(buf, n, "%s%" PRIu64 "m%s", sign, m, secs);
  else
    snprintf(buf, n, "%s%s", sign, secs);
}

/* Go's time.ParseDuration units, in microseconds (ns rounds to us). */
static int unit_us(const char *u, size_t len, double *out)
{
  static const struct {
    const char *name;
    double us;
  } units[] = {
      {"ns", 0.001}, {"us", 1},   {"\xc2\xb5s", 1}, {"ms", 1000},
      {"s", 1e6},    {"m", 60e6}, {"h", 3600e6},
  };

  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    if (strlen(units[i].name) == len && !memcmp(units[i].name, u, len)) {
      *out = units[i].us;
      return 0;
    }
  }
  return SIM_EINVAL;
}

int sim_parse_duration(const char *s, simtime *out)
{
  const char *p = s;
  bool neg = false;
  double total = 0;

  if (*p == '-' || *p == '+')
    neg = *p++ == '-';
  if (!strcmp(p, "0")) {
    *out = 0;
    return 0;
  }
  if (!*p)
    return SIM_EINVAL;
  while (*p) {
    const char *num = p;
    bool digits = false;
    double v = 0, scale = 1;

    while (*p >= '0' && *p <= '9') {
      v = v * 10 + (*p++ - '0');
      digits = true;
    }
    if (*p == '.') {
      p++;
      while (*p >= '0' && *p <= '9') {
        scale /= 10;
        v += (*p++ - '0') * scale;
        digits = true;
      }
    }
    if (!digits || p == num)
      return SIM_EINVAL;
    const char *u = p;
    while (*p && !(*p >= '0' && *p <= '9') && *p != '.')
      p++;
    double mult;
    if (p == u || unit_us(u, (size_t)(p - u), &mult))
      return SIM_EINVAL;
    total += v * mult;
    if (total > 9.2e18)
      return SIM_EINVAL;
  }
  *out = (simtime)llround(neg ? -total : total);
  return 0;
}

uint64_t sim_fnv1a(uint64_t h, const void *p, size_t n)
{
  const unsigned char *c = p;

  for (size_t i = 0; i < n; i++) {
    h ^= c[i];
    h *= UINT64_C(0x100000001b3);
  }
  return h;
}

uint64_t sim_splitmix64(uint64_t x)
{
  x += UINT64_C(0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
  return x ^ (x >> 31);
}
