/*
 * test_manifest.c - Kubernetes manifests into struct object: real-world
 * manifests load with the right fields, every validation error carries
 * upstream's wording and the offending node's position, unmodelled fields
 * are listed with their paths, and quantities convert exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/manifest.h"
#include "scenario/quantity.h"
#include "scenario/ytree.h"

/* ---- harness ------------------------------------------------------------ */

#define MAX_OBJS 16

struct loaded {
  struct scenario s;
  struct object objs[MAX_OBJS];
  size_t nr;
  struct diag d;
  char msg[1024]; /* the formatted diagnostic of a failed load */
};

/* Decodes every modelled document of buf (unmodelled kinds are skipped,
 * as the loader does). Returns 0 or the first error, formatted in msg. */
static int load(struct loaded *l, const char *name, const char *buf)
{
  struct ydoc *docs;
  size_t nr;
  int rc;

  memset(l, 0, sizeof(*l));
  arena_init(&l->s.arena, 1 << 16);
  rc = ytree_parse(&l->s.arena, name, buf, strlen(buf), &docs, &nr, &l->d);
  for (size_t i = 0; !rc && i < nr; i++) {
    const struct ynode *root = docs[i].root;
    const struct ynode *av = ytree_get(root, "apiVersion");
    const struct ynode *kn = ytree_get(root, "kind");
    enum obj_kind kind;

    assert_non_null(av);
    assert_non_null(kn);
    kind = obj_kind_parse(av->str, kn->str);
    if (kind == KIND_NONE)
      continue;
    assert_true(l->nr < MAX_OBJS);
    rc = manifest_decode(&l->s, name, root, kind, &l->objs[l->nr], &l->d);
    if (!rc)
      l->nr++;
  }
  if (rc)
    diag_format(&l->d, l->msg, sizeof(l->msg));
  return rc;
}

static void unload(struct loaded *l)
{
  arena_release(&l->s.arena);
}

static char *read_manifest(const char *name)
{
  const char *dir = getenv("STSIM_SRCDIR");
  char path[1024];
  FILE *f;
  long n;
  char *buf;

  snprintf(path, sizeof(path), "%s/tests/manifests/%s", dir ? dir : ".", name);
  f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Loads tests/manifests/name, which must decode without error. */
static void load_file(struct loaded *l, const char *name)
{
  char *buf = read_manifest(name);
  int rc = load(l, name, buf);

  if (rc)
    fail_msg("%s", l->msg);
  free(buf);
}

static const struct object *find(const struct loaded *l, enum obj_kind kind,
                                 const char *name)
{
  for (size_t i = 0; i < l->nr; i++)
    if (l->objs[i].kind == kind && !strcmp(l->objs[i].meta.name, name))
      return &l->objs[i];
  fail_msg("no %s %s", obj_kind_name(kind), name);
  return NULL;
}

static bool has_ignored(const struct scenario *s, const char *path, int line,
                        int col)
{
  for (size_t i = 0; i < s->ignored_nr; i++)
    if (!strcmp(s->ignored[i].path, path) && s->ignored[i].pos.line == line &&
        s->ignored[i].pos.col == col)
      return true;
  return false;
}

static bool ignored_path(const struct scenario *s, const char *path)
{
  for (size_t i = 0; i < s->ignored_nr; i++)
    if (!strcmp(s->ignored[i].path, path))
      return true;
  return false;
}

static const struct container *container(const struct pod_spec *ps,
                                         const char *name)
{
  for (size_t i = 0; i < ps->containers_nr; i++)
    if (!strcmp(ps->containers[i].name, name))
      return &ps->containers[i];
  fail_msg("no container %s", name);
  return NULL;
}

/* ---- the teaching example ------------------------------------------------ */

static void web_tutorial(void **state)
{
  struct loaded l;
  (void)state;

  load_file(&l, "web.yaml");
  assert_int_equal(l.nr, 3);

  const struct object *pv = find(&l, KIND_PV, "task-pv-volume");
  assert_string_equal(pv->meta.namespace_, "");
  assert_string_equal(kv_get(&pv->meta.labels, "type"), "local");
  assert_int_equal(pv->u.pv.spec.capacity_bytes, INT64_C(5) << 30);
  assert_int_equal(pv->u.pv.spec.access_modes, ACCESS_RWO);
  assert_int_equal(pv->u.pv.spec.source, PVSRC_HOSTPATH);
  assert_string_equal(pv->u.pv.spec.path, "/mnt/data");
  assert_null(pv->u.pv.spec.storage_class_name);
  assert_int_equal(pv->u.pv.spec.reclaim_policy, RECLAIM_RETAIN);
  assert_int_equal(pv->u.pv.spec.volume_mode, VOLMODE_FILESYSTEM);
  assert_null(pv->u.pv.spec.claim_ref.name);

  const struct object *svc = find(&l, KIND_SERVICE, "nginx");
  assert_string_equal(svc->meta.namespace_, "default");
  assert_true(svc->u.svc.headless);
  assert_int_equal(svc->u.svc.ports_nr, 1);
  assert_int_equal(svc->u.svc.ports[0].port, 80);
  assert_string_equal(svc->u.svc.ports[0].name, "web");
  assert_string_equal(svc->u.svc.ports[0].protocol, "TCP");
  assert_string_equal(kv_get(&svc->u.svc.selector, "app"), "nginx");
  assert_false(svc->u.svc.publish_not_ready_addresses);

  const struct object *o = find(&l, KIND_STATEFULSET, "web");
  const struct statefulset_spec *ss = &o->u.sts.spec;
  assert_string_equal(o->meta.namespace_, "default");
  assert_int_equal(ss->replicas, 3);
  assert_string_equal(ss->service_name, "nginx");
  assert_string_equal(kv_get(&ss->selector.match_labels, "app"), "nginx");
  assert_true(selector_matches(&ss->selector, &ss->template_.labels));
  assert_int_equal(ss->pod_management_policy, PMP_ORDERED_READY);
  assert_int_equal(ss->update_strategy, UPDATE_ROLLING);
  assert_int_equal(ss->partition, 0);
  assert_false(ss->max_unavailable.set);
  assert_int_equal(ss->revision_history_limit, 10);
  assert_int_equal(ss->min_ready_seconds, 0);
  assert_int_equal(ss->when_deleted, RETAIN);
  assert_int_equal(ss->when_scaled, RETAIN);
  assert_false(ss->has_ordinals);
  assert_int_equal(ss->ordinals_start, 0);

  const struct pod_spec *ps = &ss->template_.spec;
  assert_int_equal(ps->containers_nr, 1);
  assert_string_equal(ps->containers[0].name, "nginx");
  assert_string_equal(ps->containers[0].image,
                      "registry.k8s.io/nginx-slim:0.21");
  assert_int_equal(ps->containers[0].cpu_request_milli, 0);
  assert_false(ps->containers[0].readiness.set);
  assert_int_equal(ps->containers[0].volume_mounts.nr, 1);
  assert_string_equal(ps->containers[0].volume_mounts.v[0], "www");
  assert_int_equal(ps->restart_policy, RESTART_ALWAYS);
  assert_int_equal(ps->termination_grace_period_seconds, 30);
  assert_null(ps->node_name);

  assert_int_equal(ss->volume_claim_templates_nr, 1);
  const struct pvc_template *t = &ss->volume_claim_templates[0];
  assert_string_equal(t->name, "www");
  assert_int_equal(t->spec.access_modes, ACCESS_RWO);
  assert_int_equal(t->spec.request_bytes, INT64_C(1) << 30);
  assert_null(t->spec.storage_class_name); /* nil: the default class applies */
  assert_null(t->spec.volume_name);
  assert_false(t->spec.has_selector);

  /* The downward-API env, the ports and mountPath are not modelled. */
  assert_true(
      has_ignored(&l.s, "spec.template.spec.containers[0].ports", 49, 9));
  assert_true(has_ignored(&l.s, "spec.template.spec.containers[0].env", 52, 9));
  assert_true(has_ignored(
      &l.s, "spec.template.spec.containers[0].volumeMounts[0].mountPath", 59,
      11));
  assert_int_equal(l.s.ignored_nr, 3);
  assert_string_equal(l.s.ignored[0].pos.file, "web.yaml");
  unload(&l);
}

/* ---- storageClassName: nil is not "" ------------------------------------- */

static void storage_class_nil_vs_empty(void **state)
{
  static const char *const cases[][2] = {
      {"", NULL},
      {"  storageClassName:\n", NULL},
      {"  storageClassName: null\n", NULL},
      {"  storageClassName: ~\n", NULL},
      {"  storageClassName: \"\"\n", ""},
      {"  storageClassName: ''\n", ""},
      {"  storageClassName: standard\n", "standard"},
      {"  storageClassName: \"null\"\n", "null"},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char buf[512];
    struct loaded l;

    snprintf(buf, sizeof(buf),
             "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n"
             "  name: data\nspec:\n%s"
             "  accessModes: [ReadWriteOnce]\n"
             "  resources: {requests: {storage: 1Gi}}\n",
             cases[i][0]);
    if (load(&l, "c.yaml", buf))
      fail_msg("case %zu: %s", i, l.msg);
    const char *got = l.objs[0].u.pvc.spec.storage_class_name;
    if (!cases[i][1])
      assert_null(got);
    else
      assert_string_equal(got, cases[i][1]);
    unload(&l);
  }

  /* The same in files: a claim template without, a bare claim with "". */
  struct loaded l;
  load_file(&l, "nginx.yaml");
  const struct object *pvc = find(&l, KIND_PVC, "scratch");
  assert_non_null(pvc->u.pvc.spec.storage_class_name);
  assert_string_equal(pvc->u.pvc.spec.storage_class_name, "");
  const struct object *sts = find(&l, KIND_STATEFULSET, "web");
  assert_string_equal(
      sts->u.sts.spec.volume_claim_templates[0].spec.storage_class_name,
      "my-storage-class");
  unload(&l);
}

/* ---- validation errors --------------------------------------------------- */

#define STS_HEAD                                                               \
  "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n"
/* lines 6 to 12 */
#define SEL_TPL                                                                \
  "  selector:\n"                                                              \
  "    matchLabels: {app: web}\n"                                              \
  "  template:\n"                                                              \
  "    metadata:\n"                                                            \
  "      labels: {app: web}\n"                                                 \
  "    spec:\n"                                                                \
  "      containers: [{name: c, image: i}]\n"
#define TPL_ONLY                                                               \
  "  template:\n"                                                              \
  "    metadata:\n"                                                            \
  "      labels: {app: web}\n"                                                 \
  "    spec:\n"                                                                \
  "      containers: [{name: c, image: i}]\n"
#define PVC_HEAD                                                               \
  "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: c\nspec:\n"
#define PV_HEAD                                                                \
  "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: p\nspec:\n"
#define POD_HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"

#define DNS_LABEL                                                              \
  "a lowercase RFC 1123 label must consist of lower case alphanumeric "        \
  "characters or '-', and must start and end with an alphanumeric character "  \
  "(e.g. 'my-name',  or '123-abc', regex used for validation is "              \
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define DNS_SUBDOMAIN                                                          \
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "    \
  "characters, '-' or '.', and must start and end with an alphanumeric "       \
  "character (e.g. 'example.com', regex used for validation is "               \
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

static const struct bad_case {
  const char *yaml;
  const char *want;
} bad_cases[] = {
    /* StatefulSet spec */
    {STS_HEAD "  replicas: -1\n" SEL_TPL,
     "t.yaml:6:13: spec.replicas: Invalid value: -1: must be greater than or "
     "equal to 0"},
    {STS_HEAD "  replicas: three\n" SEL_TPL,
     "t.yaml:6:13: spec.replicas: expected an integer, got \"three\""},
    {STS_HEAD "  replicas: \"3\"\n" SEL_TPL,
     "t.yaml:6:13: spec.replicas: expected an integer, got \"3\""},
    {STS_HEAD "  replicas: 2147483648\n" SEL_TPL,
     "t.yaml:6:13: spec.replicas: 2147483648 is out of range (-2147483648 to "
     "2147483647)"},
    {STS_HEAD TPL_ONLY, "t.yaml:6:3: spec.selector: Required value"},
    {STS_HEAD "  selector: app=web\n" TPL_ONLY,
     "t.yaml:6:13: spec.selector: expected a mapping, got \"app=web\""},
    {STS_HEAD "  selector: {}\n" TPL_ONLY,
     "t.yaml:6:13: spec.selector: Invalid value: {}: empty selector is "
     "invalid for statefulset"},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    metadata:\n"
              "      labels: {tier: fe, app: nginx}\n"
              "    spec:\n"
              "      containers: [{name: c, image: i}]\n",
     "t.yaml:10:15: spec.template.metadata.labels: Invalid value: "
     "map[string]string{\"app\":\"nginx\", \"tier\":\"fe\"}: `selector` does "
     "not match template `labels`"},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    spec:\n"
              "      containers: [{name: c, image: i}]\n",
     "t.yaml:9:5: spec.template.metadata.labels: Invalid value: "
     "map[string]string(nil): `selector` does not match template `labels`"},
    {STS_HEAD "  selector:\n"
              "    matchExpressions:\n"
              "    - key: app\n"
              "      operator: Equals\n"
              "      values: [web]\n" TPL_ONLY,
     "t.yaml:9:17: spec.selector.matchExpressions[0].operator: Invalid value: "
     "\"Equals\": not a valid selector operator"},
    {STS_HEAD "  selector:\n"
              "    matchExpressions:\n"
              "    - key: app\n"
              "      operator: In\n" TPL_ONLY,
     "t.yaml:8:7: spec.selector.matchExpressions[0].values: Required value: "
     "must be specified when `operator` is 'In' or 'NotIn'"},
    {STS_HEAD "  selector:\n"
              "    matchExpressions:\n"
              "    - {key: app, operator: Exists, values: [web]}\n" TPL_ONLY,
     "t.yaml:8:44: spec.selector.matchExpressions[0].values: Forbidden: may "
     "not be specified when `operator` is 'Exists' or 'DoesNotExist'"},
    {STS_HEAD SEL_TPL "      restartPolicy: Never\n",
     "t.yaml:13:22: spec.template.spec.restartPolicy: Unsupported value: "
     "\"Never\": supported values: \"Always\""},
    {STS_HEAD "  podManagementPolicy: Sequential\n" SEL_TPL,
     "t.yaml:6:24: spec.podManagementPolicy: Unsupported value: "
     "\"Sequential\": supported values: \"OrderedReady\", \"Parallel\""},
    {STS_HEAD "  updateStrategy:\n"
              "    type: Recreate\n" SEL_TPL,
     "t.yaml:7:11: spec.updateStrategy.type: Unsupported value: \"Recreate\": "
     "supported values: \"OnDelete\", \"RollingUpdate\""},
    {STS_HEAD "  updateStrategy:\n"
              "    type: OnDelete\n"
              "    rollingUpdate:\n"
              "      partition: 1\n" SEL_TPL,
     "t.yaml:8:5: spec.updateStrategy.rollingUpdate: Forbidden: only allowed "
     "for updateStrategy 'RollingUpdate'"},
    {STS_HEAD "  updateStrategy:\n"
              "    rollingUpdate:\n"
              "      partition: -1\n" SEL_TPL,
     "t.yaml:8:18: spec.updateStrategy.rollingUpdate.partition: Invalid "
     "value: -1: must be greater than or equal to 0"},
    {STS_HEAD "  updateStrategy:\n"
              "    rollingUpdate:\n"
              "      maxUnavailable: 0\n" SEL_TPL,
     "t.yaml:8:23: spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid "
     "value: 0: cannot be 0"},
    {STS_HEAD "  updateStrategy:\n"
              "    rollingUpdate:\n"
              "      maxUnavailable: \"0%\"\n" SEL_TPL,
     "t.yaml:8:23: spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid "
     "value: \"0%\": cannot be 0"},
    {STS_HEAD "  updateStrategy:\n"
              "    rollingUpdate:\n"
              "      maxUnavailable: 150%\n" SEL_TPL,
     "t.yaml:8:23: spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid "
     "value: \"150%\": must not be greater than 100%"},
    {STS_HEAD "  updateStrategy:\n"
              "    rollingUpdate:\n"
              "      maxUnavailable: -2\n" SEL_TPL,
     "t.yaml:8:23: spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid "
     "value: -2: must be greater than or equal to 0"},
    {STS_HEAD "  updateStrategy:\n"
              "    rollingUpdate:\n"
              "      maxUnavailable: 1.5\n" SEL_TPL,
     "t.yaml:8:23: spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid "
     "value: \"1.5\": a valid percent string must be a numeric string "
     "followed by an ending '%' (e.g. '1%',  or '93%', regex used for "
     "validation is '[0-9]+%')"},
    {STS_HEAD "  persistentVolumeClaimRetentionPolicy:\n"
              "    whenDeleted: Keep\n" SEL_TPL,
     "t.yaml:7:18: spec.persistentVolumeClaimRetentionPolicy.whenDeleted: "
     "Unsupported value: \"Keep\": supported values: \"Retain\", \"Delete\""},
    {STS_HEAD "  ordinals:\n"
              "    start: -2\n" SEL_TPL,
     "t.yaml:7:12: spec.ordinals.start: Invalid value: -2: must be greater "
     "than or equal to 0"},
    {STS_HEAD "  minReadySeconds: -5\n" SEL_TPL,
     "t.yaml:6:20: spec.minReadySeconds: Invalid value: -5: must be greater "
     "than or equal to 0"},
    {STS_HEAD "  revisionHistoryLimit: -1\n" SEL_TPL,
     "t.yaml:6:25: spec.revisionHistoryLimit: Invalid value: -1: must be "
     "greater than or equal to 0"},
    /* names */
    {"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: "
     "Web\nspec:\n" SEL_TPL,
     "t.yaml:4:9: metadata.name: Invalid value: \"Web\": " DNS_LABEL},
    {"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web.v1\n"
     "spec:\n" SEL_TPL,
     "t.yaml:4:9: metadata.name: Invalid value: \"web.v1\": must not contain "
     "dots"},
    {"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: "
     "a123456789b123456789c123456789d123456789e123456789f123456789abcd\n"
     "spec:\n" SEL_TPL,
     "t.yaml:4:9: metadata.name: Invalid value: "
     "\"a123456789b123456789c123456789d123456789e123456789f123456789abcd\": "
     "must be no more than 63 characters"},
    {"apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: my_pv\n",
     "t.yaml:4:9: metadata.name: Invalid value: \"my_pv\": " DNS_SUBDOMAIN},
    {"apiVersion: v1\nkind: Service\nmetadata:\n  name: 1st-svc\n",
     "t.yaml:4:9: metadata.name: Invalid value: \"1st-svc\": a DNS-1035 "
     "label must consist of lower case alphanumeric characters or '-', start "
     "with an alphabetic character, and end with an alphanumeric character "
     "(e.g. 'my-name',  or 'abc-123', regex used for validation is "
     "'[a-z]([-a-z0-9]*[a-z0-9])?')"},
    {"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: "
     "Prod\n",
     "t.yaml:5:14: metadata.namespace: Invalid value: \"Prod\": " DNS_LABEL},
    {"apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\nspec:\n"
     "  containers: [{name: c, image: i}]\n",
     "t.yaml:4:3: metadata.name: Required value: name or generateName is "
     "required"},
    {"apiVersion: v1\nkind: Service\nspec:\n  clusterIP: None\n",
     "t.yaml:1:1: metadata.name: Required value: name or generateName is "
     "required"},
    /* labels: keys and values as upstream's ValidateLabels */
    {"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
     "  labels: {ok: fine, bad key: x}\n",
     "t.yaml:5:22: metadata.labels: Invalid value: \"bad key\": name part "
     "must consist of alphanumeric characters, '-', '_' or '.', and must "
     "start and end with an alphanumeric character (e.g. 'MyName',  or "
     "'my.name',  or '123-abc', regex used for validation is "
     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
    {"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
     "  labels: {Example.com/app: x}\n",
     "t.yaml:5:12: metadata.labels: Invalid value: \"Example.com/app\": "
     "prefix part " DNS_SUBDOMAIN},
    {"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
     "  labels: {a/b/c: x}\n",
     "t.yaml:5:12: metadata.labels: Invalid value: \"a/b/c\": a qualified "
     "name must consist of alphanumeric characters, '-', '_' or '.', and "
     "must start and end with an alphanumeric character (e.g. 'MyName',  or "
     "'my.name',  or '123-abc', regex used for validation is "
     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
     "subdomain prefix and '/' (e.g. 'example.com/MyName')"},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: \"web server\"}\n" TPL_ONLY,
     "t.yaml:7:24: spec.selector.matchLabels: Invalid value: \"web server\": "
     "a valid label must be an empty string or consist of alphanumeric "
     "characters, '-', '_' or '.', and must start and end with an "
     "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
     "regex used for validation is "
     "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
    {"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n"
     "  selector: {app: "
     "a123456789b123456789c123456789d123456789e123456789f123456789abcd}\n",
     "t.yaml:6:19: spec.selector: Invalid value: "
     "\"a123456789b123456789c123456789d123456789e123456789f123456789abcd\": "
     "must be no more than 63 characters"},
    /* templates and containers */
    {STS_HEAD SEL_TPL "  volumeClaimTemplates:\n"
                      "  - metadata:\n"
                      "      labels: {a: b}\n"
                      "    spec:\n"
                      "      accessModes: [ReadWriteOnce]\n"
                      "      resources: {requests: {storage: 1Gi}}\n",
     "t.yaml:15:7: spec.volumeClaimTemplates[0].metadata.name: Required "
     "value"},
    {STS_HEAD SEL_TPL "  volumeClaimTemplates:\n"
                      "  - metadata: {name: data}\n"
                      "    spec:\n"
                      "      accessModes: [ReadWriteOnce]\n",
     "t.yaml:16:7: spec.volumeClaimTemplates[0].spec.resources.requests."
     "storage: Required value"},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    metadata:\n"
              "      labels: {app: web}\n"
              "    spec:\n"
              "      containers: [{name: c}]\n",
     "t.yaml:12:20: spec.template.spec.containers[0].image: Required value"},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    metadata:\n"
              "      labels: {app: web}\n"
              "    spec:\n"
              "      containers: []\n",
     "t.yaml:12:19: spec.template.spec.containers: Required value"},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    metadata:\n"
              "      labels: {app: web}\n"
              "    spec:\n"
              "      containers: [{name: c, image: i}, {name: c, image: j}]\n",
     "t.yaml:12:48: spec.template.spec.containers[1].name: Duplicate value: "
     "\"c\""},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    metadata:\n"
              "      labels: {app: web}\n"
              "    spec:\n"
              "      containers:\n"
              "      - name: c\n"
              "        image: i\n"
              "        volumeMounts:\n"
              "        - name: data\n"
              "          mountPath: /data\n",
     "t.yaml:16:17: spec.template.spec.containers[0].volumeMounts[0].name: "
     "Not found: \"data\""},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    metadata:\n"
              "      labels: {app: web}\n"
              "    spec:\n"
              "      containers:\n"
              "      - name: c\n"
              "        image: i\n"
              "        readinessProbe:\n"
              "          periodSeconds: 5\n",
     "t.yaml:16:11: spec.template.spec.containers[0].readinessProbe: Required "
     "value: must specify a handler type"},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    metadata:\n"
              "      labels: {app: web}\n"
              "    spec:\n"
              "      containers:\n"
              "      - name: c\n"
              "        image: i\n"
              "        livenessProbe:\n"
              "          tcpSocket: {port: 80}\n"
              "          successThreshold: 2\n",
     "t.yaml:17:29: spec.template.spec.containers[0].livenessProbe."
     "successThreshold: Invalid value: 2: must be 1"},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    metadata:\n"
              "      labels: {app: web}\n"
              "    spec:\n"
              "      containers:\n"
              "      - name: c\n"
              "        image: i\n"
              "        resources:\n"
              "          requests:\n"
              "            cpu: two\n",
     "t.yaml:17:18: spec.template.spec.containers[0].resources.requests.cpu: "
     "\"two\" is not a quantity (e.g. 500m, 2)"},
    {STS_HEAD "  selector:\n"
              "    matchLabels: {app: web}\n"
              "  template:\n"
              "    metadata:\n"
              "      labels: {app: web}\n"
              "    spec:\n"
              "      containers:\n"
              "      - name: c\n"
              "        image: i\n"
              "        resources:\n"
              "          requests: {memory: [1Gi]}\n",
     "t.yaml:16:30: spec.template.spec.containers[0].resources.requests."
     "memory: expected a quantity (e.g. 1Gi, 500Mi), got a sequence"},
    /* claims */
    {PVC_HEAD "  accessModes: [ReadWriteOnce]\n"
              "  resources:\n"
              "    requests:\n"
              "      storage: 1 Gi\n",
     "t.yaml:9:16: spec.resources.requests.storage: \"1 Gi\" is not a "
     "quantity (e.g. 1Gi, 500Mi)"},
    {PVC_HEAD "  accessModes: [ReadWriteOnce]\n"
              "  resources:\n"
              "    requests:\n"
              "      storage: -1Gi\n",
     "t.yaml:9:16: spec.resources.requests.storage: Invalid value: \"-1Gi\": "
     "must be greater than or equal to 0"},
    {PVC_HEAD "  accessModes: [ReadWriteOnce]\n"
              "  resources:\n"
              "    requests:\n"
              "      storage: 0\n",
     "t.yaml:9:16: spec.resources.requests.storage: Invalid value: \"0\": "
     "must be greater than zero"},
    {PVC_HEAD "  resources:\n"
              "    requests:\n"
              "      storage: 1Gi\n",
     "t.yaml:6:3: spec.accessModes: Required value: at least 1 access mode "
     "is required"},
    {PVC_HEAD "  accessModes: [ReadWriteSometimes]\n"
              "  resources: {requests: {storage: 1Gi}}\n",
     "t.yaml:6:17: spec.accessModes[0]: Unsupported value: "
     "\"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", "
     "\"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\""},
    {PVC_HEAD "  accessModes: [ReadWriteOncePod, ReadWriteOnce]\n"
              "  resources: {requests: {storage: 1Gi}}\n",
     "t.yaml:6:16: spec.accessModes: Forbidden: may not use ReadWriteOncePod "
     "with other access modes"},
    {PVC_HEAD "  accessModes: [ReadWriteOnce]\n"
              "  resources: {}\n",
     "t.yaml:6:3: spec.resources.requests.storage: Required value"},
    {PVC_HEAD "  accessModes: [ReadWriteOnce]\n"
              "  volumeMode: Raw\n"
              "  resources: {requests: {storage: 1Gi}}\n",
     "t.yaml:7:15: spec.volumeMode: Unsupported value: \"Raw\": supported "
     "values: \"Block\", \"Filesystem\""},
    {PVC_HEAD "  accessModes: ReadWriteOnce\n"
              "  resources: {requests: {storage: 1Gi}}\n",
     "t.yaml:6:16: spec.accessModes: expected a sequence, got "
     "\"ReadWriteOnce\""},
    /* volumes */
    {PV_HEAD "  capacity: {storage: 1Gi}\n"
             "  accessModes: [ReadWriteOnce]\n"
             "  local: {path: /mnt/x}\n",
     "t.yaml:6:3: spec.nodeAffinity: Required value: Local volume requires "
     "node affinity"},
    {PV_HEAD "  capacity: {storage: 1Gi}\n"
             "  accessModes: [ReadWriteOnce]\n"
             "  hostPath: {path: /a}\n"
             "  nfs: {server: s, path: /b}\n",
     "t.yaml:9:3: spec.nfs: Forbidden: may not specify more than 1 volume "
     "type"},
    {PV_HEAD "  capacity: {storage: 1Gi}\n"
             "  accessModes: [ReadWriteOnce]\n",
     "t.yaml:6:3: spec: Required value: must specify a volume type"},
    {PV_HEAD "  accessModes: [ReadWriteOnce]\n"
             "  hostPath: {path: /a}\n",
     "t.yaml:6:3: spec.capacity: Required value"},
    {PV_HEAD "  capacity: {storage: 1Gi}\n"
             "  accessModes: [ReadWriteOnce]\n"
             "  persistentVolumeReclaimPolicy: Destroy\n"
             "  hostPath: {path: /a}\n",
     "t.yaml:8:34: spec.persistentVolumeReclaimPolicy: Unsupported value: "
     "\"Destroy\": supported values: \"Delete\", \"Recycle\", \"Retain\""},
    {PV_HEAD "  capacity: {storage: 1Gi}\n"
             "  accessModes: [ReadWriteOnce]\n"
             "  csi: {driver: ebs.csi.aws.com}\n",
     "t.yaml:8:8: spec.csi.volumeHandle: Required value"},
    {PV_HEAD "  capacity: {storage: 1Gi}\n"
             "  accessModes: [ReadWriteOnce]\n"
             "  hostPath: {path: /a}\n"
             "  nodeAffinity:\n"
             "    required:\n"
             "      nodeSelectorTerms: []\n",
     "t.yaml:11:26: spec.nodeAffinity.required.nodeSelectorTerms: Required "
     "value: must have at least one node selector term"},
    /* storage classes */
    {"apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n"
     "  name: s\nreclaimPolicy: Delete\n",
     "t.yaml:1:1: provisioner: Required value"},
    {"apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n"
     "  name: s\nprovisioner: p\nvolumeBindingMode: Later\n",
     "t.yaml:6:20: volumeBindingMode: Unsupported value: \"Later\": supported "
     "values: \"Immediate\", \"WaitForFirstConsumer\""},
    {"apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n"
     "  name: s\nprovisioner: p\nreclaimPolicy: Recycle\n",
     "t.yaml:6:16: reclaimPolicy: Unsupported value: \"Recycle\": supported "
     "values: \"Delete\", \"Retain\""},
    /* disruption budgets */
    {"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n"
     "  name: p\nspec:\n  minAvailable: 1\n  maxUnavailable: 1\n",
     "t.yaml:6:3: spec: Invalid value: {\"minAvailable\":1,"
     "\"maxUnavailable\":1}: minAvailable and maxUnavailable cannot be both "
     "set"},
    {"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n"
     "  name: p\nspec:\n  minAvailable: 120%\n",
     "t.yaml:6:17: spec.minAvailable: Invalid value: \"120%\": must not be "
     "greater than 100%"},
    /* pods, services, nodes */
    {POD_HEAD "  containers: [{name: c, image: i}]\n"
              "  tolerations:\n"
              "  - {key: k, operator: Exists, value: v}\n",
     "t.yaml:8:39: spec.tolerations[0].operator: Invalid value: \"v\": value "
     "must be empty when `operator` is 'Exists'"},
    {POD_HEAD "  containers: [{name: c, image: i}]\n"
              "  tolerations:\n"
              "  - {operator: Equal, value: v}\n",
     "t.yaml:8:5: spec.tolerations[0].operator: Invalid value: \"Equal\": "
     "operator must be Exists when `key` is empty, which means \"match all "
     "values and all keys\""},
    {POD_HEAD "  containers: [{name: c, image: i}]\n"
              "  tolerations:\n"
              "  - {key: k, effect: NoSchedule, tolerationSeconds: 30}\n",
     "t.yaml:8:53: spec.tolerations[0].effect: Invalid value: \"NoSchedule\": "
     "effect must be 'NoExecute' when `tolerationSeconds` is set"},
    {POD_HEAD "  nodeName: n\n", "t.yaml:6:3: spec.containers: Required value"},
    {POD_HEAD "  containers: [{name: c, image: i}]\n"
              "  volumes:\n"
              "  - name: v\n",
     "t.yaml:8:5: spec.volumes[0]: Required value: must specify a volume "
     "type"},
    {POD_HEAD "  containers: [{name: c, image: i}]\n"
              "  volumes:\n"
              "  - {name: v, emptyDir: {}, secret: {secretName: s}}\n",
     "t.yaml:8:29: spec.volumes[0].secret: Forbidden: may not specify more "
     "than 1 volume type"},
    {POD_HEAD "  containers: [{name: c, image: i}]\n"
              "  terminationGracePeriodSeconds: -1\n",
     "t.yaml:7:34: spec.terminationGracePeriodSeconds: Invalid value: -1: "
     "must be greater than or equal to 0"},
    {POD_HEAD "  containers: [{name: c, image: i}]\n"
              "  affinity:\n"
              "    podAntiAffinity:\n"
              "      requiredDuringSchedulingIgnoredDuringExecution:\n"
              "      - labelSelector: {matchLabels: {app: web}}\n",
     "t.yaml:10:9: spec.affinity.podAntiAffinity."
     "requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: "
     "Required value: can not be empty"},
    {POD_HEAD "  containers: [{name: c, image: i}]\n"
              "  affinity:\n"
              "    nodeAffinity:\n"
              "      requiredDuringSchedulingIgnoredDuringExecution:\n"
              "        nodeSelectorTerms:\n"
              "        - matchExpressions:\n"
              "          - {key: cpu, operator: Gt, values: [\"2\", \"4\"]}\n",
     "t.yaml:12:46: spec.affinity.nodeAffinity."
     "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]."
     "matchExpressions[0].values: Required value: must be specified single "
     "value when `operator` is 'Lt' or 'Gt'"},
    {"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n"
     "  ports:\n  - port: 70000\n",
     "t.yaml:7:11: spec.ports[0].port: Invalid value: 70000: must be between "
     "1 and 65535, inclusive"},
    {"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n"
     "  clusterIP: None\n  type: NodePort\n",
     "t.yaml:7:9: spec.type: Invalid value: \"NodePort\": may not be set "
     "when `clusterIP` is `None`"},
    {"apiVersion: v1\nkind: Node\nmetadata:\n  name: n\nspec:\n"
     "  taints:\n  - key: k\n    value: v\n",
     "t.yaml:7:5: spec.taints[0].effect: Required value"},
    {"apiVersion: v1\nkind: Node\nmetadata:\n  name: n\nstatus:\n"
     "  allocatable: {cpu: lots}\n",
     "t.yaml:6:22: status.allocatable.cpu: \"lots\" is not a quantity (e.g. "
     "4, 3500m)"},
    {"apiVersion: v1\nkind: Node\nmetadata:\n  name: n\nspec:\n"
     "  unschedulable: yes\n",
     "t.yaml:6:18: spec.unschedulable: expected true or false, got \"yes\""},
};

static void validation_errors(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
    struct loaded l;
    int rc = load(&l, "t.yaml", bad_cases[i].yaml);

    if (rc == 0)
      fail_msg("case %zu loaded, wanted: %s", i, bad_cases[i].want);
    if (strcmp(l.msg, bad_cases[i].want))
      fail_msg("case %zu:\n got: %s\nwant: %s", i, l.msg, bad_cases[i].want);
    assert_int_equal(rc, SIM_ESCHEMA);
    assert_int_equal(l.d.code, SIM_ESCHEMA);
    /* A failed document leaves nothing behind. */
    assert_int_equal(l.nr, 0);
    assert_int_equal(l.s.ignored_nr, 0);
    unload(&l);
  }
}

/* Values at the edge of validity load. */
static void boundary_values_accepted(void **state)
{
  struct loaded l;
  (void)state;

  assert_int_equal(load(&l, "t.yaml",
                        STS_HEAD "  replicas: 0\n"
                                 "  minReadySeconds: 0\n"
                                 "  revisionHistoryLimit: 0\n"
                                 "  ordinals: {}\n"
                                 "  updateStrategy:\n"
                                 "    rollingUpdate:\n"
                                 "      maxUnavailable: \"100%\"\n" SEL_TPL),
                   0);
  const struct statefulset_spec *ss = &l.objs[0].u.sts.spec;
  assert_int_equal(ss->replicas, 0); /* explicit 0 is not "unset" */
  assert_int_equal(ss->revision_history_limit, 0);
  assert_true(ss->has_ordinals);
  assert_int_equal(ss->ordinals_start, 0);
  assert_true(ss->max_unavailable.set);
  assert_true(ss->max_unavailable.is_percent);
  assert_int_equal(ss->max_unavailable.value, 100);
  unload(&l);

  /* maxUnavailable as 2 and "2"; replicas as null means unset. */
  assert_int_equal(load(&l, "t.yaml",
                        STS_HEAD "  replicas: null\n"
                                 "  updateStrategy:\n"
                                 "    type: RollingUpdate\n"
                                 "    rollingUpdate: {maxUnavailable: \"2\"}\n"
                                 "---\n" STS_HEAD "  updateStrategy:\n"
                                 "    rollingUpdate: {maxUnavailable: 2}\n"
                                 "  podManagementPolicy: Parallel\n" SEL_TPL),
                   SIM_ESCHEMA); /* the first lacks a selector */
  unload(&l);
  assert_int_equal(load(&l, "t.yaml",
                        STS_HEAD
                        "  replicas: null\n"
                        "  updateStrategy:\n"
                        "    type: RollingUpdate\n"
                        "    rollingUpdate: {maxUnavailable: \"2\"}\n" SEL_TPL
                        "---\n" STS_HEAD "  updateStrategy:\n"
                        "    rollingUpdate: {maxUnavailable: 2}\n"
                        "  podManagementPolicy: Parallel\n" SEL_TPL),
                   0);
  assert_int_equal(l.nr, 2);
  for (size_t i = 0; i < 2; i++) {
    ss = &l.objs[i].u.sts.spec;
    assert_true(ss->max_unavailable.set);
    assert_false(ss->max_unavailable.is_percent);
    assert_int_equal(ss->max_unavailable.value, 2);
  }
  assert_int_equal(l.objs[0].u.sts.spec.replicas, 1);
  assert_int_equal(l.objs[1].u.sts.spec.pod_management_policy, PMP_PARALLEL);
  unload(&l);

  /* generateName stands in for name; cluster-scoped kinds drop namespace. */
  assert_int_equal(
      load(&l, "t.yaml",
           "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: job-\n"
           "spec:\n  containers: [{name: c, image: i}]\n---\n"
           "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n"
           "  namespace: default\n"),
      0);
  assert_string_equal(l.objs[0].meta.name, "");
  assert_string_equal(l.objs[0].meta.generate_name, "job-");
  assert_string_equal(l.objs[1].meta.namespace_, "");
  assert_true(has_ignored(&l.s, "metadata.namespace", 12, 3));
  unload(&l);
}

/* ---- unmodelled fields --------------------------------------------------- */

static void ignored_fields_listed(void **state)
{
  static const char yaml[] =
      "apiVersion: apps/v1\n"                           /* 1 */
      "kind: StatefulSet\n"                             /* 2 */
      "metadata:\n"                                     /* 3 */
      "  name: web\n"                                   /* 4 */
      "  creationTimestamp: null\n"                     /* 5 */
      "  resourceVersion: \"123\"\n"                    /* 6 */
      "spec:\n"                                         /* 7 */
      "  selector: {matchLabels: {app: web}}\n"         /* 8 */
      "  template:\n"                                   /* 9 */
      "    metadata:\n"                                 /* 10 */
      "      labels: {app: web}\n"                      /* 11 */
      "      name: ignored-name\n"                      /* 12 */
      "    spec:\n"                                     /* 13 */
      "      dnsPolicy: ClusterFirst\n"                 /* 14 */
      "      securityContext: {}\n"                     /* 15 */
      "      containers:\n"                             /* 16 */
      "      - name: c\n"                               /* 17 */
      "        image: i\n"                              /* 18 */
      "        ports:\n"                                /* 19 */
      "        - containerPort: 80\n"                   /* 20 */
      "        resources:\n"                            /* 21 */
      "          requests:\n"                           /* 22 */
      "            cpu: 250m\n"                         /* 23 */
      "            ephemeral-storage: 1Gi\n"            /* 24 */
      "          limits:\n"                             /* 25 */
      "            nvidia.com/gpu: 1\n"                 /* 26 */
      "        readinessProbe:\n"                       /* 27 */
      "          httpGet: {path: /healthz, port: 80}\n" /* 28 */
      "          terminationGracePeriodSeconds: 5\n"    /* 29 */
      "status:\n"                                       /* 30 */
      "  replicas: 3\n"                                 /* 31 */
      "extra: true\n";                                  /* 32 */
  static const struct {
    const char *path;
    int line, col;
  } want[] = {
      {"metadata.resourceVersion", 6, 3},
      {"spec.template.metadata.name", 12, 7},
      {"spec.template.spec.dnsPolicy", 14, 7},
      {"spec.template.spec.containers[0].ports", 19, 9},
      {"spec.template.spec.containers[0].resources.requests.ephemeral-storage",
       24, 13},
      {"spec.template.spec.containers[0].resources.limits.nvidia.com/gpu", 26,
       13},
      {"spec.template.spec.containers[0].readinessProbe.httpGet", 28, 11},
      {"spec.template.spec.containers[0].readinessProbe."
       "terminationGracePeriodSeconds",
       29, 11},
      {"status", 30, 1},
      {"extra", 32, 1},
  };
  struct loaded l;
  (void)state;

  if (load(&l, "i.yaml", yaml))
    fail_msg("%s", l.msg);
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
    if (!has_ignored(&l.s, want[i].path, want[i].line, want[i].col))
      fail_msg("not listed: %s at %d:%d", want[i].path, want[i].line,
               want[i].col);
  /* null and empty values say nothing: not listed */
  assert_false(ignored_path(&l.s, "metadata.creationTimestamp"));
  assert_false(ignored_path(&l.s, "spec.template.spec.securityContext"));
  assert_int_equal(l.s.ignored_nr, sizeof(want) / sizeof(want[0]));
  /* in document order */
  for (size_t i = 0; i < l.s.ignored_nr; i++)
    assert_string_equal(l.s.ignored[i].path, want[i].path);
  const struct container *c =
      &l.objs[0].u.sts.spec.template_.spec.containers[0];
  assert_int_equal(c->cpu_request_milli, 250);
  assert_true(c->readiness.set);
  assert_int_equal(c->readiness.period_seconds, 10);
  unload(&l);
}

/* ---- real-world manifests ------------------------------------------------ */

static void zookeeper_loads(void **state)
{
  struct loaded l;
  (void)state;

  load_file(&l, "zookeeper.yaml");
  assert_int_equal(l.nr, 4);
  assert_true(find(&l, KIND_SERVICE, "zk-hs")->u.svc.headless);
  const struct object *cs = find(&l, KIND_SERVICE, "zk-cs");
  assert_false(cs->u.svc.headless);
  assert_null(cs->u.svc.cluster_ip);
  const struct object *pdb = find(&l, KIND_PDB, "zk-pdb");
  assert_true(pdb->u.pdb.max_unavailable.set);
  assert_false(pdb->u.pdb.max_unavailable.is_percent);
  assert_int_equal(pdb->u.pdb.max_unavailable.value, 1);
  assert_false(pdb->u.pdb.min_available.set);

  const struct statefulset_spec *ss =
      &find(&l, KIND_STATEFULSET, "zk")->u.sts.spec;
  const struct pod_spec *ps = &ss->template_.spec;
  assert_string_equal(ss->service_name, "zk-hs");
  assert_int_equal(ps->affinity.pod_anti_affinity_required_nr, 1);
  const struct pod_affinity_term *t =
      &ps->affinity.pod_anti_affinity_required[0];
  assert_string_equal(t->topology_key, "kubernetes.io/hostname");
  assert_int_equal(t->selector.exprs_nr, 1);
  assert_int_equal(t->selector.exprs[0].op, SEL_IN);
  assert_string_equal(t->selector.exprs[0].values.v[0], "zk");
  const struct container *c = container(ps, "kubernetes-zookeeper");
  assert_int_equal(c->cpu_request_milli, 500);
  assert_int_equal(c->memory_request, INT64_C(1) << 30);
  assert_true(c->readiness.set);
  assert_int_equal(c->readiness.initial_delay_seconds, 10);
  assert_int_equal(c->readiness.timeout_seconds, 5);
  assert_int_equal(c->readiness.period_seconds, 10);
  assert_int_equal(c->readiness.failure_threshold, 3);
  assert_true(c->liveness.set);
  assert_false(c->startup.set);
  assert_int_equal(ss->volume_claim_templates[0].spec.request_bytes, INT64_C(10)
                                                                         << 30);
  assert_true(ignored_path(&l.s, "spec.template.spec.securityContext"));
  assert_true(
      ignored_path(&l.s, "spec.template.spec.containers[0].imagePullPolicy"));
  assert_true(ignored_path(&l.s, "spec.template.spec.containers[0].command"));
  unload(&l);
}

static void postgres_loads(void **state)
{
  struct loaded l;
  (void)state;

  load_file(&l, "postgres.yaml"); /* its ConfigMap is skipped */
  assert_int_equal(l.nr, 3);

  const struct object *sc = find(&l, KIND_STORAGECLASS, "fast-ssd");
  assert_string_equal(sc->meta.namespace_, "");
  assert_string_equal(sc->u.sc.provisioner, "ebs.csi.aws.com");
  assert_int_equal(sc->u.sc.reclaim_policy, RECLAIM_RETAIN);
  assert_int_equal(sc->u.sc.volume_binding_mode,
                   BINDING_WAIT_FOR_FIRST_CONSUMER);
  assert_true(sc->u.sc.allow_volume_expansion);
  assert_string_equal(kv_get(&sc->u.sc.parameters, "iops"), "3000");
  assert_string_equal(kv_get(&sc->meta.annotations, ANN_DEFAULT_STORAGE_CLASS),
                      "true");
  assert_int_equal(sc->u.sc.allowed_topologies.terms_nr, 1);
  const struct node_selector_term *at = &sc->u.sc.allowed_topologies.terms[0];
  assert_int_equal(at->exprs_nr, 1);
  assert_string_equal(at->exprs[0].key, "topology.kubernetes.io/zone");
  assert_int_equal(at->exprs[0].op, SEL_IN);
  assert_int_equal(at->exprs[0].values.nr, 2);
  assert_string_equal(at->exprs[0].values.v[1], "eu-west-1b");

  const struct object *svc = find(&l, KIND_SERVICE, "postgres");
  assert_string_equal(svc->meta.namespace_, "db");
  assert_true(svc->u.svc.publish_not_ready_addresses);

  const struct object *o = find(&l, KIND_STATEFULSET, "postgres");
  const struct statefulset_spec *ss = &o->u.sts.spec;
  assert_string_equal(o->meta.namespace_, "db");
  assert_string_equal(
      kv_get(&o->meta.annotations, "argocd.argoproj.io/sync-wave"), "1");
  assert_int_equal(ss->replicas, 2);
  assert_int_equal(ss->pod_management_policy, PMP_PARALLEL);
  assert_int_equal(ss->revision_history_limit, 5);
  assert_int_equal(ss->min_ready_seconds, 15);
  assert_true(ss->has_ordinals);
  assert_int_equal(ss->ordinals_start, 1);
  assert_int_equal(ss->when_deleted, DELETE);
  assert_int_equal(ss->when_scaled, RETAIN);
  assert_int_equal(ss->partition, 1);
  assert_true(ss->max_unavailable.is_percent);
  assert_int_equal(ss->max_unavailable.value, 50);
  assert_int_equal(ss->selector.exprs_nr, 1);
  assert_int_equal(ss->selector.exprs[0].values.nr, 2);

  const struct pod_spec *ps = &ss->template_.spec;
  assert_string_equal(
      kv_get(&ss->template_.annotations, "prometheus.io/scrape"), "true");
  assert_int_equal(ps->termination_grace_period_seconds, 120);
  assert_string_equal(ps->scheduler_name, "default-scheduler");
  assert_string_equal(kv_get(&ps->node_selector, "kubernetes.io/os"), "linux");
  assert_int_equal(ps->tolerations_nr, 2);
  assert_string_equal(ps->tolerations[0].key, "dedicated");
  assert_int_equal(ps->tolerations[0].op, TOLERATE_EQUAL);
  assert_string_equal(ps->tolerations[0].value, "database");
  assert_false(ps->tolerations[0].any_effect);
  assert_int_equal(ps->tolerations[0].effect, TAINT_NO_SCHEDULE);
  assert_int_equal(ps->tolerations[0].toleration_seconds, -1);
  assert_int_equal(ps->tolerations[1].op, TOLERATE_EXISTS);
  assert_int_equal(ps->tolerations[1].effect, TAINT_NO_EXECUTE);
  assert_int_equal(ps->tolerations[1].toleration_seconds, 30);

  const struct affinity *a = &ps->affinity;
  assert_int_equal(a->node_required.terms_nr, 1);
  assert_int_equal(a->node_required.terms[0].exprs_nr, 2);
  assert_int_equal(a->node_required.terms[0].exprs[0].op, SEL_NOT_IN);
  assert_int_equal(a->node_required.terms[0].exprs[1].op, SEL_EXISTS);
  assert_int_equal(a->node_preferred_nr, 1);
  assert_int_equal(a->node_preferred[0].weight, 50);
  assert_string_equal(a->node_preferred[0].term.exprs[0].key, "disktype");
  assert_int_equal(a->pod_affinity_required_nr, 1);
  assert_int_equal(a->pod_affinity_required[0].namespaces.nr, 2);
  assert_string_equal(a->pod_affinity_required[0].namespaces.v[1], "pooler");
  assert_int_equal(a->pod_anti_affinity_required_nr, 0);
  assert_int_equal(a->pod_anti_affinity_preferred_nr, 1);
  assert_int_equal(a->pod_anti_affinity_preferred[0].weight, 100);
  assert_string_equal(a->pod_anti_affinity_preferred[0].term.topology_key,
                      "kubernetes.io/hostname");

  assert_int_equal(ps->init_containers_nr, 1);
  assert_int_equal(ps->init_containers[0].cpu_request_milli, 10);
  assert_int_equal(ps->init_containers[0].memory_request, 16 << 20);
  const struct container *pg = container(ps, "postgres");
  assert_int_equal(pg->cpu_request_milli, 500);
  assert_int_equal(pg->memory_request, INT64_C(1) << 30);
  assert_int_equal(pg->startup.period_seconds, 5);
  assert_int_equal(pg->startup.failure_threshold, 30);
  assert_int_equal(pg->readiness.success_threshold, 2);
  assert_int_equal(pg->liveness.initial_delay_seconds, 30);
  assert_int_equal(pg->volume_mounts.nr, 3);
  /* only limits: the request defaults to the limit, as upstream does */
  const struct container *m = container(ps, "metrics");
  assert_int_equal(m->cpu_request_milli, 100);
  assert_int_equal(m->memory_request, 128 << 20);

  assert_int_equal(ps->volumes_nr, 2);
  assert_int_equal(ps->volumes[0].source, VOLSRC_OTHER);
  assert_int_equal(ps->volumes[1].source, VOLSRC_EMPTYDIR);
  const struct pvc_template *t = &ss->volume_claim_templates[0];
  assert_string_equal(t->name, "data");
  assert_string_equal(kv_get(&t->labels, "app.kubernetes.io/name"), "postgres");
  assert_string_equal(t->spec.storage_class_name, "fast-ssd");
  assert_int_equal(t->spec.request_bytes, INT64_C(50) << 30);

  assert_true(ignored_path(&l.s, "spec.template.spec.containers[0].env"));
  assert_true(ignored_path(&l.s, "spec.template.spec.containers[0].envFrom"));
  assert_true(ignored_path(&l.s, "spec.template.spec.containers[0].lifecycle"));
  assert_true(ignored_path(&l.s, "spec.template.spec.priorityClassName"));
  assert_true(ignored_path(&l.s, "spec.template.spec.serviceAccountName"));
  assert_true(ignored_path(&l.s, "spec.ports[0].targetPort"));
  unload(&l);
}

static void nginx_pod_and_claim(void **state)
{
  struct loaded l;
  (void)state;

  load_file(&l, "nginx.yaml");
  assert_int_equal(l.nr, 3);
  const struct object *sts = find(&l, KIND_STATEFULSET, "web");
  assert_int_equal(sts->u.sts.spec.min_ready_seconds, 10);
  assert_int_equal(
      sts->u.sts.spec.template_.spec.termination_grace_period_seconds, 10);

  const struct object *pvc = find(&l, KIND_PVC, "scratch");
  assert_int_equal(pvc->u.pvc.spec.access_modes, ACCESS_RWOP);
  assert_int_equal(pvc->u.pvc.spec.volume_mode, VOLMODE_BLOCK);
  assert_int_equal(pvc->u.pvc.spec.request_bytes, 500 << 20);
  assert_int_equal(pvc->u.pvc.status.phase, PVC_PENDING);

  const struct object *pod = find(&l, KIND_POD, "debug");
  const struct pod_spec *ps = &pod->u.pod.spec;
  assert_string_equal(pod->meta.namespace_, "tools");
  assert_string_equal(ps->node_name, "node-2");
  assert_int_equal(ps->restart_policy, RESTART_NEVER);
  assert_string_equal(ps->hostname, "debug");
  assert_string_equal(ps->subdomain, "tools");
  assert_int_equal(ps->priority, 1000);
  assert_int_equal(ps->termination_grace_period_seconds, 30);
  assert_int_equal(ps->volumes_nr, 2);
  assert_int_equal(ps->volumes[0].source, VOLSRC_PVC);
  assert_string_equal(ps->volumes[0].claim_name, "scratch");
  assert_true(ps->volumes[0].read_only);
  assert_int_equal(ps->volumes[1].source, VOLSRC_HOSTPATH);
  /* A bare pod's status is not loaded: a manifest is desired state. */
  assert_int_equal(pod->u.pod.status.phase, POD_PHASE_NONE);
  assert_true(ignored_path(&l.s, "status"));
  unload(&l);
}

static void cluster_objects(void **state)
{
  struct loaded l;
  (void)state;

  load_file(&l, "cluster.yaml");
  assert_int_equal(l.nr, 8);

  const struct node *n1 = &find(&l, KIND_NODE, "worker-1")->u.node;
  assert_true(n1->unschedulable);
  assert_int_equal(n1->taints_nr, 1);
  assert_string_equal(n1->taints[0].key, "dedicated");
  assert_string_equal(n1->taints[0].value, "database");
  assert_int_equal(n1->taints[0].effect, TAINT_NO_SCHEDULE);
  assert_int_equal(n1->cpu_allocatable_milli, 7910);
  assert_int_equal(n1->memory_allocatable, INT64_C(31) << 30);
  assert_int_equal(n1->pods_allocatable, 100);
  const struct object *w2 = find(&l, KIND_NODE, "worker-2");
  assert_int_equal(w2->u.node.cpu_allocatable_milli, 4000);
  assert_int_equal(w2->u.node.memory_allocatable, INT64_C(16) << 30);
  assert_int_equal(w2->u.node.pods_allocatable, 110);
  assert_false(w2->u.node.unschedulable);
  assert_true(ignored_path(&l.s, "status.conditions"));

  const struct pv_spec *local = &find(&l, KIND_PV, "local-pv-1")->u.pv.spec;
  assert_int_equal(local->source, PVSRC_LOCAL);
  assert_string_equal(local->path, "/mnt/disks/ssd1");
  assert_int_equal(local->reclaim_policy, RECLAIM_DELETE);
  assert_string_equal(local->storage_class_name, "local-storage");
  assert_int_equal(local->node_affinity.terms_nr, 1);
  assert_string_equal(local->node_affinity.terms[0].exprs[0].values.v[0],
                      "worker-1");
  struct kv lab[] = {{"kubernetes.io/hostname", "worker-1"}};
  struct kv_list labels = {lab, 1};
  assert_true(
      node_selector_matches(&local->node_affinity, "worker-1", &labels));

  const struct pv_spec *gce = &find(&l, KIND_PV, "gce-disk")->u.pv.spec;
  assert_int_equal(gce->source, PVSRC_CSI);
  assert_string_equal(gce->csi_driver, "pd.csi.storage.gke.io");
  assert_string_equal(gce->volume_handle, "my-data-disk");
  const struct pv_spec *ebs = &find(&l, KIND_PV, "ebs-disk")->u.pv.spec;
  assert_int_equal(ebs->source, PVSRC_CSI);
  assert_string_equal(ebs->csi_driver, "ebs.csi.aws.com");
  assert_string_equal(ebs->volume_handle, "vol-0123456789abcdef0");

  const struct pv_spec *csi = &find(&l, KIND_PV, "csi-prebound")->u.pv.spec;
  assert_int_equal(csi->source, PVSRC_CSI);
  assert_int_equal(csi->access_modes, ACCESS_RWO | ACCESS_ROX);
  assert_int_equal(csi->reclaim_policy, RECLAIM_RECYCLE);
  assert_string_equal(csi->storage_class_name, "");
  assert_string_equal(csi->claim_ref.namespace_, "default");
  assert_string_equal(csi->claim_ref.name, "data-web-0");
  assert_int_equal(csi->claim_ref.uid, 0);

  const struct pv_spec *nfs = &find(&l, KIND_PV, "nfs-share")->u.pv.spec;
  assert_int_equal(nfs->source, PVSRC_NFS);
  assert_int_equal(nfs->capacity_bytes, INT64_C(1) << 40);
  assert_int_equal(nfs->access_modes, ACCESS_RWX);
  assert_true(ignored_path(&l.s, "spec.mountOptions"));

  const struct pdb *pdb = &find(&l, KIND_PDB, "web-pdb")->u.pdb;
  assert_true(pdb->min_available.set);
  assert_true(pdb->min_available.is_percent);
  assert_int_equal(pdb->min_available.value, 50);
  unload(&l);
}

/* The kinds that are decoded for completeness. */
static void other_kinds(void **state)
{
  struct loaded l;
  (void)state;

  assert_int_equal(
      load(&l, "o.yaml",
           "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
           "metadata:\n  name: web-abc\n"
           "  labels: {kubernetes.io/service-name: web}\n"
           "addressType: IPv4\n"
           "endpoints:\n"
           "- addresses: [10.0.0.5]\n"
           "  conditions: {ready: false, serving: true}\n"
           "  hostname: web-0\n"
           "  nodeName: node-1\n"
           "  targetRef: {kind: Pod, name: web-0, uid: \"42\"}\n"
           "---\n"
           "apiVersion: coordination.k8s.io/v1\nkind: Lease\n"
           "metadata: {name: node-1, namespace: kube-node-lease}\n"
           "spec: {holderIdentity: node-1, leaseDurationSeconds: 40}\n"
           "---\n"
           "apiVersion: storage.k8s.io/v1\nkind: VolumeAttachment\n"
           "metadata: {name: csi-123}\n"
           "spec:\n  attacher: ebs.csi.aws.com\n  nodeName: node-1\n"
           "  source: {persistentVolumeName: pvc-1}\n"
           "---\n"
           "apiVersion: apps/v1\nkind: ControllerRevision\n"
           "metadata: {name: web-7d4b9c}\nrevision: 3\n"
           "data:\n  spec:\n    template:\n      metadata:\n"
           "        labels: {app: web}\n"
           "      spec:\n        containers: [{name: c, image: i:2}]\n"
           "      $patch: replace\n"
           "---\n"
           "apiVersion: v1\nkind: Event\n"
           "metadata: {name: web.17a, namespace: default}\n"
           "involvedObject: {kind: StatefulSet, name: web, namespace: "
           "default}\n"
           "reason: SuccessfulCreate\n"
           "message: create Pod web-0 in StatefulSet web successful\n"
           "type: Normal\ncount: 2\n"),
      0);
  assert_int_equal(l.nr, 5);
  const struct endpoint_slice *es = &l.objs[0].u.eps;
  assert_string_equal(es->service_name, "web");
  assert_int_equal(es->endpoints_nr, 1);
  assert_string_equal(es->endpoints[0].address, "10.0.0.5");
  assert_false(es->endpoints[0].ready);
  assert_true(es->endpoints[0].serving);
  assert_string_equal(es->endpoints[0].target_pod, "web-0");
  assert_int_equal(es->endpoints[0].target_uid, 42);
  assert_string_equal(l.objs[1].meta.namespace_, "kube-node-lease");
  assert_string_equal(l.objs[1].u.lease.holder_identity, "node-1");
  assert_int_equal(l.objs[1].u.lease.lease_duration_seconds, 40);
  assert_string_equal(l.objs[2].u.va.attacher, "ebs.csi.aws.com");
  assert_string_equal(l.objs[2].u.va.pv_name, "pvc-1");
  assert_string_equal(l.objs[2].meta.namespace_, "");
  assert_int_equal(l.objs[3].u.rev.revision, 3);
  assert_non_null(l.objs[3].u.rev.template_);
  assert_string_equal(l.objs[3].u.rev.template_->spec.containers[0].image,
                      "i:2");
  const struct event *ev = &l.objs[4].u.ev;
  assert_int_equal(ev->involved_kind, KIND_STATEFULSET);
  assert_string_equal(ev->involved_name, "web");
  assert_string_equal(ev->reason, "SuccessfulCreate");
  assert_int_equal(ev->type, EVENT_NORMAL);
  assert_int_equal(ev->count, 2);
  unload(&l);
}

/* ---- quantities ---------------------------------------------------------- */

static void quantities(void **state)
{
  static const struct {
    const char *in;
    int ok;
    int64_t value, milli; /* Value() and MilliValue() */
  } rows[] = {
      {"500m", 1, 1, 500},
      {"1", 1, 1, 1000},
      {"0.5", 1, 1, 500},
      {".5", 1, 1, 500},
      {"5.", 1, 5, 5000},
      {"1.5", 1, 2, 1500},
      {"0", 1, 0, 0},
      {"-0", 1, 0, 0},
      {"+2", 1, 2, 2000},
      {"000001.000", 1, 1, 1000},
      {"1Gi", 1, INT64_C(1) << 30, (INT64_C(1) << 30) * 1000},
      {"512Mi", 1, INT64_C(512) << 20, (INT64_C(512) << 20) * 1000},
      {"1Ki", 1, 1024, 1024000},
      {"1.5Gi", 1, INT64_C(1610612736), INT64_C(1610612736000)},
      {"0.9Gi", 1, INT64_C(966367642), INT64_C(966367641600)},
      {"1Ti", 1, INT64_C(1) << 40, (INT64_C(1) << 40) * 1000},
      {"1e3", 1, 1000, 1000000},
      {"1E3", 1, 1000, 1000000},
      {"1e+3", 1, 1000, 1000000},
      {"1e-3", 1, 1, 1},
      {"1k", 1, 1000, 1000000},
      {"1M", 1, 1000000, 1000000000},
      {"2G", 1, 2000000000, INT64_C(2000000000000)},
      {"1E", 1, INT64_C(1000000000000000000), INT64_MAX},
      {"100m", 1, 1, 100},
      {"0.1m", 1, 1, 1}, /* rounded up, never to zero */
      {"1u", 1, 1, 1},
      {"1n", 1, 1, 1},
      {"0.30000000000000004", 1, 1, 301},
      {"1.G", 1, 1000000000, INT64_C(1000000000000)},
      {"-1", 1, -1, -1000},
      {"-1.5", 1, -2, -1500}, /* away from zero */
      /* capped at 2^63-1 like upstream, never wrapped */
      {"9223372036854775807", 1, INT64_MAX, INT64_MAX},
      {"9223372036854775808", 1, INT64_MAX, INT64_MAX},
      {"8Ei", 1, INT64_MAX, INT64_MAX},
      {"7.9Ei", 1, INT64_C(9108079886394091111), INT64_MAX},
      {"10Ei", 1, INT64_MAX, INT64_MAX},
      {"1e19", 1, INT64_MAX, INT64_MAX},
      {"1e99999999999999999999", 1, INT64_MAX, INT64_MAX},
      {"1e-99999999999999999999", 1, 1, 1},
      {"123456789012345678.5", 1, INT64_C(123456789012345679), INT64_MAX},
      {"100000000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000",
       1, INT64_MAX, INT64_MAX},
      {"0.00000000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000000000000000000000001",
       1, 1, 1},
      {"1.000000000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000001",
       1, 2, 1001},
      /* not quantities */
      {"", 0, 0, 0},
      {"1 Gi", 0, 0, 0},
      {" 1", 0, 0, 0},
      {"1 ", 0, 0, 0},
      {"Gi", 0, 0, 0},
      {".", 0, 0, 0},
      {"-", 0, 0, 0},
      {"1K", 0, 0, 0},
      {"1ki", 0, 0, 0},
      {"1e", 0, 0, 0},
      {"1e-", 0, 0, 0},
      {"1e3m", 0, 0, 0},
      {"1.1.M", 0, 0, 0},
      {"0.1mi", 0, 0, 0},
      {"1i", 0, 0, 0},
      {"1Gb", 0, 0, 0},
      {"1,5", 0, 0, 0},
      {"0x10", 0, 0, 0},
  };
  (void)state;

  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    int64_t v = -42, m = -42;
    int rv = quantity_value(rows[i].in, &v);
    int rm = quantity_milli_value(rows[i].in, &m);

    if (!rows[i].ok) {
      if (rv != SIM_EINVAL || rm != SIM_EINVAL || v != -42 || m != -42)
        fail_msg("\"%s\" parsed as a quantity", rows[i].in);
      continue;
    }
    if (rv || rm)
      fail_msg("\"%s\" rejected", rows[i].in);
    if (v != rows[i].value || m != rows[i].milli)
      fail_msg("\"%s\": value %lld milli %lld, want %lld %lld", rows[i].in,
               (long long)v, (long long)m, (long long)rows[i].value,
               (long long)rows[i].milli);
  }
  /* A length-delimited buffer is read no further than len. */
  int64_t v;
  assert_int_equal(quantity_parse_scaled("2Gi", 2, 0, &v), 0);
  assert_int_equal(v, 2000000000); /* "2G" */
}

/* YAML scalars of every style give the same quantity. */
static void quantity_scalar_styles(void **state)
{
  static const char *const forms[] = {"0.5", "\"0.5\"", "'500m'", "500m",
                                      "5e-1"};
  (void)state;

  for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
    char buf[512];
    struct loaded l;

    snprintf(buf, sizeof(buf),
             POD_HEAD "  containers:\n  - name: c\n    image: i\n"
                      "    resources: {requests: {cpu: %s, memory: 1e3}}\n",
             forms[i]);
    if (load(&l, "q.yaml", buf))
      fail_msg("%s: %s", forms[i], l.msg);
    assert_int_equal(l.objs[0].u.pod.spec.containers[0].cpu_request_milli, 500);
    assert_int_equal(l.objs[0].u.pod.spec.containers[0].memory_request, 1000);
    unload(&l);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(web_tutorial),
      cmocka_unit_test(storage_class_nil_vs_empty),
      cmocka_unit_test(validation_errors),
      cmocka_unit_test(boundary_values_accepted),
      cmocka_unit_test(ignored_fields_listed),
      cmocka_unit_test(zookeeper_loads),
      cmocka_unit_test(postgres_loads),
      cmocka_unit_test(nginx_pod_and_claim),
      cmocka_unit_test(cluster_objects),
      cmocka_unit_test(other_kinds),
      cmocka_unit_test(quantities),
      cmocka_unit_test(quantity_scalar_styles),
  };

  return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
