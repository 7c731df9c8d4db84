/*
 * ctl_fixture.c - the StatefulSet controller test harness of
 * ctl_fixture.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ctl_fixture.h"

void ctlfx_init(struct ctl_fx *x, int minor)
{
  memset(x, 0, sizeof(*x));
  fixture_init(&x->f, 3, 1);
  x->f.s.kubernetes_minor = minor;
  timings_defaults(&x->f.s.timings, minor);
}

void ctlfx_gate(struct ctl_fx *x, const char *name, bool on)
{
  SIM_ASSERT(x->gates_nr < sizeof(x->gates) / sizeof(x->gates[0]));
  x->gates[x->gates_nr++] = (struct feature_gate){.name = name, .enabled = on};
  x->f.s.feature_gates = x->gates;
  x->f.s.feature_gates_nr = x->gates_nr;
}

void ctlfx_start(struct ctl_fx *x)
{
  x->ctl = ctl_start(&x->f.env);
}

void ctlfx_release(struct ctl_fx *x)
{
  ctl_stop(x->ctl);
  fixture_release(&x->f);
}

simtime ctlfx_now(struct ctl_fx *x)
{
  return engine_now(x->f.engine);
}

void ctlfx_run(struct ctl_fx *x, simtime dt)
{
  fixture_run(&x->f, engine_now(x->f.engine) + dt);
}

struct object ctlfx_set_object(struct ctl_fx *x, const char *name,
                               const struct ctlfx_set_opts *o)
{
  struct arena *a = &x->f.s.arena;
  struct object s;
  struct kv *lab = arena_calloc(a, 1, sizeof(*lab));
  struct container *c = arena_calloc(a, 1, sizeof(*c));
  struct statefulset_spec *sp = &s.u.sts.spec;

  object_init(&s, KIND_STATEFULSET);
  s.meta.name = name;
  s.meta.namespace_ = "default";
  lab[0] = (struct kv){"app", name};
  sp->replicas = o->replicas;
  sp->selector.match_labels = (struct kv_list){lab, 1};
  sp->template_.labels = (struct kv_list){lab, 1};
  c->name = "app";
  c->image = o->image ? o->image : "registry.example/app:1";
  sp->template_.spec.containers = c;
  sp->template_.spec.containers_nr = 1;
  sp->template_.spec.termination_grace_period_seconds = 30;
  sp->service_name = name;
  sp->pod_management_policy = o->pmp;
  sp->update_strategy = o->strategy;
  sp->partition = o->partition;
  sp->max_unavailable = o->max_unavailable;
  sp->min_ready_seconds = o->min_ready_seconds;
  if (o->set_history_limit)
    sp->revision_history_limit = o->history_limit;
  sp->when_scaled = o->when_scaled;
  sp->when_deleted = o->when_deleted;
  sp->has_ordinals = o->has_ordinals;
  sp->ordinals_start = o->start;
  if (o->claims) {
    struct pvc_template *t = arena_calloc(a, 1, sizeof(*t));
    const char **m = arena_calloc(a, 1, sizeof(*m));
    t->name = "data";
    t->spec.access_modes = ACCESS_RWO;
    t->spec.request_bytes = INT64_C(1) << 30;
    t->spec.storage_class_name = "standard";
    sp->volume_claim_templates = t;
    sp->volume_claim_templates_nr = 1;
    m[0] = "data";
    c->volume_mounts = (struct str_list){m, 1};
  }
  return s;
}

const struct object *ctlfx_create_set(struct ctl_fx *x,
                                      const struct ctlfx_set_opts *o)
{
  struct object s = ctlfx_set_object(x, "web", o);

  return fixture_create(&x->f, &s);
}

const struct object *ctlfx_set(struct ctl_fx *x)
{
  return fixture_get(&x->f, KIND_STATEFULSET, "web");
}

void ctlfx_update_set(struct ctl_fx *x, const struct object *o)
{
  enum api_status st = api_update(x->f.api, "kubectl", o, NULL);

  if (st != API_OK)
    fail_msg("update StatefulSet: %s", api_last_error(x->f.api));
}

void ctlfx_scale(struct ctl_fx *x, int32_t replicas)
{
  struct object s = *ctlfx_set(x);

  s.u.sts.spec.replicas = replicas;
  ctlfx_update_set(x, &s);
}

void ctlfx_set_image(struct ctl_fx *x, const char *image)
{
  struct object s = *ctlfx_set(x);
  struct pod_template *t = &s.u.sts.spec.template_;
  struct container *c = arena_memdup(&x->f.s.arena, t->spec.containers,
                                     t->spec.containers_nr * sizeof(*c));

  c[0].image = arena_strdup(&x->f.s.arena, image); /* callers reuse buffers */
  t->spec.containers = c;
  ctlfx_update_set(x, &s);
}

void ctlfx_set_partition(struct ctl_fx *x, int32_t partition)
{
  struct object s = *ctlfx_set(x);

  s.u.sts.spec.partition = partition;
  ctlfx_update_set(x, &s);
}

const struct object *ctlfx_pod(struct ctl_fx *x, const char *name)
{
  return fixture_get(&x->f, KIND_POD, name);
}

const struct object *ctlfx_pvc(struct ctl_fx *x, const char *name)
{
  return fixture_get(&x->f, KIND_PVC, name);
}

size_t ctlfx_count(struct ctl_fx *x, enum obj_kind k)
{
  return api_count(x->f.api, k);
}

void ctlfx_bind(struct ctl_fx *x, const char *pod)
{
  struct object o = *ctlfx_pod(x, pod);

  o.u.pod.spec.node_name = "node-1";
  if (api_update(x->f.api, "kube-scheduler", &o, NULL) != API_OK)
    fail_msg("bind %s: %s", pod, api_last_error(x->f.api));
}

void ctlfx_phase(struct ctl_fx *x, const char *pod, enum pod_phase ph,
                 bool ready)
{
  const struct object *cur = ctlfx_pod(x, pod);
  struct object o;

  if (!cur)
    fail_msg("no pod %s", pod);
  o = *cur;
  o.u.pod.status.phase = ph;
  if (ready != (o.u.pod.status.ready.status == COND_TRUE))
    o.u.pod.status.ready.last_transition_time = ctlfx_now(x);
  o.u.pod.status.ready.status = ready ? COND_TRUE : COND_FALSE;
  if (api_update_status(x->f.api, "kubelet", &o, NULL) != API_OK)
    fail_msg("status of %s: %s", pod, api_last_error(x->f.api));
}

void ctlfx_ready(struct ctl_fx *x, const char *pod)
{
  ctlfx_phase(x, pod, POD_RUNNING, true);
}

void ctlfx_unready(struct ctl_fx *x, const char *pod)
{
  ctlfx_phase(x, pod, POD_RUNNING, false);
}

void ctlfx_finish(struct ctl_fx *x, const char *pod)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  o.grace_seconds = 0;
  if (api_delete(x->f.api, "kubelet", KIND_POD, "default", pod, &o) != API_OK)
    fail_msg("finish %s: %s", pod, api_last_error(x->f.api));
}

void ctlfx_delete(struct ctl_fx *x, const char *pod)
{
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  if (api_delete(x->f.api, "kubectl", KIND_POD, "default", pod, &o) != API_OK)
    fail_msg("delete %s: %s", pod, api_last_error(x->f.api));
}

struct round_ctx {
  const char *names[4096];
  size_t nr;
};

static bool collect_pod(const struct object *o, void *ctx)
{
  struct round_ctx *r = ctx;

  if (r->nr < sizeof(r->names) / sizeof(r->names[0]))
    r->names[r->nr++] = o->meta.name;
  return true;
}

static bool held(const char *const *hold, const char *name)
{
  for (; hold && *hold; hold++)
    if (!strcmp(*hold, name))
      return true;
  return false;
}

int ctlfx_kubelet_round(struct ctl_fx *x, const char *const *hold)
{
  static struct round_ctx r;
  int changes = 0;

  r.nr = 0;
  api_list(x->f.api, KIND_POD, "default", NULL, collect_pod, &r);
  for (size_t i = 0; i < r.nr; i++) {
    const struct object *p = ctlfx_pod(x, r.names[i]);
    if (!p || held(hold, r.names[i]))
      continue;
    if (p->meta.deletion_timestamp != SIMTIME_NEVER) {
      ctlfx_finish(x, r.names[i]);
      changes++;
    } else if (p->u.pod.status.phase == POD_PENDING ||
               (p->u.pod.status.phase == POD_RUNNING &&
                p->u.pod.status.ready.status != COND_TRUE)) {
      if (!p->u.pod.spec.node_name)
        ctlfx_bind(x, r.names[i]);
      ctlfx_ready(x, r.names[i]);
      changes++;
    }
  }
  return changes;
}

void ctlfx_converge(struct ctl_fx *x, simtime limit, const char *const *hold)
{
  simtime end = ctlfx_now(x) + limit;

  while (ctlfx_now(x) < end) {
    ctlfx_run(x, SIM_MS(100));
    if (!ctlfx_kubelet_round(x, hold)) {
      ctlfx_run(x, SIM_MS(100));
      if (!ctlfx_kubelet_round(x, hold))
        return;
    }
  }
}

int ctlfx_events(struct ctl_fx *x, const char *reason)
{
  size_t nr;
  const struct event *const *ev = api_events(x->f.api, &nr);
  int n = 0;

  for (size_t i = 0; i < nr; i++)
    if (!strcmp(ev[i]->source, CTL_COMPONENT) && !strcmp(ev[i]->reason, reason))
      n++;
  return n;
}

bool ctlfx_event_msg(struct ctl_fx *x, const char *reason, const char *msg)
{
  size_t nr;
  const struct event *const *ev = api_events(x->f.api, &nr);

  for (size_t i = 0; i < nr; i++)
    if (!strcmp(ev[i]->source, CTL_COMPONENT) &&
        !strcmp(ev[i]->reason, reason) && !strcmp(ev[i]->message, msg))
      return true;
  return false;
}
