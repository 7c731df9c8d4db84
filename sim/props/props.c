/*
 * props.c - the property registry and one run's property set. The set
 * hooks onto every API write (ground truth), marks itself dirty, and runs
 * the after-event checks only when something changed, so idle virtual time
 * costs nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props.h"
#include "props_int.h"
#include "scenario.h"

/*
 * Every property named by interface.md section 5, in that order. impl is
 * NULL until the model the property needs exists; `stsim list properties`
 * says so, and --property refuses it.
 */
static const struct property_info registry[] = {
    {"identity.unique",
     "no two pods of a StatefulSet claim the same ordinal at once",
     &prop_identity_unique},
    {"identity.at-most-one",
     "never two running containers of the same identity anywhere",
     &prop_identity_at_most_one},
    {"identity.stable-names",
     "a StatefulSet's pods are named <set>-<ordinal> within its range",
     &prop_identity_stable_names},
    {"identity.stable-network",
     "<pod>.<service> resolves only to the current incarnation",
     &prop_identity_stable_network},
    {"storage.stable-claim",
     "every incarnation of ordinal i mounts claim <tmpl>-<set>-<i>, same PV",
     &prop_storage_stable_claim},
    {"storage.single-attach", "an RWO volume is never attached to two nodes",
     &prop_storage_single_attach},
    {"storage.no-data-loss",
     "no incarnation starts on a volume missing its predecessors' writes",
     &prop_storage_no_data_loss},
    {"order.create",
     "OrderedReady: pod N+1 is created only when 0..N are Running and Ready",
     &prop_order_create},
    {"order.scale-down",
     "scale-down removes the highest ordinal first, one at a time",
     &prop_order_scale_down},
    {"order.one-step", "OrderedReady never acts on two pods in one step",
     &prop_order_one_step},
    {"update.partition", "pods below the partition keep the old revision",
     &prop_update_partition},
    {"update.order", "a rolling update replaces pods from the highest ordinal",
     &prop_update_order},
    {"update.max-unavailable",
     "a rolling update never has more than maxUnavailable pods unavailable",
     &prop_update_max_unavailable},
    {"update.terminal-pods",
     "Failed and Succeeded pods are deleted and recreated",
     &prop_update_terminal_pods},
    {"retention.policy",
     "PVCs are kept or deleted as persistentVolumeClaimRetentionPolicy says",
     &prop_retention_policy},
    {"status.consistent", "StatefulSet status matches the pods it counts",
     &prop_status_consistent},
    {"revisions.history",
     "ControllerRevisions are kept within revisionHistoryLimit",
     &prop_revisions_history},
    {"deletion.no-actions",
     "a StatefulSet being deleted creates or updates nothing",
     &prop_deletion_no_actions},
    {"liveness.converges",
     "after the last fault heals, all replicas are Ready at the update "
     "revision within the bound",
     &prop_liveness_converges},
    {"liveness.pvc-recreated", "a deleted claim of a live ordinal is recreated",
     &prop_liveness_pvc_recreated},
};

#define REGISTRY_NR (sizeof(registry) / sizeof(registry[0]))

const struct property_info *props_registry(size_t *nr)
{
  *nr = REGISTRY_NR;
  return registry;
}

const struct property_info *props_find(const char *name)
{
  for (size_t i = 0; i < REGISTRY_NR; i++)
    if (!strcmp(registry[i].name, name))
      return &registry[i];
  return NULL;
}

struct prop_slot {
  const struct property *prop;
  void *state;
  uint64_t violations;
  struct prop_violation first;
  uint64_t hazards;
  struct prop_violation first_hazard;
};

struct prop_ctx {
  struct props *set;
  struct prop_slot *running;
};

struct props {
  struct api *api;
  struct truth *truth;
  VEC(struct prop_slot) slots;
  struct prop_ctx ctx;
  bool dirty;
  bool ended;
  int minor;
  bool max_unavailable_gate;
  const struct scenario *scenario; /* props_set_scenario(), or NULL */
  VEC(struct prop_action) actions; /* props_note_action() */
  /* the health history every ordering and update check reads (props_int.h):
   * fed once per write, by the first check that asks */
  struct prop_health health;
  uint64_t write_seq, health_seq; /* writes seen; the last one fed */
};

struct prop_health *prop__shared_health(struct prop_ctx *c, bool *first)
{
  struct props *p = c->set;

  *first = p->health_seq != p->write_seq;
  p->health_seq = p->write_seq;
  return &p->health;
}

static void on_write(enum watch_type t, const struct object *old,
                     const struct object *now, void *arg)
{
  struct props *p = arg;

  /* Events and Leases change all the time and carry no promise. */
  enum obj_kind k = now ? now->kind : old->kind;
  if (k == KIND_EVENT || k == KIND_LEASE)
    return;
  p->dirty = true;
  p->write_seq++;
  for (size_t i = 0; i < p->slots.nr; i++) {
    struct prop_slot *s = &p->slots.v[i];
    if (!s->prop->on_write)
      continue;
    p->ctx.running = s;
    s->prop->on_write(&p->ctx, s->state, t, old, now);
  }
  p->ctx.running = NULL;
}

static void on_request(const char *who, const char *verb, enum obj_kind kind,
                       const char *ns, const char *name, enum api_status status,
                       bool changed, void *arg)
{
  struct props *p = arg;

  if (kind == KIND_EVENT || kind == KIND_LEASE)
    return;
  for (size_t i = 0; i < p->slots.nr; i++) {
    struct prop_slot *s = &p->slots.v[i];
    if (!s->prop->on_request)
      continue;
    p->ctx.running = s;
    s->prop->on_request(&p->ctx, s->state, who, verb, kind, ns, name, status,
                        changed);
  }
  p->ctx.running = NULL;
}

struct props *props_new(struct api *api, struct truth *truth,
                        const bool *enabled)
{
  struct props *p = xcalloc(1, sizeof(*p));

  p->api = api;
  p->truth = truth;
  p->minor = 34;
  p->ctx.set = p;
  for (size_t i = 0; i < REGISTRY_NR; i++) {
    if (!registry[i].impl)
      continue;
    if (enabled && !enabled[i])
      continue;
    props_add(p, registry[i].impl);
  }
  api_add_write_hook(api, on_write, p);
  api_add_request_hook(api, on_request, p);
  return p;
}

void props_add(struct props *p, const struct property *prop)
{
  struct prop_slot s = {.prop = prop};

  s.state = xcalloc(1, prop->state_size ? prop->state_size : 1);
  VEC_PUSH(&p->slots, s);
}

void props_free(struct props *p)
{
  if (!p)
    return;
  for (size_t i = 0; i < p->slots.nr; i++) {
    if (p->slots.v[i].prop->release)
      p->slots.v[i].prop->release(p->slots.v[i].state);
    free(p->slots.v[i].state);
  }
  free(p->slots.v);
  free(p->actions.v);
  prop__health_free(&p->health);
  free(p);
}

void props_after_event(struct props *p)
{
  if (!p->dirty)
    return;
  p->dirty = false;
  for (size_t i = 0; i < p->slots.nr; i++) {
    struct prop_slot *s = &p->slots.v[i];
    if (!s->prop->after_event)
      continue;
    p->ctx.running = s;
    s->prop->after_event(&p->ctx, s->state);
  }
  p->ctx.running = NULL;
}

void props_at_end(struct props *p)
{
  if (p->ended)
    return;
  p->ended = true;
  props_after_event(p);
  for (size_t i = 0; i < p->slots.nr; i++) {
    struct prop_slot *s = &p->slots.v[i];
    if (!s->prop->at_end)
      continue;
    p->ctx.running = s;
    s->prop->at_end(&p->ctx, s->state);
  }
  p->ctx.running = NULL;
}

struct api *prop_api(struct prop_ctx *c)
{
  return c->set->api;
}

const char *prop_client(struct prop_ctx *c)
{
  const char *who = api_current_client(c->set->api);
  return who ? who : "";
}

struct truth *prop_truth(struct prop_ctx *c)
{
  return c->set->truth;
}

void props_configure(struct props *p, int kubernetes_minor,
                     bool max_unavailable_gate)
{
  p->minor = kubernetes_minor;
  p->max_unavailable_gate = max_unavailable_gate;
}

int prop_minor(struct prop_ctx *c)
{
  return c->set->minor;
}

bool prop_max_unavailable_gate(struct prop_ctx *c)
{
  return c->set->max_unavailable_gate;
}

void props_touch(struct props *p)
{
  p->dirty = true;
}

simtime prop_now(struct prop_ctx *c)
{
  return engine_now(api_engine(c->set->api));
}

void prop_violate(struct prop_ctx *c, const char *objects, const char *fmt, ...)
{
  struct prop_slot *s = c->running;
  va_list ap;

  SIM_ASSERT(s);
  if (s->violations++)
    return;
  s->first.at = prop_now(c);
  snprintf(s->first.objects, sizeof(s->first.objects), "%s",
           objects ? objects : "");
  va_start(ap, fmt);
  vsnprintf(s->first.message, sizeof(s->first.message), fmt, ap);
  va_end(ap);
}

void prop_hazard(struct prop_ctx *c, const char *objects, const char *fmt, ...)
{
  struct prop_slot *s = c->running;
  va_list ap;

  SIM_ASSERT(s);
  if (s->hazards++)
    return;
  s->first_hazard.at = prop_now(c);
  snprintf(s->first_hazard.objects, sizeof(s->first_hazard.objects), "%s",
           objects ? objects : "");
  va_start(ap, fmt);
  vsnprintf(s->first_hazard.message, sizeof(s->first_hazard.message), fmt, ap);
  va_end(ap);
}

uint64_t props_hazards(const struct props *p, size_t i,
                       const struct prop_violation **first)
{
  if (first)
    *first = p->slots.v[i].hazards ? &p->slots.v[i].first_hazard : NULL;
  return p->slots.v[i].hazards;
}

size_t props_count(const struct props *p)
{
  return p->slots.nr;
}

const char *props_name(const struct props *p, size_t i)
{
  return p->slots.v[i].prop->name;
}

uint64_t props_violations(const struct props *p, size_t i,
                          const struct prop_violation **first)
{
  if (first)
    *first = p->slots.v[i].violations ? &p->slots.v[i].first : NULL;
  return p->slots.v[i].violations;
}

int props_index(const struct props *p, const char *name)
{
  for (size_t i = 0; i < p->slots.nr; i++)
    if (!strcmp(p->slots.v[i].prop->name, name))
      return (int)i;
  return -1;
}

void props_set_scenario(struct props *p, const struct scenario *s)
{
  p->scenario = s;
}

void props_note_action(struct props *p, const struct action *a, simtime until)
{
  struct prop_action pa = {a, engine_now(api_engine(p->api)), until};

  if (pa.until < pa.at)
    pa.until = pa.at;
  VEC_PUSH(&p->actions, pa);
  p->dirty = true; /* the checks that time faults look at it */
}

const struct scenario *prop_scenario(struct prop_ctx *c)
{
  return c->set->scenario;
}

simtime prop_timing(struct prop_ctx *c, enum timing_id id)
{
  struct timings t;

  if (c->set->scenario)
    return c->set->scenario->timings.v[id];
  timings_defaults(&t, c->set->minor);
  return t.v[id];
}

const struct prop_action *prop_actions(struct prop_ctx *c, size_t *nr)
{
  *nr = c->set->actions.nr;
  return c->set->actions.v;
}
