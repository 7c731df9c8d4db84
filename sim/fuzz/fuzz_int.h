/*
 * fuzz_int.h - what the files of the fuzz module share: the table of fault
 * kinds (profile.c), the recovery tracker (recovery.c), the worker wire
 * format (campaign.c) and small output helpers.
 */
#ifndef SIM_FUZZ_INT_H
#define SIM_FUZZ_INT_H

#include "apiserver.h"
#include "fuzz.h"

/* How the generator treats a kind. */
struct fuzz__kind_info {
  enum action_kind kind;
  simtime builtin_every; /* rate in the built-in profile; 0 = not in it */
  unsigned params;       /* 1 << FP_* accepted in spec.fuzz.faults */
  int undo;              /* the action that ends it (-1 none) */
  bool measured;         /* counted in the recovery statistics */
};

/* The row for k, or NULL if fuzz never generates k. */
const struct fuzz__kind_info *fuzz__kind_info(enum action_kind k);

/* Whether a parameter is a duration (else a count). */
bool fuzz__param_is_duration(enum fuzz_param_id id);

/* spec.fuzz.vary (vary.c): checks it against the scenario and collects
 * the nodes' zones; draws run seed's variant into sc->run; prints it. */
int fuzz__vary_check(struct fuzz_profile *p, struct diag *d);
void fuzz__vary_draw(const struct fuzz_profile *p, uint64_t seed,
                     struct fuzz_schedule *sc);
void fuzz__vary_describe(const struct fuzz_profile *p, FILE *f);

/* The range of parameter id for kind k in profile p (defaults filled). */
struct fuzz_range fuzz__param(const struct fuzz_kind *k, enum fuzz_param_id id);

/* --- recovery tracking (recovery.c) -----------------------------------------
 */

struct fuzz__recovery;

/*
 * Watches the store of a run (a write hook on api) for "all replicas of
 * every StatefulSet Ready": for each generated fault, the time until
 * that holds again after the fault disturbed it.
 */
struct fuzz__recovery *fuzz__recovery_new(const struct fuzz_profile *p,
                                          const struct fuzz_schedule *sc,
                                          struct api *api);
/* Closes the books at end (virtual) and appends samples to out. */
void fuzz__recovery_finish(struct fuzz__recovery *r, simtime end,
                           struct fuzz_outcome *out);
void fuzz__recovery_free(struct fuzz__recovery *r);

/* --- YAML output helpers (emit.c)
 * ----------------------------------------------- */

/* Writes s as a double-quoted YAML scalar. */
void fuzz__yaml_str(FILE *f, const char *s);
/* Whether a failure file can carry an action of this kind. */
bool fuzz__action_writable(enum action_kind k);

/* --- worker wire format (campaign.c)
 * -------------------------------------------- */

/* The display histogram's bin bounds in seconds (stats.c). */
extern const int64_t fuzz__hist_bounds_s[FUZZ_HIST_BINS];

#endif
