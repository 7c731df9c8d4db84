/*
 * ctl_fixture.h - a harness for StatefulSet controller tests: the tiny
 * cluster of fixtures.h with only the controller started, canned
 * StatefulSets, and the test playing the kubelet (as upstream's fake pod
 * control does): pods are moved to Running/Ready/Failed/Succeeded with
 * api_update_status, bound to a node so that deletion is graceful, and
 * removed when their "kubelet" confirms termination.
 */
#ifndef SIM_TEST_CTL_FIXTURE_H
#define SIM_TEST_CTL_FIXTURE_H

#include "controller.h"
#include "fixtures.h"

struct ctl_fx {
  struct fixture f;
  void *ctl;
  struct feature_gate gates[8];
  size_t gates_nr;
};

/* A fixture (3 nodes) for Kubernetes 1.<minor>; gates as "Name=true". The
 * controller is not started yet: ctlfx_start. */
void ctlfx_init(struct ctl_fx *x, int minor);
void ctlfx_gate(struct ctl_fx *x, const char *name, bool on);
void ctlfx_start(struct ctl_fx *x);
void ctlfx_release(struct ctl_fx *x);

/* Virtual time now, and running the engine for dt more. */
simtime ctlfx_now(struct ctl_fx *x);
void ctlfx_run(struct ctl_fx *x, simtime dt);

/* Options of a canned StatefulSet "web" (selector/labels app=web). */
struct ctlfx_set_opts {
  int32_t replicas;
  enum pod_management_policy pmp;
  bool claims; /* one claim template "data" */
  enum update_strategy_type strategy;
  int32_t partition;
  struct int_or_percent max_unavailable;
  int32_t min_ready_seconds;
  bool set_history_limit;
  int32_t history_limit; /* when set_history_limit; else default 10 */
  enum pvc_retention when_scaled, when_deleted;
  bool has_ordinals;
  int32_t start;
  const char *image; /* default registry.example/app:1 */
};

struct object ctlfx_set_object(struct ctl_fx *x, const char *name,
                               const struct ctlfx_set_opts *o);
const struct object *ctlfx_create_set(struct ctl_fx *x,
                                      const struct ctlfx_set_opts *o);

/* The stored StatefulSet "web" and changes to it through the API. */
const struct object *ctlfx_set(struct ctl_fx *x);
void ctlfx_scale(struct ctl_fx *x, int32_t replicas);
void ctlfx_set_image(struct ctl_fx *x, const char *image);
void ctlfx_set_partition(struct ctl_fx *x, int32_t partition);
void ctlfx_update_set(struct ctl_fx *x, const struct object *o);

/* Objects in the API (the ground truth), or NULL. */
const struct object *ctlfx_pod(struct ctl_fx *x, const char *name);
const struct object *ctlfx_pvc(struct ctl_fx *x, const char *name);
size_t ctlfx_count(struct ctl_fx *x, enum obj_kind k);

/* Playing the kubelet. */
void ctlfx_bind(struct ctl_fx *x, const char *pod); /* graceful deletes */
void ctlfx_phase(struct ctl_fx *x, const char *pod, enum pod_phase ph,
                 bool ready);
void ctlfx_ready(struct ctl_fx *x, const char *pod); /* Running + Ready */
void ctlfx_unready(struct ctl_fx *x, const char *pod);
/* The kubelet confirms termination: a terminating pod is removed. */
void ctlfx_finish(struct ctl_fx *x, const char *pod);
/* A user delete with the default grace (bound pods terminate). */
void ctlfx_delete(struct ctl_fx *x, const char *pod);

/*
 * An ideal kubelet, one round: every terminating pod is removed, every
 * Pending (or Running but unready) pod is bound and made Running and
 * Ready, unless its name is in
 * the NULL-terminated list `hold` (left as it is). Returns the changes.
 */
int ctlfx_kubelet_round(struct ctl_fx *x, const char *const *hold);
/* Rounds of 100 ms until one changes nothing (at most `limit`). */
void ctlfx_converge(struct ctl_fx *x, simtime limit, const char *const *hold);

/* Events from the statefulset-controller. */
int ctlfx_events(struct ctl_fx *x, const char *reason);
bool ctlfx_event_msg(struct ctl_fx *x, const char *reason, const char *msg);

#endif
