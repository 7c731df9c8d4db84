/*
 * spec.c - decodes the `kind: Scenario` document (interface.md section 2)
 * into struct scenario. The document is ours, so it is read strictly:
 * every unknown key is an error naming the key, every value is checked
 * for type and range, and every message carries the dotted path and the
 * position of the offending node ("spec.actions[2].at: ...").
 *
 * Mappings are walked in document order (D4); the first problem in that
 * order is the one reported.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "quantity.h"
#include "scenario.h"
#include "scenario_int.h"
#include "ytree.h"

struct ctx {
  struct scenario *s;
  const char *file;
  struct diag *d;
};

#define PATH_MAX_LEN 160

static int fail(const struct ctx *c, const struct ynode *n, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "file:line:col: path: message" at n (no "path: " when path is empty). */
static int fail(const struct ctx *c, const struct ynode *n, const char *path,
                const char *fmt, ...)
{
  char msg[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (path && *path)
    return diagf(c->d, c->file, n->line, n->col, SIM_ESCHEMA, "%s: %s", path,
                 msg);
  return diagf(c->d, c->file, n->line, n->col, SIM_ESCHEMA, "%s", msg);
}

static void append(char *buf, size_t *n, const char *s)
{
  /* A path longer than the buffer is cut: it only appears in messages. */
  while (*s && *n + 1 < PATH_MAX_LEN)
    buf[(*n)++] = *s++;
  buf[*n] = '\0';
}

/* path + "." + key (or just key at the top); buf must not be path. */
static const char *join(char *buf, const char *path, const char *key)
{
  size_t n = 0;

  buf[0] = '\0';
  if (path && *path) {
    append(buf, &n, path);
    append(buf, &n, ".");
  }
  append(buf, &n, key);
  return buf;
}

/* path + "[i]". */
static const char *index_path(char *buf, const char *path, size_t i)
{
  char num[32];
  size_t n = 0;

  sprintf(num, "[%zu]", i);
  buf[0] = '\0';
  append(buf, &n, path);
  append(buf, &n, num);
  return buf;
}

static const char *src_file(const struct ctx *c)
{
  return c->file;
}

static struct src_pos pos_of(const struct ctx *c, const struct ynode *n)
{
  return (struct src_pos){src_file(c), n->line, n->col};
}

/* A key of a mapping as a string (keys must be plain text). */
static int key_str(const struct ctx *c, const struct ynode *k, const char *path,
                   const char **out)
{
  if (k->type != Y_SCALAR || strlen(k->str) != k->len)
    return fail(c, k, path, "keys must be strings");
  *out = k->str;
  return 0;
}

static bool in(const char *const *list, const char *s)
{
  for (; *list; list++)
    if (!strcmp(*list, s))
      return true;
  return false;
}

/* Refuses the first key (in document order) that allowed does not list. */
static int check_keys(const struct ctx *c, const struct ynode *map,
                      const char *path, const char *const *allowed)
{
  for (size_t i = 0; i < map->nr; i++) {
    const char *k = NULL;
    int rc = key_str(c, map->keys[i], path, &k);

    if (rc)
      return rc;
    if (!in(allowed, k))
      return fail(c, map->keys[i], path, "unknown key '%s'", k);
  }
  return 0;
}

/* A mapping, or NULL for an absent or null section. */
static int opt_map(const struct ctx *c, const struct ynode *n, const char *path,
                   const struct ynode **out)
{
  *out = NULL;
  if (!n || ytree_is_null(n))
    return 0;
  int rc = ytree_want_map(c->file, n, path, c->d);
  if (!rc)
    *out = n;
  return rc;
}

static int opt_seq(const struct ctx *c, const struct ynode *n, const char *path,
                   const struct ynode **out)
{
  *out = NULL;
  if (!n || ytree_is_null(n))
    return 0;
  int rc = ytree_want_seq(c->file, n, path, c->d);
  if (!rc)
    *out = n;
  return rc;
}

/* A non-empty string. */
static int name_str(const struct ctx *c, const struct ynode *n,
                    const char *path, const char **out)
{
  int rc = ytree_str(c->file, n, path, out, c->d);

  if (!rc && !**out)
    return fail(c, n, path, "must not be empty");
  return rc;
}

static int positive_duration(const struct ctx *c, const struct ynode *n,
                             const char *path, simtime *out)
{
  int rc = ytree_duration(c->file, n, path, out, c->d);

  if (!rc && *out <= 0)
    return fail(c, n, path, "must be longer than 0s");
  return rc;
}

/* A plain decimal integer, strictly (no sign, hex or octal here). */
static bool parse_u64(const char *s, uint64_t *out)
{
  uint64_t v = 0;

  if (!*s)
    return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return false;
    if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
      return false;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return true;
}

static bool parse_i64(const char *s, int64_t *out)
{
  uint64_t v;
  bool neg = *s == '-';

  if (!parse_u64(s + neg, &v) || v > (uint64_t)INT64_MAX)
    return false;
  *out = neg ? -(int64_t)v : (int64_t)v;
  return true;
}

/* ---- metadata ----------------------------------------------------------- */

static int decode_string_map(const struct ctx *c, const struct ynode *n,
                             const char *path, struct kv_list *out)
{
  const struct ynode *m;
  int rc = opt_map(c, n, path, &m);

  if (rc || !m)
    return rc;
  struct kv *v = arena_calloc(&c->s->arena, m->nr ? m->nr : 1, sizeof(*v));
  for (size_t i = 0; i < m->nr; i++) {
    char p[PATH_MAX_LEN];

    rc = key_str(c, m->keys[i], path, &v[i].key);
    if (!rc)
      rc = ytree_str(c->file, m->items[i], join(p, path, v[i].key), &v[i].value,
                     c->d);
    if (rc)
      return rc;
  }
  out->v = v;
  out->nr = m->nr;
  return 0;
}

static int decode_metadata(const struct ctx *c, const struct ynode *n)
{
  static const char *const keys[] = {"name", "description", "labels",
                                     "annotations", NULL};
  const struct ynode *m, *v;
  struct kv_list ignored;
  int rc = opt_map(c, n, "metadata", &m);

  if (rc || !m)
    return rc;
  rc = check_keys(c, m, "metadata", keys);
  if (!rc && (v = ytree_get(m, "name")))
    rc = name_str(c, v, "metadata.name", &c->s->name);
  if (!rc && (v = ytree_get(m, "description")))
    rc =
        ytree_str(c->file, v, "metadata.description", &c->s->description, c->d);
  if (!rc)
    rc = decode_string_map(c, ytree_get(m, "labels"), "metadata.labels",
                           &ignored);
  if (!rc)
    rc = decode_string_map(c, ytree_get(m, "annotations"),
                           "metadata.annotations", &ignored);
  return rc;
}

/* ---- cluster ------------------------------------------------------------ */

/*
 * Feature gates the simulator knows, with the first supported minor
 * version that has them and the minor in which they went GA (locked to
 * true, as kube-controller-manager refuses to turn a GA gate off).
 */
static const struct gate {
  const char *name;
  int since, ga; /* ga 0 = not GA */
} gates[] = {
    {"MaxUnavailableStatefulSet", 31, 0},
    {"StatefulSetAutoDeletePVC", 31, 32},
    {"StatefulSetStartOrdinal", 31, 31},
    {"PodIndexLabel", 31, 32},
    {"StatefulSetSemanticRevisionComparison", 34, 0},
    /* KEP-5647 read-your-own-writes (reference 16); off by default. */
    {"StaleControllerConsistencyStatefulSet", 36, 0},
    /* Not a gate: kube-controller-manager's flag
     * --disable-force-detach-on-timeout (1.30, reference 4.8), set here. */
    {"DisableForceDetachOnTimeout", 31, 0},
};

bool scenario_gate_known(const char *name, int minor)
{
  for (size_t k = 0; k < sizeof(gates) / sizeof(gates[0]); k++)
    if (!strcmp(gates[k].name, name) && minor >= gates[k].since)
      return true;
  return false;
}

bool scenario_gate_locked(const char *name, int minor)
{
  for (size_t k = 0; k < sizeof(gates) / sizeof(gates[0]); k++)
    if (!strcmp(gates[k].name, name))
      return gates[k].ga && minor >= gates[k].ga;
  return false;
}

static int decode_version(const struct ctx *c, const struct ynode *n)
{
  const char *path = "spec.cluster.kubernetesVersion";
  const char *v;
  int rc;

  if (!n)
    return 0;
  if (n->type != Y_SCALAR || ytree_is_null(n))
    return ytree_str(c->file, n, path, &v, c->d);
  v = n->str;
  if (v[0] == 'v')
    v++;
  if (v[0] == '1' && v[1] == '.' && v[2] == '3' && v[3] >= '1' && v[3] <= '7' &&
      !v[4]) {
    c->s->kubernetes_minor = (v[2] - '0') * 10 + (v[3] - '0');
    timings_defaults(&c->s->timings, c->s->kubernetes_minor);
    return 0;
  }
  rc = fail(c, n, path, "\"%.40s\" is not supported (1.31 to 1.37)", n->str);
  return rc;
}

static int decode_gates(const struct ctx *c, const struct ynode *n)
{
  const char *path = "spec.cluster.featureGates";
  const struct ynode *m;
  int rc = opt_map(c, n, path, &m);

  if (rc || !m)
    return rc;
  struct feature_gate *v =
      arena_calloc(&c->s->arena, m->nr ? m->nr : 1, sizeof(*v));
  int minor = c->s->kubernetes_minor;
  for (size_t i = 0; i < m->nr; i++) {
    const struct gate *g = NULL;
    char p[PATH_MAX_LEN];
    const char *name = NULL;

    rc = key_str(c, m->keys[i], path, &name);
    if (rc)
      return rc;
    for (size_t k = 0; k < sizeof(gates) / sizeof(gates[0]); k++)
      if (!strcmp(gates[k].name, name) && minor >= gates[k].since)
        g = &gates[k];
    if (!g)
      return fail(c, m->keys[i], path,
                  "unrecognized feature gate '%s' (Kubernetes 1.%d)", name,
                  minor);
    rc = ytree_bool(c->file, m->items[i], join(p, path, name), &v[i].enabled,
                    c->d);
    if (rc)
      return rc;
    if (g->ga && minor >= g->ga && !v[i].enabled)
      return fail(c, m->items[i], p,
                  "cannot set feature gate '%s' to false, feature is locked "
                  "to true (GA since 1.%d)",
                  name, g->ga);
    v[i].pos = pos_of(c, m->keys[i]);
    v[i].name = name;
  }
  c->s->feature_gates = v;
  c->s->feature_gates_nr = m->nr;
  return 0;
}

static int decode_timings(const struct ctx *c, const struct ynode *n)
{
  const char *path = "spec.cluster.timings";
  const struct ynode *m;
  int rc = opt_map(c, n, path, &m);

  if (rc || !m)
    return rc;
  for (size_t i = 0; i < m->nr; i++) {
    char p[PATH_MAX_LEN];
    const char *name = NULL;
    simtime t;
    int id;

    rc = key_str(c, m->keys[i], path, &name);
    if (rc)
      return rc;
    id = timings_lookup(name);
    if (id < 0)
      return fail(c, m->keys[i], path,
                  "unknown timing '%s' (see stsim list timings)", name);
    rc = ytree_duration(c->file, m->items[i], join(p, path, name), &t, c->d);
    if (rc)
      return rc;
    c->s->timings.v[id] = t;
    c->s->timing_set[id] = true;
  }
  return 0;
}

static int decode_images(const struct ctx *c, const struct ynode *n)
{
  static const char *const keys[] = {"crashes", "ready", "startup", NULL};
  const char *path = "spec.cluster.images";
  const struct ynode *m;
  int rc = opt_map(c, n, path, &m);

  if (rc || !m)
    return rc;
  struct image_decl *v =
      arena_calloc(&c->s->arena, m->nr ? m->nr : 1, sizeof(*v));
  for (size_t i = 0; i < m->nr; i++) {
    char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
    const struct ynode *e, *x;
    bool ready = true;

    rc = key_str(c, m->keys[i], path, &v[i].image);
    if (rc)
      return rc;
    if (!*v[i].image)
      return fail(c, m->keys[i], path, "empty image name");
    snprintf(p, sizeof(p), "%s[\"%.60s\"]", path, v[i].image);
    v[i].pos = pos_of(c, m->keys[i]);
    v[i].startup = SIMTIME_NEVER;
    rc = opt_map(c, m->items[i], p, &e);
    if (rc)
      return rc;
    if (!e)
      continue; /* "image": ~ or {} - it behaves as unlisted */
    rc = check_keys(c, e, p, keys);
    if (!rc && (x = ytree_get(e, "crashes")))
      rc = ytree_bool(c->file, x, join(q, p, "crashes"), &v[i].crashes, c->d);
    if (!rc && (x = ytree_get(e, "ready")))
      rc = ytree_bool(c->file, x, join(q, p, "ready"), &ready, c->d);
    if (!rc && (x = ytree_get(e, "startup")))
      rc = ytree_duration(c->file, x, join(q, p, "startup"), &v[i].startup,
                          c->d);
    if (rc)
      return rc;
    v[i].never_ready = !ready;
  }
  c->s->images = v;
  c->s->images_nr = m->nr;
  return 0;
}

static int parse_effect(const struct ctx *c, const struct ynode *n,
                        const char *path, enum taint_effect *out)
{
  const char *e = NULL;
  int rc = ytree_str(c->file, n, path, &e, c->d);

  if (rc)
    return rc;
  if (!strcmp(e, "NoSchedule"))
    *out = TAINT_NO_SCHEDULE;
  else if (!strcmp(e, "PreferNoSchedule"))
    *out = TAINT_PREFER_NO_SCHEDULE;
  else if (!strcmp(e, "NoExecute"))
    *out = TAINT_NO_EXECUTE;
  else
    return fail(c, n, path,
                "\"%.60s\" is not a taint effect (NoSchedule, "
                "PreferNoSchedule or NoExecute)",
                e);
  return 0;
}

static int decode_taint(const struct ctx *c, const struct ynode *n,
                        const char *path, struct taint *out)
{
  static const char *const keys[] = {"key", "value", "effect", NULL};
  const struct ynode *x;
  char p[PATH_MAX_LEN];
  int rc = ytree_want_map(c->file, n, path, c->d);

  if (!rc)
    rc = check_keys(c, n, path, keys);
  if (rc)
    return rc;
  memset(out, 0, sizeof(*out));
  out->time_added = SIMTIME_NEVER;
  if (!(x = ytree_get(n, "key")))
    return fail(c, n, path, "missing 'key'");
  rc = name_str(c, x, join(p, path, "key"), &out->key);
  if (!rc && (x = ytree_get(n, "value")))
    rc = ytree_str(c->file, x, join(p, path, "value"), &out->value, c->d);
  if (rc)
    return rc;
  if (!(x = ytree_get(n, "effect")))
    return fail(c, n, path, "missing 'effect'");
  return parse_effect(c, x, join(p, path, "effect"), &out->effect);
}

/* cpu, memory, pods: a quantity such as 4, "4000m", 16Gi, 110. */
static int quantity(const struct ctx *c, const struct ynode *n,
                    const char *path, bool milli, int64_t *out)
{
  const char *s = NULL;
  int64_t v;
  int rc = ytree_str(c->file, n, path, &s, c->d);

  if (rc)
    return rc;
  rc = milli ? quantity_milli_value(s, &v) : quantity_value(s, &v);
  if (rc)
    return fail(c, n, path, "\"%.60s\" is not a quantity (e.g. %s)", s,
                milli ? "4 or 500m" : "16Gi");
  if (v <= 0)
    return fail(c, n, path, "must be greater than 0");
  *out = v;
  return 0;
}

static void set_label(struct arena *a, struct kv_list *l, const char *key,
                      const char *value)
{
  struct kv *v;

  for (size_t i = 0; i < l->nr; i++) {
    if (!strcmp(l->v[i].key, key)) {
      ((struct kv *)l->v)[i].value = value;
      return;
    }
  }
  v = arena_calloc(a, l->nr + 1, sizeof(*v));
  if (l->nr)
    memcpy(v, l->v, l->nr * sizeof(*v));
  v[l->nr] = (struct kv){key, value};
  l->v = v;
  l->nr++;
}

static void node_defaults(struct arena *a, struct node_decl *nd)
{
  nd->cpu_milli = 4000;
  nd->memory = INT64_C(16) << 30;
  nd->pods = 110;
  set_label(a, &nd->labels, "kubernetes.io/hostname", nd->name);
  set_label(a, &nd->labels, "kubernetes.io/os", "linux");
  if (nd->zone) {
    set_label(a, &nd->labels, "topology.kubernetes.io/region", "region-1");
    set_label(a, &nd->labels, "topology.kubernetes.io/zone", nd->zone);
  }
}

static int decode_node(const struct ctx *c, const struct ynode *n,
                       const char *path, struct node_decl *nd)
{
  static const char *const keys[] = {"name", "zone",   "labels", "taints",
                                     "cpu",  "memory", "pods",   NULL};
  const struct ynode *x, *taints;
  char p[PATH_MAX_LEN];
  struct kv_list labels = {0};
  int rc = ytree_want_map(c->file, n, path, c->d);

  if (!rc)
    rc = check_keys(c, n, path, keys);
  if (rc)
    return rc;
  nd->pos = pos_of(c, n);
  if (!(x = ytree_get(n, "name")))
    return fail(c, n, path, "missing 'name'");
  rc = name_str(c, x, join(p, path, "name"), &nd->name);
  if (!rc && (x = ytree_get(n, "zone")))
    rc = name_str(c, x, join(p, path, "zone"), &nd->zone);
  if (rc)
    return rc;
  node_defaults(&c->s->arena, nd);
  rc = decode_string_map(c, ytree_get(n, "labels"), join(p, path, "labels"),
                         &labels);
  for (size_t i = 0; !rc && i < labels.nr; i++)
    set_label(&c->s->arena, &nd->labels, labels.v[i].key, labels.v[i].value);
  if (!rc && (x = ytree_get(n, "cpu")))
    rc = quantity(c, x, join(p, path, "cpu"), true, &nd->cpu_milli);
  if (!rc && (x = ytree_get(n, "memory")))
    rc = quantity(c, x, join(p, path, "memory"), false, &nd->memory);
  if (!rc && (x = ytree_get(n, "pods")))
    rc = quantity(c, x, join(p, path, "pods"), false, &nd->pods);
  if (!rc)
    rc = opt_seq(c, ytree_get(n, "taints"), join(p, path, "taints"), &taints);
  if (rc || !taints)
    return rc;
  struct taint *tv =
      arena_calloc(&c->s->arena, taints->nr ? taints->nr : 1, sizeof(*tv));
  for (size_t i = 0; i < taints->nr; i++) {
    char q[PATH_MAX_LEN];

    rc = decode_taint(c, taints->items[i],
                      index_path(q, join(p, path, "taints"), i), &tv[i]);
    if (rc)
      return rc;
  }
  nd->taints = tv;
  nd->taints_nr = taints->nr;
  return 0;
}

#define MAX_NODES 10000

static int decode_nodes(const struct ctx *c, const struct ynode *n,
                        const struct ynode *zones_n)
{
  const char *path = "spec.cluster.nodes";
  struct scenario *s = c->s;
  struct node_decl *v;
  int rc;

  if (n->type == Y_SEQ) {
    if (zones_n)
      return fail(c, zones_n, "spec.cluster.zones",
                  "only used when nodes is a count (give each node its "
                  "zone)");
    if (!n->nr)
      return fail(c, n, path, "at least one node is needed");
    if (n->nr > MAX_NODES)
      return fail(c, n, path, "more than %d nodes", MAX_NODES);
    v = arena_calloc(&s->arena, n->nr, sizeof(*v));
    for (size_t i = 0; i < n->nr; i++) {
      char p[PATH_MAX_LEN];

      rc = decode_node(c, n->items[i], index_path(p, path, i), &v[i]);
      if (rc)
        return rc;
      for (size_t k = 0; k < i; k++) {
        char q[PATH_MAX_LEN];

        if (!strcmp(v[k].name, v[i].name))
          return fail(c, ytree_get(n->items[i], "name"), join(q, p, "name"),
                      "duplicate node name '%s'", v[i].name);
      }
    }
    s->nodes = v;
    s->nodes_nr = n->nr;
    return 0;
  }
  if (n->type != Y_SCALAR || ytree_is_null(n)) {
    char got[32];

    snprintf(got, sizeof(got), "%s", n->type == Y_MAP ? "a mapping" : "null");
    return fail(c, n, path, "expected a node count or a list of nodes, got %s",
                got);
  }
  int64_t count;
  rc = ytree_int64(c->file, n, path, 1, MAX_NODES, &count, c->d);
  if (rc)
    return rc;
  static const char *const default_zones[] = {"a", "b", "c"};
  const char *const *zones = default_zones;
  size_t zones_nr = 3;
  if (zones_n) {
    const char *p = "spec.cluster.zones";
    const char **zv;

    rc = ytree_want_seq(c->file, zones_n, p, c->d);
    if (rc)
      return rc;
    if (!zones_n->nr)
      return fail(c, zones_n, p, "at least one zone is needed");
    zv = arena_calloc(&s->arena, zones_n->nr, sizeof(*zv));
    for (size_t i = 0; i < zones_n->nr; i++) {
      char q[PATH_MAX_LEN];

      rc = name_str(c, zones_n->items[i], index_path(q, p, i), &zv[i]);
      if (rc)
        return rc;
    }
    zones = zv;
    zones_nr = zones_n->nr;
  }
  v = arena_calloc(&s->arena, (size_t)count, sizeof(*v));
  for (size_t i = 0; i < (size_t)count; i++) {
    v[i].pos = pos_of(c, n);
    v[i].name = arena_printf(&s->arena, "node-%zu", i + 1);
    v[i].zone = zones[i % zones_nr];
    node_defaults(&s->arena, &v[i]);
  }
  s->nodes = v;
  s->nodes_nr = (size_t)count;
  return 0;
}

static int decode_cluster(const struct ctx *c, const struct ynode *n)
{
  static const char *const keys[] = {"nodes",
                                     "zones",
                                     "defaultStorageClass",
                                     "kubernetesVersion",
                                     "featureGates",
                                     "timings",
                                     "images",
                                     NULL};
  const char *path = "spec.cluster";
  const struct ynode *m, *x;
  int rc = opt_map(c, n, path, &m);

  if (rc || !m)
    return rc;
  rc = check_keys(c, m, path, keys);
  /* The version first: timing defaults and gates depend on it. */
  if (!rc)
    rc = decode_version(c, ytree_get(m, "kubernetesVersion"));
  if (!rc && (x = ytree_get(m, "nodes")))
    rc = decode_nodes(c, x, ytree_get(m, "zones"));
  else if (!rc && (x = ytree_get(m, "zones")))
    rc = fail(c, x, "spec.cluster.zones", "only used when nodes is a count");
  if (!rc && (x = ytree_get(m, "defaultStorageClass"))) {
    rc = name_str(c, x, "spec.cluster.defaultStorageClass",
                  &c->s->default_storage_class);
    if (!rc && !strcmp(c->s->default_storage_class, "none"))
      c->s->default_storage_class = NULL;
  }
  if (!rc)
    rc = decode_gates(c, ytree_get(m, "featureGates"));
  if (!rc)
    rc = decode_timings(c, ytree_get(m, "timings"));
  if (!rc)
    rc = decode_images(c, ytree_get(m, "images"));
  return rc;
}

bool scenario__has_nodes(const struct scenario *s)
{
  return s->nodes_nr > 0;
}

/* ---- actions ------------------------------------------------------------ */

enum param {
  PA_NODE = 1 << 0,
  PA_STS = 1 << 1,
  PA_POD = 1 << 2,
  PA_PVC = 1 << 3,
  PA_CONTAINER = 1 << 4,
  PA_IMAGE = 1 << 5,
  PA_REPLICAS = 1 << 6,
  PA_GRACE = 1 << 7,
  PA_FORCE = 1 << 8,
  PA_CASCADE = 1 << 9,
  PA_TAINT = 1 << 10,
  PA_DURATION = 1 << 11,
  PA_FRACTION = 1 << 12,
  PA_ERROR = 1 << 13,
  PA_COMPONENT = 1 << 14,
  PA_DELAY = 1 << 15,
  PA_OBJECT = 1 << 16,
  PA_ZONE = 1 << 17,
  PA_FOR = 1 << 18,
  PA_LABELS = 1 << 19,
  PA_ANNOTATIONS = 1 << 20,
  PA_FINALIZERS = 1 << 21,
  PA_OWNER_REFS = 1 << 22,
};

#define PA_PATCH_ANY                                                           \
  (PA_LABELS | PA_ANNOTATIONS | PA_FINALIZERS | PA_OWNER_REFS)

static const struct {
  const char *key;
  unsigned bit;
} param_keys[] = {
    {"node", PA_NODE},
    {"statefulSet", PA_STS},
    {"pod", PA_POD},
    {"pvc", PA_PVC},
    {"container", PA_CONTAINER},
    {"image", PA_IMAGE},
    {"replicas", PA_REPLICAS},
    {"gracePeriod", PA_GRACE},
    {"force", PA_FORCE},
    {"cascade", PA_CASCADE},
    {"taint", PA_TAINT},
    {"duration", PA_DURATION},
    {"fraction", PA_FRACTION},
    {"error", PA_ERROR},
    {"component", PA_COMPONENT},
    {"delay", PA_DELAY},
    {"object", PA_OBJECT},
    {"zone", PA_ZONE},
    {"for", PA_FOR},
    {"labels", PA_LABELS},
    {"annotations", PA_ANNOTATIONS},
    {"finalizers", PA_FINALIZERS},
    {"ownerReferences", PA_OWNER_REFS},
};

#define NPARAMS (sizeof(param_keys) / sizeof(param_keys[0]))

/* Which parameters each action takes: required, and optional. */
static const struct {
  unsigned required, optional;
} action_params[ACTION_COUNT] = {
    [ACTION_CRASH_NODE] = {PA_NODE, PA_FOR},
    [ACTION_RESTART_NODE] = {PA_NODE, 0},
    [ACTION_PARTITION_NODE] = {PA_NODE, PA_FOR},
    [ACTION_HEAL_NODE] = {PA_NODE, 0},
    [ACTION_SHUTDOWN_NODE] = {PA_NODE, 0},
    [ACTION_DELETE_NODE] = {PA_NODE, 0},
    [ACTION_ADD_NODE] = {PA_NODE, PA_ZONE},
    [ACTION_CORDON_NODE] = {PA_NODE, 0},
    [ACTION_UNCORDON_NODE] = {PA_NODE, 0},
    [ACTION_DRAIN_NODE] = {PA_NODE, 0},
    [ACTION_TAINT_NODE] = {PA_NODE | PA_TAINT, 0},
    [ACTION_UNTAINT_NODE] = {PA_NODE | PA_TAINT, 0},
    [ACTION_SCALE] = {PA_STS | PA_REPLICAS, 0},
    [ACTION_SET_IMAGE] = {PA_STS | PA_IMAGE, PA_CONTAINER},
    [ACTION_APPLY] = {PA_OBJECT, 0},
    [ACTION_DELETE_POD] = {PA_POD, PA_GRACE | PA_FORCE},
    [ACTION_DELETE_STATEFULSET] = {PA_STS, PA_CASCADE},
    [ACTION_DELETE_PVC] = {PA_PVC, 0},
    [ACTION_FAIL_READINESS] = {PA_POD, 0},
    [ACTION_RESTORE_READINESS] = {PA_POD, 0},
    [ACTION_RESTART_CONTROLLER] = {0, PA_COMPONENT},
    [ACTION_API_ERRORS] = {PA_DURATION | PA_FRACTION, PA_ERROR | PA_COMPONENT},
    [ACTION_WATCH_DELAY] = {PA_COMPONENT | PA_DELAY | PA_DURATION, 0},
    [ACTION_PATCH] = {PA_OBJECT, PA_PATCH_ANY},
};

static unsigned param_bit(const char *key)
{
  for (size_t i = 0; i < NPARAMS; i++)
    if (!strcmp(param_keys[i].key, key))
      return param_keys[i].bit;
  return 0;
}

static int decode_when(const struct ctx *c, const struct ynode *n,
                       const char *path, const char **pod,
                       enum when_state *state)
{
  static const char *const keys[] = {"pod", "becomes", NULL};
  const struct ynode *x;
  char p[PATH_MAX_LEN];
  const char *name = NULL;
  int rc = ytree_want_map(c->file, n, path, c->d);

  if (!rc)
    rc = check_keys(c, n, path, keys);
  if (rc)
    return rc;
  if (!(x = ytree_get(n, "pod")))
    return fail(c, n, path, "missing 'pod'");
  rc = name_str(c, x, join(p, path, "pod"), pod);
  if (rc)
    return rc;
  if (!(x = ytree_get(n, "becomes")))
    return fail(c, n, path, "missing 'becomes'");
  rc = ytree_str(c->file, x, join(p, path, "becomes"), &name, c->d);
  if (rc)
    return rc;
  *state = scenario__when_state_parse(name);
  if (*state == WHEN_NONE)
    return fail(c, x, p,
                "\"%.60s\" is not a pod state (one of: Ready, Running, "
                "Terminating, Deleted, Pending, Scheduled)",
                name);
  return 0;
}

static int decode_node_ref(const struct ctx *c, const struct ynode *n,
                           const char *path, const char **out)
{
  int rc = name_str(c, n, path, out);

  if (rc)
    return rc;
  if (!strncmp(*out, "@pod:", 5) && !(*out)[5])
    return fail(c, n, path, "\"@pod:\" needs a pod name (e.g. @pod:web-1)");
  if ((*out)[0] == '@' && strncmp(*out, "@pod:", 5))
    return fail(c, n, path, "\"%.60s\" is neither a node name nor @pod:NAME",
                *out);
  return 0;
}

static int decode_fraction(const struct ctx *c, const struct ynode *n,
                           const char *path, double *out)
{
  char *end;
  double v;

  if (n->type != Y_SCALAR || !n->plain || !n->len)
    return fail(c, n, path, "expected a number from 0 to 1");
  errno = 0;
  v = strtod(n->str, &end);
  if (*end || errno || !isfinite(v) || v < 0 || v > 1)
    return fail(c, n, path, "expected a number from 0 to 1, got \"%.40s\"",
                n->str);
  *out = v;
  return 0;
}

static int one_of(const struct ctx *c, const struct ynode *n, const char *path,
                  const char *const *names, const char *what, int *out)
{
  const char *s = NULL;
  char list[200] = "";
  int rc = ytree_str(c->file, n, path, &s, c->d);

  if (rc)
    return rc;
  for (int i = 0; names[i]; i++) {
    if (!strcmp(names[i], s)) {
      *out = i;
      return 0;
    }
    if (i)
      strncat(list, ", ", sizeof(list) - strlen(list) - 1);
    strncat(list, names[i], sizeof(list) - strlen(list) - 1);
  }
  return fail(c, n, path, "\"%.60s\" is not %s (one of: %s)", s, what, list);
}

static int decode_object_param(const struct ctx *c, const struct ynode *n,
                               const char *path, const struct object **out)
{
  const struct ynode *kn, *av;
  const char *kind = NULL, *api_version = NULL;
  char p[PATH_MAX_LEN];
  enum obj_kind k;
  int rc = ytree_want_map(c->file, n, path, c->d);

  if (rc)
    return rc;
  kn = ytree_get(n, "kind");
  av = ytree_get(n, "apiVersion");
  if (!kn)
    return fail(c, n, path, "missing 'kind'");
  if (!av)
    return fail(c, n, path, "missing 'apiVersion'");
  rc = ytree_str(c->file, kn, join(p, path, "kind"), &kind, c->d);
  if (!rc)
    rc =
        ytree_str(c->file, av, join(p, path, "apiVersion"), &api_version, c->d);
  if (rc)
    return rc;
  k = obj_kind_parse(api_version, kind);
  if (k == KIND_NONE)
    return fail(c, kn, path, "%s '%.60s' is not a modelled kind", api_version,
                kind);
  struct object *o = arena_calloc(&c->s->arena, 1, sizeof(*o));
  object_init(o, k);
  rc = manifest_decode(c->s, c->file, n, k, o, c->d);
  if (rc)
    return rc;
  *out = o;
  return 0;
}

/* ---- patch: kubectl patch --type=merge on metadata ---------------------- */

/* `object: Kind/name`: a modelled kind (not Event) and a name. */
static int decode_patch_target(const struct ctx *c, const struct ynode *n,
                               const char *path, struct action *a)
{
  const char *s = NULL, *slash;
  int rc = name_str(c, n, path, &s);

  if (rc)
    return rc;
  slash = strchr(s, '/');
  if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/'))
    return fail(c, n, path, "\"%.60s\" is not Kind/name (e.g. Pod/web-0)", s);
  for (int k = KIND_NONE + 1; k < KIND_COUNT; k++) {
    const char *kn = obj_kind_name((enum obj_kind)k);
    if (k == KIND_EVENT || strlen(kn) != (size_t)(slash - s) ||
        strncmp(kn, s, (size_t)(slash - s)))
      continue;
    a->patch_kind = (enum obj_kind)k;
    a->patch_name = slash + 1;
    return 0;
  }
  return fail(c, n, path,
              "\"%.*s\" is not a kind stsim models (e.g. Pod, "
              "PersistentVolumeClaim, StatefulSet)",
              (int)(slash - s) > 60 ? 60 : (int)(slash - s), s);
}

/* labels / annotations: a mapping of strings; null removes the key. */
static int decode_patch_map(const struct ctx *c, const struct ynode *n,
                            const char *path, bool labels, struct kv_list *out)
{
  int rc = ytree_want_map(c->file, n, path, c->d);

  if (rc)
    return rc;
  struct kv *v = arena_calloc(&c->s->arena, n->nr ? n->nr : 1, sizeof(*v));
  for (size_t i = 0; i < n->nr; i++) {
    char p[PATH_MAX_LEN];
    const struct ynode *x = n->items[i];

    rc = key_str(c, n->keys[i], path, &v[i].key);
    if (rc)
      return rc;
    if (!*v[i].key)
      return fail(c, n->keys[i], path, "keys must not be empty");
    join(p, path, v[i].key);
    if (x->type == Y_SCALAR && x->plain && ytree_is_null(x)) {
      v[i].value = NULL; /* a merge patch's null: remove the key */
      continue;
    }
    rc = ytree_str(c->file, x, p, &v[i].value, c->d);
    if (rc)
      return rc;
    /* Kubernetes: a label value is at most 63 characters. */
    if (labels && strlen(v[i].value) > 63)
      return fail(c, x, p, "a label value must be at most 63 characters");
  }
  out->v = v;
  out->nr = n->nr;
  return 0;
}

static int decode_patch_finalizers(const struct ctx *c, const struct ynode *n,
                                   const char *path, struct action *a)
{
  int rc = ytree_want_seq(c->file, n, path, c->d);

  if (rc)
    return rc;
  const char **v = arena_calloc(&c->s->arena, n->nr ? n->nr : 1, sizeof(*v));
  for (size_t i = 0; i < n->nr; i++) {
    char p[PATH_MAX_LEN];

    rc = name_str(c, n->items[i], index_path(p, path, i), &v[i]);
    if (rc)
      return rc;
  }
  a->patch_finalizers_set = true;
  a->patch_finalizers = (struct str_list){v, n->nr};
  return 0;
}

static int decode_patch_owner_ref(const struct ctx *c, const struct ynode *n,
                                  const char *path, struct patch_owner_ref *r)
{
  static const char *const keys[] = {
      "apiVersion",         "kind", "name", "uid", "controller",
      "blockOwnerDeletion", NULL};
  static const char *const need[] = {"apiVersion", "kind", "name"};
  const char **dst[] = {&r->api_version, &r->kind, &r->name};
  const struct ynode *x;
  char p[PATH_MAX_LEN];
  int rc = ytree_want_map(c->file, n, path, c->d);

  if (!rc)
    rc = check_keys(c, n, path, keys);
  for (size_t i = 0; !rc && i < 3; i++) {
    if (!(x = ytree_get(n, need[i])))
      return fail(c, n, path, "missing '%s'", need[i]);
    rc = name_str(c, x, join(p, path, need[i]), dst[i]);
  }
  if (!rc && (x = ytree_get(n, "uid"))) {
    const char *uid = NULL;

    rc = ytree_str(c->file, x, join(p, path, "uid"), &uid, c->d);
    if (!rc && strcmp(uid, "stale"))
      return fail(c, x, p,
                  "\"%.60s\": give 'stale' (a uid no object has), or leave "
                  "it out for the live owner's",
                  uid);
    r->stale_uid = true;
  }
  if (!rc && (x = ytree_get(n, "controller")))
    rc = ytree_bool(c->file, x, join(p, path, "controller"), &r->controller,
                    c->d);
  if (!rc && (x = ytree_get(n, "blockOwnerDeletion")))
    rc = ytree_bool(c->file, x, join(p, path, "blockOwnerDeletion"),
                    &r->block_owner_deletion, c->d);
  return rc;
}

static int decode_patch_owner_refs(const struct ctx *c, const struct ynode *n,
                                   const char *path, struct action *a)
{
  int rc = ytree_want_seq(c->file, n, path, c->d);
  size_t controllers = 0;

  if (rc)
    return rc;
  struct patch_owner_ref *v =
      arena_calloc(&c->s->arena, n->nr ? n->nr : 1, sizeof(*v));
  for (size_t i = 0; i < n->nr; i++) {
    char p[PATH_MAX_LEN];

    rc = decode_patch_owner_ref(c, n->items[i], index_path(p, path, i), &v[i]);
    if (rc)
      return rc;
    /* The API server's validation (ValidateOwnerReferences). */
    if (v[i].controller && ++controllers > 1)
      return fail(c, n->items[i], p,
                  "Only one reference can have Controller set to true");
  }
  a->patch_owner_refs_set = true;
  a->patch_owner_refs = v;
  a->patch_owner_refs_nr = n->nr;
  return 0;
}

static int decode_param(const struct ctx *c, const struct ynode *v,
                        const char *path, unsigned bit, struct action *a)
{
  static const char *const cascades[] = {"background", "foreground", "orphan",
                                         NULL};
  static const char *const errors[] = {"conflict", "unavailable", "timeout",
                                       "timeout-applied", NULL};
  int64_t i64;
  int idx, rc;

  switch (bit) {
  case PA_NODE:
    return decode_node_ref(c, v, path, &a->node);
  case PA_STS:
    return name_str(c, v, path, &a->statefulset);
  case PA_POD:
    return name_str(c, v, path, &a->pod);
  case PA_PVC:
    return name_str(c, v, path, &a->pvc);
  case PA_CONTAINER:
    return name_str(c, v, path, &a->container);
  case PA_IMAGE:
    return name_str(c, v, path, &a->image);
  case PA_ZONE:
    return name_str(c, v, path, &a->zone);
  case PA_COMPONENT:
    return name_str(c, v, path, &a->component);
  case PA_REPLICAS:
    rc = ytree_int64(c->file, v, path, 0, INT32_MAX, &i64, c->d);
    a->replicas = (int32_t)i64;
    return rc;
  case PA_GRACE:
    rc = ytree_int64(c->file, v, path, 0, INT32_MAX, &i64, c->d);
    a->grace_period = i64;
    return rc;
  case PA_FORCE:
    return ytree_bool(c->file, v, path, &a->force, c->d);
  case PA_CASCADE:
    rc = one_of(c, v, path, cascades, "a cascade", &idx);
    a->cascade = (enum cascade)idx;
    return rc;
  case PA_TAINT:
    return decode_taint(c, v, path, &a->taint);
  case PA_DURATION:
  case PA_FOR:
    return positive_duration(c, v, path, &a->duration);
  case PA_DELAY:
    return ytree_duration(c->file, v, path, &a->delay, c->d);
  case PA_FRACTION:
    return decode_fraction(c, v, path, &a->fraction);
  case PA_ERROR:
    rc = one_of(c, v, path, errors, "an API error", &idx);
    if (!rc)
      a->error = errors[idx];
    return rc;
  case PA_OBJECT:
    if (a->kind == ACTION_PATCH)
      return decode_patch_target(c, v, path, a);
    return decode_object_param(c, v, path, &a->object);
  case PA_LABELS:
    return decode_patch_map(c, v, path, true, &a->patch_labels);
  case PA_ANNOTATIONS:
    return decode_patch_map(c, v, path, false, &a->patch_annotations);
  case PA_FINALIZERS:
    return decode_patch_finalizers(c, v, path, a);
  case PA_OWNER_REFS:
    return decode_patch_owner_refs(c, v, path, a);
  default:
    SIM_BUG("action parameter %u not decoded", bit);
  }
}

/* The names of the parameters in bits, for messages: "node and taint". */
static void param_names(unsigned bits, char *buf, size_t n)
{
  size_t used = 0, left = 0;

  for (size_t i = 0; i < NPARAMS; i++)
    left += (bits & param_keys[i].bit) != 0;

  buf[0] = '\0';
  for (size_t i = 0; i < NPARAMS && used < n; i++) {
    if (!(bits & param_keys[i].bit))
      continue;
    left--;
    used += (size_t)snprintf(buf + used, n - used, "'%s'%s", param_keys[i].key,
                             left > 1    ? ", "
                             : left == 1 ? " and "
                                         : "");
  }
}

struct action_vec {
  struct action *v;
  size_t nr, alloc;
};

static int decode_action(const struct ctx *c, const struct ynode *n,
                         const char *path, struct action_vec *out)
{
  struct action a = {.at = SIMTIME_NEVER, .grace_period = -1};
  const struct ynode *x, *at, *when, *after;
  char p[PATH_MAX_LEN];
  const char *name = NULL;
  unsigned seen = 0, allowed;
  int rc = ytree_want_map(c->file, n, path, c->d);

  if (rc)
    return rc;
  a.pos = pos_of(c, n);
  if (!(x = ytree_get(n, "action")))
    return fail(c, n, path, "missing 'action'");
  rc = ytree_str(c->file, x, join(p, path, "action"), &name, c->d);
  if (rc)
    return rc;
  int k = action_lookup(name);
  if (k < 0)
    return fail(c, x, p, "unknown action '%.60s' (see stsim list actions)",
                name);
  a.kind = (enum action_kind)k;
  allowed = action_params[k].required | action_params[k].optional;

  at = ytree_get(n, "at");
  when = ytree_get(n, "when");
  after = ytree_get(n, "after");
  if (at && when)
    return fail(c, when, path, "give either 'at' or 'when', not both");
  if (!at && !when)
    return fail(c, n, path, "missing 'at' (or 'when')");
  if (after && !when)
    return fail(c, after, path,
                "'after' goes with 'when' (with 'at', add it "
                "to the time)");
  if (at)
    rc = ytree_duration(c->file, at, join(p, path, "at"), &a.at, c->d);
  else
    rc = decode_when(c, when, join(p, path, "when"), &a.when_pod,
                     &a.when_becomes);
  if (!rc && after)
    rc = ytree_duration(c->file, after, join(p, path, "after"), &a.after, c->d);
  if (rc)
    return rc;

  for (size_t i = 0; i < n->nr; i++) {
    const char *key = NULL;
    unsigned bit;

    rc = key_str(c, n->keys[i], path, &key);
    if (rc)
      return rc;
    if (!strcmp(key, "action") || !strcmp(key, "at") || !strcmp(key, "when") ||
        !strcmp(key, "after"))
      continue;
    bit = param_bit(key);
    if (!bit)
      return fail(c, n->keys[i], path, "unknown key '%s'", key);
    if (!(bit & allowed))
      return fail(c, n->keys[i], path, "'%s' does not apply to %s", key, name);
    rc = decode_param(c, n->items[i], join(p, path, key), bit, &a);
    if (rc)
      return rc;
    seen |= bit;
  }
  unsigned missing = action_params[k].required & ~seen;
  if (missing) {
    char need[120], miss[120];

    param_names(action_params[k].required, need, sizeof(need));
    param_names(missing, miss, sizeof(miss));
    return fail(c, n, path, "missing %s (%s needs %s)", miss, name, need);
  }
  if (a.kind == ACTION_PATCH && !(seen & PA_PATCH_ANY))
    return fail(c, n, path,
                "patch needs at least one of 'labels', 'annotations', "
                "'finalizers' and 'ownerReferences'");
  if (a.kind == ACTION_RESTART_CONTROLLER && !a.component)
    a.component = "statefulset-controller";
  if (a.kind == ACTION_API_ERRORS && !a.error)
    a.error = "unavailable";

  /*
   * `for` on crash-node / partition-node: the matching restart-node /
   * heal-node follows. With `at` and a node named directly, that is an
   * ordinary action added here; otherwise (`when`, or "@pod:NAME", which
   * must not be resolved twice) a.duration keeps the delay for the runner.
   */
  bool follow = (seen & PA_FOR) && at && strncmp(a.node, "@pod:", 5);
  if (follow) {
    struct action b = a;

    b.kind =
        a.kind == ACTION_CRASH_NODE ? ACTION_RESTART_NODE : ACTION_HEAL_NODE;
    b.at = a.at > SIMTIME_NEVER - a.duration ? SIMTIME_NEVER - 1
                                             : a.at + a.duration;
    b.duration = 0;
    a.duration = 0;
    VEC_PUSH(out, a);
    VEC_PUSH(out, b);
    return 0;
  }
  VEC_PUSH(out, a);
  return 0;
}

/* By `at` only: sort_actions is stable, so file order breaks ties (D5). */
static int action_cmp(const void *pa, const void *pb)
{
  const struct action *a = pa, *b = pb;

  if (a->at != b->at)
    return a->at < b->at ? -1 : 1;
  return 0;
}

static void sort_actions(struct action *v, size_t nr)
{
  /* A bottom-up merge sort: stable, unlike qsort (house style 8.6). */
  struct action *tmp = xmalloc((nr ? nr : 1) * sizeof(*tmp));

  for (size_t width = 1; width < nr; width *= 2) {
    for (size_t lo = 0; lo < nr; lo += 2 * width) {
      size_t mid = lo + width < nr ? lo + width : nr;
      size_t hi = lo + 2 * width < nr ? lo + 2 * width : nr;
      size_t i = lo, j = mid, o = lo;

      while (i < mid && j < hi)
        tmp[o++] = action_cmp(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
      while (i < mid)
        tmp[o++] = v[i++];
      while (j < hi)
        tmp[o++] = v[j++];
    }
    memcpy(v, tmp, nr * sizeof(*v));
  }
  free(tmp);
}

static int decode_actions(const struct ctx *c, const struct ynode *n)
{
  const char *path = "spec.actions";
  struct action_vec v = {0};
  const struct ynode *seq;
  int rc = opt_seq(c, n, path, &seq);

  if (rc || !seq)
    return rc;
  for (size_t i = 0; i < seq->nr && !rc; i++) {
    char p[PATH_MAX_LEN];

    rc = decode_action(c, seq->items[i], index_path(p, path, i), &v);
  }
  if (!rc && v.nr) {
    sort_actions(v.v, v.nr);
    c->s->actions = arena_memdup(&c->s->arena, v.v, v.nr * sizeof(*v.v));
    c->s->actions_nr = v.nr;
  }
  free(v.v);
  return rc;
}

/* ---- expect ------------------------------------------------------------- */

static const struct {
  const char *key;
  enum expect_target target;
  const char *what; /* for messages */
} targets[] = {
    {"statefulSet", EXPECT_STATEFULSET, "statefulSet"},
    {"pod", EXPECT_POD, "pod"},
    {"pvc", EXPECT_PVC, "pvc"},
    {"pv", EXPECT_PV, "pv"},
    {"node", EXPECT_NODE, "node"},
    {"property", EXPECT_PROPERTY, "property"},
    {"event", EXPECT_EVENT, "event"},
};

#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

enum value_type { V_ANY, V_INT, V_BOOL, V_ENUM };

/* How a field's expected value is checked at load time. */
static const struct field_type {
  enum expect_target target;
  const char *field;
  enum value_type type;
  const char *const *values; /* V_ENUM */
  const char *what;
} field_types[] = {
#define ENUM(...)                                                              \
  (const char *const[])                                                        \
  {                                                                            \
    __VA_ARGS__, NULL                                                          \
  }
    {EXPECT_STATEFULSET, "replicas", V_INT, NULL, NULL},
    {EXPECT_STATEFULSET, "readyReplicas", V_INT, NULL, NULL},
    {EXPECT_STATEFULSET, "currentReplicas", V_INT, NULL, NULL},
    {EXPECT_STATEFULSET, "updatedReplicas", V_INT, NULL, NULL},
    {EXPECT_STATEFULSET, "availableReplicas", V_INT, NULL, NULL},
    {EXPECT_STATEFULSET, "observedGeneration", V_INT, NULL, NULL},
    {EXPECT_POD, "phase", V_ENUM,
     ENUM("Pending", "Running", "Succeeded", "Failed", "Unknown"),
     "a pod phase"},
    {EXPECT_POD, "ready", V_BOOL, NULL, NULL},
    {EXPECT_POD, "restarts", V_INT, NULL, NULL},
    {EXPECT_POD, "deleting", V_BOOL, NULL, NULL},
    {EXPECT_PVC, "phase", V_ENUM, ENUM("Pending", "Bound", "Lost"),
     "a claim phase"},
    {EXPECT_PVC, "deleting", V_BOOL, NULL, NULL},
    {EXPECT_PV, "phase", V_ENUM,
     ENUM("Pending", "Available", "Bound", "Released", "Failed"),
     "a volume phase"},
    {EXPECT_NODE, "ready", V_ENUM,
     ENUM("true", "false", "True", "False", "Unknown"), "a node Ready status"},
    {EXPECT_NODE, "state", V_ENUM, ENUM("Ready", "NotReady", "Unknown"),
     "a node state"},
    {EXPECT_NODE, "unschedulable", V_BOOL, NULL, NULL},
#undef ENUM
};

static bool is_bool(const char *s)
{
  return !strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "True") ||
         !strcmp(s, "False");
}

static int check_value(const struct ctx *c, const struct ynode *v,
                       const char *path, enum expect_target t,
                       const char *field, const char **out)
{
  int rc;
  int64_t i64;

  if (v->type != Y_SCALAR || ytree_is_null(v)) {
    char what[32];

    snprintf(what, sizeof(what), "%s",
             v->type == Y_MAP   ? "a mapping"
             : v->type == Y_SEQ ? "a sequence"
                                : "null");
    return fail(c, v, path, "expected a value to compare with, got %s", what);
  }
  rc = ytree_str(c->file, v, path, out, c->d);
  if (rc)
    return rc;
  if ((!strcmp(field, "exists") || !strcmp(field, "deleting")) &&
      !is_bool(*out))
    return ytree_bool(c->file, v, path, &(bool){false}, c->d);
  for (size_t i = 0; i < sizeof(field_types) / sizeof(field_types[0]); i++) {
    const struct field_type *ft = &field_types[i];

    if (ft->target != t || strcmp(ft->field, field))
      continue;
    if (ft->type == V_INT)
      return ytree_int64(c->file, v, path, 0, INT64_MAX, &i64, c->d);
    if (ft->type == V_BOOL && !is_bool(*out))
      return ytree_bool(c->file, v, path, &(bool){false}, c->d);
    if (ft->type == V_ENUM && !in(ft->values, *out)) {
      char list[160] = "";

      for (int k = 0; ft->values[k]; k++) {
        if (k)
          strncat(list, ", ", sizeof(list) - strlen(list) - 1);
        strncat(list, ft->values[k], sizeof(list) - strlen(list) - 1);
      }
      return fail(c, v, path, "\"%.60s\" is not %s (one of: %s)", *out,
                  ft->what, list);
    }
  }
  return 0;
}

static int decode_event(const struct ctx *c, const struct ynode *n,
                        const char *path, struct expectation *e)
{
  static const char *const keys[] = {"reason", "object", "message", NULL};
  const struct ynode *x;
  char p[PATH_MAX_LEN];
  int rc = ytree_want_map(c->file, n, path, c->d);

  if (!rc)
    rc = check_keys(c, n, path, keys);
  if (rc)
    return rc;
  if (!n->nr)
    return fail(c, n, path, "give at least one of reason, object, message");
  if ((x = ytree_get(n, "reason")))
    rc = name_str(c, x, join(p, path, "reason"), &e->event_reason);
  if (!rc && (x = ytree_get(n, "object"))) {
    rc = name_str(c, x, join(p, path, "object"), &e->event_object);
    if (!rc && !strchr(e->event_object, '/'))
      rc = fail(c, x, p, "\"%.60s\" is not Kind/name (e.g. Pod/web-0)",
                e->event_object);
  }
  if (!rc && (x = ytree_get(n, "message")))
    rc = ytree_str(c->file, x, join(p, path, "message"), &e->event_message,
                   c->d);
  return rc;
}

static const char *field_list(const char *const *f, char *buf, size_t n)
{
  buf[0] = '\0';
  for (size_t i = 0; f[i]; i++) {
    if (i)
      strncat(buf, ", ", n - strlen(buf) - 1);
    strncat(buf, f[i], n - strlen(buf) - 1);
  }
  return buf;
}

struct check_vec {
  struct expect_check *v;
  size_t nr, alloc;
};

static int decode_expectation(const struct ctx *c, const struct ynode *n,
                              const char *path, struct expectation *e)
{
  const struct ynode *tkey = NULL, *tval = NULL;
  const struct ynode *at, *at_end, *becomes, *tolerance, *never, *violated,
      *hazard;
  struct check_vec checks = {0};
  char p[PATH_MAX_LEN];
  int rc = ytree_want_map(c->file, n, path, c->d);

  if (rc)
    return rc;
  memset(e, 0, sizeof(*e));
  e->pos = pos_of(c, n);
  e->at = SIMTIME_NEVER;
  for (size_t i = 0; i < n->nr; i++) {
    const char *key = NULL;

    rc = key_str(c, n->keys[i], path, &key);
    if (rc)
      return rc;
    /* With `pod:` present, `node:` is the pod's field, not a target. */
    if (!strcmp(key, "node") && ytree_get(n, "pod"))
      continue;
    for (size_t t = 0; t < NTARGETS; t++) {
      if (strcmp(targets[t].key, key))
        continue;
      if (tkey)
        return fail(c, n->keys[i], path,
                    "more than one target ('%s' and "
                    "'%s')",
                    tkey->str, key);
      tkey = n->keys[i];
      tval = n->items[i];
      e->target = targets[t].target;
    }
  }
  if (!tkey)
    return fail(c, n, path,
                "missing the target (one of: statefulSet, pod, pvc, pv, "
                "node, property, event)");
  at = ytree_get(n, "at");
  at_end = ytree_get(n, "atEnd");
  becomes = ytree_get(n, "becomes");
  tolerance = ytree_get(n, "tolerance");
  never = ytree_get(n, "never");
  violated = ytree_get(n, "violated");
  hazard = ytree_get(n, "hazard");

  if (e->target == EXPECT_EVENT)
    rc = decode_event(c, tval, join(p, path, "event"), e);
  else
    rc = name_str(c, tval, join(p, path, tkey->str), &e->name);
  if (!rc && at)
    rc = ytree_duration(c->file, at, join(p, path, "at"), &e->at, c->d);
  if (!rc && at_end)
    rc = ytree_bool(c->file, at_end, join(p, path, "atEnd"), &e->at_end, c->d);
  if (!rc && tolerance)
    rc = ytree_duration(c->file, tolerance, join(p, path, "tolerance"),
                        &e->tolerance, c->d);
  if (!rc && never)
    rc = ytree_bool(c->file, never, join(p, path, "never"), &e->never, c->d);
  if (!rc && violated)
    rc = ytree_bool(c->file, violated, join(p, path, "violated"), &e->violated,
                    c->d);
  if (!rc && hazard) {
    e->has_hazard = true;
    rc = ytree_bool(c->file, hazard, join(p, path, "hazard"), &e->hazard, c->d);
  }
  if (!rc && becomes) {
    const char *st = NULL;

    rc = ytree_str(c->file, becomes, join(p, path, "becomes"), &st, c->d);
    if (!rc && e->target != EXPECT_POD)
      rc = fail(c, becomes, path, "'becomes' applies to pods only");
    if (!rc)
      e->becomes = scenario__when_state_parse(st);
    if (!rc && e->becomes == WHEN_NONE)
      rc = fail(c, becomes, p,
                "\"%.60s\" is not a pod state (one of: Ready, Running, "
                "Terminating, Deleted, Pending, Scheduled)",
                st);
  }
  if (rc)
    return rc;

  /* Which keys go with which kind of expectation. */
  bool occurrence = e->target == EXPECT_EVENT || becomes;
  if (violated && e->target != EXPECT_PROPERTY)
    return fail(c, violated, path, "'violated' goes with 'property'");
  if (hazard && e->target != EXPECT_PROPERTY)
    return fail(c, hazard, path, "'hazard' goes with 'property'");
  if (e->target == EXPECT_PROPERTY && (at || at_end || tolerance || never))
    return fail(c,
                at          ? at
                : at_end    ? at_end
                : tolerance ? tolerance
                            : never,
                path,
                "a property expectation covers the whole run (no "
                "'at', 'atEnd', 'tolerance' or 'never')");
  if (at_end && occurrence)
    return fail(c, at_end, path,
                "'atEnd' goes with state checks, not with "
                "'%s'",
                becomes ? "becomes" : "event");
  if ((tolerance || never) && !occurrence && e->target != EXPECT_PROPERTY)
    return fail(c, tolerance ? tolerance : never, path,
                "'%s' goes with 'becomes' or 'event'",
                tolerance ? "tolerance" : "never");
  if (tolerance && !at)
    return fail(c, tolerance, path, "'tolerance' needs 'at'");
  if (never && e->never && at)
    return fail(c, never, path,
                "give either 'at' or 'never: true', not "
                "both");
  if (!occurrence && e->target != EXPECT_PROPERTY) {
    if (at && at_end && e->at_end)
      return fail(c, at_end, path, "give either 'at' or 'atEnd', not both");
    if (!at && !e->at_end)
      return fail(c, n, path, "missing 'at' (or 'atEnd: true')");
    if (e->at_end)
      e->at = SIMTIME_NEVER;
  }

  /* Every other key is a field check. */
  const char *const *fields = scenario_expect_fields(e->target);
  for (size_t i = 0; i < n->nr; i++) {
    static const char *const reserved[] = {
        "statefulSet", "pod",   "pvc",      "pv",     "node",
        "property",    "event", "at",       "atEnd",  "becomes",
        "tolerance",   "never", "violated", "hazard", NULL};
    const char *key = n->keys[i]->str;
    struct expect_check ck;

    if (in(reserved, key) && !(e->target == EXPECT_POD && !strcmp(key, "node")))
      continue;
    if (e->target == EXPECT_PROPERTY || e->target == EXPECT_EVENT) {
      rc = fail(c, n->keys[i], path, "unknown key '%s'", key);
      break;
    }
    if (!in(fields, key)) {
      char list[300];

      rc = fail(c, n->keys[i], path, "unknown field '%s' for %s (one of: %s)",
                key, tkey->str, field_list(fields, list, sizeof(list)));
      break;
    }
    if (becomes) {
      rc = fail(c, n->keys[i], path,
                "a 'becomes' expectation has no field checks ('%s')", key);
      break;
    }
    ck.pos = pos_of(c, n->items[i]);
    ck.field = key;
    rc = check_value(c, n->items[i], join(p, path, key), e->target, key,
                     &ck.value);
    if (rc)
      break;
    VEC_PUSH(&checks, ck);
  }
  if (!rc && !occurrence && e->target != EXPECT_PROPERTY && !checks.nr) {
    char list[300];

    rc = fail(c, n, path, "nothing to check for %s '%s' (add one of: %s)",
              tkey->str, e->name, field_list(fields, list, sizeof(list)));
  }
  if (!rc && checks.nr) {
    e->checks =
        arena_memdup(&c->s->arena, checks.v, checks.nr * sizeof(*checks.v));
    e->checks_nr = checks.nr;
  }
  free(checks.v);
  return rc;
}

static int decode_expect(const struct ctx *c, const struct ynode *n)
{
  const char *path = "spec.expect";
  const struct ynode *seq;
  int rc = opt_seq(c, n, path, &seq);

  if (rc || !seq || !seq->nr)
    return rc;
  struct expectation *v = arena_calloc(&c->s->arena, seq->nr, sizeof(*v));
  for (size_t i = 0; i < seq->nr; i++) {
    char p[PATH_MAX_LEN];

    rc = decode_expectation(c, seq->items[i], index_path(p, path, i), &v[i]);
    if (rc)
      return rc;
  }
  c->s->expects = v;
  c->s->expects_nr = seq->nr;
  return 0;
}

/* ---- variants ----------------------------------------------------------- */

/* The YAML names of the vary keys: the variant fields, then the cluster's. */
static const char *const vary_names[FV_COUNT] = {
    "podManagementPolicy", "updateStrategy", "maxUnavailable",
    "minReadySeconds",     "whenDeleted",    "whenScaled",
    "kubernetesVersion",   "zones",
};

/* The words of the enum fields, by value. */
static const char *const variant_words[SV_COUNT][2] = {
    [SV_POLICY] = {"OrderedReady", "Parallel"},
    [SV_STRATEGY] = {"RollingUpdate", "OnDelete"},
    [SV_WHEN_DELETED] = {"Retain", "Delete"},
    [SV_WHEN_SCALED] = {"Retain", "Delete"},
};

const char *sts_variant_field_name(enum sts_variant_field f)
{
  return f < SV_COUNT ? vary_names[f] : "?";
}

const char *sts_variant_value_name(enum sts_variant_field f, int32_t v)
{
  if (f >= SV_COUNT || !variant_words[f][0] || v < 0 || v > 1)
    return NULL;
  return variant_words[f][v];
}

static int vary_lookup(const char *name, int limit)
{
  for (int i = 0; i < limit; i++)
    if (!strcmp(vary_names[i], name))
      return i;
  return -1;
}

/* One alternative of key k (enum fuzz_vary_key) as an integer. */
static int decode_alt(const struct ctx *c, int k, const struct ynode *n,
                      const char *path, int32_t *out)
{
  int64_t v;
  int rc;

  if (n->type != Y_SCALAR || ytree_is_null(n))
    return fail(c, n, path, "expected a value, not %s",
                n->type == Y_SEQ   ? "a list"
                : n->type == Y_MAP ? "a mapping"
                                   : "null");
  switch (k) {
  case SV_POLICY:
  case SV_STRATEGY:
  case SV_WHEN_DELETED:
  case SV_WHEN_SCALED:
    for (int i = 0; i < 2; i++)
      if (!strcmp(n->str, variant_words[k][i])) {
        *out = i;
        return 0;
      }
    return fail(c, n, path, "\"%.40s\" is not one of %s, %s", n->str,
                variant_words[k][0], variant_words[k][1]);
  case SV_MAX_UNAVAIL:
  case SV_MIN_READY:
  case FV_ZONES:
    rc = ytree_int64(c->file, n, path, k == SV_MIN_READY ? 0 : 1,
                     k == FV_ZONES ? 26 : INT32_MAX, &v, c->d);
    if (!rc)
      *out = (int32_t)v;
    return rc;
  case FV_VERSION: {
    const char *s = n->str[0] == 'v' ? n->str + 1 : n->str;
    if (s[0] == '1' && s[1] == '.' && s[2] == '3' && s[3] >= '1' &&
        s[3] <= '7' && !s[4]) {
      *out = 30 + (s[3] - '0');
      return 0;
    }
    return fail(c, n, path, "\"%.40s\" is not supported (1.31 to 1.37)",
                n->str);
  }
  default:
    SIM_BUG("vary key %d", k);
  }
}

/* Whether the variant's strategy and maxUnavailable agree. */
static int check_variant(const struct ctx *c, const struct ynode *at,
                         const char *path, const int32_t *v, const bool *set)
{
  if (set[SV_MAX_UNAVAIL] && set[SV_STRATEGY] &&
      v[SV_STRATEGY] == UPDATE_ON_DELETE)
    return fail(c, at, path,
                "maxUnavailable is only allowed with updateStrategy "
                "RollingUpdate");
  return 0;
}

static int decode_variant(const struct ctx *c, const struct ynode *n)
{
  const char *path = "spec.variant";
  struct sts_variant *sv = &c->s->variant;
  const struct ynode *m;
  int rc = opt_map(c, n, path, &m);

  if (rc || !m)
    return rc;
  memset(sv, 0, sizeof(*sv));
  sv->pos = pos_of(c, m);
  for (size_t i = 0; i < m->nr; i++) {
    const char *name = NULL;
    char p[PATH_MAX_LEN];
    int k;

    rc = key_str(c, m->keys[i], path, &name);
    if (rc)
      return rc;
    k = vary_lookup(name, SV_COUNT);
    if (k < 0)
      return fail(c, m->keys[i], path,
                  "unknown field '%.60s' (podManagementPolicy, "
                  "updateStrategy, maxUnavailable, minReadySeconds, "
                  "whenDeleted, whenScaled)",
                  name);
    rc = decode_alt(c, k, m->items[i], join(p, path, name), &sv->v[k]);
    if (rc)
      return rc;
    sv->set[k] = true;
  }
  return check_variant(c, m, path, sv->v, sv->set);
}

static int decode_vary(const struct ctx *c, const struct ynode *n)
{
  const char *path = "spec.fuzz.vary";
  struct fuzz_vary *fv = &c->s->fuzz.vary;
  const struct ynode *m;
  int rc = opt_map(c, n, path, &m);

  if (rc || !m)
    return rc;
  for (size_t i = 0; i < m->nr; i++) {
    const struct ynode *x = m->items[i];
    const char *name = NULL;
    char p[PATH_MAX_LEN], q[PATH_MAX_LEN];
    int k;

    rc = key_str(c, m->keys[i], path, &name);
    if (rc)
      return rc;
    k = vary_lookup(name, FV_COUNT);
    if (k < 0)
      return fail(c, m->keys[i], path,
                  "unknown key '%.60s' (podManagementPolicy, updateStrategy, "
                  "maxUnavailable, minReadySeconds, whenDeleted, whenScaled, "
                  "kubernetesVersion, zones)",
                  name);
    join(p, path, name);
    size_t nr = x->type == Y_SEQ ? x->nr : 1;
    if (!nr)
      return fail(c, x, p, "expected at least one alternative");
    int32_t *alts = arena_calloc(&c->s->arena, nr, sizeof(*alts));
    for (size_t j = 0; j < nr; j++) {
      const struct ynode *y = x->type == Y_SEQ ? x->items[j] : x;
      rc = decode_alt(c, k, y, x->type == Y_SEQ ? index_path(q, p, j) : p,
                      &alts[j]);
      if (rc)
        return rc;
    }
    fv->pos[k] = pos_of(c, m->keys[i]);
    fv->alts[k] = alts;
    fv->alts_nr[k] = nr;
  }
  return 0;
}

/* ---- fuzz --------------------------------------------------------------- */

/* One side of a range: an integer, else a duration. */
static int range_side(const char *s, bool *is_int, int64_t *out)
{
  simtime t;

  if (parse_i64(s, out)) {
    *is_int = true;
    return 0;
  }
  *is_int = false;
  if (sim_parse_duration(s, &t) || t < 0)
    return -1;
  *out = t;
  return 0;
}

static int decode_fuzz_param(const struct ctx *c, const struct ynode *v,
                             const char *path, struct fuzz_param *out)
{
  const char *s = NULL, *dots;
  char lo_s[64], hi_s[64];
  bool lo_int, hi_int;
  int rc;

  if (v->type != Y_SCALAR || ytree_is_null(v))
    return fail(c, v, path, "expected a range such as 1m..30m or 0..6");
  rc = ytree_str(c->file, v, path, &s, c->d);
  if (rc)
    return rc;
  dots = strstr(s, "..");
  if (dots) {
    snprintf(lo_s, sizeof(lo_s), "%.*s", (int)(dots - s), s);
    snprintf(hi_s, sizeof(hi_s), "%s", dots + 2);
  } else {
    snprintf(lo_s, sizeof(lo_s), "%s", s);
    snprintf(hi_s, sizeof(hi_s), "%s", s);
  }
  if (strlen(s) >= sizeof(lo_s) || range_side(lo_s, &lo_int, &out->lo) ||
      range_side(hi_s, &hi_int, &out->hi))
    return fail(c, v, path, "\"%.60s\" is not a range (e.g. 1m..30m or 0..6)",
                s);
  if (lo_int != hi_int) {
    /* "0..30m": a bare 0 is also a duration. */
    simtime t;

    if (lo_int && !sim_parse_duration(lo_s, &t) && t >= 0)
      out->lo = t, lo_int = false;
    else if (hi_int && !sim_parse_duration(hi_s, &t) && t >= 0)
      out->hi = t, hi_int = false;
    if (lo_int != hi_int)
      return fail(c, v, path, "\"%.60s\" mixes a count and a duration", s);
  }
  if (out->lo > out->hi)
    return fail(c, v, path, "\"%.60s\" is an empty range (low > high)", s);
  out->is_duration = !lo_int;
  out->pos = pos_of(c, v);
  return 0;
}

static int decode_fault(const struct ctx *c, const struct ynode *key,
                        const struct ynode *v, const char *path,
                        struct fuzz_fault *f)
{
  const char *name = NULL;
  const struct ynode *every = NULL;
  char p[PATH_MAX_LEN];
  int rc = key_str(c, key, path, &name);

  if (rc)
    return rc;
  int k = action_lookup(name);
  if (k < 0)
    return fail(c, key, path,
                "unknown action '%.60s' (see stsim list "
                "actions)",
                name);
  f->kind = (enum action_kind)k;
  f->pos = pos_of(c, key);
  join(p, path, name);
  rc = ytree_want_map(c->file, v, p, c->d);
  if (rc)
    return rc;
  struct fuzz_param *params =
      arena_calloc(&c->s->arena, v->nr ? v->nr : 1, sizeof(*params));
  size_t nr = 0;
  for (size_t i = 0; i < v->nr; i++) {
    char q[PATH_MAX_LEN];
    const char *pn = NULL;

    rc = key_str(c, v->keys[i], p, &pn);
    if (rc)
      return rc;
    if (!strcmp(pn, "every")) {
      every = v->items[i];
      rc = positive_duration(c, every, join(q, p, "every"), &f->every);
    } else {
      params[nr].name = pn;
      rc = decode_fuzz_param(c, v->items[i], join(q, p, pn), &params[nr]);
      nr++;
    }
    if (rc)
      return rc;
  }
  if (!every)
    return fail(c, v, p, "missing 'every' (the mean interval, e.g. 20m)");
  f->params = params;
  f->params_nr = nr;
  return 0;
}

static int decode_fuzz(const struct ctx *c, const struct ynode *n)
{
  static const char *const keys[] = {"runs", "until", "faults", "vary", NULL};
  const char *path = "spec.fuzz";
  struct fuzz_spec *fz = &c->s->fuzz;
  const struct ynode *m, *x, *faults;
  int rc = opt_map(c, n, path, &m);

  if (rc || !m)
    return rc;
  fz->present = true;
  rc = check_keys(c, m, path, keys);
  if (!rc && (x = ytree_get(m, "runs")))
    rc = ytree_int64(c->file, x, "spec.fuzz.runs", 1, INT32_MAX, &fz->runs,
                     c->d);
  if (!rc && (x = ytree_get(m, "until")))
    rc = positive_duration(c, x, "spec.fuzz.until", &fz->until);
  if (!rc)
    rc = decode_vary(c, ytree_get(m, "vary"));
  if (!rc)
    rc = opt_map(c, ytree_get(m, "faults"), "spec.fuzz.faults", &faults);
  if (rc || !faults || !faults->nr)
    return rc;
  struct fuzz_fault *v = arena_calloc(&c->s->arena, faults->nr, sizeof(*v));
  for (size_t i = 0; i < faults->nr; i++) {
    rc = decode_fault(c, faults->keys[i], faults->items[i], "spec.fuzz.faults",
                      &v[i]);
    if (rc)
      return rc;
  }
  fz->faults = v;
  fz->faults_nr = faults->nr;
  return 0;
}

/* ---- the document ------------------------------------------------------- */

static int decode_seed(const struct ctx *c, const struct ynode *n)
{
  const char *path = "spec.seed";
  uint64_t v;

  if (n->type != Y_SCALAR || !n->plain || !parse_u64(n->str, &v)) {
    if (n->type == Y_SCALAR && n->plain && n->str[0] == '-')
      return fail(c, n, path, "must not be negative");
    if (n->type == Y_SCALAR && n->plain &&
        strspn(n->str, "0123456789") == n->len && n->len)
      return fail(c, n, path, "%.40s is larger than 18446744073709551615",
                  n->str);
    return ytree_int64(c->file, n, path, 0, INT64_MAX, &(int64_t){0}, c->d);
  }
  c->s->seed = v;
  return 0;
}

int scenario__decode_spec(struct scenario *s, const char *file,
                          const struct ynode *root,
                          const struct ynode **include, struct diag *d)
{
  static const char *const top[] = {"apiVersion", "kind", "metadata", "spec",
                                    NULL};
  static const char *const keys[] = {"seed",    "until",   "include",
                                     "cluster", "actions", "expect",
                                     "fuzz",    "variant", NULL};
  struct ctx c = {s, file, d};
  const struct ynode *spec, *x;
  int rc;

  *include = NULL;
  rc = check_keys(&c, root, "", top);
  if (!rc)
    rc = decode_metadata(&c, ytree_get(root, "metadata"));
  if (!rc)
    rc = opt_map(&c, ytree_get(root, "spec"), "spec", &spec);
  if (rc || !spec)
    return rc;
  rc = check_keys(&c, spec, "spec", keys);
  if (!rc && (x = ytree_get(spec, "seed")))
    rc = decode_seed(&c, x);
  if (!rc && (x = ytree_get(spec, "until")))
    rc = positive_duration(&c, x, "spec.until", &s->until);
  if (!rc)
    rc = decode_cluster(&c, ytree_get(spec, "cluster"));
  if (!rc)
    rc = decode_actions(&c, ytree_get(spec, "actions"));
  if (!rc)
    rc = decode_expect(&c, ytree_get(spec, "expect"));
  if (!rc)
    rc = decode_fuzz(&c, ytree_get(spec, "fuzz"));
  if (!rc)
    rc = decode_variant(&c, ytree_get(spec, "variant"));
  if (!rc)
    *include = ytree_get(spec, "include");
  return rc;
}
