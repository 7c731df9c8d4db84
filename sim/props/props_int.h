/*
 * props_int.h - what the property checks of sim/props/ share: the
 * StatefulSet predicates of the controller reference (section 2) computed
 * on the ground truth, a small string-keyed map for per-object state, and
 * the staleness allowance.
 *
 * Each check file defines `const struct property` values; the registry in
 * props.c points at them.
 */
#ifndef SIM_PROPS_INT_H
#define SIM_PROPS_INT_H

#include "props.h"

/*
 * The controller decides from an informer cache that lags the store by
 * the watch delay plus its own sync latency. A decision that contradicts
 * state younger than this is not held against it (that is the real
 * controller's behaviour, reference B17); one that contradicts older state
 * is a violation.
 */
#define PROP_STALENESS SIM_MS(500)

#define CTL_CLIENT "statefulset-controller"
#define GC_CLIENT "generic-garbage-collector"

/* parse(podName) of reference section 2: ordinal or -1; *parent_len gets
 * the length of the parent name (0 when there is no match). */
int prop_parse_ordinal(const char *name, size_t *parent_len);

/* The StatefulSet that controls pod/claim o by controllerRef (uid must
 * match the stored set), or NULL. */
const struct object *prop_controller_set(struct api *api,
                                         const struct object *o);

/* Reference section 2 predicates on a stored pod. */
bool prop_is_terminal(const struct object *pod);
bool prop_running_ready(const struct object *pod);
bool prop_available(const struct object *pod, int32_t min_ready_seconds,
                    simtime now);
int32_t prop_start_ordinal(const struct object *set);
bool prop_in_range(const struct object *set, int ordinal);

/* The pod of set at ordinal (namespace of the set), or NULL. */
const struct object *prop_set_pod(struct api *api, const struct object *set,
                                  int ordinal);

/*
 * The update revision name of set as the controller computes it: the
 * ControllerRevision owned by the set whose template digest equals the
 * set's current template; falls back to status.updateRevision.
 */
const char *prop_update_revision(struct api *api, const struct object *set);

/* "ns/name" into buf. */
const char *prop_key(char *buf, size_t n, const char *ns, const char *name);

/*
 * snprintf without the return value, for the keys, names and object lists
 * the checks build on every write: %s, %d and %% are copied here (the same
 * bytes, truncated the same way); any other format goes to vsnprintf.
 */
void prop_fmt(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A string -> int64 map for per-object facts (open addressing, keys
 * copied). Iteration order is never used to decide anything (D4).
 */
struct strmap;
struct strmap *strmap_new(void);
void strmap_free(struct strmap *m);
bool strmap_get(const struct strmap *m, const char *key, int64_t *out);
void strmap_set(struct strmap *m, const char *key, int64_t v);
void strmap_del(struct strmap *m, const char *key);

/*
 * Health history shared by the ordering and update checks: for every pod
 * of a set, since when it has been unhealthy (missing, terminating, not
 * Running and Ready); a healthy pod has no entry. Feed it every write.
 * Every check feeds it the same writes, so the maps are the property
 * set's, kept once (prop__shared_health); a check's struct prop_health is
 * a handle on them, filled by its first prop_health_write.
 */
struct prop_health {
  struct strmap *unhealthy_from; /* "ns/pod" -> time */
  /* "ns/pod" -> start of the unhealthy spell its last turn to healthy
   * ended: with minReadySeconds the pod stays unavailable from then on
   * until it has been Ready for that long */
  struct strmap *unavailable_from;
  struct strmap *max_ordinal;  /* "ns/set" -> highest ordinal seen */
  struct strmap *spec_changed; /* "ns/set" -> last generation change */
};

void prop_health_write(struct prop_ctx *c, struct prop_health *h,
                       enum watch_type t, const struct object *old,
                       const struct object *now);
/* Releases a handle (the maps belong to the property set). */
void prop_health_release(struct prop_health *h);
/* The set's history; *first: this write has not been fed to it yet. */
struct prop_health *prop__shared_health(struct prop_ctx *c, bool *first);
/* Frees the maps of the set's history (props_free). */
void prop__health_free(struct prop_health *h);
bool prop_healthy_now(const struct object *pod);

/*
 * Whether the controller could have known that the pod at ordinal is
 * unhealthy: it is, and has been for longer than PROP_STALENESS (or is
 * Ready but not yet available for longer than that). *why says how.
 */
bool prop_known_unhealthy(struct prop_ctx *c, struct prop_health *h,
                          const struct object *set, int ordinal,
                          const char **why);

/*
 * prop_known_unhealthy as the controller of the run's version judges it
 * (rolling update, Step F of scale-down): from 1.34 on
 * availability counts (isUnavailable); up to 1.33 Ready alone did
 * (isHealthy, minReadySeconds ignored: B3, fixed by #130909).
 */
bool prop_known_unavailable_at_version(struct prop_ctx *c,
                                       struct prop_health *h,
                                       const struct object *set, int ordinal,
                                       const char **why);

/* Whether the set's spec changed within the staleness allowance. */
bool prop_spec_recently_changed(struct prop_ctx *c, struct prop_health *h,
                                const struct object *set);

/* Whether this write is the controller deleting a pod it had not deleted
 * before (graceful: deletionTimestamp set; or removed at once). */
bool prop_is_controller_delete(struct prop_ctx *c, enum watch_type t,
                               const struct object *old,
                               const struct object *now);

/* The StatefulSet a claim named <template>-<set>-<ordinal> belongs to
 * (by name, as the controller derives it), or NULL; *ord its ordinal. */
const struct object *prop_claim_set(struct api *api, const struct object *pvc,
                                    int *ord);

/* The checks (one file per group). */
extern const struct property prop_identity_unique;
extern const struct property prop_identity_stable_names;
extern const struct property prop_storage_stable_claim;
extern const struct property prop_order_create;
extern const struct property prop_order_scale_down;
extern const struct property prop_order_one_step;
extern const struct property prop_update_partition;
extern const struct property prop_update_order;
extern const struct property prop_update_max_unavailable;
extern const struct property prop_update_terminal_pods;
extern const struct property prop_retention_policy;
extern const struct property prop_status_consistent;
extern const struct property prop_revisions_history;
extern const struct property prop_deletion_no_actions;
extern const struct property prop_liveness_pvc_recreated;
/* check_failure.c */
extern const struct property prop_identity_at_most_one;
extern const struct property prop_identity_stable_network;
extern const struct property prop_storage_single_attach;
extern const struct property prop_storage_no_data_loss;
extern const struct property prop_liveness_converges;

#endif
