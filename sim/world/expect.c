/*
 * expect.c - the scenario's expectations (`spec.expect`): state checks at
 * a virtual time or at the end, "pod first becomes X at T +/- tolerance",
 * events seen (or never seen), and properties expected to be violated.
 * Everything is judged against the ground truth in the API store.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "world_int.h"

struct becomes_track {
  simtime first; /* first time the state held; SIMTIME_NEVER = not yet */
};

static enum obj_kind target_kind(enum expect_target t)
{
  switch (t) {
  case EXPECT_STATEFULSET:
    return KIND_STATEFULSET;
  case EXPECT_POD:
    return KIND_POD;
  case EXPECT_PVC:
    return KIND_PVC;
  case EXPECT_PV:
    return KIND_PV;
  case EXPECT_NODE:
    return KIND_NODE;
  default:
    return KIND_NONE;
  }
}

static const char *bool_str(bool b)
{
  return b ? "true" : "false";
}

/* kubectl's STATUS column (reference cluster-behaviour.md 2.3). */
const char *world_pod_status_column(const struct object *o)
{
  const struct pod_status *st = &o->u.pod.status;

  if (meta_is_deleting(&o->meta)) {
    if (st->reason && !strcmp(st->reason, "NodeLost"))
      return "Unknown";
    return "Terminating";
  }
  if (st->reason && *st->reason)
    return st->reason;
  for (size_t i = 0; i < st->containers_nr; i++)
    if (st->containers[i].state == CSTATE_WAITING && st->containers[i].reason)
      return st->containers[i].reason;
  return pod_phase_name(st->phase);
}

static const char *pod_revision(const struct object *o)
{
  const char *r = kv_get(&o->meta.labels, "controller-revision-hash");
  return r ? r : "";
}

static bool pv_attached_to(struct api *api, const struct object *pv, char *buf,
                           size_t n);

struct va_scan {
  const char *pv;
  char *buf;
  size_t n;
  bool any;
};

static bool visit_va(const struct object *o, void *ctx)
{
  struct va_scan *sc = ctx;

  if (o->u.va.pv_name && !strcmp(o->u.va.pv_name, sc->pv) && o->u.va.attached) {
    size_t len = strlen(sc->buf);
    snprintf(sc->buf + len, sc->n - len, "%s%s", sc->any ? "," : "",
             o->u.va.node_name);
    sc->any = true;
  }
  return true;
}

static bool pv_attached_to(struct api *api, const struct object *pv, char *buf,
                           size_t n)
{
  struct va_scan sc = {pv->meta.name, buf, n, false};

  buf[0] = '\0';
  api_list(api, KIND_VOLUMEATTACHMENT, NULL, NULL, visit_va, &sc);
  return sc.any;
}

/*
 * The value of field for object o (NULL when the object is gone), as the
 * text a user would write in an expectation.
 */
static void field_value(struct world *w, enum expect_target t,
                        const struct object *o, const char *f, char *buf,
                        size_t n)
{
  if (!strcmp(f, "exists")) {
    snprintf(buf, n, "%s", bool_str(o != NULL));
    return;
  }
  if (!o) {
    snprintf(buf, n, "(absent)");
    return;
  }
  if (!strcmp(f, "deleting")) {
    snprintf(buf, n, "%s", bool_str(meta_is_deleting(&o->meta)));
    return;
  }
  if (!strcmp(f, "owners")) { /* actions_patch.c */
    world__owners_text(w, o, buf, n);
    return;
  }
  switch (t) {
  case EXPECT_STATEFULSET: {
    const struct statefulset_status *st = &o->u.sts.status;
    if (!strcmp(f, "replicas"))
      snprintf(buf, n, "%d", st->replicas);
    else if (!strcmp(f, "readyReplicas"))
      snprintf(buf, n, "%d", st->ready_replicas);
    else if (!strcmp(f, "currentReplicas"))
      snprintf(buf, n, "%d", st->current_replicas);
    else if (!strcmp(f, "updatedReplicas"))
      snprintf(buf, n, "%d", st->updated_replicas);
    else if (!strcmp(f, "availableReplicas"))
      snprintf(buf, n, "%d", st->available_replicas);
    else if (!strcmp(f, "currentRevision"))
      snprintf(buf, n, "%s", st->current_revision ? st->current_revision : "");
    else if (!strcmp(f, "updateRevision"))
      snprintf(buf, n, "%s", st->update_revision ? st->update_revision : "");
    else if (!strcmp(f, "observedGeneration"))
      snprintf(buf, n, "%" PRId64, st->observed_generation);
    else
      SIM_BUG("statefulSet field '%s' not evaluated", f);
    return;
  }
  case EXPECT_POD: {
    const struct pod *p = &o->u.pod;
    if (!strcmp(f, "phase"))
      snprintf(buf, n, "%s", pod_phase_name(p->status.phase));
    else if (!strcmp(f, "ready"))
      snprintf(buf, n, "%s", bool_str(p->status.ready.status == COND_TRUE));
    else if (!strcmp(f, "node"))
      snprintf(buf, n, "%s", p->spec.node_name ? p->spec.node_name : "");
    else if (!strcmp(f, "revision"))
      snprintf(buf, n, "%s", pod_revision(o));
    else if (!strcmp(f, "restarts")) {
      int32_t r = 0;
      for (size_t i = 0; i < p->status.containers_nr; i++)
        r += p->status.containers[i].restart_count;
      snprintf(buf, n, "%d", r);
    } else if (!strcmp(f, "status"))
      snprintf(buf, n, "%s", world_pod_status_column(o));
    else if (!strcmp(f, "ip"))
      snprintf(buf, n, "%s", p->status.pod_ip ? p->status.pod_ip : "");
    else if (!strcmp(f, "hostname"))
      snprintf(buf, n, "%s", p->spec.hostname ? p->spec.hostname : "");
    else if (!strcmp(f, "subdomain"))
      snprintf(buf, n, "%s", p->spec.subdomain ? p->spec.subdomain : "");
    else if (!strcmp(f, "podIndex"))
      snprintf(buf, n, "%s",
               kv_get(&o->meta.labels, "apps.kubernetes.io/pod-index")
                   ? kv_get(&o->meta.labels, "apps.kubernetes.io/pod-index")
                   : "");
    else
      SIM_BUG("pod field '%s' not evaluated", f);
    return;
  }
  case EXPECT_PVC: {
    const struct pvc *c = &o->u.pvc;
    if (!strcmp(f, "phase"))
      snprintf(buf, n, "%s", pvc_phase_name(c->status.phase));
    else if (!strcmp(f, "volumeName"))
      snprintf(buf, n, "%s", c->spec.volume_name ? c->spec.volume_name : "");
    else if (!strcmp(f, "storageClassName"))
      snprintf(buf, n, "%s",
               c->spec.storage_class_name ? c->spec.storage_class_name : "");
    else
      SIM_BUG("pvc field '%s' not evaluated", f);
    return;
  }
  case EXPECT_PV: {
    const struct pv *v = &o->u.pv;
    if (!strcmp(f, "phase"))
      snprintf(buf, n, "%s", pv_phase_name(v->status.phase));
    else if (!strcmp(f, "claim"))
      snprintf(buf, n, "%s",
               v->spec.claim_ref.name ? v->spec.claim_ref.name : "");
    else if (!strcmp(f, "attachedTo"))
      pv_attached_to(w->api, o, buf, n);
    else
      SIM_BUG("pv field '%s' not evaluated", f);
    return;
  }
  case EXPECT_NODE: {
    const struct node *nd = &o->u.node;
    if (!strcmp(f, "ready"))
      snprintf(buf, n, "%s", cond_status_name(nd->ready.status));
    else if (!strcmp(f, "state"))
      snprintf(buf, n, "%s",
               nd->ready.status == COND_TRUE    ? "Ready"
               : nd->ready.status == COND_FALSE ? "NotReady"
                                                : "Unknown");
    else if (!strcmp(f, "unschedulable"))
      snprintf(buf, n, "%s", bool_str(nd->unschedulable));
    else
      SIM_BUG("node field '%s' not evaluated", f);
    return;
  }
  default:
    SIM_BUG("field '%s' on a target without fields", f);
  }
}

/* Compares as a user means it: booleans and True/False alike. */
static bool value_equal(const char *want, const char *got)
{
  if (!strcmp(want, got))
    return true;
  if ((!strcasecmp(want, "true") && !strcmp(got, "True")) ||
      (!strcasecmp(want, "false") && !strcmp(got, "False")) ||
      (!strcmp(want, "True") && !strcmp(got, "true")) ||
      (!strcmp(want, "False") && !strcmp(got, "false")))
    return true;
  return false;
}

static void check_state(struct world *w, struct expect_result *r)
{
  const struct expectation *e = r->e;
  const struct object *o = api_get(
      w->api, target_kind(e->target),
      obj_kind_namespaced(target_kind(e->target)) ? "default" : "", e->name);
  size_t used = 0;

  r->met = true;
  for (size_t i = 0; i < e->checks_nr; i++) {
    char got[256];
    field_value(w, e->target, o, e->checks[i].field, got, sizeof(got));
    bool ok = value_equal(e->checks[i].value, got);
    if (!ok)
      r->met = false;
    if (used < sizeof(r->detail))
      used +=
          (size_t)snprintf(r->detail + used, sizeof(r->detail) - used,
                           "%s%s=%s", i ? ", " : "", e->checks[i].field, got);
  }
}

static void timed_check(struct engine *e, uint64_t subject, uint64_t arg,
                        void *ctx)
{
  struct world *w = ctx;

  (void)e;
  (void)arg;
  check_state(w, &w->results.v[subject]);
}

void world__expect_init(struct world *w)
{
  const struct scenario *s = w->s;

  w->becomes = xcalloc(s->expects_nr ? s->expects_nr : 1, sizeof(*w->becomes));
  for (size_t i = 0; i < s->expects_nr; i++) {
    const struct expectation *e = &s->expects[i];
    struct expect_result r = {.e = e};
    w->becomes[i].first = SIMTIME_NEVER;
    VEC_PUSH(&w->results, r);
    bool state = e->target <= EXPECT_NODE && e->becomes == WHEN_NONE;
    if (state && !e->at_end && e->at != SIMTIME_NEVER) {
      engine_schedule(w->engine, e->at, PHASE_CHECK, "expect", timed_check, i,
                      0, w);
    }
    simtime h = e->at;
    if (h != SIMTIME_NEVER && e->tolerance > 0)
      h += e->tolerance;
    if (h != SIMTIME_NEVER && h > w->horizon)
      w->horizon = h;
  }
}

void world__expect_release(struct world *w)
{
  free(w->results.v);
  free(w->becomes);
}

static bool pod_in_state(const struct object *o, enum when_state s)
{
  const struct pod *p = &o->u.pod;

  switch (s) {
  case WHEN_READY:
    return p->status.ready.status == COND_TRUE;
  case WHEN_RUNNING:
    return p->status.phase == POD_RUNNING;
  case WHEN_TERMINATING:
    return meta_is_deleting(&o->meta);
  case WHEN_PENDING:
    return p->status.phase == POD_PENDING;
  case WHEN_SCHEDULED:
    return p->spec.node_name && *p->spec.node_name;
  default:
    return false;
  }
}

void world__expect_write(struct world *w, enum watch_type t,
                         const struct object *old, const struct object *now)
{
  const struct object *o = now ? now : old;

  if (o->kind != KIND_POD)
    return;
  for (size_t i = 0; i < w->s->expects_nr; i++) {
    const struct expectation *e = &w->s->expects[i];
    if (e->target != EXPECT_POD || e->becomes == WHEN_NONE ||
        w->becomes[i].first != SIMTIME_NEVER || strcmp(e->name, o->meta.name))
      continue;
    bool holds = e->becomes == WHEN_DELETED
                     ? t == WATCH_DELETED
                     : t != WATCH_DELETED && pod_in_state(now, e->becomes);
    if (holds)
      w->becomes[i].first = engine_now(w->engine);
  }
}

static bool event_matches(const struct expectation *e, const struct event *ev)
{
  if (e->event_reason && strcmp(e->event_reason, ev->reason))
    return false;
  if (e->event_object) {
    char obj[320];
    snprintf(obj, sizeof(obj), "%s/%s", obj_kind_name(ev->involved_kind),
             ev->involved_name);
    if (strcmp(e->event_object, obj))
      return false;
  }
  if (e->event_message && !strstr(ev->message, e->event_message))
    return false;
  return true;
}

void world__expect_event(struct world *w, const struct event *ev)
{
  for (size_t i = 0; i < w->s->expects_nr; i++) {
    const struct expectation *e = &w->s->expects[i];
    if (e->target == EXPECT_EVENT && w->becomes[i].first == SIMTIME_NEVER &&
        event_matches(e, ev))
      w->becomes[i].first = engine_now(w->engine);
  }
}

/* First occurrence at `first` against `at +/- tolerance` (or `never`). */
static void judge_occurrence(struct expect_result *r, simtime first)
{
  const struct expectation *e = r->e;
  char when[32] = "never";

  if (first != SIMTIME_NEVER)
    sim_format_duration(first, when, sizeof(when));
  if (e->never) {
    r->met = first == SIMTIME_NEVER;
  } else if (first == SIMTIME_NEVER) {
    r->met = false;
  } else if (e->at == SIMTIME_NEVER) {
    r->met = true;
  } else {
    simtime diff = first > e->at ? first - e->at : e->at - first;
    r->met = diff <= e->tolerance;
  }
  snprintf(r->detail, sizeof(r->detail), "first at %s", when);
}

bool world__property_expected_violated(const struct world *w, const char *name)
{
  for (size_t i = 0; i < w->s->expects_nr; i++) {
    const struct expectation *e = &w->s->expects[i];
    if (e->target == EXPECT_PROPERTY && e->violated && !strcmp(e->name, name))
      return true;
  }
  return false;
}

void world__expect_finish(struct world *w)
{
  for (size_t i = 0; i < w->results.nr; i++) {
    struct expect_result *r = &w->results.v[i];
    const struct expectation *e = r->e;
    switch (e->target) {
    case EXPECT_PROPERTY: {
      int idx = props_index(w->props, e->name);
      SIM_ASSERT(idx >= 0);
      uint64_t nv = props_violations(w->props, (size_t)idx, NULL);
      uint64_t nh = props_hazards(w->props, (size_t)idx, NULL);
      r->met =
          (nv > 0) == e->violated && (!e->has_hazard || (nh > 0) == e->hazard);
      snprintf(r->detail, sizeof(r->detail), "%s%s", nv ? "violated" : "held",
               nh ? ", with a hazard" : "");
      break;
    }
    case EXPECT_EVENT:
      judge_occurrence(r, w->becomes[i].first);
      break;
    default:
      if (e->becomes != WHEN_NONE)
        judge_occurrence(r, w->becomes[i].first);
      else if (e->at_end || e->at == SIMTIME_NEVER)
        check_state(w, r);
      else if (e->at > w->end) {
        char end[32];
        sim_format_duration(w->end, end, sizeof(end));
        r->met = false;
        snprintf(r->detail, sizeof(r->detail),
                 "not checked: the run ended at %s", end);
      }
      break;
    }
  }
}

const struct expect_result *world_expect_results(const struct world *w,
                                                 size_t *nr)
{
  *nr = w->results.nr;
  return w->results.v;
}
