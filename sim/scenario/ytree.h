/*
 * ytree.h - a YAML document as a small tree with source positions, built
 * from libyaml's event stream with our own limits (libyaml 0.2.5 has none):
 * total input bytes, nesting depth, and the number of nodes an alias
 * would expand to (so "billion laughs" stops early). Aliases become shared
 * pointers to the anchored node; the tree is a DAG and walkers must not
 * mutate it.
 *
 * Internal to the scenario module. Nodes live in the caller's arena.
 */
#ifndef SIM_SCENARIO_YTREE_H
#define SIM_SCENARIO_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "base.h"

enum ytype {
  Y_SCALAR,
  Y_SEQ,
  Y_MAP,
};

struct ynode {
  enum ytype type;
  int line, col;   /* 1-based position of the node's start */
  const char *tag; /* explicit tag or NULL */
  /* Y_SCALAR */
  const char *str; /* NUL-terminated (may contain NUL: see len) */
  size_t len;
  bool plain; /* unquoted plain scalar (null/bool/int apply) */
  /* Y_SEQ: items; Y_MAP: keys[i] -> items[i], in document order (D4) */
  struct ynode **items;
  struct ynode **keys;
  size_t nr;
};

/* One document of a stream. */
struct ydoc {
  struct ynode *root;    /* NULL for an empty document */
  int line, col;         /* where the document starts */
  int end_line, end_col; /* where it ends: the next "---" or "...", or the
                            end of the stream (1-based, as line/col) */
};

/*
 * Parses a whole YAML stream from buf into documents (arena-owned).
 * Returns 0 or SIM_EPARSE / SIM_ELIMIT with d filled (file = name).
 */
int ytree_parse(struct arena *a, const char *name, const char *buf, size_t len,
                struct ydoc **docs, size_t *nr, struct diag *d);

/* Map lookup (first matching key), or NULL. */
const struct ynode *ytree_get(const struct ynode *map, const char *key);

/* Whether a plain scalar is YAML null (~, null, Null, NULL or empty). */
bool ytree_is_null(const struct ynode *n);

/*
 * Typed reads. Each returns 0 and writes *out, or a negative SIM_ESCHEMA
 * with d filled as "file:line:col: PATH: what was expected, got what" (git
 * message style), e.g.
 *   x.yaml:14:7: spec.actions[2].at: "5 minutes" is not a duration (e.g. 5m)
 *   x.yaml:3:13: spec.replicas: expected an integer, got "three"
 * path is the dotted field path used in the message.
 */
int ytree_want_map(const char *file, const struct ynode *n, const char *path,
                   struct diag *d);
int ytree_want_seq(const char *file, const struct ynode *n, const char *path,
                   struct diag *d);
int ytree_str(const char *file, const struct ynode *n, const char *path,
              const char **out, struct diag *d);
int ytree_int64(const char *file, const struct ynode *n, const char *path,
                int64_t lo, int64_t hi, int64_t *out, struct diag *d);
int ytree_bool(const char *file, const struct ynode *n, const char *path,
               bool *out, struct diag *d);
int ytree_duration(const char *file, const struct ynode *n, const char *path,
                   simtime *out, struct diag *d);

#endif
