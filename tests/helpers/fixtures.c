/*
 * fixtures.c - the tiny cluster of fixtures.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"

static void keep_note(void *ctx, const char *object, const char *reason,
                      const char *msg)
{
  struct fixture *f = ctx;

  if (f->notes_nr == 64) {
    memmove(f->notes[0], f->notes[1], sizeof(f->notes[0]) * 63);
    f->notes_nr--;
  }
  snprintf(f->notes[f->notes_nr++], sizeof(f->notes[0]), "%s %s: %s", object,
           reason, msg);
}

void fixture_init(struct fixture *f, int nodes, uint64_t seed)
{
  static const char *const zones[] = {"a", "b", "c"};

  memset(f, 0, sizeof(*f));
  trace_init(&f->trace, NULL);
  f->engine = engine_new(&f->trace);
  arena_init(&f->s.arena, 16384);
  f->api = api_new(f->engine, &f->s.arena, seed);
  f->truth = truth_new();
  f->s.name = "fixture";
  f->s.seed = seed;
  f->s.until = SIMTIME_NEVER;
  f->s.kubernetes_minor = 34;
  f->s.default_storage_class = "standard";
  timings_defaults(&f->s.timings, 34);
  struct node_decl *nd =
      arena_calloc(&f->s.arena, (size_t)(nodes ? nodes : 1), sizeof(*nd));
  for (int i = 0; i < nodes; i++) {
    struct kv *l = arena_calloc(&f->s.arena, 3, sizeof(*l));
    nd[i].name = arena_printf(&f->s.arena, "node-%d", i + 1);
    nd[i].zone = zones[i % 3];
    l[0] = (struct kv){"kubernetes.io/hostname", nd[i].name};
    l[1] = (struct kv){"topology.kubernetes.io/zone", nd[i].zone};
    l[2] = (struct kv){"kubernetes.io/os", "linux"};
    nd[i].labels = (struct kv_list){l, 3};
    nd[i].cpu_milli = 4000;
    nd[i].memory = INT64_C(16) << 30;
    nd[i].pods = 110;

    struct object o;
    object_init(&o, KIND_NODE);
    o.meta.name = nd[i].name;
    o.meta.labels = nd[i].labels;
    o.u.node.cpu_allocatable_milli = nd[i].cpu_milli;
    o.u.node.memory_allocatable = nd[i].memory;
    o.u.node.pods_allocatable = nd[i].pods;
    o.u.node.ready =
        (struct condition){.status = COND_TRUE, .reason = "KubeletReady"};
    fixture_create(f, &o);
  }
  f->s.nodes = nd;
  f->s.nodes_nr = (size_t)nodes;
  f->env = (struct cluster_env){.api = f->api,
                                .truth = f->truth,
                                .s = &f->s,
                                .seed = seed,
                                .note = keep_note,
                                .note_ctx = f};
}

void fixture_release(struct fixture *f)
{
  api_free(f->api);
  engine_free(f->engine);
  truth_free(f->truth);
  arena_release(&f->s.arena);
}

const struct object *fixture_create(struct fixture *f, const struct object *o)
{
  const struct object *out = NULL;
  enum api_status st = api_create(f->api, "kubectl", o, &out);

  if (st != API_OK)
    fail_msg("create %s/%s: %s", obj_kind_name(o->kind), o->meta.name,
             api_last_error(f->api));
  return out;
}

void fixture_run(struct fixture *f, simtime until)
{
  engine_run_until(f->engine, until);
}

const struct object *fixture_get(struct fixture *f, enum obj_kind k,
                                 const char *name)
{
  return api_get(f->api, k, obj_kind_namespaced(k) ? "default" : "", name);
}

bool fixture_noted(const struct fixture *f, const char *text)
{
  for (int i = 0; i < f->notes_nr; i++)
    if (strstr(f->notes[i], text))
      return true;
  return false;
}

struct object fixture_pod(struct fixture *f, const char *name,
                          const char *claim)
{
  struct object o;
  struct arena *a = &f->s.arena;
  struct container *c = arena_calloc(a, 1, sizeof(*c));

  object_init(&o, KIND_POD);
  o.meta.name = name;
  o.meta.namespace_ = "default";
  c->name = "app";
  c->image = "registry.example/app:1";
  o.u.pod.spec.containers = c;
  o.u.pod.spec.containers_nr = 1;
  if (claim) {
    struct pod_volume *v = arena_calloc(a, 1, sizeof(*v));
    const char **mounts = arena_calloc(a, 1, sizeof(*mounts));
    v->name = "data";
    v->source = VOLSRC_PVC;
    v->claim_name = claim;
    mounts[0] = "data";
    c->volume_mounts = (struct str_list){mounts, 1};
    o.u.pod.spec.volumes = v;
    o.u.pod.spec.volumes_nr = 1;
  }
  object_set_defaults(&o);
  return o;
}

struct object fixture_pvc(struct fixture *f, const char *name,
                          const char *storage_class, int64_t bytes)
{
  struct object o;

  (void)f;
  object_init(&o, KIND_PVC);
  o.meta.name = name;
  o.meta.namespace_ = "default";
  o.u.pvc.spec.access_modes = ACCESS_RWO;
  o.u.pvc.spec.request_bytes = bytes;
  o.u.pvc.spec.storage_class_name = storage_class;
  object_set_defaults(&o);
  return o;
}

struct object fixture_pv(struct fixture *f, const char *name, int64_t bytes,
                         const char *storage_class)
{
  struct object o;

  (void)f;
  object_init(&o, KIND_PV);
  o.meta.name = name;
  o.u.pv.spec.capacity_bytes = bytes;
  o.u.pv.spec.access_modes = ACCESS_RWO;
  o.u.pv.spec.storage_class_name = storage_class;
  o.u.pv.spec.source = PVSRC_HOSTPATH;
  o.u.pv.spec.path = "/mnt/data";
  object_set_defaults(&o);
  return o;
}
