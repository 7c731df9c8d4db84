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
 * What folding a kind string adds to the digest depends only on the
 * string and the digest's low byte (FNV-1a: h ^ b == h + ((h & 0xff) ^ b)
 * - (h & 0xff), and the low byte of a product depends only on the low
 * bytes of its factors), so that fold(h, kind) == h * P^len + d[kind][h &
 * 0xff]. A memo keeps those d as they are met, per kind by its address:
 * trace_fold_memo gives trace_fold's digest, bit for bit, for a multiply
 * and a load instead of a multiply per byte. The kinds must be static
 * strings, as engine_schedule requires. The engine keeps one per run.
 */
struct trace_memo;

struct trace_memo *trace_memo_new(void);
void trace_memo_free(struct trace_memo *m); /* NULL-safe */

/* trace_fold with the same result; m NULL is plain trace_fold. */
void trace_fold_memo(struct trace *t, struct trace_memo *m, simtime at,
                     int phase, uint64_t seq, const char *kind,
                     uint64_t subject);

/*
 * Writes one JSON line if a sink is set: {"t": ms, "seq": n, "kind": ...,
 * "object": ..., "detail": ...}. object and detail may be NULL.
 */
void trace_line(struct trace *t, simtime at, uint64_t seq, const char *kind,
                const char *object, const char *detail);

/* Writes s as a JSON string literal (with quotes) to f. */
void trace_json_string(FILE *f, const char *s);

#endif
