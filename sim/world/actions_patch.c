/*
 * actions_patch.c - the `patch` action: `kubectl patch --type=merge` on an
 * object's metadata (labels, annotations, finalizers, ownerReferences), as
 * the e2e tests of statefulset-controller.md section 11 do to orphan a pod,
 * take its labels away, hold it with a finalizer, or give a claim a
 * foreign or stale owner. And the text of an object's ownerReferences that
 * the `owners` expectation compares (docs/scenarios.md).
 *
 * Merge-patch semantics (RFC 7386) as the API server applies them to
 * metadata: labels and annotations are maps, merged key by key, a null
 * value removing the key; finalizers and ownerReferences are lists, which
 * a merge patch replaces whole. The write goes through api_patch, so the
 * API server's rules hold (no new finalizer on a deleting object, the
 * last finalizer of a deleting object releases it, ...).
 *
 * An ownerReference names its owner by apiVersion, kind and name; kubectl
 * users copy the owner's uid by hand. Here the uid is looked up when the
 * action runs (a live read, as the person typing the patch would do with
 * kubectl get): the live owner's uid; for a kind stsim does not model
 * (ConfigMap, ...) a made-up uid of that name, which the garbage collector
 * counts as a live owner (gc.c); with `uid: stale` a uid no object has,
 * the "previous incarnation" of the owner.
 */
#include <stdio.h>
#include <string.h>

#include "world_int.h"

#define WHO_KUBECTL "kubectl"

/* Uids the API server hands out count up from 1; these never collide. */
#define UID_MADE_UP (1ull << 63)
#define UID_STALE (1ull << 62)

static uint64_t fnv1a(uint64_t h, const char *s)
{
  for (; s && *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ull;
  }
  h ^= 0xff; /* separator: "ab"+"c" differs from "a"+"bc" */
  h *= 0x100000001b3ull;
  return h;
}

static uint64_t name_uid(const struct patch_owner_ref *r, uint64_t tag)
{
  uint64_t h = 0xcbf29ce484222325ull;

  h = fnv1a(h, r->api_version);
  h = fnv1a(h, r->kind);
  h = fnv1a(h, r->name);
  return tag | (h & (UID_STALE - 1));
}

static const char *owner_ns(enum obj_kind k, const char *dep_ns)
{
  return obj_kind_namespaced(k) ? dep_ns : "";
}

/*
 * The uid for r on an object in namespace ns; 0 (with why filled) when
 * the owner must exist and does not.
 */
static uint64_t resolve_uid(struct world *w, const struct patch_owner_ref *r,
                            const char *ns, char *why, size_t n)
{
  enum obj_kind k = obj_kind_parse(r->api_version, r->kind);
  const struct object *o;

  if (r->stale_uid)
    return name_uid(r, UID_STALE);
  if (k == KIND_NONE)
    return name_uid(r, UID_MADE_UP);
  o = api_get(w->api, k, owner_ns(k, ns), r->name);
  if (!o) {
    snprintf(why, n,
             "patch: no %s named %s to take a uid from (uid: stale makes a "
             "reference to an owner that is gone)",
             r->kind, r->name);
    return 0;
  }
  return o->meta.uid;
}

struct patch_arg {
  struct arena *arena;
  const struct action *a;
  const struct owner_ref *refs; /* resolved, when ownerReferences is set */
};

static const struct kv *find_kv(const struct kv_list *l, const char *key)
{
  for (size_t i = 0; i < l->nr; i++)
    if (!strcmp(l->v[i].key, key))
      return &l->v[i];
  return NULL;
}

/* A merge patch on a map: existing keys keep their order, new ones follow
 * in the patch's order, null removes. */
static struct kv_list merge_map(struct arena *arena, const struct kv_list *cur,
                                const struct kv_list *patch)
{
  struct kv *v = arena_calloc(arena, cur->nr + patch->nr + 1, sizeof(*v));
  size_t nr = 0;

  for (size_t i = 0; i < cur->nr; i++) {
    const struct kv *p = find_kv(patch, cur->v[i].key);
    if (!p)
      v[nr++] = cur->v[i];
    else if (p->value)
      v[nr++] = (struct kv){cur->v[i].key, p->value};
  }
  for (size_t i = 0; i < patch->nr; i++)
    if (patch->v[i].value && !find_kv(cur, patch->v[i].key) &&
        find_kv(patch, patch->v[i].key) == &patch->v[i])
      v[nr++] = patch->v[i];
  return (struct kv_list){v, nr};
}

static bool apply_patch(struct object *o, void *ctx)
{
  struct patch_arg *arg = ctx;
  const struct action *a = arg->a;

  if (a->patch_labels.nr)
    o->meta.labels = merge_map(arg->arena, &o->meta.labels, &a->patch_labels);
  if (a->patch_annotations.nr)
    o->meta.annotations =
        merge_map(arg->arena, &o->meta.annotations, &a->patch_annotations);
  if (a->patch_finalizers_set)
    o->meta.finalizers = a->patch_finalizers;
  if (a->patch_owner_refs_set) {
    o->meta.owner_refs = a->patch_owner_refs_nr ? arg->refs : NULL;
    o->meta.owner_refs_nr = a->patch_owner_refs_nr;
  }
  return true;
}

/* What the patch did, for the timeline: "labels {app: null}, ...". */
static void describe(const struct action *a, char *buf, size_t n)
{
  size_t used = 0;

#define ADD(...)                                                               \
  do {                                                                         \
    if (used < n)                                                              \
      used += (size_t)snprintf(buf + used, n - used, __VA_ARGS__);             \
  } while (0)
  const struct kv_list *maps[2] = {&a->patch_labels, &a->patch_annotations};
  static const char *const names[2] = {"labels", "annotations"};
  for (int m = 0; m < 2; m++) {
    if (!maps[m]->nr)
      continue;
    ADD("%s%s {", used ? ", " : "", names[m]);
    for (size_t i = 0; i < maps[m]->nr; i++)
      ADD("%s%s: %s", i ? ", " : "", maps[m]->v[i].key,
          maps[m]->v[i].value ? maps[m]->v[i].value : "null");
    ADD("}");
  }
  if (a->patch_finalizers_set) {
    ADD("%sfinalizers [", used ? ", " : "");
    for (size_t i = 0; i < a->patch_finalizers.nr; i++)
      ADD("%s%s", i ? ", " : "", a->patch_finalizers.v[i]);
    ADD("]");
  }
  if (a->patch_owner_refs_set) {
    ADD("%sownerReferences [", used ? ", " : "");
    for (size_t i = 0; i < a->patch_owner_refs_nr; i++) {
      const struct patch_owner_ref *r = &a->patch_owner_refs[i];
      ADD("%s%s/%s%s%s", i ? ", " : "", r->kind, r->name,
          r->controller ? " (controller)" : "",
          r->stale_uid ? " (stale uid)" : "");
    }
    ADD("]");
  }
#undef ADD
}

void world__do_patch(struct world *w, const struct action *a)
{
  const char *ns = obj_kind_namespaced(a->patch_kind) ? "default" : "";
  struct patch_arg arg = {&w->arena, a, NULL};
  char obj[300], what[512];

  snprintf(obj, sizeof(obj), "%s/%s", obj_kind_name(a->patch_kind),
           a->patch_name);
  if (a->patch_owner_refs_set && a->patch_owner_refs_nr) {
    struct owner_ref *refs =
        arena_calloc(&w->arena, a->patch_owner_refs_nr, sizeof(*refs));
    for (size_t i = 0; i < a->patch_owner_refs_nr; i++) {
      const struct patch_owner_ref *r = &a->patch_owner_refs[i];
      char why[300];
      uint64_t uid = resolve_uid(w, r, ns, why, sizeof(why));
      if (!uid) {
        world_note(w, false, EVENT_WARNING, obj, "ActionFailed", "%s", why);
        return;
      }
      refs[i] =
          (struct owner_ref){.api_version = r->api_version,
                             .kind = r->kind,
                             .name = r->name,
                             .uid = uid,
                             .controller = r->controller,
                             .block_owner_deletion = r->block_owner_deletion};
    }
    arg.refs = refs;
  }
  if (api_patch(w->api, WHO_KUBECTL, a->patch_kind, ns, a->patch_name, 0,
                apply_patch, &arg, NULL) != API_OK) {
    world_note(w, false, EVENT_WARNING, obj, "ActionFailed",
               "patch: Error from server: %s", api_last_error(w->api));
    return;
  }
  describe(a, what, sizeof(what));
  world_note(w, false, EVENT_NORMAL, obj, "Action", "patch: %s", what);
}

/*
 * The `owners` expectation: "Kind/name" per ownerReference in order,
 * joined by ", ", each followed by " (controller)" for the controller
 * reference and " (stale)" when it names a modelled kind and no object of
 * that name has its uid (the owner is gone or was re-created). "" when
 * there are none.
 */
void world__owners_text(struct world *w, const struct object *o, char *buf,
                        size_t n)
{
  size_t used = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < o->meta.owner_refs_nr && used < n; i++) {
    const struct owner_ref *r = &o->meta.owner_refs[i];
    enum obj_kind k = obj_kind_parse(r->api_version, r->kind);
    bool stale = false;

    if (k != KIND_NONE) {
      const struct object *owner =
          api_get(w->api, k, owner_ns(k, o->meta.namespace_), r->name);
      stale = !owner || owner->meta.uid != r->uid;
    }
    used += (size_t)snprintf(buf + used, n - used, "%s%s/%s%s%s", i ? ", " : "",
                             r->kind ? r->kind : "", r->name ? r->name : "",
                             r->controller ? " (controller)" : "",
                             stale ? " (stale)" : "");
  }
}
