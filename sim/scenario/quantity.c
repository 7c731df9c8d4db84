/*
 * quantity.c - Kubernetes quantities to integers, exactly.
 *
 * The number is kept as decimal digits (at most KEEP significant ones,
 * plus a sticky bit for any non-zero digit beyond them), multiplied by the
 * binary suffix in decimal, then split at the decimal point: the integer
 * part, plus one if anything non-zero is left after the point. KEEP = 100
 * is far more than enough for the sticky bit never to change a result: a
 * value below 2^63 times 10^3 that is an exact integer needs at most about
 * 61 significant digits before the binary factor (5^60 * 2^63).
 */
#include <stdbool.h>
#include <string.h>

#include "base.h"
#include "quantity.h"

enum {
  KEEP = 100,         /* significant decimal digits kept exactly */
  DIGITS_MAX = 128,   /* KEEP + the 19 digits 2^60 can add, + slack */
  EXP_CLAMP = 100000, /* exponents beyond this saturate while parsing */
};

struct qparse {
  bool negative;
  char digits[KEEP]; /* significant digits, most significant first */
  int n;             /* how many of digits[] are used */
  bool sticky;       /* a non-zero digit was dropped after digits[] */
  long exp10;        /* value = digits * 10^exp10 * 2^exp2 */
  int exp2;
};

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* Decodes the suffix s[0..len) into powers of 10 and 2. */
static bool parse_suffix(const char *s, size_t len, long *exp10, int *exp2)
{
  static const struct {
    const char *s;
    int exp10, exp2;
  } table[] = {
      {"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},
      {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},
      {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
      {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
  };
  size_t i;

  for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
    if (strlen(table[i].s) == len && memcmp(table[i].s, s, len) == 0) {
      *exp10 = table[i].exp10;
      *exp2 = table[i].exp2;
      return true;
    }
  }
  /* A decimal exponent: e or E, an optional sign, at least one digit. */
  if (len < 2 || (s[0] != 'e' && s[0] != 'E'))
    return false;
  i = 1;
  bool neg = false;
  if (s[i] == '+' || s[i] == '-') {
    neg = s[i] == '-';
    i++;
  }
  if (i == len)
    return false;
  long e = 0;
  for (; i < len; i++) {
    if (!is_digit(s[i]))
      return false;
    if (e < EXP_CLAMP)
      e = e * 10 + (s[i] - '0');
  }
  *exp10 = neg ? -e : e;
  *exp2 = 0;
  return true;
}

/* Appends one mantissa digit: leading zeros vanish, digits past KEEP
 * significant ones are counted in *dropped and remembered as sticky. */
static void push_digit(struct qparse *q, char c, long *dropped)
{
  if (q->n == 0 && c == '0')
    return;
  if (q->n < KEEP) {
    q->digits[q->n++] = c;
    return;
  }
  (*dropped)++;
  if (c != '0')
    q->sticky = true;
}

static bool parse(const char *s, size_t len, struct qparse *q)
{
  size_t i = 0;
  long ndigits = 0, frac_digits = 0, dropped = 0, suffix10;

  memset(q, 0, sizeof(*q));
  if (i < len && (s[i] == '+' || s[i] == '-')) {
    q->negative = s[i] == '-';
    i++;
  }
  for (; i < len && is_digit(s[i]); i++, ndigits++)
    push_digit(q, s[i], &dropped);
  if (i < len && s[i] == '.') {
    for (i++; i < len && is_digit(s[i]); i++, ndigits++, frac_digits++)
      push_digit(q, s[i], &dropped);
  }
  if (ndigits == 0)
    return false;
  if (!parse_suffix(s + i, len - i, &suffix10, &q->exp2))
    return false;
  /* all digits = kept * 10^dropped + tail; the point sits frac_digits
   * from the right. */
  q->exp10 = dropped - frac_digits + suffix10;
  /* Trailing zeros of the kept digits only move the exponent. */
  while (q->n > 0 && q->digits[q->n - 1] == '0' && !q->sticky) {
    q->n--;
    q->exp10++;
  }
  return true;
}

/* Magnitude of q * 10^scale rounded up, saturated to INT64_MAX. */
static int64_t magnitude(const struct qparse *q, int scale)
{
  unsigned char a[DIGITS_MAX]; /* little-endian decimal digits */
  int m = q->n;
  long e = q->exp10 + scale;
  int i;

  if (m == 0)
    return q->sticky ? 1 : 0;
  if (e > 200)
    return INT64_MAX;
  if (e < -500)
    return 1; /* 0 < value < 1 */

  for (i = 0; i < m; i++)
    a[i] = (unsigned char)(q->digits[m - 1 - i] - '0');
  for (int b = q->exp2; b > 0; b -= 10) {
    unsigned carry = 0;
    for (i = 0; i < m; i++) {
      unsigned v = a[i] * 1024u + carry;
      a[i] = (unsigned char)(v % 10);
      carry = v / 10;
    }
    while (carry) {
      SIM_ASSERT(m < DIGITS_MAX);
      a[m++] = (unsigned char)(carry % 10);
      carry /= 10;
    }
  }

  int lo = 0; /* index of the first integer digit */
  bool frac = q->sticky;
  if (e < 0) {
    lo = (int)-e;
    for (i = 0; i < m && i < lo; i++)
      if (a[i])
        frac = true;
  }
  long int_len = (long)m - lo + (e > 0 ? e : 0);
  if (int_len > 19)
    return INT64_MAX;

  uint64_t v = 0;
  for (i = m - 1; i >= lo; i--)
    v = v * 10 + a[i];
  for (long z = 0; z < e; z++)
    v *= 10; /* int_len <= 19 digits: cannot wrap uint64 */
  if (v > (uint64_t)INT64_MAX)
    return INT64_MAX;
  if (frac && v < (uint64_t)INT64_MAX)
    v++;
  return (int64_t)v;
}

int quantity_parse_scaled(const char *s, size_t len, int scale, int64_t *out)
{
  struct qparse q;

  SIM_ASSERT(scale >= 0 && scale <= 9);
  if (!s || !parse(s, len, &q))
    return SIM_EINVAL;
  int64_t v = magnitude(&q, scale);
  *out = q.negative ? -v : v;
  return 0;
}

int quantity_value(const char *s, int64_t *out)
{
  return quantity_parse_scaled(s, s ? strlen(s) : 0, 0, out);
}

int quantity_milli_value(const char *s, int64_t *out)
{
  return quantity_parse_scaled(s, s ? strlen(s) : 0, 3, out);
}
