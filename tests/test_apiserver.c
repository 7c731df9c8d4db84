/*
 * test_apiserver.c - the fake API server against the real engine: store
 * and LIST order, uids and resourceVersions, generateName, optimistic
 * concurrency, generation, immutable fields, finalizers, pod deletion
 * (cluster-behaviour.md 2.1), preconditions, informers and their delays,
 * relists, injected write faults, events, hooks and admission.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver.h"
#include "arena.h"
#include "engine.h"

#define NR(a) (sizeof(a) / sizeof((a)[0]))

struct fx {
  struct arena arena;
  struct engine *e;
  struct api *api;
};

static int setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));

  arena_init(&f->arena, 64 * 1024);
  f->e = engine_new(NULL);
  f->api = api_new(f->e, &f->arena, 42);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;

  api_free(f->api);
  engine_free(f->e);
  arena_release(&f->arena);
  free(f);
  return 0;
}

/* Runs the engine up to t and leaves the clock at t. */
static void run_to(struct fx *f, simtime t)
{
  engine_run_until(f->e, t);
  if (engine_now(f->e) < t)
    engine_advance(f->e, t);
}

static const char *dup(struct fx *f, const char *s)
{
  return arena_strdup(&f->arena, s);
}

static struct object pod(struct fx *f, const char *name, const char *node)
{
  struct container *c = arena_calloc(&f->arena, 1, sizeof(*c));
  struct object o;

  c->name = "app";
  c->image = "nginx:1.25";
  object_init(&o, KIND_POD);
  o.meta.name = dup(f, name);
  o.u.pod.spec.containers = c;
  o.u.pod.spec.containers_nr = 1;
  o.u.pod.spec.node_name = node;
  return o;
}

static const struct object *create_pod(struct fx *f, const char *name,
                                       const char *node)
{
  struct object o = pod(f, name, node);
  const struct object *out = NULL;

  assert_int_equal(api_create(f->api, "test", &o, &out), API_OK);
  assert_non_null(out);
  return out;
}

static const struct object *create_sts(struct fx *f, const char *name)
{
  static const struct kv labels[] = {{"app", "web"}};
  struct container *c = arena_calloc(&f->arena, 1, sizeof(*c));
  const struct object *out = NULL;
  struct object o;

  c->name = "app";
  c->image = "nginx:1.25";
  object_init(&o, KIND_STATEFULSET);
  o.meta.name = name;
  o.u.sts.spec.replicas = 3;
  o.u.sts.spec.service_name = "web";
  o.u.sts.spec.selector.match_labels = (struct kv_list){labels, 1};
  o.u.sts.spec.template_.labels = (struct kv_list){labels, 1};
  o.u.sts.spec.template_.spec.containers = c;
  o.u.sts.spec.template_.spec.containers_nr = 1;
  assert_int_equal(api_create(f->api, "test", &o, &out), API_OK);
  return out;
}

static struct str_list strs(struct fx *f, const char *a, const char *b)
{
  const char **v = arena_calloc(&f->arena, 2, sizeof(*v));
  size_t nr = 0;

  if (a)
    v[nr++] = a;
  if (b)
    v[nr++] = b;
  return (struct str_list){v, nr};
}

/* --- a recorder of write hooks and informer handlers -------------------- */

struct seen {
  enum watch_type type;
  const struct object *old, *now;
  simtime at;
  uint64_t rv;
  bool cached; /* informer: informer_get returned `now` inside the handler */
};

struct log {
  struct seen v[64];
  size_t nr;
  struct engine *e;
};

static void on_write(enum watch_type t, const struct object *old,
                     const struct object *now, void *ctx)
{
  struct log *l = ctx;

  assert_true(l->nr < NR(l->v));
  l->v[l->nr++] = (struct seen){
      t, old, now, engine_now(l->e), now->meta.resource_version, false};
}

static void on_informer(struct informer *inf, enum watch_type t,
                        const struct object *old, const struct object *now,
                        void *ctx)
{
  struct log *l = ctx;
  const struct object *c =
      informer_get(inf, now->meta.namespace_, now->meta.name);

  assert_true(l->nr < NR(l->v));
  l->v[l->nr++] = (struct seen){t,
                                old,
                                now,
                                engine_now(l->e),
                                now->meta.resource_version,
                                t == WATCH_DELETED ? c == NULL : c == now};
}

/* --- store ---------------------------------------------------------------- */

static void create_sets_server_fields(void **state)
{
  struct fx *f = *state;
  struct object o = pod(f, "web-0", NULL);
  const struct object *out;

  run_to(f, SIM_SEC(3));
  o.meta.uid = 999;                  /* ignored */
  o.u.pod.status.phase = POD_FAILED; /* the server owns the status */
  assert_int_equal(api_create(f->api, "test", &o, &out), API_OK);
  assert_string_equal(api_last_error(f->api), "");
  assert_int_equal(out->meta.uid, 1);
  assert_int_equal(out->meta.resource_version, 1);
  assert_int_equal(out->meta.generation, 1);
  assert_true(out->meta.creation_timestamp == SIM_SEC(3));
  assert_string_equal(out->meta.namespace_, "default");
  assert_false(meta_is_deleting(&out->meta));
  assert_int_equal(out->u.pod.status.phase, POD_PENDING);
  assert_int_equal(out->u.pod.spec.termination_grace_period_seconds, 30);
  assert_ptr_equal(api_get(f->api, KIND_POD, "default", "web-0"), out);
  assert_ptr_equal(api_get(f->api, KIND_POD, NULL, "web-0"), out);
  assert_ptr_equal(api_get_uid(f->api, 1), out);
  assert_null(api_get(f->api, KIND_POD, "other", "web-0"));
  assert_null(api_get_uid(f->api, 2));

  const struct object *second = create_pod(f, "web-1", NULL);
  assert_int_equal(second->meta.uid, 2);
  assert_int_equal(api_resource_version(f->api), 2);
  assert_int_equal(api_count(f->api, KIND_POD), 2);
}

static void cluster_scoped_objects_have_no_namespace(void **state)
{
  struct fx *f = *state;
  const struct object *out;
  struct object n;

  object_init(&n, KIND_NODE);
  n.meta.name = "n1";
  n.meta.namespace_ = "default";
  n.u.node.ready.status = COND_TRUE;
  assert_int_equal(api_create(f->api, "test", &n, &out), API_OK);
  assert_string_equal(out->meta.namespace_, "");
  assert_int_equal(out->u.node.ready.status, COND_TRUE); /* kept */
  assert_ptr_equal(api_get(f->api, KIND_NODE, "whatever", "n1"), out);
}

struct names {
  char v[16][64];
  size_t nr;
  size_t stop_after;
};

static bool collect(const struct object *o, void *ctx)
{
  struct names *n = ctx;

  snprintf(n->v[n->nr++], sizeof(n->v[0]), "%s/%s", o->meta.namespace_,
           o->meta.name);
  return n->nr != n->stop_after;
}

static void list_returns_namespace_then_name_order(void **state)
{
  static const struct kv green[] = {{"color", "green"}};
  static const char *const order[][2] = {
      {"default", "b"}, {"kube-system", "a"}, {"default", "c"},
      {"apps", "z"},    {"default", "a"},
  };
  struct fx *f = *state;
  struct names n = {0};

  for (size_t i = 0; i < NR(order); i++) {
    struct object o = pod(f, order[i][1], NULL);
    o.meta.namespace_ = order[i][0];
    if (!strcmp(order[i][1], "a"))
      o.meta.labels = (struct kv_list){green, 1};
    assert_int_equal(api_create(f->api, "test", &o, NULL), API_OK);
  }
  api_list(f->api, KIND_POD, NULL, NULL, collect, &n);
  assert_int_equal(n.nr, 5);
  assert_string_equal(n.v[0], "apps/z");
  assert_string_equal(n.v[1], "default/a");
  assert_string_equal(n.v[2], "default/b");
  assert_string_equal(n.v[3], "default/c");
  assert_string_equal(n.v[4], "kube-system/a");

  memset(&n, 0, sizeof(n));
  api_list(f->api, KIND_POD, "default", NULL, collect, &n);
  assert_int_equal(n.nr, 3);
  assert_string_equal(n.v[0], "default/a");
  assert_string_equal(n.v[2], "default/c");

  struct label_selector sel = {.match_labels = {green, 1}};
  memset(&n, 0, sizeof(n));
  api_list(f->api, KIND_POD, NULL, &sel, collect, &n);
  assert_int_equal(n.nr, 2);
  assert_string_equal(n.v[0], "default/a");
  assert_string_equal(n.v[1], "kube-system/a");

  memset(&n, 0, sizeof(n));
  n.stop_after = 2;
  api_list(f->api, KIND_POD, NULL, NULL, collect, &n);
  assert_int_equal(n.nr, 2);
}

struct order_check {
  char prev[32];
  size_t nr;
  bool sorted;
};

static bool check_order(const struct object *o, void *ctx)
{
  struct order_check *c = ctx;

  if (c->nr && strcmp(c->prev, o->meta.name) >= 0)
    c->sorted = false;
  snprintf(c->prev, sizeof(c->prev), "%s", o->meta.name);
  c->nr++;
  return true;
}

static void ten_thousand_pods_stay_ordered_through_deletes(void **state)
{
  struct fx *f = *state;
  static bool created[10007];
  struct order_check c = {.sorted = true};
  size_t left = 0;
  char name[32];

  /* a scrambled insertion order: i * 7919 mod 10007 is a permutation */
  memset(created, 0, sizeof(created));
  for (unsigned i = 0; i < 10000; i++) {
    unsigned k = (i * 7919u) % 10007u;
    snprintf(name, sizeof(name), "p-%05u", k);
    struct object o = pod(f, name, NULL);
    assert_int_equal(api_create(f->api, "test", &o, NULL), API_OK);
    created[k] = true;
  }
  assert_int_equal(api_count(f->api, KIND_POD), 10000);
  for (unsigned k = 0; k < 10007; k += 2) {
    snprintf(name, sizeof(name), "p-%05u", k);
    assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, name, NULL),
                     created[k] ? API_OK : API_NOT_FOUND);
  }
  for (unsigned k = 0; k < 10007; k++) {
    snprintf(name, sizeof(name), "p-%05u", k);
    bool want = created[k] && k % 2 == 1;
    assert_true((api_get(f->api, KIND_POD, NULL, name) != NULL) == want);
    left += want;
  }
  api_list(f->api, KIND_POD, NULL, NULL, check_order, &c);
  assert_true(c.sorted);
  assert_int_equal(c.nr, left);
  assert_int_equal(api_count(f->api, KIND_POD), left);
}

static void generate_name_is_deterministic_per_seed(void **state)
{
  struct fx *f = *state;
  struct arena a2;
  struct engine *e2 = engine_new(NULL);
  struct api *other;
  const struct object *x, *y, *z;
  struct object o = pod(f, "", NULL);

  arena_init(&a2, 4096);
  other = api_new(e2, &a2, 42);
  o.meta.name = NULL;
  o.meta.generate_name = "web-";
  assert_int_equal(api_create(f->api, "test", &o, &x), API_OK);
  assert_int_equal(api_create(other, "test", &o, &y), API_OK);
  assert_string_equal(x->meta.name, y->meta.name);
  assert_int_equal(strlen(x->meta.name), 4 + 5);
  assert_memory_equal(x->meta.name, "web-", 4);
  for (size_t i = 4; i < 9; i++)
    assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", x->meta.name[i]));
  assert_int_equal(api_create(f->api, "test", &o, &z), API_OK);
  assert_string_not_equal(x->meta.name, z->meta.name);
  api_free(other);
  engine_free(e2);
  arena_release(&a2);
}

static void create_refuses_a_taken_name(void **state)
{
  struct fx *f = *state;
  struct object o = pod(f, "web-0", "n1");

  create_pod(f, "web-0", "n1");
  assert_int_equal(api_create(f->api, "test", &o, NULL), API_ALREADY_EXISTS);
  assert_string_equal(api_last_error(f->api), "pods \"web-0\" already exists");
  /* even while the old one terminates */
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", NULL),
                   API_OK);
  assert_non_null(api_get(f->api, KIND_POD, NULL, "web-0"));
  assert_int_equal(api_create(f->api, "test", &o, NULL), API_ALREADY_EXISTS);
  assert_int_equal(api_resource_version(f->api), 2);
}

static void create_without_a_name_is_invalid(void **state)
{
  struct fx *f = *state;
  struct object o = pod(f, "", NULL);

  assert_int_equal(api_create(f->api, "test", &o, NULL), API_INVALID);
  assert_string_equal(api_last_error(f->api),
                      "Pod \"\" is invalid: metadata.name: Required value: "
                      "name or generateName is required");
}

/* --- updates -------------------------------------------------------------- */

static void update_with_a_stale_resource_version_conflicts(void **state)
{
  struct fx *f = *state;
  const struct object *v1 = create_pod(f, "web-0", NULL), *v2;
  struct object o = *v1;

  o.meta.labels = (struct kv_list){(const struct kv[]){{"a", "1"}}, 1};
  o.meta.labels.v = arena_memdup(&f->arena, o.meta.labels.v, sizeof(struct kv));
  assert_int_equal(api_update(f->api, "test", &o, &v2), API_OK);
  assert_true(v2->meta.resource_version > v1->meta.resource_version);
  o.meta.labels = (struct kv_list){0};
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_CONFLICT);
  assert_string_equal(api_last_error(f->api),
                      "Operation cannot be fulfilled on pods \"web-0\": the "
                      "object has been modified; please apply your changes "
                      "to the latest version and try again");
  assert_ptr_equal(api_get(f->api, KIND_POD, NULL, "web-0"), v2);
  o.meta.resource_version = 0; /* unconditional */
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_OK);
  assert_int_equal(api_get(f->api, KIND_POD, NULL, "web-0")->meta.labels.nr, 0);
}

static void generation_moves_only_with_the_spec(void **state)
{
  struct fx *f = *state;
  const struct object *v1 = create_sts(f, "web"), *v2, *v3;
  struct object o = *v1;
  struct kv *ann = arena_alloc(&f->arena, sizeof(*ann));

  *ann = (struct kv){"note", "x"};
  o.meta.annotations = (struct kv_list){ann, 1};
  assert_int_equal(api_update(f->api, "test", &o, &v2), API_OK);
  assert_int_equal(v2->meta.generation, 1);
  assert_int_equal(v2->meta.resource_version, v1->meta.resource_version + 1);
  o = *v2;
  o.u.sts.spec.replicas = 5;
  assert_int_equal(api_update(f->api, "test", &o, &v3), API_OK);
  assert_int_equal(v3->meta.generation, 2);
  assert_int_equal(v3->u.sts.spec.replicas, 5);
}

static void an_update_that_changes_nothing_writes_nothing(void **state)
{
  struct fx *f = *state;
  struct log l = {.e = f->e};
  const struct object *v1 = create_sts(f, "web"), *v2;
  struct object o = *v1;

  api_add_write_hook(f->api, on_write, &l);
  assert_int_equal(api_update(f->api, "test", &o, &v2), API_OK);
  assert_ptr_equal(v2, v1);
  assert_int_equal(api_resource_version(f->api), 1);
  assert_int_equal(l.nr, 0);
}

/* ValidateStatefulSetStatus: what the controller's per-deletion
 * decrement can produce with three revisions is refused (B12). */
static void negative_statefulset_status_counts_are_invalid(void **state)
{
  struct fx *f = *state;
  const struct object *v1 = create_sts(f, "web"), *v2;
  struct object o = *v1;

  o.u.sts.status.replicas = 3;
  o.u.sts.status.current_replicas = -1;
  assert_int_equal(api_update_status(f->api, "test", &o, NULL), API_INVALID);
  assert_string_equal(api_last_error(f->api),
                      "StatefulSet.apps \"web\" is invalid: "
                      "status.currentReplicas: Invalid value: -1: must be "
                      "greater than or equal to 0");
  o.u.sts.status.current_replicas = 0;
  o.u.sts.status.has_collision_count = true;
  o.u.sts.status.collision_count = 2;
  assert_int_equal(api_update_status(f->api, "test", &o, &v2), API_OK);
  o = *v2;
  o.u.sts.status.collision_count = 1;
  assert_int_equal(api_update_status(f->api, "test", &o, NULL), API_INVALID);
  assert_non_null(strstr(api_last_error(f->api), "cannot be decremented"));
  /* a plain update ignores status, so it is not judged */
  o = *v2;
  o.u.sts.status.ready_replicas = -4;
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_OK);
}

static void status_updates_never_bump_generation(void **state)
{
  struct fx *f = *state;
  const struct object *v1 = create_sts(f, "web"), *v2, *v3;
  struct object o = *v1;

  o.u.sts.status.ready_replicas = 2;
  o.u.sts.status.observed_generation = 1;
  o.u.sts.spec.replicas = 9; /* ignored by /status */
  assert_int_equal(api_update_status(f->api, "test", &o, &v2), API_OK);
  assert_int_equal(v2->meta.generation, 1);
  assert_int_equal(v2->u.sts.status.ready_replicas, 2);
  assert_int_equal(v2->u.sts.spec.replicas, 3);
  /* and a plain update keeps the stored status */
  o = *v2;
  o.u.sts.status.ready_replicas = 0;
  o.u.sts.spec.replicas = 4;
  assert_int_equal(api_update(f->api, "test", &o, &v3), API_OK);
  assert_int_equal(v3->u.sts.status.ready_replicas, 2);
  assert_int_equal(v3->meta.generation, 2);
  /* stale status write conflicts too */
  o = *v2;
  assert_int_equal(api_update_status(f->api, "test", &o, NULL), API_CONFLICT);
  /* kinds without status have no /status */
  struct object svc;
  object_init(&svc, KIND_SERVICE);
  svc.meta.name = "web";
  assert_int_equal(api_create(f->api, "test", &svc, NULL), API_OK);
  assert_int_equal(api_update_status(f->api, "test", &svc, NULL),
                   API_NOT_FOUND);
}

static void statefulset_immutable_fields_are_refused(void **state)
{
  struct fx *f = *state;
  const struct object *v1 = create_sts(f, "web");
  struct object o = *v1;

  o.u.sts.spec.service_name = "other";
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_INVALID);
  assert_string_equal(
      api_last_error(f->api),
      "StatefulSet.apps \"web\" is invalid: spec: Forbidden: updates to "
      "statefulset spec for fields other than 'replicas', 'ordinals', "
      "'template', 'updateStrategy', 'revisionHistoryLimit', "
      "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are "
      "forbidden");
  o = *v1;
  o.u.sts.spec.pod_management_policy = PMP_PARALLEL;
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_INVALID);
  assert_ptr_equal(api_get(f->api, KIND_STATEFULSET, NULL, "web"), v1);
  /* the mutable ones go through */
  o = *v1;
  o.u.sts.spec.replicas = 0;
  o.u.sts.spec.partition = 2;
  o.u.sts.spec.min_ready_seconds = 10;
  o.u.sts.spec.when_scaled = DELETE;
  o.u.sts.spec.revision_history_limit = 3;
  struct container *c = arena_memdup(
      &f->arena, o.u.sts.spec.template_.spec.containers, sizeof(*c));
  c->image = "nginx:1.26";
  o.u.sts.spec.template_.spec.containers = c;
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_OK);
}

static void pod_spec_is_immutable_but_images_and_binding(void **state)
{
  struct fx *f = *state;
  const struct object *v1 = create_pod(f, "web-0", NULL), *v2;
  struct object o = *v1;

  o.u.pod.spec.restart_policy = RESTART_NEVER;
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_INVALID);
  assert_string_equal(
      api_last_error(f->api),
      "Pod \"web-0\" is invalid: spec: Forbidden: pod updates may not change "
      "fields other than `spec.containers[*].image`,"
      "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
      "`spec.tolerations` (only additions to existing tolerations),"
      "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
      "was previously negative)");
  /* binding: nodeName may be set once */
  o = *v1;
  o.u.pod.spec.node_name = "n1";
  assert_int_equal(api_update(f->api, "test", &o, &v2), API_OK);
  assert_string_equal(v2->u.pod.spec.node_name, "n1");
  assert_int_equal(v2->meta.generation, 2);
  o = *v2;
  o.u.pod.spec.node_name = "n2";
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_CONFLICT);
  assert_string_equal(api_last_error(f->api),
                      "Operation cannot be fulfilled on pods/binding "
                      "\"web-0\": pod web-0 is already assigned to node "
                      "\"n1\"");
  /* images may change */
  o = *v2;
  struct container *c =
      arena_memdup(&f->arena, o.u.pod.spec.containers, sizeof(*c));
  c->image = "nginx:1.26";
  o.u.pod.spec.containers = c;
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_OK);
  /* a container name may not */
  c = arena_memdup(&f->arena, c, sizeof(*c));
  c->name = "other";
  o = *api_get(f->api, KIND_POD, NULL, "web-0");
  o.u.pod.spec.containers = c;
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_INVALID);
}

static void claim_spec_is_immutable_but_volume_name_once(void **state)
{
  struct fx *f = *state;
  const struct object *v1, *v2;
  struct object o;

  object_init(&o, KIND_PVC);
  o.meta.name = "data-web-0";
  o.u.pvc.spec.access_modes = ACCESS_RWO;
  o.u.pvc.spec.request_bytes = 1 << 30;
  assert_int_equal(api_create(f->api, "test", &o, &v1), API_OK);
  o = *v1;
  o.u.pvc.spec.access_modes = ACCESS_RWX;
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_INVALID);
  assert_string_equal(api_last_error(f->api),
                      "PersistentVolumeClaim \"data-web-0\" is invalid: "
                      "spec: Forbidden: spec is immutable after creation "
                      "except resources.requests and "
                      "volumeAttributesClassName for bound claims");
  o = *v1;
  o.u.pvc.spec.volume_name = "pv-1";
  assert_int_equal(api_update(f->api, "test", &o, &v2), API_OK);
  o = *v2;
  o.u.pvc.spec.volume_name = "pv-2";
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_INVALID);
}

static void finalizers_keep_a_deleted_object_until_removed(void **state)
{
  struct fx *f = *state;
  struct log l = {.e = f->e};
  const struct object *v1 = create_sts(f, "web"), *v2, *v3;
  struct object o = *v1;

  o.meta.finalizers = strs(f, "example.com/hold", NULL);
  assert_int_equal(api_update(f->api, "test", &o, &v2), API_OK);
  api_add_write_hook(f->api, on_write, &l);
  run_to(f, SIM_SEC(7));
  assert_int_equal(
      api_delete(f->api, "test", KIND_STATEFULSET, NULL, "web", NULL), API_OK);
  v3 = api_get(f->api, KIND_STATEFULSET, NULL, "web");
  assert_non_null(v3);
  assert_true(v3->meta.deletion_timestamp == SIM_SEC(7));
  assert_int_equal(v3->meta.deletion_grace_period_seconds, 0);
  assert_int_equal(v3->meta.generation, v2->meta.generation + 1);
  /* a second delete changes nothing */
  uint64_t rv = api_resource_version(f->api);
  assert_int_equal(
      api_delete(f->api, "test", KIND_STATEFULSET, NULL, "web", NULL), API_OK);
  assert_int_equal(api_resource_version(f->api), rv);
  /* no new finalizer on a deleting object */
  o = *v3;
  o.meta.finalizers = strs(f, "example.com/hold", "example.com/more");
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_INVALID);
  assert_string_equal(api_last_error(f->api),
                      "StatefulSet.apps \"web\" is invalid: "
                      "metadata.finalizers: Forbidden: no new finalizers can "
                      "be added if the object is being deleted, found new "
                      "finalizers []string{\"example.com/more\"}");
  /* removing the last one removes the object */
  o = *v3;
  o.meta.finalizers = (struct str_list){0};
  assert_int_equal(api_update(f->api, "test", &o, NULL), API_OK);
  assert_null(api_get(f->api, KIND_STATEFULSET, NULL, "web"));
  assert_null(api_get_uid(f->api, v1->meta.uid));
  assert_int_equal(l.nr, 2);
  assert_int_equal(l.v[0].type, WATCH_MODIFIED);
  assert_int_equal(l.v[1].type, WATCH_DELETED);
  assert_ptr_equal(l.v[1].old, v3);
  assert_int_equal(l.v[1].rv, api_resource_version(f->api));
}

static void propagation_adds_the_garbage_collector_finalizers(void **state)
{
  struct fx *f = *state;
  struct delete_opts fg = DELETE_OPTS_DEFAULT;
  const struct object *v;

  create_sts(f, "web");
  create_sts(f, "db");
  create_sts(f, "plain");
  fg.propagation = PROPAGATE_FOREGROUND;
  assert_int_equal(
      api_delete(f->api, "test", KIND_STATEFULSET, NULL, "web", &fg), API_OK);
  v = api_get(f->api, KIND_STATEFULSET, NULL, "web");
  assert_non_null(v);
  assert_true(meta_is_deleting(&v->meta));
  assert_int_equal(v->meta.finalizers.nr, 1);
  assert_string_equal(v->meta.finalizers.v[0], "foregroundDeletion");
  fg.propagation = PROPAGATE_ORPHAN;
  assert_int_equal(
      api_delete(f->api, "test", KIND_STATEFULSET, NULL, "db", &fg), API_OK);
  v = api_get(f->api, KIND_STATEFULSET, NULL, "db");
  assert_string_equal(v->meta.finalizers.v[0], "orphan");
  fg.propagation = PROPAGATE_BACKGROUND;
  assert_int_equal(
      api_delete(f->api, "test", KIND_STATEFULSET, NULL, "plain", &fg), API_OK);
  assert_null(api_get(f->api, KIND_STATEFULSET, NULL, "plain"));
  assert_int_equal(
      api_delete(f->api, "test", KIND_STATEFULSET, NULL, "plain", &fg),
      API_NOT_FOUND);
  assert_string_equal(api_last_error(f->api),
                      "statefulsets.apps \"plain\" not found");
}

/* --- pod deletion (cluster-behaviour.md 2.1) -------------------------------
 */

static void graceful_pod_delete_only_sets_the_timestamp(void **state)
{
  struct fx *f = *state;
  const struct object *v1 = create_pod(f, "web-0", "n1"), *v2;

  run_to(f, SIM_SEC(100));
  assert_int_equal(api_delete(f->api, "kubectl", KIND_POD, NULL, "web-0", NULL),
                   API_OK);
  v2 = api_get(f->api, KIND_POD, NULL, "web-0");
  assert_non_null(v2);
  assert_true(v2->meta.deletion_timestamp == SIM_SEC(130));
  assert_int_equal(v2->meta.deletion_grace_period_seconds, 30);
  assert_int_equal(v2->meta.generation, v1->meta.generation + 1);
  /* nothing in the control plane times it out */
  run_to(f, SIM_SEC(1000));
  assert_ptr_equal(api_get(f->api, KIND_POD, NULL, "web-0"), v2);
}

static void the_request_grace_wins_over_the_spec(void **state)
{
  struct fx *f = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  const struct object *v;

  create_pod(f, "web-0", "n1");
  create_pod(f, "web-1", "n1");
  o.grace_seconds = 5;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &o),
                   API_OK);
  v = api_get(f->api, KIND_POD, NULL, "web-0");
  assert_int_equal(v->meta.deletion_grace_period_seconds, 5);
  assert_true(v->meta.deletion_timestamp == SIM_SEC(5));
  o.grace_seconds = -7; /* negative becomes 1 */
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-1", &o),
                   API_OK);
  v = api_get(f->api, KIND_POD, NULL, "web-1");
  assert_int_equal(v->meta.deletion_grace_period_seconds, 1);
}

static void unscheduled_and_terminal_pods_are_deleted_at_once(void **state)
{
  struct fx *f = *state;
  struct log l = {.e = f->e};
  const struct object *v;
  struct object o;

  create_pod(f, "pending", NULL);
  v = create_pod(f, "done", "n1");
  o = *v;
  o.u.pod.status.phase = POD_FAILED;
  assert_int_equal(api_update_status(f->api, "kubelet", &o, NULL), API_OK);
  api_add_write_hook(f->api, on_write, &l);
  run_to(f, SIM_SEC(2));
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "pending", NULL),
                   API_OK);
  assert_null(api_get(f->api, KIND_POD, NULL, "pending"));
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "done", NULL),
                   API_OK);
  assert_null(api_get(f->api, KIND_POD, NULL, "done"));
  assert_int_equal(l.nr, 2);
  assert_int_equal(l.v[1].type, WATCH_DELETED);
  /* the final version says how it went */
  assert_true(l.v[1].now->meta.deletion_timestamp == SIM_SEC(2));
  assert_int_equal(l.v[1].now->meta.deletion_grace_period_seconds, 0);
  assert_int_equal(l.v[1].now->u.pod.status.phase, POD_FAILED);
}

static void a_second_delete_shortens_but_never_lengthens(void **state)
{
  struct fx *f = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  const struct object *v;
  uint64_t rv;

  create_pod(f, "web-0", "n1");
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", NULL),
                   API_OK); /* grace 30: due at 30s */
  run_to(f, SIM_SEC(10));
  rv = api_resource_version(f->api);
  o.grace_seconds = 60;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &o),
                   API_OK);
  assert_int_equal(api_resource_version(f->api), rv);
  v = api_get(f->api, KIND_POD, NULL, "web-0");
  assert_true(v->meta.deletion_timestamp == SIM_SEC(30));
  /* 25 < 30: the deadline moves back to the request's start + 25 */
  o.grace_seconds = 25;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &o),
                   API_OK);
  v = api_get(f->api, KIND_POD, NULL, "web-0");
  assert_true(v->meta.deletion_timestamp == SIM_SEC(25));
  assert_int_equal(v->meta.deletion_grace_period_seconds, 25);
  /* never into the past: at 20s, grace 2 gives now and 1s */
  run_to(f, SIM_SEC(20));
  o.grace_seconds = 2;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &o),
                   API_OK);
  v = api_get(f->api, KIND_POD, NULL, "web-0");
  assert_true(v->meta.deletion_timestamp == SIM_SEC(20));
  assert_int_equal(v->meta.deletion_grace_period_seconds, 1);
  /* and no request grace at all changes nothing */
  rv = api_resource_version(f->api);
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", NULL),
                   API_OK);
  assert_int_equal(api_resource_version(f->api), rv);
}

static void force_delete_removes_at_once(void **state)
{
  struct fx *f = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;

  create_pod(f, "web-0", "n1");
  create_pod(f, "web-1", "n1");
  o.grace_seconds = 0;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &o),
                   API_OK);
  assert_null(api_get(f->api, KIND_POD, NULL, "web-0"));
  /* the kubelet's final delete of a terminating pod */
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-1", NULL),
                   API_OK);
  assert_non_null(api_get(f->api, KIND_POD, NULL, "web-1"));
  assert_int_equal(api_delete(f->api, "kubelet", KIND_POD, NULL, "web-1", &o),
                   API_OK);
  assert_null(api_get(f->api, KIND_POD, NULL, "web-1"));
  assert_int_equal(api_count(f->api, KIND_POD), 0);
}

static void a_finalizer_holds_a_force_deleted_pod(void **state)
{
  struct fx *f = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  struct object p = pod(f, "web-0", "n1");
  const struct object *v;

  p.meta.finalizers = strs(f, "example.com/hold", NULL);
  assert_int_equal(api_create(f->api, "test", &p, NULL), API_OK);
  o.grace_seconds = 0;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &o),
                   API_OK);
  v = api_get(f->api, KIND_POD, NULL, "web-0");
  assert_non_null(v);
  assert_int_equal(v->meta.deletion_grace_period_seconds, 0);
  p = *v;
  p.meta.finalizers = (struct str_list){0};
  assert_int_equal(api_update(f->api, "test", &p, NULL), API_OK);
  assert_null(api_get(f->api, KIND_POD, NULL, "web-0"));
}

static void a_pod_in_its_grace_period_outlives_its_finalizers(void **state)
{
  struct fx *f = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  struct object p = pod(f, "web-0", "n1");
  const struct object *v;

  p.meta.finalizers = strs(f, "example.com/hold", NULL);
  assert_int_equal(api_create(f->api, "test", &p, NULL), API_OK);
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", NULL),
                   API_OK);
  p = *api_get(f->api, KIND_POD, NULL, "web-0");
  p.meta.finalizers = (struct str_list){0};
  assert_int_equal(api_update(f->api, "test", &p, &v), API_OK);
  /* still Terminating: the kubelet's final delete removes it */
  assert_non_null(v);
  assert_ptr_equal(api_get(f->api, KIND_POD, NULL, "web-0"), v);
  assert_int_equal(v->meta.finalizers.nr, 0);
  o.grace_seconds = 0;
  o.precondition_uid = v->meta.uid;
  assert_int_equal(api_delete(f->api, "kubelet", KIND_POD, NULL, "web-0", &o),
                   API_OK);
  assert_null(api_get(f->api, KIND_POD, NULL, "web-0"));
}

static void uid_and_resource_version_preconditions_conflict(void **state)
{
  struct fx *f = *state;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  const struct object *v = create_pod(f, "web-0", "n1");

  o.grace_seconds = 0;
  o.precondition_uid = v->meta.uid + 100;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &o),
                   API_CONFLICT);
  assert_string_equal(api_last_error(f->api),
                      "Operation cannot be fulfilled on pods \"web-0\": "
                      "Precondition failed: UID in precondition: 101, UID in "
                      "object meta: 1");
  assert_non_null(api_get(f->api, KIND_POD, NULL, "web-0"));
  o.precondition_uid = 0;
  o.precondition_rv = v->meta.resource_version + 1;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &o),
                   API_CONFLICT);
  assert_non_null(api_get(f->api, KIND_POD, NULL, "web-0"));
  o.precondition_rv = 0;
  o.precondition_uid = v->meta.uid;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &o),
                   API_OK);
  assert_null(api_get(f->api, KIND_POD, NULL, "web-0"));
}

static bool add_label(struct object *o, void *ctx)
{
  struct kv *kv = ctx;

  o->meta.labels = (struct kv_list){kv, 1};
  o->u.pod.status.phase = POD_RUNNING;
  return true;
}

static bool refuse(struct object *o, void *ctx)
{
  (void)o;
  (void)ctx;
  return false;
}

static void patch_checks_the_uid_and_can_change_status(void **state)
{
  struct fx *f = *state;
  struct kv *kv = arena_alloc(&f->arena, sizeof(*kv));
  const struct object *v1 = create_pod(f, "web-0", "n1"), *v2;

  *kv = (struct kv){"ready", "yes"};
  assert_int_equal(api_patch(f->api, "test", KIND_POD, NULL, "web-0",
                             v1->meta.uid + 1, add_label, kv, &v2),
                   API_CONFLICT);
  assert_int_equal(
      api_patch(f->api, "test", KIND_POD, NULL, "web-0", 0, refuse, NULL, &v2),
      API_OK);
  assert_ptr_equal(v2, v1);
  assert_int_equal(api_resource_version(f->api), 1);
  assert_int_equal(api_patch(f->api, "test", KIND_POD, NULL, "web-0",
                             v1->meta.uid, add_label, kv, &v2),
                   API_OK);
  assert_string_equal(kv_get(&v2->meta.labels, "ready"), "yes");
  assert_int_equal(v2->u.pod.status.phase, POD_RUNNING);
  assert_int_equal(v2->meta.generation, 1);
  assert_int_equal(
      api_patch(f->api, "test", KIND_POD, NULL, "nope", 0, add_label, kv, NULL),
      API_NOT_FOUND);
}

/* --- informers --------------------------------------------------------------
 */

static void informer_sees_writes_only_after_its_delay(void **state)
{
  struct fx *f = *state;
  struct log l = {.e = f->e};
  struct informer *inf = informer_new(f->api, KIND_POD, "ctl", SIM_MS(100));
  const struct object *v;

  informer_add_handler(inf, on_informer, &l);
  assert_false(informer_synced(inf));
  run_to(f, SIM_MS(99));
  assert_false(informer_synced(inf));
  run_to(f, SIM_MS(100));
  assert_true(informer_synced(inf));
  assert_int_equal(informer_count(inf), 0);

  run_to(f, SIM_SEC(1));
  v = create_pod(f, "web-0", NULL);
  run_to(f, SIM_SEC(1) + SIM_MS(99));
  assert_null(informer_get(inf, NULL, "web-0"));
  assert_int_equal(l.nr, 0);
  run_to(f, SIM_SEC(1) + SIM_MS(100));
  assert_ptr_equal(informer_get(inf, NULL, "web-0"), v);
  assert_int_equal(l.nr, 1);
  assert_int_equal(l.v[0].type, WATCH_ADDED);
  assert_null(l.v[0].old);
  assert_true(l.v[0].cached);
  assert_true(l.v[0].at == SIM_SEC(1) + SIM_MS(100));
  assert_string_equal(informer_component(inf), "ctl");
  assert_int_equal(informer_kind(inf), KIND_POD);
}

static void informer_starts_from_a_list_of_the_store(void **state)
{
  struct fx *f = *state;
  struct log l = {.e = f->e};
  struct informer *inf;
  struct names n = {0};

  create_pod(f, "b", NULL);
  create_pod(f, "a", NULL);
  inf = informer_new(f->api, KIND_POD, "ctl", SIM_SEC(1));
  informer_add_handler(inf, on_informer, &l);
  run_to(f, SIM_SEC(1));
  assert_true(informer_synced(inf));
  assert_int_equal(l.nr, 2);
  assert_string_equal(l.v[0].now->meta.name, "a");
  assert_string_equal(l.v[1].now->meta.name, "b");
  assert_true(l.v[0].cached && l.v[1].cached);
  informer_list(inf, NULL, NULL, collect, &n);
  assert_int_equal(n.nr, 2);
  assert_string_equal(n.v[0], "default/a");
}

static void informer_keeps_write_order_when_the_delay_shrinks(void **state)
{
  struct fx *f = *state;
  struct log l = {.e = f->e};
  struct informer *inf = informer_new(f->api, KIND_POD, "ctl", 0);
  const struct object *v1, *v2, *v3;
  struct object o;

  informer_add_handler(inf, on_informer, &l);
  run_to(f, SIM_SEC(1));
  v1 = create_pod(f, "web-0", NULL);
  run_to(f, SIM_SEC(2));
  assert_int_equal(l.nr, 1);

  informer_set_delay(inf, SIM_SEC(10));
  o = *v1;
  o.meta.annotations = (struct kv_list){
      arena_memdup(&f->arena, &(struct kv){"step", "2"}, sizeof(struct kv)), 1};
  assert_int_equal(api_update(f->api, "test", &o, &v2), API_OK); /* @12s */
  run_to(f, SIM_SEC(3));
  informer_set_delay(inf, 0);
  o = *v2;
  o.meta.annotations = (struct kv_list){0};
  assert_int_equal(api_update(f->api, "test", &o, &v3), API_OK); /* @12s */
  run_to(f, SIM_SEC(11));
  assert_ptr_equal(informer_get(inf, NULL, "web-0"), v1);
  assert_int_equal(l.nr, 1);
  run_to(f, SIM_SEC(12));
  assert_int_equal(l.nr, 3);
  assert_ptr_equal(l.v[1].now, v2);
  assert_ptr_equal(l.v[1].old, v1);
  assert_ptr_equal(l.v[2].now, v3);
  assert_ptr_equal(l.v[2].old, v2);
  assert_true(l.v[2].at == SIM_SEC(12));
  assert_ptr_equal(informer_get(inf, NULL, "web-0"), v3);
}

static void many_writes_in_one_instant_cost_one_delivery_event(void **state)
{
  struct fx *f = *state;
  struct informer *inf = informer_new(f->api, KIND_POD, "ctl", SIM_MS(5));
  char name[16];

  run_to(f, SIM_SEC(1));
  uint64_t before = engine_executed(f->e);
  for (int i = 0; i < 50; i++) {
    snprintf(name, sizeof(name), "p-%d", i);
    create_pod(f, name, NULL);
  }
  assert_int_equal(engine_pending(f->e), 1);
  run_to(f, SIM_SEC(2));
  assert_int_equal(engine_executed(f->e) - before, 1);
  assert_int_equal(informer_count(inf), 50);
}

static void deleted_objects_reach_informers_with_their_last_version(void **s)
{
  struct fx *f = *s;
  struct log l = {.e = f->e};
  struct informer *inf = informer_new(f->api, KIND_POD, "ctl", SIM_MS(10));
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  const struct object *marked;

  create_pod(f, "web-0", "n1");
  run_to(f, SIM_SEC(1));
  informer_add_handler(inf, on_informer, &l);
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", NULL),
                   API_OK);
  marked = api_get(f->api, KIND_POD, NULL, "web-0");
  o.grace_seconds = 0;
  assert_int_equal(api_delete(f->api, "kubelet", KIND_POD, NULL, "web-0", &o),
                   API_OK);
  run_to(f, SIM_SEC(2));
  assert_int_equal(l.nr, 2);
  assert_int_equal(l.v[0].type, WATCH_MODIFIED);
  assert_ptr_equal(l.v[0].now, marked);
  assert_int_equal(l.v[1].type, WATCH_DELETED);
  assert_ptr_equal(l.v[1].old, marked);
  assert_true(meta_is_deleting(&l.v[1].now->meta));
  assert_int_equal(l.v[1].now->meta.deletion_grace_period_seconds, 0);
  assert_true(l.v[1].cached); /* gone from the cache in the handler */
  assert_int_equal(informer_count(inf), 0);
}

static void relist_drops_stale_in_flight_events(void **state)
{
  struct fx *f = *state;
  struct log l = {.e = f->e};
  struct informer *inf = informer_new(f->api, KIND_POD, "ctl", SIM_SEC(1));
  const struct object *v1, *v2, *v3;
  struct object o;

  v1 = create_pod(f, "web-0", NULL);
  run_to(f, SIM_SEC(5));
  assert_ptr_equal(informer_get(inf, NULL, "web-0"), v1);
  informer_add_handler(inf, on_informer, &l);

  o = *v1;
  o.meta.labels = (struct kv_list){
      arena_memdup(&f->arena, &(struct kv){"v", "2"}, sizeof(struct kv)), 1};
  assert_int_equal(api_update(f->api, "test", &o, &v2), API_OK); /* @6s */
  run_to(f, SIM_SEC(5) + SIM_MS(100));
  o = *v2;
  o.meta.labels = (struct kv_list){0};
  assert_int_equal(api_update(f->api, "test", &o, &v3), API_OK); /* @6.1s */
  run_to(f, SIM_SEC(5) + SIM_MS(200));
  informer_set_delay(inf, SIM_MS(300));
  informer_relist(inf); /* LIST of v3 due at 5.5s */
  assert_false(informer_synced(inf));
  assert_int_equal(informer_count(inf), 0);
  assert_null(informer_get(inf, NULL, "web-0"));

  run_to(f, SIM_SEC(5) + SIM_MS(499));
  assert_false(informer_synced(inf));
  run_to(f, SIM_SEC(5) + SIM_MS(500));
  assert_true(informer_synced(inf));
  assert_ptr_equal(informer_get(inf, NULL, "web-0"), v3);
  run_to(f, SIM_SEC(10));
  /* the v2 and v3 events due at 6s and 6.1s were dropped */
  assert_ptr_equal(informer_get(inf, NULL, "web-0"), v3);
  assert_int_equal(l.nr, 1);
  assert_int_equal(l.v[0].type, WATCH_ADDED);
  assert_ptr_equal(l.v[0].now, v3);
  /* writes after the relist still arrive */
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", NULL),
                   API_OK);
  run_to(f, SIM_SEC(11));
  assert_int_equal(l.nr, 2);
  assert_int_equal(l.v[1].type, WATCH_DELETED);
  assert_int_equal(informer_count(inf), 0);
}

struct relisting {
  struct log log;
  bool done;
};

static void relist_once(struct informer *inf, enum watch_type t,
                        const struct object *old, const struct object *now,
                        void *ctx)
{
  struct relisting *r = ctx;

  on_informer(inf, t, old, now, &r->log);
  if (!r->done) {
    r->done = true;
    informer_relist(inf);
  }
}

static void a_relist_inside_a_handler_stops_the_old_list(void **state)
{
  struct fx *f = *state;
  struct relisting r = {.log = {.e = f->e}};
  struct informer *inf;

  create_pod(f, "a", NULL);
  create_pod(f, "b", NULL);
  inf = informer_new(f->api, KIND_POD, "ctl", SIM_SEC(1));
  informer_add_handler(inf, relist_once, &r);
  run_to(f, SIM_SEC(1));
  assert_false(informer_synced(inf));
  assert_int_equal(r.log.nr, 1);
  run_to(f, SIM_SEC(2));
  assert_true(informer_synced(inf));
  assert_int_equal(r.log.nr, 3);
  assert_string_equal(r.log.v[1].now->meta.name, "a");
  assert_string_equal(r.log.v[2].now->meta.name, "b");
  assert_int_equal(informer_count(inf), 2);
}

/* --- write faults ----------------------------------------------------------
 */

static void a_fault_window_fails_every_write_inside_and_none_outside(void **s)
{
  struct fx *f = *s;
  struct object o = pod(f, "a", NULL);

  api_add_write_fault(f->api, API_FAULT_UNAVAILABLE, 1.0, SIM_SEC(10),
                      SIM_SEC(20), NULL);
  run_to(f, SIM_SEC(5));
  assert_int_equal(api_create(f->api, "test", &o, NULL), API_OK);
  run_to(f, SIM_SEC(10));
  o.meta.name = "b";
  assert_int_equal(api_create(f->api, "test", &o, NULL), API_UNAVAILABLE);
  assert_null(api_get(f->api, KIND_POD, NULL, "b"));
  assert_int_equal(api_delete(f->api, "x", KIND_POD, NULL, "a", NULL),
                   API_UNAVAILABLE);
  assert_non_null(api_get(f->api, KIND_POD, NULL, "a"));
  assert_int_equal(api_faults_injected(f->api), 2);
  assert_string_equal(api_last_error(f->api),
                      "the server is currently unable to handle the request");
  run_to(f, SIM_SEC(20));
  assert_int_equal(api_create(f->api, "test", &o, NULL), API_OK);
  assert_int_equal(api_faults_injected(f->api), 2);
}

static void a_fault_window_can_target_one_client(void **state)
{
  struct fx *f = *state;
  struct object o = pod(f, "a", NULL);

  api_add_write_fault(f->api, API_FAULT_CONFLICT, 1.0, 0, SIM_SEC(100),
                      "statefulset-controller");
  assert_int_equal(api_create(f->api, "statefulset-controller", &o, NULL),
                   API_CONFLICT);
  assert_int_equal(api_create(f->api, "kubectl", &o, NULL), API_OK);
  assert_int_equal(api_faults_injected(f->api), 1);
}

static void timeout_applied_writes_and_still_times_out(void **state)
{
  struct fx *f = *state;
  struct object o = pod(f, "a", NULL);
  const struct object *out = NULL;

  api_add_write_fault(f->api, API_FAULT_TIMEOUT_APPLIED, 1.0, 0, SIM_SEC(1),
                      NULL);
  api_add_write_fault(f->api, API_FAULT_TIMEOUT, 1.0, SIM_SEC(1), SIM_SEC(2),
                      NULL);
  assert_int_equal(api_create(f->api, "test", &o, &out), API_TIMEOUT);
  assert_null(out);
  assert_non_null(api_get(f->api, KIND_POD, NULL, "a"));
  run_to(f, SIM_SEC(1));
  o.meta.name = "b";
  assert_int_equal(api_create(f->api, "test", &o, NULL), API_TIMEOUT);
  assert_null(api_get(f->api, KIND_POD, NULL, "b"));
}

static void writes_outside_fault_windows_draw_no_randomness(void **state)
{
  struct fx *f = *state;
  struct arena a2;
  struct engine *e2 = engine_new(NULL);
  struct api *other;
  struct object o = pod(f, "", NULL);
  const struct object *x, *y;

  arena_init(&a2, 4096);
  other = api_new(e2, &a2, 42);
  /* a window that is never active during these writes */
  api_add_write_fault(f->api, API_FAULT_UNAVAILABLE, 0.5, SIM_SEC(50),
                      SIM_SEC(60), NULL);
  o.meta.name = NULL;
  o.meta.generate_name = "g-";
  for (int i = 0; i < 5; i++) {
    assert_int_equal(api_create(f->api, "test", &o, &x), API_OK);
    assert_int_equal(api_create(other, "test", &o, &y), API_OK);
    assert_string_equal(x->meta.name, y->meta.name);
  }
  api_free(other);
  engine_free(e2);
  arena_release(&a2);
}

/* --- events, hooks, admission ----------------------------------------------
 */

struct ev_log {
  size_t calls, repeats;
};

static void on_event(const struct event *ev, bool repeat, void *ctx)
{
  struct ev_log *l = ctx;

  (void)ev;
  l->calls++;
  l->repeats += repeat;
}

static void identical_events_are_counted_not_repeated(void **state)
{
  struct fx *f = *state;
  struct ev_log el = {0};
  const struct object *p = create_pod(f, "web-0", "n1");
  const struct event *const *evs;
  size_t nr;

  api_set_event_hook(f->api, on_event, &el);
  api_record_event(f->api, "kubelet", p, EVENT_WARNING, "BackOff",
                   "Back-off restarting failed container %s", "app");
  run_to(f, SIM_SEC(10));
  api_record_event(f->api, "kubelet", p, EVENT_WARNING, "BackOff",
                   "Back-off restarting failed container %s", "app");
  api_record_event(f->api, "kubelet", p, EVENT_NORMAL, "Pulled",
                   "Container image already present on machine");
  evs = api_events(f->api, &nr);
  assert_int_equal(nr, 3);
  assert_int_equal(api_count(f->api, KIND_EVENT), 2);
  assert_int_equal(evs[0]->count, 1);
  assert_int_equal(evs[1]->count, 2);
  assert_true(evs[1]->first_timestamp == 0);
  assert_true(evs[1]->last_timestamp == SIM_SEC(10));
  assert_string_equal(evs[1]->message,
                      "Back-off restarting failed container app");
  assert_int_equal(evs[1]->involved_uid, p->meta.uid);
  assert_int_equal(evs[1]->involved_kind, KIND_POD);
  assert_int_equal(evs[2]->count, 1);
  assert_int_equal(el.calls, 3);
  assert_int_equal(el.repeats, 1);
  assert_int_equal(api_resource_version(f->api), 1); /* not in the store */
}

static void write_hooks_see_every_change_in_order(void **state)
{
  struct fx *f = *state;
  struct log l = {.e = f->e};
  const struct object *v1, *v2;
  struct object o;
  struct delete_opts d = DELETE_OPTS_DEFAULT;

  api_add_write_hook(f->api, on_write, &l);
  v1 = create_pod(f, "web-0", "n1");
  o = *v1;
  o.u.pod.status.phase = POD_RUNNING;
  assert_int_equal(api_update_status(f->api, "kubelet", &o, &v2), API_OK);
  d.grace_seconds = 0;
  assert_int_equal(api_delete(f->api, "test", KIND_POD, NULL, "web-0", &d),
                   API_OK);
  assert_int_equal(l.nr, 3);
  assert_int_equal(l.v[0].type, WATCH_ADDED);
  assert_null(l.v[0].old);
  assert_ptr_equal(l.v[0].now, v1);
  assert_int_equal(l.v[1].type, WATCH_MODIFIED);
  assert_ptr_equal(l.v[1].old, v1);
  assert_ptr_equal(l.v[1].now, v2);
  assert_int_equal(l.v[2].type, WATCH_DELETED);
  assert_ptr_equal(l.v[2].old, v2);
  for (size_t i = 0; i < 3; i++)
    assert_int_equal(l.v[i].rv, i + 1);
}

struct req_seen {
  char line[8][96];
  size_t nr;
  struct api *api;
  char client_in_hook[32];
};

static void on_request(const char *who, const char *verb, enum obj_kind kind,
                       const char *ns, const char *name, enum api_status st,
                       bool changed, void *ctx)
{
  struct req_seen *r = ctx;

  assert_true(r->nr < NR(r->line));
  assert_string_equal(api_current_client(r->api), who);
  snprintf(r->line[r->nr++], sizeof(r->line[0]), "%s %s %s %s/%s %s %d", who,
           verb, obj_kind_name(kind), ns, name, api_status_name(st), changed);
}

static void note_client(enum watch_type t, const struct object *old,
                        const struct object *now, void *ctx)
{
  struct req_seen *r = ctx;

  (void)t;
  (void)old;
  (void)now;
  snprintf(r->client_in_hook, sizeof(r->client_in_hook), "%s",
           api_current_client(r->api));
}

static void request_hooks_hear_every_request_and_its_client(void **state)
{
  struct fx *f = *state;
  struct req_seen r = {.api = f->api};
  struct object o = pod(f, "web-0", NULL);

  api_add_request_hook(f->api, on_request, &r);
  api_add_write_hook(f->api, note_client, &r);
  assert_int_equal(api_create(f->api, "statefulset-controller", &o, NULL),
                   API_OK);
  assert_string_equal(r.client_in_hook, "statefulset-controller");
  assert_int_equal(api_create(f->api, "kubectl", &o, NULL), API_ALREADY_EXISTS);
  o.meta.name = NULL;
  o.meta.generate_name = "gen-";
  api_add_write_fault(f->api, API_FAULT_TIMEOUT_APPLIED, 1.0, 0, SIM_SEC(1),
                      "kubelet");
  assert_int_equal(api_create(f->api, "kubelet", &o, NULL), API_TIMEOUT);
  assert_int_equal(
      api_delete(f->api, "kubectl", KIND_POD, "default", "nope", NULL),
      API_NOT_FOUND);
  assert_null(api_current_client(f->api));
  assert_int_equal(r.nr, 4);
  assert_string_equal(r.line[0], "statefulset-controller create Pod "
                                 "default/web-0 OK 1");
  assert_string_equal(r.line[1], "kubectl create Pod default/web-0 "
                                 "AlreadyExists 0");
  /* the generated name is reported, and the applied timeout changed it */
  assert_memory_equal(r.line[2], "kubelet create Pod default/gen-", 31);
  assert_string_equal(r.line[2] + strlen(r.line[2]) - 9, "Timeout 1");
  assert_string_equal(r.line[3], "kubectl delete Pod default/nope "
                                 "NotFound 0");
}

struct admit_ctx {
  int calls;
  bool refuse_name_bad;
};

static enum api_status admit_label(struct api *api, struct object *o,
                                   const struct object *old, void *ctx,
                                   char *msg, size_t msg_len)
{
  struct admit_ctx *c = ctx;
  struct kv *kv;

  c->calls++;
  if (old)
    return API_OK;
  if (c->refuse_name_bad && !strcmp(o->meta.name, "bad")) {
    snprintf(msg, msg_len, "pods \"bad\" is forbidden: not today");
    return API_FORBIDDEN;
  }
  kv = arena_alloc(api_arena(api), sizeof(*kv));
  *kv = (struct kv){"admitted", "true"};
  o->meta.labels = (struct kv_list){kv, 1};
  return API_OK;
}

static void admission_plugins_mutate_or_refuse_creates(void **state)
{
  struct fx *f = *state;
  struct admit_ctx c = {.refuse_name_bad = true};
  struct object o = pod(f, "bad", NULL);
  const struct object *v;

  api_add_admission(f->api, KIND_POD, false, admit_label, &c);
  assert_int_equal(api_create(f->api, "test", &o, NULL), API_FORBIDDEN);
  assert_string_equal(api_last_error(f->api),
                      "pods \"bad\" is forbidden: not today");
  assert_int_equal(api_count(f->api, KIND_POD), 0);
  v = create_pod(f, "good", NULL);
  assert_string_equal(kv_get(&v->meta.labels, "admitted"), "true");
  assert_int_equal(c.calls, 2);
  /* not an on_update plugin: updates skip it */
  o = *v;
  o.meta.labels = (struct kv_list){0};
  assert_int_equal(api_update(f->api, "test", &o, &v), API_OK);
  assert_int_equal(c.calls, 2);
  assert_int_equal(v->meta.labels.nr, 0);
  /* other kinds skip it */
  create_sts(f, "web");
  assert_int_equal(c.calls, 2);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(create_sets_server_fields),
      T(cluster_scoped_objects_have_no_namespace),
      T(list_returns_namespace_then_name_order),
      T(ten_thousand_pods_stay_ordered_through_deletes),
      T(generate_name_is_deterministic_per_seed),
      T(create_refuses_a_taken_name),
      T(create_without_a_name_is_invalid),
      T(update_with_a_stale_resource_version_conflicts),
      T(generation_moves_only_with_the_spec),
      T(an_update_that_changes_nothing_writes_nothing),
      T(status_updates_never_bump_generation),
      T(negative_statefulset_status_counts_are_invalid),
      T(statefulset_immutable_fields_are_refused),
      T(pod_spec_is_immutable_but_images_and_binding),
      T(claim_spec_is_immutable_but_volume_name_once),
      T(finalizers_keep_a_deleted_object_until_removed),
      T(propagation_adds_the_garbage_collector_finalizers),
      T(graceful_pod_delete_only_sets_the_timestamp),
      T(the_request_grace_wins_over_the_spec),
      T(unscheduled_and_terminal_pods_are_deleted_at_once),
      T(a_second_delete_shortens_but_never_lengthens),
      T(force_delete_removes_at_once),
      T(a_finalizer_holds_a_force_deleted_pod),
      T(a_pod_in_its_grace_period_outlives_its_finalizers),
      T(uid_and_resource_version_preconditions_conflict),
      T(patch_checks_the_uid_and_can_change_status),
      T(informer_sees_writes_only_after_its_delay),
      T(informer_starts_from_a_list_of_the_store),
      T(informer_keeps_write_order_when_the_delay_shrinks),
      T(many_writes_in_one_instant_cost_one_delivery_event),
      T(deleted_objects_reach_informers_with_their_last_version),
      T(relist_drops_stale_in_flight_events),
      T(a_relist_inside_a_handler_stops_the_old_list),
      T(a_fault_window_fails_every_write_inside_and_none_outside),
      T(a_fault_window_can_target_one_client),
      T(timeout_applied_writes_and_still_times_out),
      T(writes_outside_fault_windows_draw_no_randomness),
      T(identical_events_are_counted_not_repeated),
      T(write_hooks_see_every_change_in_order),
      T(request_hooks_hear_every_request_and_its_client),
      T(admission_plugins_mutate_or_refuse_creates),
  };
#undef T

  return cmocka_run_group_tests_name("apiserver", tests, NULL, NULL);
}
