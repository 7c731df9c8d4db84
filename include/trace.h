/*
 * trace.h - the record of executed events and its running digest (D8).
 * Every executed event folds (at, phase, seq, kind, subject) into an
 * FNV-1a 64 digest; two runs with the same input and seed must end with
 * the same digest. Optionally each event is also written as a JSON line
 * (interface.md section 4, --trace FILE).
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "base.h"

struct trace {
  uint64_t digest; /* running FNV-1a 64 */
  uint64_t events; /* events folded so far */
  FILE *out;       /* JSON lines sink or NULL */
};

void trace_init(struct trace *t, FILE *out);

/* Folds one executed event into the digest. */
void trace_fold(struct trace *t, simtime at, int phase, uint64_t seq,
                const char *kind, uint64_t subject);

/*
 * Writes one JSON line if a sink is set: {"t": ms, "seq": n, "kind": ...,
 * "object": ..., "detail": ...}. object and detail may be NULL.
 */
void trace_line(struct trace *t, simtime at, uint64_t seq, const char *kind,
                const char *object, const char *detail);

/* Writes s as a JSON string literal (with quotes) to f. */
void trace_json_string(FILE *f, const char *s);

#endif
