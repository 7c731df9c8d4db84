/*
 * history.c - the recorder behind the report's timeline picture
 * (history.h): a write hook that turns the stream of pod and node
 * versions into lives and spans of constant state.
 *
 * Cost: one hash probe per pod or node write (uid -> life), and a span
 * only when what the picture shows changes. Node heartbeats are the
 * commonest write by far; they are recognised from the previous version
 * (same taints array, Ready status and cordon) without building any text.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "history.h"
#include "world.h"

/* uid -> (row, life). uid 0 marks an empty slot (stored objects have one). */
struct uid_slot {
  uint64_t uid;
  uint32_t row, life;
};

/* (kind, namespace, name) -> row + 1; 0 marks an empty slot. */
struct name_slot {
  uint64_t hash;
  uint32_t row1;
};

struct history {
  struct api *api;
  struct arena arena; /* taint texts */
  VEC(struct hist_row) rows;
  struct uid_slot *uids;
  size_t uids_cap, uids_nr;
  struct name_slot *names;
  size_t names_cap, names_nr;
  VEC(const struct hist_row *) sorted; /* history_rows' answer */
};

static const char *const pod_state_names[HIST_POD_STATE_COUNT] = {
    [HIST_POD_PENDING] = "Pending",
    [HIST_POD_CREATING] = "ContainerCreating",
    [HIST_POD_RUNNING] = "Running, not Ready",
    [HIST_POD_READY] = "Ready",
    [HIST_POD_TERMINATING] = "Terminating",
    [HIST_POD_ENDED] = "Succeeded/Failed",
};

static const char *const node_state_names[HIST_NODE_STATE_COUNT] = {
    [HIST_NODE_READY] = "Ready",
    [HIST_NODE_NOT_READY] = "NotReady",
    [HIST_NODE_UNKNOWN] = "Unknown",
};

const char *history_pod_state_name(enum hist_pod_state s)
{
  SIM_ASSERT((unsigned)s < HIST_POD_STATE_COUNT);
  return pod_state_names[s];
}

const char *history_node_state_name(enum hist_node_state s)
{
  SIM_ASSERT((unsigned)s < HIST_NODE_STATE_COUNT);
  return node_state_names[s];
}

/* --- the two hash tables -------------------------------------------------- */

static uint64_t name_hash(enum obj_kind k, const char *ns, const char *name)
{
  uint64_t h = SIM_FNV_INIT;
  unsigned char kb = (unsigned char)k;

  h = sim_fnv1a(h, &kb, 1);
  h = sim_fnv1a(h, ns, strlen(ns) + 1);
  h = sim_fnv1a(h, name, strlen(name));
  return h ? h : 1;
}

static struct uid_slot *uid_find(struct history *h, uint64_t uid)
{
  size_t mask = h->uids_cap - 1;

  for (size_t i = sim_splitmix64(uid) & mask;; i = (i + 1) & mask)
    if (h->uids[i].uid == uid || h->uids[i].uid == 0)
      return &h->uids[i];
}

static void uid_grow(struct history *h)
{
  struct uid_slot *old = h->uids;
  size_t old_cap = h->uids_cap;

  h->uids_cap = old_cap ? old_cap * 2 : 64;
  h->uids = xcalloc(h->uids_cap, sizeof(*h->uids));
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].uid)
      *uid_find(h, old[i].uid) = old[i];
  free(old);
}

static struct name_slot *name_find(struct history *h, uint64_t hash,
                                   enum obj_kind k, const char *ns,
                                   const char *name)
{
  size_t mask = h->names_cap - 1;

  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    struct name_slot *s = &h->names[i];
    if (!s->row1)
      return s;
    const struct hist_row *r = &h->rows.v[s->row1 - 1];
    if (s->hash == hash && r->kind == k && !strcmp(r->namespace_, ns) &&
        !strcmp(r->name, name))
      return s;
  }
}

static void name_grow(struct history *h)
{
  struct name_slot *old = h->names;
  size_t old_cap = h->names_cap;

  h->names_cap = old_cap ? old_cap * 2 : 64;
  h->names = xcalloc(h->names_cap, sizeof(*h->names));
  for (size_t i = 0; i < old_cap; i++) {
    if (!old[i].row1)
      continue;
    /* Rows are unique: probe for the first empty slot. */
    size_t mask = h->names_cap - 1, j = old[i].hash & mask;
    while (h->names[j].row1)
      j = (j + 1) & mask;
    h->names[j] = old[i];
  }
  free(old);
}

/* --- rows and lives ----------------------------------------------------------
 */

/* The ordinal a StatefulSet reads from its pod's name, or -1. */
static int name_ordinal(const char *name)
{
  const char *dash = strrchr(name, '-');
  long v = 0;

  if (!dash || !dash[1])
    return -1;
  for (const char *p = dash + 1; *p; p++) {
    if (*p < '0' || *p > '9' || v > 214748364L)
      return -1;
    v = v * 10 + (*p - '0');
  }
  return v > 2147483647L ? -1 : (int)v;
}

static uint32_t row_for(struct history *h, const struct object *o)
{
  const char *ns = o->meta.namespace_ ? o->meta.namespace_ : "";
  uint64_t hash = name_hash(o->kind, ns, o->meta.name);

  if (2 * (h->names_nr + 1) > h->names_cap)
    name_grow(h);
  struct name_slot *s = name_find(h, hash, o->kind, ns, o->meta.name);
  if (s->row1)
    return s->row1 - 1;

  struct hist_row r = {
      .kind = o->kind, .namespace_ = ns, .name = o->meta.name, .ordinal = -1};
  const struct owner_ref *ref = meta_controller_ref(&o->meta);
  if (o->kind == KIND_POD && ref && ref->kind &&
      !strcmp(ref->kind, "StatefulSet")) {
    r.owner = ref->name;
    r.ordinal = name_ordinal(o->meta.name);
  }
  SIM_ASSERT(h->rows.nr < UINT32_MAX);
  VEC_PUSH(&h->rows, r);
  s->hash = hash;
  s->row1 = (uint32_t)h->rows.nr;
  h->names_nr++;
  return (uint32_t)(h->rows.nr - 1);
}

static struct hist_life *life_for(struct history *h, const struct object *o,
                                  simtime now)
{
  if (2 * (h->uids_nr + 1) > h->uids_cap)
    uid_grow(h);
  struct uid_slot *s = uid_find(h, o->meta.uid);
  if (s->uid)
    return &h->rows.v[s->row].lives.v[s->life];

  uint32_t row = row_for(h, o);
  struct hist_row *r = &h->rows.v[row];
  struct hist_life l = {
      .uid = o->meta.uid, .created = now, .deleted = SIMTIME_NEVER};
  VEC_PUSH(&r->lives, l);
  *s = (struct uid_slot){o->meta.uid, row, (uint32_t)(r->lives.nr - 1)};
  h->uids_nr++;
  return &r->lives.v[r->lives.nr - 1];
}

static bool str_eq(const char *a, const char *b)
{
  if (!a || !b)
    return a == b;
  return !strcmp(a, b);
}

static bool span_eq(const struct hist_span *a, const struct hist_span *b)
{
  return a->state == b->state && a->cordoned == b->cordoned &&
         str_eq(a->node, b->node) && str_eq(a->detail, b->detail);
}

/*
 * Adds sp (starting now) to l unless it shows what the current span
 * shows. Several writes at one instant leave one span, the last state:
 * the picture cannot show a zero-length stretch anyway.
 */
static void add_span(struct history *h, struct hist_life *l,
                     struct hist_span sp)
{
  size_t nr = l->spans.nr;

  (void)h;
  if (nr && span_eq(&l->spans.v[nr - 1], &sp))
    return;
  if (nr && l->spans.v[nr - 1].from == sp.from) {
    if (nr > 1 && span_eq(&l->spans.v[nr - 2], &sp)) {
      l->spans.nr--; /* back to what it was before this instant */
      return;
    }
    l->spans.v[nr - 1] = sp;
    return;
  }
  VEC_PUSH(&l->spans, sp);
}

/* --- what a version shows ----------------------------------------------------
 */

static enum hist_pod_state pod_state(const struct object *o)
{
  const struct pod_status *st = &o->u.pod.status;

  if (meta_is_deleting(&o->meta))
    return HIST_POD_TERMINATING;
  if (st->phase == POD_SUCCEEDED || st->phase == POD_FAILED)
    return HIST_POD_ENDED;
  if (st->ready.status == COND_TRUE)
    return HIST_POD_READY;
  if (st->phase == POD_RUNNING || st->phase == POD_UNKNOWN)
    return HIST_POD_RUNNING;
  if (!o->u.pod.spec.node_name || !*o->u.pod.spec.node_name)
    return HIST_POD_PENDING;
  return HIST_POD_CREATING;
}

static enum hist_node_state node_state(const struct node *n)
{
  if (n->ready.status == COND_TRUE)
    return HIST_NODE_READY;
  if (n->ready.status == COND_FALSE)
    return HIST_NODE_NOT_READY;
  return HIST_NODE_UNKNOWN;
}

static const char *const effect_names[] = {"NoSchedule", "PreferNoSchedule",
                                           "NoExecute"};

static const char *taints_text(struct history *h, const struct node *n)
{
  char buf[1024];
  size_t used = 0;

  if (!n->taints_nr)
    return "";
  buf[0] = '\0';
  for (size_t i = 0; i < n->taints_nr && used < sizeof(buf); i++) {
    const struct taint *t = &n->taints[i];
    used += (size_t)snprintf(
        buf + used, sizeof(buf) - used, "%s%s%s%s:%s", i ? ", " : "",
        t->key ? t->key : "", t->value && *t->value ? "=" : "",
        t->value ? t->value : "",
        (unsigned)t->effect < 3 ? effect_names[t->effect] : "?");
  }
  return arena_strdup(&h->arena, buf);
}

static bool node_unchanged(const struct object *old, const struct object *now)
{
  const struct node *a = &old->u.node, *b = &now->u.node;

  return a->taints == b->taints && a->taints_nr == b->taints_nr &&
         a->ready.status == b->ready.status &&
         a->unschedulable == b->unschedulable;
}

static void on_write(enum watch_type t, const struct object *old,
                     const struct object *now, void *ctx)
{
  struct history *h = ctx;
  const struct object *o = now ? now : old;
  simtime at = engine_now(api_engine(h->api));

  if (o->kind != KIND_POD && o->kind != KIND_NODE)
    return;
  if (t == WATCH_MODIFIED && o->kind == KIND_NODE && old &&
      node_unchanged(old, now) && h->uids_cap && uid_find(h, o->meta.uid)->uid)
    return; /* a heartbeat of a node already drawn */
  struct hist_life *l = life_for(h, o, at);
  if (t == WATCH_DELETED) {
    l->deleted = at;
    return;
  }
  struct hist_span sp = {.from = at};
  if (o->kind == KIND_POD) {
    sp.state = (int)pod_state(o);
    sp.node = o->u.pod.spec.node_name;
    sp.detail = world_pod_status_column(o);
  } else {
    sp.state = (int)node_state(&o->u.node);
    sp.cordoned = o->u.node.unschedulable;
    size_t nr = l->spans.nr;
    /* The text only when the taints array changed (or is new). */
    if (nr && old && old->u.node.taints == o->u.node.taints &&
        old->u.node.taints_nr == o->u.node.taints_nr)
      sp.detail = l->spans.v[nr - 1].detail;
    else
      sp.detail = taints_text(h, &o->u.node);
  }
  add_span(h, l, sp);
}

/* --- set-up and answers
 * --------------------------------------------------------- */

struct history *history_new(struct api *api)
{
  struct history *h = xcalloc(1, sizeof(*h));

  h->api = api;
  arena_init(&h->arena, 16 * 1024);
  api_add_write_hook(api, on_write, h);
  return h;
}

void history_free(struct history *h)
{
  if (!h)
    return;
  for (size_t i = 0; i < h->rows.nr; i++) {
    for (size_t j = 0; j < h->rows.v[i].lives.nr; j++)
      free(h->rows.v[i].lives.v[j].spans.v);
    free(h->rows.v[i].lives.v);
  }
  free(h->rows.v);
  free(h->uids);
  free(h->names);
  free(h->sorted.v);
  arena_release(&h->arena);
  free(h);
}

static int cmp_str(const char *a, const char *b)
{
  return strcmp(a ? a : "", b ? b : "");
}

/*
 * Names as a person sorts them: digit runs by value, so node-2 comes
 * before node-10. Names equal that way ("a01" and "a1") fall back to
 * strcmp, which keeps the order total.
 */
static int cmp_natural(const char *a, const char *b)
{
  const char *p = a ? a : "", *q = b ? b : "";

  while (*p && *q) {
    if (*p >= '0' && *p <= '9' && *q >= '0' && *q <= '9') {
      while (*p == '0')
        p++;
      while (*q == '0')
        q++;
      size_t np = strspn(p, "0123456789"), nq = strspn(q, "0123456789");
      if (np != nq)
        return np < nq ? -1 : 1;
      int c = strncmp(p, q, np);
      if (c)
        return c;
      p += np;
      q += nq;
      continue;
    }
    if (*p != *q)
      return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
    p++;
    q++;
  }
  if (*p || *q)
    return *p ? 1 : -1;
  return cmp_str(a, b);
}

/* Total: (namespace, name) is unique per kind. */
static int cmp_rows(const void *pa, const void *pb)
{
  const struct hist_row *a = *(const struct hist_row *const *)pa;
  const struct hist_row *b = *(const struct hist_row *const *)pb;
  int c = cmp_str(a->namespace_, b->namespace_);

  if (c)
    return c;
  c = cmp_natural(a->owner ? a->owner : a->name, b->owner ? b->owner : b->name);
  if (c)
    return c;
  if (a->ordinal != b->ordinal)
    return a->ordinal < b->ordinal ? -1 : 1;
  return cmp_natural(a->name, b->name);
}

const struct hist_row *const *history_rows(struct history *h,
                                           enum obj_kind kind, size_t *nr)
{
  h->sorted.nr = 0;
  for (size_t i = 0; i < h->rows.nr; i++)
    if (h->rows.v[i].kind == kind)
      VEC_PUSH(&h->sorted, &h->rows.v[i]);
  if (h->sorted.nr > 1)
    qsort(h->sorted.v, h->sorted.nr, sizeof(*h->sorted.v), cmp_rows);
  *nr = h->sorted.nr;
  return h->sorted.v;
}
