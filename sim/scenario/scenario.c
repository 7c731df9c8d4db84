/*
 * scenario.c - the loader: reads files, splits streams into documents,
 * hands Kubernetes objects to the manifest decoder and the Scenario
 * document to spec.c, follows spec.include, and fills in defaults.
 * Also the small name tables of scenario.h (actions, states, fields) and
 * the feature-gate defaults per Kubernetes version.
 *
 * Order of objects: a file's included files are loaded first (in the
 * order of spec.include, depth first), then the file's own documents in
 * file order, so a scenario can reference the manifests it includes by
 * name and they exist at time 0 before what it declares itself. A file
 * that was already loaded (two includes of one manifest, or a file given
 * twice) is not loaded again; including a file that is still being loaded
 * is a cycle and an error. input_digest folds every file's bytes in the
 * order the files are read (an including file before its includes).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "scenario.h"
#include "scenario_int.h"
#include "ytree.h"

/* ---- name tables -------------------------------------------------------- */

static const struct {
  const char *name;
  bool supported;
  const char *summary;
} actions[ACTION_COUNT] = {
#define XX(id, name, sup, summary) [ACTION_##id] = {name, sup, summary},
    SIM_ACTIONS_MAP(XX)
#undef XX
};

const char *action_name(enum action_kind k)
{
  return (unsigned)k < ACTION_COUNT ? actions[k].name : "?";
}

const char *action_summary(enum action_kind k)
{
  return (unsigned)k < ACTION_COUNT ? actions[k].summary : "?";
}

bool action_supported(enum action_kind k)
{
  return (unsigned)k < ACTION_COUNT && actions[k].supported;
}

int action_lookup(const char *name)
{
  for (int i = 0; i < ACTION_COUNT; i++)
    if (!strcmp(actions[i].name, name))
      return i;
  return -1;
}

static const char *const when_states[] = {
    [WHEN_NONE] = "None",           [WHEN_READY] = "Ready",
    [WHEN_RUNNING] = "Running",     [WHEN_TERMINATING] = "Terminating",
    [WHEN_DELETED] = "Deleted",     [WHEN_PENDING] = "Pending",
    [WHEN_SCHEDULED] = "Scheduled",
};

const char *when_state_name(enum when_state s)
{
  return (unsigned)s <= WHEN_SCHEDULED ? when_states[s] : "?";
}

enum when_state scenario__when_state_parse(const char *name)
{
  for (int i = WHEN_READY; i <= WHEN_SCHEDULED; i++)
    if (!strcmp(when_states[i], name))
      return (enum when_state)i;
  return WHEN_NONE;
}

const char *const *scenario_expect_fields(enum expect_target t)
{
  /* exists and deleting work for every object (docs/scenarios.md) */
  static const char *const sts[] = {"replicas",
                                    "readyReplicas",
                                    "currentReplicas",
                                    "updatedReplicas",
                                    "availableReplicas",
                                    "currentRevision",
                                    "updateRevision",
                                    "observedGeneration",
                                    "exists",
                                    "deleting",
                                    NULL};
  static const char *const pod[] = {
      "phase",    "ready",     "node",     "exists", "deleting",
      "revision", "restarts",  "status",   "ip",     "owners",
      "hostname", "subdomain", "podIndex", NULL};
  static const char *const pvc[] = {"phase",  "volumeName", "storageClassName",
                                    "exists", "deleting",   "owners",
                                    NULL};
  static const char *const pv[] = {"phase",  "claim",    "attachedTo",
                                   "exists", "deleting", NULL};
  static const char *const node[] = {"ready",    "state",         "exists",
                                     "deleting", "unschedulable", NULL};
  static const char *const none[] = {NULL};

  switch (t) {
  case EXPECT_STATEFULSET:
    return sts;
  case EXPECT_POD:
    return pod;
  case EXPECT_PVC:
    return pvc;
  case EXPECT_PV:
    return pv;
  case EXPECT_NODE:
    return node;
  default:
    return none;
  }
}

/* ---- feature gates ------------------------------------------------------ */

bool scenario_feature_enabled(const struct scenario *s, const char *gate)
{
  int minor = s->kubernetes_minor ? s->kubernetes_minor : 34;

  /* The last setting wins, as with a repeated --feature-gates flag. */
  for (size_t i = s->feature_gates_nr; i-- > 0;)
    if (!strcmp(s->feature_gates[i].name, gate))
      return s->feature_gates[i].enabled;
  if (!strcmp(gate, "MaxUnavailableStatefulSet"))
    /*
     * Beta and on in 1.35.0-1.35.3, demoted to off in 1.35.4 and 1.36
     * (#137904), on again in 1.37 (#139466); alpha before (reference
     * statefulset-controller.md 0.2). We model 1.35 as 1.35.0.
     */
    return minor == 35 || minor >= 37;
  if (!strcmp(gate, "StatefulSetSemanticRevisionComparison"))
    /* Added in 1.35, backported to a 1.34 patch release, on by default. */
    return minor >= 34;
  if (!strcmp(gate, "StatefulSetAutoDeletePVC") ||
      !strcmp(gate, "StatefulSetStartOrdinal") ||
      !strcmp(gate, "PodIndexLabel"))
    return true; /* beta-on or GA in every supported version */
  return false;
}

/* ---- spec.variant -------------------------------------------------------- */

bool sts_variant_apply(const struct sts_variant *v, struct statefulset_spec *ss)
{
  if (v->set[SV_POLICY])
    ss->pod_management_policy = (enum pod_management_policy)v->v[SV_POLICY];
  if (v->set[SV_STRATEGY]) {
    ss->update_strategy = (enum update_strategy_type)v->v[SV_STRATEGY];
    if (ss->update_strategy == UPDATE_ON_DELETE) {
      /* The API refuses rollingUpdate with OnDelete. */
      ss->partition = 0;
      memset(&ss->max_unavailable, 0, sizeof(ss->max_unavailable));
    }
  }
  if (v->set[SV_MAX_UNAVAIL]) {
    if (ss->update_strategy == UPDATE_ON_DELETE)
      return false;
    ss->max_unavailable =
        (struct int_or_percent){.set = true, .value = v->v[SV_MAX_UNAVAIL]};
  }
  if (v->set[SV_MIN_READY])
    ss->min_ready_seconds = v->v[SV_MIN_READY];
  if (v->set[SV_WHEN_DELETED])
    ss->when_deleted = (enum pvc_retention)v->v[SV_WHEN_DELETED];
  if (v->set[SV_WHEN_SCALED])
    ss->when_scaled = (enum pvc_retention)v->v[SV_WHEN_SCALED];
  return true;
}

/* ---- arena-grown lists -------------------------------------------------- */

void *scenario__arena_grow(struct arena *a, const void *v, size_t nr,
                           size_t elem)
{
  /* Capacity is the next power of two >= nr (at least 4). */
  size_t cap = 4;

  while (cap < nr)
    cap *= 2;
  if (v && nr < cap)
    return (void *)v;
  void *nv = arena_alloc(a, (nr ? cap * 2 : cap) * elem);
  if (nr)
    memcpy(nv, v, nr * elem);
  return nv;
}

void scenario__warn(struct scenario *s, const char *file, int line, int col,
                    const char *fmt, ...)
{
  char msg[512];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  const char **v = scenario__arena_grow(&s->arena, s->warnings.v,
                                        s->warnings.nr, sizeof(*v));
  v[s->warnings.nr] =
      arena_printf(&s->arena, "%s:%d:%d: %s", file, line, col, msg);
  s->warnings.v = v;
  s->warnings.nr++;
}

void scenario__add_ignored(struct scenario *s, const char *file,
                           const struct ynode *n, const char *path)
{
  struct ignored_field *v =
      scenario__arena_grow(&s->arena, s->ignored, s->ignored_nr, sizeof(*v));

  v[s->ignored_nr].pos.file = arena_strdup(&s->arena, file);
  v[s->ignored_nr].pos.line = n ? n->line : 0;
  v[s->ignored_nr].pos.col = n ? n->col : 0;
  v[s->ignored_nr].path = arena_strdup(&s->arena, path);
  s->ignored = v;
  s->ignored_nr++;
}

/* ---- the default cluster ------------------------------------------------ */

static struct kv_list node_labels(struct arena *a, const char *name,
                                  const char *zone)
{
  struct kv *v = arena_calloc(a, 4, sizeof(*v));
  size_t n = 0;

  v[n++] = (struct kv){"kubernetes.io/hostname", name};
  v[n++] = (struct kv){"kubernetes.io/os", "linux"};
  if (zone) {
    v[n++] = (struct kv){"topology.kubernetes.io/region", "region-1"};
    v[n++] = (struct kv){"topology.kubernetes.io/zone", zone};
  }
  return (struct kv_list){v, n};
}

void scenario__default_nodes(struct scenario *s)
{
  static const char *const zones[] = {"a", "b", "c"};
  struct node_decl *v = arena_calloc(&s->arena, 3, sizeof(*v));

  for (int i = 0; i < 3; i++) {
    v[i].name = arena_printf(&s->arena, "node-%d", i + 1);
    v[i].zone = zones[i];
    v[i].labels = node_labels(&s->arena, v[i].name, v[i].zone);
    v[i].cpu_milli = 4000;
    v[i].memory = INT64_C(16) << 30;
    v[i].pods = 110;
  }
  s->nodes = v;
  s->nodes_nr = 3;
}

/* ---- files -------------------------------------------------------------- */

struct obj_vec {
  struct scenario_object *v;
  size_t nr, alloc;
};

/* A file's identity: symlinks and "a/../b" spellings load a file once. */
struct file_id {
  dev_t dev;
  ino_t ino;
};

/* A file being loaded, and the include entry it is following now. */
struct link {
  const char *file;          /* as named in messages */
  const struct ynode *entry; /* the spec.include item being loaded */
  size_t entry_idx;
  const char *rel; /* that item's text */
};

struct doc_vec {
  struct scenario_doc *v;
  size_t nr, alloc;
};

struct loader {
  struct scenario *s;
  struct diag *d;
  struct obj_vec objects;
  struct doc_vec docs;
  VEC(struct file_id) done;  /* every file loaded */
  VEC(struct file_id) chain; /* the files being loaded (includes nest) */
  VEC(struct link) links;    /* the same files, for cycle messages */
  const char *scenario_file; /* where the Scenario document was */
  int scenario_line, scenario_col;
  bool node_objects; /* a `kind: Node` manifest was loaded */
};

/*
 * Reads a regular file of at most SCENARIO_MAX_FILE_BYTES. Returns 0, or
 * an errno value (EFBIG for too large, EISDIR/EINVAL for not a regular
 * file).
 */
static int read_file(const char *path, char **out, size_t *len,
                     struct file_id *id)
{
  struct stat st;
  size_t cap = 64 * 1024, nr = 0;
  char *buf;
  int fd, err = 0;

  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd < 0)
    return errno;
  if (fstat(fd, &st)) {
    err = errno;
    close(fd);
    return err;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  }
  id->dev = st.st_dev;
  id->ino = st.st_ino;
  if (st.st_size > (off_t)SCENARIO_MAX_FILE_BYTES) {
    close(fd);
    return EFBIG;
  }
  buf = xmalloc(cap);
  for (;;) {
    ssize_t n;

    if (nr == cap) {
      if (cap > SCENARIO_MAX_FILE_BYTES) {
        err = EFBIG;
        break;
      }
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    n = read(fd, buf + nr, cap - nr);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      err = errno;
      break;
    }
    if (!n)
      break;
    nr += (size_t)n;
  }
  close(fd);
  if (!err && nr > SCENARIO_MAX_FILE_BYTES)
    err = EFBIG;
  if (err) {
    free(buf);
    return err;
  }
  *out = buf;
  *len = nr;
  return 0;
}

static const char *read_error(int err)
{
  switch (err) {
  case EINVAL:
    return "not a regular file";
  case EISDIR:
    return "is a directory";
  default:
    return strerror(err);
  }
}

/* The index of id in v, or -1. */
static long find_id(const struct file_id *v, size_t nr, struct file_id id)
{
  for (size_t i = 0; i < nr; i++)
    if (v[i].dev == id.dev && v[i].ino == id.ino)
      return (long)i;
  return -1;
}

static bool in_list(const struct file_id *v, size_t nr, struct file_id id)
{
  return find_id(v, nr, id) >= 0;
}

/*
 * The file being loaded includes chain[k] again. The message goes to the
 * include entry of chain[k] that started the cycle, so it names the file
 * the user gave, and lists the hops by the names written in the files.
 */
static int cycle_error(struct loader *ld, size_t k)
{
  const struct link *l = &ld->links.v[k];
  char msg[400];
  size_t used = 0;

  msg[0] = '\0';
  for (size_t i = k; i < ld->links.nr && used < sizeof(msg); i++)
    used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s",
                             i > k ? " -> " : "", ld->links.v[i].rel);
  return diagf(ld->d, l->file, l->entry->line, l->entry->col, SIM_ESCHEMA,
               "spec.include[%zu]: include cycle: %s, which is this file",
               l->entry_idx, msg);
}

/* path relative to the directory of base, unless absolute. */
static char *resolve(struct arena *a, const char *base, const char *path)
{
  const char *slash = strrchr(base, '/');

  if (path[0] == '/' || !slash)
    return arena_strdup(a, path);
  return arena_printf(a, "%.*s/%s", (int)(slash - base), base, path);
}

static int load_buffer(struct loader *ld, const char *file, const char *buf,
                       size_t len);

static int limit_files(struct loader *ld, const char *file, int line, int col)
{
  if (ld->done.nr < SCENARIO_MAX_INCLUDES)
    return 0;
  return diagf(ld->d, file, line, col, SIM_ELIMIT,
               "more than %d files in one scenario", SCENARIO_MAX_INCLUDES);
}

/* Loads a file named on the command line. */
static int load_top(struct loader *ld, const char *path)
{
  struct scenario *s = ld->s;
  struct file_id id = {0};
  size_t len;
  char *buf;
  int err, rc;

  err = read_file(path, &buf, &len, &id);
  if (err == EFBIG)
    return diagf(ld->d, path, 1, 1, SIM_ELIMIT, "file is larger than %u MiB",
                 SCENARIO_MAX_FILE_BYTES >> 20);
  if (err)
    return diagf(ld->d, path, 0, 0, SIM_EIO, "cannot read: %s",
                 read_error(err));
  if (in_list(ld->done.v, ld->done.nr, id)) {
    free(buf);
    return 0;
  }
  rc = limit_files(ld, path, 0, 0);
  if (rc) {
    free(buf);
    return rc;
  }
  VEC_PUSH(&ld->done, id);
  const char *file = arena_strdup(&s->arena, path);
  VEC_PUSH(&ld->chain, id);
  VEC_PUSH(&ld->links, ((struct link){.file = file}));
  s->input_digest = sim_fnv1a(s->input_digest, buf, len);
  rc = load_buffer(ld, file, buf, len);
  free(buf);
  ld->chain.nr--;
  ld->links.nr--;
  return rc;
}

/* Loads spec.include of file (a sequence node) before file's objects. */
static int load_includes(struct loader *ld, const char *file,
                         const struct ynode *inc)
{
  struct scenario *s = ld->s;
  int rc;

  if (!inc || ytree_is_null(inc))
    return 0;
  rc = ytree_want_seq(file, inc, "spec.include", ld->d);
  if (rc)
    return rc;
  for (size_t i = 0; i < inc->nr; i++) {
    const struct ynode *n = inc->items[i];
    char ipath[64], *buf;
    struct file_id id = {0};
    const char *rel;
    size_t len;
    int err;

    snprintf(ipath, sizeof(ipath), "spec.include[%zu]", i);
    rc = ytree_str(file, n, ipath, &rel, ld->d);
    if (rc)
      return rc;
    if (!*rel)
      return diagf(ld->d, file, n->line, n->col, SIM_ESCHEMA,
                   "%s: empty file name", ipath);
    const char *path = resolve(&s->arena, file, rel);
    err = read_file(path, &buf, &len, &id);
    if (err == EFBIG)
      return diagf(ld->d, path, 1, 1, SIM_ELIMIT, "file is larger than %u MiB",
                   SCENARIO_MAX_FILE_BYTES >> 20);
    if (err)
      return diagf(ld->d, file, n->line, n->col, SIM_EIO,
                   "%s: cannot read '%s': %s", ipath, rel, read_error(err));
    struct link *top = &ld->links.v[ld->links.nr - 1];
    top->entry = n;
    top->entry_idx = i;
    top->rel = rel;
    long k = find_id(ld->chain.v, ld->chain.nr, id);
    if (k >= 0) {
      free(buf);
      return cycle_error(ld, (size_t)k);
    }
    if (in_list(ld->done.v, ld->done.nr, id)) {
      free(buf);
      continue;
    }
    rc = limit_files(ld, file, n->line, n->col);
    if (rc) {
      free(buf);
      return rc;
    }
    VEC_PUSH(&ld->done, id);
    VEC_PUSH(&ld->chain, id);
    VEC_PUSH(&ld->links, ((struct link){.file = path}));
    s->input_digest = sim_fnv1a(s->input_digest, buf, len);
    rc = load_buffer(ld, path, buf, len);
    free(buf);
    ld->chain.nr--;
    ld->links.nr--;
    if (rc)
      return rc;
  }
  return 0;
}

/* ---- documents ---------------------------------------------------------- */

struct kinds_warned {
  VEC(const char *) v;
};

static int decode_object(struct loader *ld, const char *file,
                         const struct ynode *root, const char *api_version,
                         const char *kind_name, struct obj_vec *out,
                         struct kinds_warned *warned);

/* A `kind: List` (kubectl get -o yaml): each item is a document. */
static int decode_list(struct loader *ld, const char *file,
                       const struct ynode *root, struct obj_vec *out,
                       struct kinds_warned *warned)
{
  const struct ynode *items = ytree_get(root, "items");
  int rc;

  if (!items || ytree_is_null(items))
    return 0;
  rc = ytree_want_seq(file, items, "items", ld->d);
  if (rc)
    return rc;
  for (size_t i = 0; i < items->nr; i++) {
    const struct ynode *it = items->items[i];
    const struct ynode *av, *kn;
    const char *api_version = NULL, *kind = NULL;
    char path[64];

    snprintf(path, sizeof(path), "items[%zu]", i);
    rc = ytree_want_map(file, it, path, ld->d);
    if (rc)
      return rc;
    kn = ytree_get(it, "kind");
    av = ytree_get(it, "apiVersion");
    if (!kn)
      return diagf(ld->d, file, it->line, it->col, SIM_ESCHEMA,
                   "%s: missing 'kind'", path);
    snprintf(path, sizeof(path), "items[%zu].kind", i);
    rc = ytree_str(file, kn, path, &kind, ld->d);
    if (!rc && av) {
      snprintf(path, sizeof(path), "items[%zu].apiVersion", i);
      rc = ytree_str(file, av, path, &api_version, ld->d);
    }
    if (!rc)
      rc = decode_object(ld, file, it, api_version, kind, out, warned);
    if (rc)
      return rc;
  }
  return 0;
}

/* Whether kind names a modelled kind under another apiVersion. */
static enum obj_kind kind_by_name(const char *kind)
{
  for (int k = KIND_NONE + 1; k < KIND_COUNT; k++)
    if (!strcmp(obj_kind_name((enum obj_kind)k), kind))
      return (enum obj_kind)k;
  return KIND_NONE;
}

static int decode_object(struct loader *ld, const char *file,
                         const struct ynode *root, const char *api_version,
                         const char *kind_name, struct obj_vec *out,
                         struct kinds_warned *warned)
{
  struct scenario *s = ld->s;
  const struct ynode *kn = ytree_get(root, "kind");
  enum obj_kind kind;
  int rc;

  if (!strcmp(kind_name, "List") && api_version && !strcmp(api_version, "v1"))
    return decode_list(ld, file, root, out, warned);
  kind = api_version ? obj_kind_parse(api_version, kind_name) : KIND_NONE;
  if (kind == KIND_NONE) {
    enum obj_kind other = kind_by_name(kind_name);

    if (other != KIND_NONE && !api_version)
      return diagf(ld->d, file, root->line, root->col, SIM_ESCHEMA,
                   "missing 'apiVersion' (%s is %s)", kind_name,
                   obj_kind_api_version(other));
    if (other != KIND_NONE) {
      const struct ynode *av = ytree_get(root, "apiVersion");

      return diagf(ld->d, file, av->line, av->col, SIM_ESCHEMA,
                   "apiVersion: \"%s\" is not served for %s (use %s)",
                   api_version, kind_name, obj_kind_api_version(other));
    }
    for (size_t i = 0; i < warned->v.nr; i++)
      if (!strcmp(warned->v.v[i], kind_name))
        return 0;
    VEC_PUSH(&warned->v, kind_name);
    scenario__warn(s, file, kn->line, kn->col,
                   "skipping kind '%s' (not modelled)", kind_name);
    return 0;
  }
  struct scenario_object so = {.pos = {file, root->line, root->col}};
  object_init(&so.obj, kind);
  rc = manifest_decode(s, file, root, kind, &so.obj, ld->d);
  if (rc)
    return rc;
  if (kind == KIND_NODE)
    ld->node_objects = true;
  VEC_PUSH(out, so);
  return 0;
}

/*
 * The byte offset of a 1-based (line, column) position, columns counted
 * in characters as libyaml does; *cur remembers the last position found
 * (documents come in order, so the walk over the file stays linear).
 */
struct text_cursor {
  size_t off;
  int line, col;
};

static size_t offset_at(const char *buf, size_t len, struct text_cursor *cur,
                        int line, int col)
{
  if (line < cur->line || (line == cur->line && col < cur->col))
    *cur = (struct text_cursor){0, 1, 1};
  while (cur->off < len && cur->line < line) {
    if (buf[cur->off++] == '\n') {
      cur->line++;
      cur->col = 1;
    }
  }
  while (cur->off < len && cur->col < col && buf[cur->off] != '\n') {
    cur->off++;
    while (cur->off < len && ((unsigned char)buf[cur->off] & 0xc0) == 0x80)
      cur->off++;
    cur->col++;
  }
  return cur->off;
}

/* Keeps a Kubernetes document's source text (struct scenario_doc). */
static void keep_doc(struct scenario *s, const char *file, const char *buf,
                     size_t len, struct text_cursor *cur,
                     const struct ydoc *doc, struct doc_vec *out)
{
  const struct ynode *root = doc->root;
  size_t from = offset_at(buf, len, cur, root->line, root->col);
  size_t to = offset_at(buf, len, cur, doc->end_line, doc->end_col);
  size_t pad = root->col > 1 ? (size_t)root->col - 1 : 0;
  char *text;

  if (to < from)
    to = from;
  text = arena_alloc(&s->arena, pad + (to - from) + 1);
  memset(text, ' ', pad);
  memcpy(text + pad, buf + from, to - from);
  text[pad + (to - from)] = '\0';
  VEC_PUSH(out, ((struct scenario_doc){
                    .pos = {file, root->line, root->col},
                    .text = text,
                    .len = pad + (to - from),
                }));
}

/*
 * Loads one file's bytes: its documents in order, then (before adding the
 * file's own objects) the files it includes.
 */
static int load_buffer(struct loader *ld, const char *file, const char *buf,
                       size_t len)
{
  struct scenario *s = ld->s;
  struct obj_vec objs = {0};
  struct doc_vec texts = {0};
  struct text_cursor cur = {0, 1, 1};
  struct kinds_warned warned = {0};
  const struct ynode *include = NULL;
  struct ydoc *docs;
  size_t nr;
  int rc;

  rc = ytree_parse(&s->arena, file, buf, len, &docs, &nr, ld->d);
  if (rc)
    return rc;
  for (size_t i = 0; i < nr && !rc; i++) {
    const struct ynode *root = docs[i].root;
    const struct ynode *kn, *av;
    const char *kind = NULL, *api_version = NULL;

    if (!root)
      continue; /* an empty document */
    if (root->type != Y_MAP) {
      rc = ytree_want_map(file, root, "", ld->d);
      break;
    }
    kn = ytree_get(root, "kind");
    av = ytree_get(root, "apiVersion");
    if (!kn) {
      rc = diagf(ld->d, file, root->line, root->col, SIM_ESCHEMA,
                 "missing 'kind' (a document is a Kubernetes object or a "
                 "Scenario)");
      break;
    }
    rc = ytree_str(file, kn, "kind", &kind, ld->d);
    if (!rc && av)
      rc = ytree_str(file, av, "apiVersion", &api_version, ld->d);
    if (rc)
      break;
    if (!strcmp(kind, "Scenario")) {
      if (!api_version) {
        rc = diagf(ld->d, file, root->line, root->col, SIM_ESCHEMA,
                   "missing 'apiVersion' (Scenario is stsim/v1alpha1)");
        break;
      }
      if (strcmp(api_version, "stsim/v1alpha1")) {
        rc = diagf(ld->d, file, av->line, av->col, SIM_ESCHEMA,
                   "apiVersion: \"%s\" is not served for Scenario (use "
                   "stsim/v1alpha1)",
                   api_version);
        break;
      }
      if (s->has_scenario_doc && !strcmp(ld->scenario_file, file)) {
        rc = diagf(ld->d, file, root->line, root->col, SIM_ESCHEMA,
                   "a second Scenario document (the first is at line %d)",
                   ld->scenario_line);
        break;
      }
      if (s->has_scenario_doc) {
        rc = diagf(ld->d, file, root->line, root->col, SIM_ESCHEMA,
                   "a second Scenario document (the first is in %s)",
                   ld->scenario_file);
        break;
      }
      s->has_scenario_doc = true;
      ld->scenario_file = file;
      ld->scenario_line = root->line;
      ld->scenario_col = root->col;
      rc = scenario__decode_spec(s, file, root, &include, ld->d);
      continue;
    }
    rc = decode_object(ld, file, root, api_version, kind, &objs, &warned);
    if (!rc)
      keep_doc(s, file, buf, len, &cur, &docs[i], &texts);
  }
  free(warned.v.v);
  if (!rc)
    rc = load_includes(ld, file, include);
  for (size_t i = 0; i < objs.nr && !rc; i++)
    VEC_PUSH(&ld->objects, objs.v[i]);
  for (size_t i = 0; i < texts.nr && !rc; i++)
    VEC_PUSH(&ld->docs, texts.v[i]);
  free(objs.v);
  free(texts.v);
  return rc;
}

/* ---- entry points ------------------------------------------------------- */

static void scenario_init(struct scenario *s)
{
  memset(s, 0, sizeof(*s));
  arena_init(&s->arena, 64 * 1024);
  s->seed = 1;
  s->until = SIMTIME_NEVER;
  s->input_digest = SIM_FNV_INIT;
  s->default_storage_class = "standard";
  s->kubernetes_minor = 34;
  timings_defaults(&s->timings, 34);
  s->fuzz.until = SIMTIME_NEVER;
}

/* "dir/web-basic.yaml" -> "web-basic". */
static const char *base_name(struct arena *a, const char *path)
{
  const char *b = strrchr(path, '/');
  size_t n;

  b = b ? b + 1 : path;
  n = strlen(b);
  if (n > 5 && !strcmp(b + n - 5, ".yaml"))
    n -= 5;
  else if (n > 4 && !strcmp(b + n - 4, ".yml"))
    n -= 4;
  return arena_strndup(a, b, n);
}

static int finish(struct loader *ld, const char *first, int rc)
{
  struct scenario *s = ld->s;

  /* spec.variant, on every StatefulSet wherever its document was. */
  for (size_t i = 0; !rc && i < ld->objects.nr; i++) {
    struct object *o = &ld->objects.v[i].obj;
    if (o->kind == KIND_STATEFULSET &&
        !sts_variant_apply(&s->variant, &o->u.sts.spec))
      rc = diagf(ld->d, s->variant.pos.file, s->variant.pos.line,
                 s->variant.pos.col, SIM_ESCHEMA,
                 "spec.variant: maxUnavailable: only allowed with "
                 "updateStrategy RollingUpdate (StatefulSet %s is OnDelete)",
                 o->meta.name);
  }
  if (!rc) {
    s->objects_nr = ld->objects.nr;
    s->objects = ld->objects.nr
                     ? arena_memdup(&s->arena, ld->objects.v,
                                    ld->objects.nr * sizeof(*ld->objects.v))
                     : NULL;
    s->docs_nr = ld->docs.nr;
    s->docs = ld->docs.nr ? arena_memdup(&s->arena, ld->docs.v,
                                         ld->docs.nr * sizeof(*ld->docs.v))
                          : NULL;
    if (!scenario__has_nodes(s) && !ld->node_objects)
      scenario__default_nodes(s);
    if (!s->name)
      s->name = base_name(&s->arena, first);
  }
  free(ld->objects.v);
  free(ld->docs.v);
  free(ld->done.v);
  free(ld->chain.v);
  free(ld->links.v);
  if (rc)
    scenario_release(s);
  return rc;
}

int scenario_load_files(struct scenario *s, const char *const *paths, size_t nr,
                        struct diag *d)
{
  struct loader ld = {.s = s, .d = d};
  int rc = 0;

  scenario_init(s);
  if (!nr)
    return finish(&ld, "scenario",
                  diagf(d, "", 0, 0, SIM_EINVAL, "no scenario files"));
  for (size_t i = 0; i < nr && !rc; i++)
    rc = load_top(&ld, paths[i]);
  return finish(&ld, paths[0], rc);
}

int scenario_load_string(struct scenario *s, const char *name, const char *buf,
                         size_t len, struct diag *d)
{
  struct loader ld = {.s = s, .d = d};
  int rc;

  scenario_init(s);
  /* The buffer is no file (inode 0): an include of it is not a cycle. */
  const char *file = arena_strdup(&s->arena, name);
  VEC_PUSH(&ld.chain, ((struct file_id){0, 0}));
  VEC_PUSH(&ld.links, ((struct link){.file = file}));
  s->input_digest = sim_fnv1a(s->input_digest, buf, len);
  rc = load_buffer(&ld, file, buf, len);
  return finish(&ld, name, rc);
}

void scenario_release(struct scenario *s)
{
  arena_release(&s->arena);
  memset(s, 0, sizeof(*s));
}
