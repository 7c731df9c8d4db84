/*
 * scenario_int.h - what the files of the scenario module share: the
 * Scenario document decoder (spec.c) called by the loader (scenario.c),
 * and the two lists every decoder may append to.
 *
 * Everything allocated here lives in s->arena.
 */
#ifndef SIM_SCENARIO_INT_H
#define SIM_SCENARIO_INT_H

#include <stdarg.h>

#include "scenario.h"
#include "ytree.h"

/*
 * Decodes the `kind: Scenario` document rooted at root (a mapping whose
 * apiVersion and kind were checked) into s: metadata, seed, until,
 * cluster, actions, expect and fuzz. Writes the `spec.include` sequence
 * node (or NULL) to *include for the loader to follow. Returns 0 or a
 * negative SIM_E* with d filled.
 */
int scenario__decode_spec(struct scenario *s, const char *file,
                          const struct ynode *root,
                          const struct ynode **include, struct diag *d);

/* Whether a Node was declared by spec.cluster.nodes (else: the defaults). */
bool scenario__has_nodes(const struct scenario *s);

/* Fills in the default cluster (3 nodes in zones a, b, c). */
void scenario__default_nodes(struct scenario *s);

/* Appends "file:line:col: message" to s->warnings. */
void scenario__warn(struct scenario *s, const char *file, int line, int col,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Records a field the simulator does not model (for validate --strict):
 * path is copied. The manifest decoder calls this for every such field.
 */
void scenario__add_ignored(struct scenario *s, const char *file,
                           const struct ynode *n, const char *path);

/* "Ready" -> WHEN_READY ...; WHEN_NONE if unknown. */
enum when_state scenario__when_state_parse(const char *name);

/*
 * Grows an arena array of elem-size items holding nr by one slot and
 * returns it; capacity doubles at powers of two, so appends stay
 * amortised O(1) without a capacity field.
 */
void *scenario__arena_grow(struct arena *a, const void *v, size_t nr,
                           size_t elem);

#endif
