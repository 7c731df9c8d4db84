/*
 * trace.c - the running digest of executed events (D8) and the optional
 * JSON-lines trace of interface.md section 4.
 */
#include <inttypes.h>
#include <string.h>

#include "trace.h"

void trace_init(struct trace *t, FILE *out)
{
  t->digest = SIM_FNV_INIT;
  t->events = 0;
  t->out = out;
}

void trace_fold(struct trace *t, simtime at, int phase, uint64_t seq,
                const char *kind, uint64_t subject)
{
  uint64_t h = t->digest;
  int32_t ph = phase;

  h = sim_fnv1a(h, &at, sizeof(at));
  h = sim_fnv1a(h, &ph, sizeof(ph));
  h = sim_fnv1a(h, &seq, sizeof(seq));
  if (kind)
    h = sim_fnv1a(h, kind, strlen(kind));
  h = sim_fnv1a(h, &subject, sizeof(subject));
  t->digest = h;
  t->events++;
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
