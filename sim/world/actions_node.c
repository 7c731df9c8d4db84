/*
 * actions_node.c - the node actions, as whoever does them in a real
 * cluster: the machine itself (crash-node, restart-node, shutdown-node),
 * the network (partition-node, heal-node), the cloud (delete-node: the VM
 * and then its Node object; add-node: a new VM whose kubelet registers)
 * and a person with kubectl (cordon-node, uncordon-node, taint-node,
 * untaint-node). The machine side is the kubelets' (kubelet_machine.c);
 * this file resolves the node, words the timeline line and writes what
 * kubectl or the cloud would write.
 *
 * A node is named directly or as "@pod:NAME": the node pod NAME is bound
 * to in the store when the action runs. An unknown node or pod, or a pod
 * not bound yet, fails the action as kubectl would: a Warning on the
 * timeline, and the run goes on. A fault that does not apply (crashing a
 * machine that is down, healing one that is not cut off) is a Warning too,
 * saying why nothing happened.
 *
 * `for: DUR` on crash-node / partition-node, when the loader could not
 * turn it into an ordinary action (a `when` action, or an "@pod:" node):
 * the follow-up (restart-node / heal-node) is scheduled here, DUR after
 * the fault, on the node the fault hit, and extends the run's horizon so
 * that a quiet cluster does not end the run before it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "world_int.h"

#define WHO_KUBECTL "kubectl"
/* The cloud controller manager's node lifecycle controller. */
#define WHO_CLOUD "cloud-node-lifecycle-controller"

static void *kubelets_of(struct world *w)
{
  void *ks = world_component(w, "kubelet");

  SIM_ASSERT(ks);
  return ks;
}

static const char *node_obj(struct world *w, const char *node)
{
  return arena_printf(&w->arena, "Node/%s", node);
}

static void failed(struct world *w, const char *action, const char *obj,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void failed(struct world *w, const char *action, const char *obj,
                   const char *fmt, ...)
{
  char msg[400];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  world_note(w, false, EVENT_WARNING, obj, "ActionFailed", "%s: %s", action,
             msg);
}

static void noted(struct world *w, const char *action, const char *obj,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void noted(struct world *w, const char *action, const char *obj,
                  const char *fmt, ...)
{
  char msg[400];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  world_note(w, false, EVENT_NORMAL, obj, "Action", "%s: %s", action, msg);
}

static void node_not_found(struct world *w, const char *action,
                           const char *node)
{
  failed(w, action, node_obj(w, node),
         "Error from server (NotFound): nodes \"%s\" not found", node);
}

/*
 * The node the action names, or NULL (the failure noted). "@pod:NAME" is
 * the pod's spec.nodeName in the store now (a live read, as `kubectl get
 * pod NAME -o wide` would show it).
 */
static const char *resolve(struct world *w, const struct action *a)
{
  const char *name = action_name(a->kind);
  const struct object *pod;

  if (strncmp(a->node, "@pod:", 5))
    return a->node;
  pod = api_get(w->api, KIND_POD, "default", a->node + 5);
  if (!pod) {
    failed(w, name, arena_printf(&w->arena, "Pod/%s", a->node + 5),
           "Error from server (NotFound): pods \"%s\" not found", a->node + 5);
    return NULL;
  }
  if (!pod->u.pod.spec.node_name || !*pod->u.pod.spec.node_name) {
    failed(w, name, arena_printf(&w->arena, "Pod/%s", a->node + 5),
           "pod %s is not bound to a node yet (%s): there is no node to act "
           "on",
           a->node + 5, pod_phase_name(pod->u.pod.status.phase));
    return NULL;
  }
  return pod->u.pod.spec.node_name;
}

/* The machine state of node; false (noted) if no kubelet ever ran there. */
static bool machine_of(struct world *w, const char *action, const char *node,
                       enum node_machine *m, bool *cut)
{
  if (kubelets_machine(kubelets_of(w), node, m, cut))
    return true;
  node_not_found(w, action, node);
  return false;
}

/* --- follow-ups of `for: DUR` -----------------------------------------------
 */

static void restart(struct world *w, const char *action, const char *node);
static void heal(struct world *w, const char *action, const char *node);

static void follow_up(struct engine *e, uint64_t subject, uint64_t arg,
                      void *ctx)
{
  struct world *w = ctx;
  const struct action *a = &w->s->actions[subject];
  const char *node = kubelets_node_name(kubelets_of(w), (uint32_t)arg);

  (void)e;
  SIM_ASSERT(node);
  if (a->kind == ACTION_CRASH_NODE)
    restart(w, action_name(ACTION_RESTART_NODE), node);
  else
    heal(w, action_name(ACTION_HEAL_NODE), node);
}

static void schedule_follow_up(struct world *w, const struct action *a,
                               const char *node)
{
  simtime at = engine_now(w->engine) + a->duration;
  uint32_t id;

  if (a->duration <= 0 || !kubelets_node_id(kubelets_of(w), node, &id))
    return;
  engine_schedule(w->engine, at, PHASE_FAULT,
                  action_name(a->kind == ACTION_CRASH_NODE ? ACTION_RESTART_NODE
                                                           : ACTION_HEAL_NODE),
                  follow_up, (uint64_t)(a - w->s->actions), id, w);
  if (at > w->horizon)
    w->horizon = at;
}

static const char *back_in(struct world *w, const struct action *a,
                           const char *what)
{
  char d[32];

  if (a->duration <= 0)
    return "";
  sim_format_duration(a->duration, d, sizeof(d));
  return arena_printf(&w->arena, " (%s in %s)", what, d);
}

/* --- the machine ------------------------------------------------------------
 */

void world__do_crash_node(struct world *w, const struct action *a)
{
  const char *action = action_name(a->kind);
  const char *node = resolve(w, a);
  enum node_machine m;
  bool cut;

  if (!node || !machine_of(w, action, node, &m, &cut))
    return;
  if (m == MACHINE_CRASHED || m == MACHINE_GONE) {
    failed(w, action, node_obj(w, node), "%s is %s: nothing left to crash",
           node, m == MACHINE_GONE ? "deleted" : "already down");
    return;
  }
  kubelets_crash(kubelets_of(w), node);
  noted(w, action, node_obj(w, node),
        "%s crashed: its containers died; the control plane will only "
        "notice missing heartbeats%s",
        node, back_in(w, a, "it boots again"));
  schedule_follow_up(w, a, node);
}

static void restart(struct world *w, const char *action, const char *node)
{
  enum node_machine m;
  bool cut;

  if (!machine_of(w, action, node, &m, &cut))
    return;
  if (m != MACHINE_CRASHED) {
    failed(w, action, node_obj(w, node), "%s is %s: nothing to boot", node,
           m == MACHINE_GONE ? "deleted" : "running");
    return;
  }
  kubelets_restart(kubelets_of(w), node);
  if (cut)
    noted(w, action, node_obj(w, node),
          "%s booted, but its network is still cut: the kubelet cannot "
          "reach the API server and has no pods to run until it can",
          node);
  else
    noted(w, action, node_obj(w, node),
          "%s booted: its kubelet renews its Lease, posts Ready and restarts "
          "the pods still bound to it in new sandboxes (new IPs)",
          node);
}

void world__do_restart_node(struct world *w, const struct action *a)
{
  const char *node = resolve(w, a);

  if (node)
    restart(w, action_name(a->kind), node);
}

void world__do_partition_node(struct world *w, const struct action *a)
{
  const char *action = action_name(a->kind);
  const char *node = resolve(w, a);
  enum node_machine m;
  bool cut;

  if (!node || !machine_of(w, action, node, &m, &cut))
    return;
  if (cut || m == MACHINE_GONE) {
    failed(w, action, node_obj(w, node), "%s is %s", node,
           m == MACHINE_GONE ? "deleted: no network to cut"
                             : "already cut off from the API server");
    return;
  }
  kubelets_partition(kubelets_of(w), node);
  if (m == MACHINE_CRASHED)
    noted(w, action, node_obj(w, node),
          "the network of %s is cut (the machine is down)%s", node,
          back_in(w, a, "healed"));
  else
    noted(w, action, node_obj(w, node),
          "%s lost the API server: its containers keep running and writing, "
          "its kubelet's writes fail; the control plane sees only missing "
          "heartbeats, as after a crash%s",
          node, back_in(w, a, "healed"));
  schedule_follow_up(w, a, node);
}

static void heal(struct world *w, const char *action, const char *node)
{
  enum node_machine m;
  bool cut;

  if (!machine_of(w, action, node, &m, &cut))
    return;
  if (!cut) {
    failed(w, action, node_obj(w, node), "%s is not cut off: nothing to heal",
           node);
    return;
  }
  kubelets_heal(kubelets_of(w), node);
  if (m == MACHINE_CRASHED)
    noted(w, action, node_obj(w, node),
          "the network of %s is back, but the machine is down", node);
  else
    noted(w, action, node_obj(w, node),
          "%s reaches the API server again: its kubelet relists, kills pods "
          "removed from the API meanwhile, finishes terminating ones and "
          "posts its status",
          node);
}

void world__do_heal_node(struct world *w, const struct action *a)
{
  const char *node = resolve(w, a);

  if (node)
    heal(w, action_name(a->kind), node);
}

void world__do_shutdown_node(struct world *w, const struct action *a)
{
  const char *action = action_name(a->kind);
  const char *node = resolve(w, a);
  simtime sgp = w->s->timings.v[TIMING_SHUTDOWN_GRACE_PERIOD];
  simtime crit = w->s->timings.v[TIMING_SHUTDOWN_GRACE_PERIOD_CRITICAL];
  enum node_machine m;
  bool cut;
  char d1[32], d2[32];

  if (!node || !machine_of(w, action, node, &m, &cut))
    return;
  if (m == MACHINE_CRASHED || m == MACHINE_GONE || m == MACHINE_SHUTTING_DOWN) {
    failed(w, action, node_obj(w, node), "%s is %s", node,
           m == MACHINE_GONE      ? "deleted"
           : m == MACHINE_CRASHED ? "already down"
                                  : "already shutting down");
    return;
  }
  kubelets_shutdown(kubelets_of(w), node);
  if (sgp <= 0) {
    noted(w, action, node_obj(w, node),
          "%s shut down without graceful node shutdown (shutdownGracePeriod "
          "is 0): as in a crash, its containers died at once",
          node);
    return;
  }
  if (crit > sgp)
    crit = sgp;
  sim_format_duration(sgp - crit, d1, sizeof(d1));
  sim_format_duration(crit, d2, sizeof(d2));
  noted(w, action, node_obj(w, node),
        "%s is shutting down gracefully: it posts NotReady, its pods get up "
        "to %s (critical pods then %s) to stop and end Failed (Terminated), "
        "then the machine powers off",
        node, d1, d2);
}

/* --- the cloud -------------------------------------------------------------
 */

/*
 * delete-node: the VM is deleted (its machine and kubelet are gone) and
 * the cloud node lifecycle controller deletes the Node object. Real
 * controllers do that once the Node is no longer Ready and the instance
 * is confirmed gone (every nodeMonitorPeriod); here both happen at the
 * action's time, as when a person deletes the VM and the Node together.
 */
void world__do_delete_node(struct world *w, const struct action *a)
{
  const char *action = action_name(a->kind);
  const char *node = resolve(w, a);
  const struct object *o;
  enum node_machine m;
  bool cut, vm;

  if (!node)
    return;
  vm = kubelets_machine(kubelets_of(w), node, &m, &cut) && m != MACHINE_GONE;
  o = api_get(w->api, KIND_NODE, "", node);
  if (!vm && !o) {
    node_not_found(w, action, node);
    return;
  }
  if (vm)
    kubelets_remove(kubelets_of(w), node);
  if (o) {
    api_record_event(w->api, WHO_CLOUD, o, EVENT_NORMAL, "DeletingNode",
                     "Deleting node %s because it does not exist in the "
                     "cloud provider",
                     node);
    if (api_delete(w->api, WHO_CLOUD, KIND_NODE, "", node, NULL) != API_OK) {
      failed(w, action, node_obj(w, node), "Error from server: %s",
             api_last_error(w->api));
      return;
    }
  }
  noted(w, action, node_obj(w, node),
        "%s%s; pod GC deletes the pods still bound to it",
        vm ? arena_printf(&w->arena, "the VM of %s was deleted", node)
           : arena_printf(&w->arena, "%s had no VM left", node),
        o ? " and the cloud controller deleted its Node"
          : " (its Node was already deleted)");
}

void world__do_add_node(struct world *w, const struct action *a)
{
  const char *action = action_name(a->kind);
  const char *zone = NULL;

  if (!strncmp(a->node, "@pod:", 5)) {
    failed(w, action, arena_printf(&w->arena, "Node/%s", a->node),
           "a new node needs a name of its own, not %s", a->node);
    return;
  }
  if (api_get(w->api, KIND_NODE, "", a->node) ||
      !kubelets_add_node(kubelets_of(w), a->node, a->zone, &zone)) {
    failed(w, action, node_obj(w, a->node),
           "Error from server (AlreadyExists): nodes \"%s\" already exists",
           a->node);
    return;
  }
  noted(w, action, node_obj(w, a->node),
        "%s joined the cluster%s%s: its kubelet registered the Node, Ready",
        a->node, zone ? " in zone " : "", zone ? zone : "");
}

/* --- kubectl ----------------------------------------------------------------
 */

static bool patch_unschedulable(struct object *o, void *ctx)
{
  o->u.node.unschedulable = *(bool *)ctx;
  return true;
}

/* kubectl cordon / uncordon: patch spec.unschedulable. */
static void cordon(struct world *w, const struct action *a, bool on)
{
  const char *action = action_name(a->kind);
  const char *node = resolve(w, a);
  const struct object *o;

  if (!node)
    return;
  o = api_get(w->api, KIND_NODE, "", node);
  if (!o) {
    node_not_found(w, action, node);
    return;
  }
  if (o->u.node.unschedulable == on) {
    noted(w, action, node_obj(w, node), "node/%s already %s", node,
          on ? "cordoned" : "uncordoned");
    return;
  }
  if (api_patch(w->api, WHO_KUBECTL, KIND_NODE, "", node, 0,
                patch_unschedulable, &on, NULL) != API_OK) {
    failed(w, action, node_obj(w, node), "Error from server: %s",
           api_last_error(w->api));
    return;
  }
  noted(w, action, node_obj(w, node), "node/%s %s", node,
        on ? "cordoned" : "uncordoned");
}

void world__do_cordon_node(struct world *w, const struct action *a)
{
  cordon(w, a, true);
}

void world__do_uncordon_node(struct world *w, const struct action *a)
{
  cordon(w, a, false);
}

static const char *effect_name(enum taint_effect e)
{
  switch (e) {
  case TAINT_NO_SCHEDULE:
    return "NoSchedule";
  case TAINT_PREFER_NO_SCHEDULE:
    return "PreferNoSchedule";
  case TAINT_NO_EXECUTE:
    return "NoExecute";
  }
  return "?";
}

/* "key=value:Effect" or "key:Effect", as kubectl spells a taint. */
static const char *taint_spec(struct world *w, const struct taint *t)
{
  if (t->value && *t->value)
    return arena_printf(&w->arena, "%s=%s:%s", t->key, t->value,
                        effect_name(t->effect));
  return arena_printf(&w->arena, "%s:%s", t->key, effect_name(t->effect));
}

struct taint_arg {
  struct world *w;
  const struct taint *t;
  bool add;
};

/*
 * kubectl taint (reorganizeTaints): a new taint goes first, the others
 * follow in order; removal drops every taint with that key and effect.
 * timeAdded is written for NoExecute taints only (as the API documents
 * the field); the taint eviction controller counts tolerationSeconds from
 * it.
 */
static bool patch_taints(struct object *o, void *ctx)
{
  struct taint_arg *arg = ctx;
  const struct node *nd = &o->u.node;
  struct taint *v = arena_calloc(&arg->w->arena, nd->taints_nr + 1, sizeof(*v));
  size_t nr = 0;

  if (arg->add) {
    v[nr] = *arg->t;
    v[nr].value = arg->t->value ? arg->t->value : "";
    v[nr].time_added = arg->t->effect == TAINT_NO_EXECUTE
                           ? engine_now(arg->w->engine)
                           : SIMTIME_NEVER;
    nr++;
  }
  for (size_t i = 0; i < nd->taints_nr; i++) {
    const struct taint *x = &nd->taints[i];
    if (!arg->add && !strcmp(x->key, arg->t->key) &&
        x->effect == arg->t->effect)
      continue;
    v[nr++] = *x;
  }
  o->u.node.taints = v;
  o->u.node.taints_nr = nr;
  return true;
}

static bool has_taint(const struct object *o, const struct taint *t)
{
  for (size_t i = 0; i < o->u.node.taints_nr; i++)
    if (!strcmp(o->u.node.taints[i].key, t->key) &&
        o->u.node.taints[i].effect == t->effect)
      return true;
  return false;
}

static void taint(struct world *w, const struct action *a, bool add)
{
  const char *action = action_name(a->kind);
  const char *node = resolve(w, a);
  struct taint_arg arg = {w, &a->taint, add};
  const struct object *o;

  if (!node)
    return;
  o = api_get(w->api, KIND_NODE, "", node);
  if (!o) {
    node_not_found(w, action, node);
    return;
  }
  if (add && has_taint(o, &a->taint)) {
    failed(w, action, node_obj(w, node),
           "error: node %s already has %s taint(s) with same effect(s) and "
           "--overwrite is false",
           node, a->taint.key);
    return;
  }
  if (!add && !has_taint(o, &a->taint)) {
    failed(w, action, node_obj(w, node), "error: taint \"%s:%s\" not found",
           a->taint.key, effect_name(a->taint.effect));
    return;
  }
  if (api_patch(w->api, WHO_KUBECTL, KIND_NODE, "", node, 0, patch_taints, &arg,
                NULL) != API_OK) {
    failed(w, action, node_obj(w, node), "Error from server: %s",
           api_last_error(w->api));
    return;
  }
  noted(w, action, node_obj(w, node), "node/%s %s (%s)", node,
        add ? "tainted" : "untainted", taint_spec(w, &a->taint));
}

void world__do_taint_node(struct world *w, const struct action *a)
{
  taint(w, a, true);
}

void world__do_untaint_node(struct world *w, const struct action *a)
{
  taint(w, a, false);
}
