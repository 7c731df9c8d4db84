/*
 * mutants.h - the registry of mutants (interface.md section 5): named,
 * run-time selected variants of the StatefulSet controller or of a
 * cluster component that reproduce a known upstream bug (statefulset-
 * controller.md section 12) or a tempting mistake. Each names the
 * property expected to catch it and the component that implements it.
 * The property suite is only as good as the mutants it catches: the test
 * suite runs the default fuzz campaign against every injected mutant.
 *
 * A component selects its variant from struct cluster_env.mutant:
 *
 *   if (mutant_on(env->mutant, MUTANT_CTL_NO_WAIT_TERMINATING)) ...
 *
 * Injection is the component owner's job. A row's `injected` says whether
 * the variant exists in this build; it is flipped to true in the commit
 * that adds the injection (a mutant that is selectable but changes nothing
 * would let a campaign "pass" for the wrong reason, so tests treat rows
 * that are not injected as a failure of their own: `make mutants-pending`).
 */
#ifndef SIM_MUTANTS_H
#define SIM_MUTANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The StatefulSet controller (sim/controller/), reference section 12. */
#define MUTANT_CTL_B2 "ctl-b2-broken-counts-against-budget"
#define MUTANT_CTL_B3 "ctl-b3-ready-not-available"
#define MUTANT_CTL_B5 "ctl-b5-ondelete-never-completes"
#define MUTANT_CTL_B6 "ctl-b6-succeeded-not-terminal"
#define MUTANT_CTL_B7 "ctl-b7-terminal-recreated-same-pass"
#define MUTANT_CTL_B8 "ctl-b8-no-missing-pvc-recreate"
#define MUTANT_CTL_B9 "ctl-b9-retention-overwrites-foreign-refs"
#define MUTANT_CTL_B16 "ctl-b16-replaces-pod-of-unreachable-node"
#define MUTANT_CTL_B17 "ctl-b17-acts-on-stale-readiness"
#define MUTANT_CTL_B19 "ctl-b19-scale-down-blocked-by-unhealthy"
#define MUTANT_CTL_B20 "ctl-b20-parallel-blocks-like-ordered"
#define MUTANT_CTL_NO_WAIT_TERMINATING "ctl-no-wait-terminating"
#define MUTANT_CTL_LOWEST_FIRST "ctl-scale-down-lowest-first"
#define MUTANT_CTL_RANDOM_NAMES "ctl-random-pod-names"
#define MUTANT_CTL_SHARED_CLAIM "ctl-shared-claim"

/* Other components. */
#define MUTANT_NLC_FORCE_DELETE "nodelifecycle-force-deletes-unreachable"
#define MUTANT_KUBELET_EARLY_DELETE "kubelet-confirms-delete-before-stop"
#define MUTANT_AD_MULTI_ATTACH "attachdetach-ignores-multi-attach"
#define MUTANT_API_STATUS_RESET "apiserver-drops-statefulset-status"

struct mutant_info {
  const char *name;        /* stable: --mutant NAME */
  const char *description; /* one line for `stsim list mutants` */
  const char *property;    /* the property expected to catch it */
  const char *component;   /* where the variant lives */
  const char *reference;   /* "B7 (#122709)" or "" */
  bool injected;           /* the variant exists in this build */
  /*
   * The default fuzz campaign (scenarios/10-fuzz-default.yaml) catches it.
   * The others need a situation the default profile does not create (a
   * version, a policy, an opt-in fault): each has a catch scenario in
   * tests/mutants/ instead, run by make test.
   */
  bool campaign;
};

/* Every mutant stsim knows, injected or not, in a stable order. */
const struct mutant_info *mutants_registry(size_t *nr);
/* The row for name, or NULL. */
const struct mutant_info *mutant_find(const char *name);

/* Whether the run's mutant (env->mutant, NULL = none) is name. */
static inline bool mutant_on(const char *active, const char *name)
{
  return active && !strcmp(active, name);
}

#endif
