/*
 * revisions.c - ControllerRevisions of a StatefulSet (reference §6.1,
 * §6.2; pkg/controller/history and getStatefulSetRevisions).
 *
 * Content: a revision stands for the set's spec.template only (data.raw is
 * the template patch upstream). Here data.raw is the template itself plus
 * data_hash, the hex of pod_template_digest(), and two revisions have
 * equal data when their data_hash is equal - byte equality of the patch.
 * The name is <set>-<hash> with hash = FNV-32 over the digest's eight
 * bytes followed by the decimal collisionCount, printed in decimal and
 * passed through rand.SafeEncodeString, as HashControllerRevision does
 * over data.raw.
 *
 * Simplification: the semantic comparison of 1.35+
 * (StatefulSetSemanticRevisionComparison, step 3 of §6.1) never changes a
 * result here, because the simulated serializer never drifts: equal
 * templates always give equal data_hash. B15 is therefore not reproduced.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller_int.h"

/* --- listing
 * -------------------------------------------------------------------- */

struct list_ctx {
  struct ctl *c;
  uint64_t uid;
};

static bool collect_owned_or_orphan(const struct object *o, void *ctx)
{
  struct list_ctx *l = ctx;
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  if (!r || r->uid == l->uid)
    VEC_PUSH(&l->c->revlist, o);
  return true;
}

/* SortControllerRevisions: revision, then creationTimestamp, then name. */
static int cmp_revision(const void *a, const void *b)
{
  const struct object *x = *(const struct object *const *)a;
  const struct object *y = *(const struct object *const *)b;

  if (x->u.rev.revision != y->u.rev.revision)
    return x->u.rev.revision < y->u.rev.revision ? -1 : 1;
  if (x->meta.creation_timestamp != y->meta.creation_timestamp)
    return x->meta.creation_timestamp < y->meta.creation_timestamp ? -1 : 1;
  return strcmp(x->meta.name, y->meta.name); /* unique in a namespace */
}

void ctl__list_revisions(struct ctl *c, const struct object *set)
{
  struct list_ctx l = {c, set->meta.uid};

  c->revlist.nr = 0;
  informer_list(c->revs, set->meta.namespace_, &set->u.sts.spec.selector,
                collect_owned_or_orphan, &l);
  if (c->revlist.nr > 1)
    qsort(c->revlist.v, c->revlist.nr, sizeof(*c->revlist.v), cmp_revision);
}

/* --- hashing and equality
 * ------------------------------------------------------------ */

/*
 * v in decimal (a '-' first when negative) into buf, NUL-terminated.
 * Every sync names its revision; snprintf's machinery was a visible
 * share of a fuzz run for these few digits.
 */
static void dec_i64(char *buf, int64_t v)
{
  char tmp[24];
  size_t n = 0, i = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    buf[i++] = '-';
  while (n)
    buf[i++] = tmp[--n];
  buf[i] = '\0';
}

/* The 16 lowercase hex digits of v ("%016" PRIx64). */
static void hex16(char *buf, uint64_t v)
{
  static const char digits[] = "0123456789abcdef";

  for (int i = 15; i >= 0; i--, v >>= 4)
    buf[i] = digits[v & 15];
  buf[16] = '\0';
}

void ctl__revision_hash(char *buf, size_t n, uint64_t digest,
                        int32_t collision_count)
{
  static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";
  uint32_t h = 2166136261u; /* FNV-32 (fnv.New32: multiply, then xor) */
  char dec[24];
  size_t i;

  for (i = 0; i < 8; i++) {
    h *= 16777619u;
    h ^= (uint8_t)(digest >> (8 * i));
  }
  dec_i64(dec, collision_count);
  for (i = 0; dec[i]; i++) {
    h *= 16777619u;
    h ^= (uint8_t)dec[i];
  }
  dec_i64(dec, h);
  for (i = 0; dec[i] && i + 1 < n; i++)
    buf[i] = alphanums[(unsigned char)dec[i] % (sizeof(alphanums) - 1)];
  buf[i] = '\0';
}

/* The hash label as an int32 (strconv.ParseInt(s, 10, 32)), if it is one. */
static bool hash_label_int(const struct object *rev, int64_t *v)
{
  const char *s = kv_get(&rev->meta.labels, CTL_LABEL_REV_HASH);
  char *end;

  if (!s || !*s)
    return false;
  if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+'))
    return false;
  *v = strtoll(s, &end, 10);
  return !*end && *v >= INT32_MIN && *v <= INT32_MAX;
}

/* history.EqualRevision: hash labels first, then the data. */
static bool equal_revision(const struct object *x, const struct object *y)
{
  int64_t a, b;

  if (hash_label_int(x, &a) && hash_label_int(y, &b) && a != b)
    return false;
  return !strcmp(x->u.rev.data_hash ? x->u.rev.data_hash : "",
                 y->u.rev.data_hash ? y->u.rev.data_hash : "");
}

/* pod_template_digest of the pass's set, computed once per set version. */
static uint64_t set_digest(struct ctl__pass *p)
{
  struct ctl_key *k = &p->c->keys.v[p->key];

  /* The template is spec: it changes only with the generation (status
   * writes make new versions of the set every sync, not new templates). */
  if (!k->digest_uid || k->digest_uid != p->set->meta.uid ||
      k->digest_gen != p->set->meta.generation) {
    k->digest = pod_template_digest(&p->set->u.sts.spec.template_);
    k->digest_uid = p->set->meta.uid;
    k->digest_gen = p->set->meta.generation;
  }
  return k->digest;
}

/* --- create / roll back
 * ------------------------------------------------------------------ */

static const struct object *build_revision(struct ctl__pass *p,
                                           const char *data, int64_t number,
                                           int32_t cc)
{
  struct arena *a = p->c->arena;
  const struct object *set = p->set;
  const struct kv_list *tl = &set->u.sts.spec.template_.labels;
  struct object *o = arena_calloc(a, 1, sizeof(*o));
  struct kv *labels = arena_calloc(a, tl->nr + 1, sizeof(*labels));
  struct owner_ref *ref = arena_calloc(a, 1, sizeof(*ref));
  char hash[32];
  size_t n = 0, plen = strlen(set->meta.name);

  ctl__revision_hash(hash, sizeof(hash), set_digest(p), cc);
  object_init(o, KIND_CONTROLLERREVISION);
  /* ControllerRevisionName: the prefix is cut to 223 characters. */
  o->meta.name = arena_printf(a, "%.*s-%s", (int)(plen > 223 ? 223 : plen),
                              set->meta.name, hash);
  o->meta.namespace_ = set->meta.namespace_;
  for (size_t i = 0; i < tl->nr; i++)
    if (strcmp(tl->v[i].key, CTL_LABEL_REV_HASH))
      labels[n++] = tl->v[i];
  labels[n++] = (struct kv){CTL_LABEL_REV_HASH, arena_strdup(a, hash)};
  o->meta.labels = (struct kv_list){labels, n};
  o->meta.annotations = set->meta.annotations;
  *ref = (struct owner_ref){.api_version = "apps/v1",
                            .kind = "StatefulSet",
                            .name = set->meta.name,
                            .uid = set->meta.uid,
                            .controller = true,
                            .block_owner_deletion = true};
  o->meta.owner_refs = ref;
  o->meta.owner_refs_nr = 1;
  o->u.rev.template_ = &set->u.sts.spec.template_;
  o->u.rev.data_hash = data;
  o->u.rev.revision = number;
  return o;
}

/* history.CreateControllerRevision: retries with a bumped count. */
static int create_revision(struct ctl__pass *p, const char *data,
                           int64_t number, const struct object **out)
{
  struct ctl *c = p->c;

  for (;;) {
    const struct object *o =
        build_revision(p, data, number, p->collision_count);
    const struct object *got = NULL;
    enum api_status st = api_create(c->api, CTL_COMPONENT, o, &got);

    if (st == API_ALREADY_EXISTS) {
      /* the one live GET of the history helper */
      const struct object *ex = api_get(c->api, KIND_CONTROLLERREVISION,
                                        o->meta.namespace_, o->meta.name);
      if (!ex) {
        ctl__err_add(&p->err, API_NOT_FOUND,
                     "controllerrevisions.apps \"%s\" not found", o->meta.name);
        return -1;
      }
      if (!strcmp(ex->u.rev.data_hash ? ex->u.rev.data_hash : "", data)) {
        *out = ex;
        return 0;
      }
      p->collision_count++;
      ctl__note(p, "HashCollision",
                "revision name %s is taken by another template: "
                "collisionCount %d",
                o->meta.name, (int)p->collision_count);
      continue;
    }
    if (st != API_OK) {
      ctl__err_add(&p->err, st, "%s", api_last_error(c->api));
      return -1;
    }
    *out = got;
    ctl__note(p, "NewRevision", "created revision %s (revision %" PRId64 ")",
              got->meta.name, number);
    return 0;
  }
}

/* history.UpdateControllerRevision: a new number, retried on conflict. */
static int bump_revision(struct ctl__pass *p, const struct object *rev,
                         int64_t number, const struct object **out)
{
  struct ctl *c = p->c;
  const struct object *cur = rev;
  enum api_status st = API_OK;

  for (int attempt = 0; attempt < CTL_UPDATE_RETRIES; attempt++) {
    struct object o;
    const struct object *got = NULL;

    if (cur->u.rev.revision == number) {
      *out = cur;
      return 0;
    }
    o = *cur;
    o.u.rev.revision = number;
    st = api_update(c->api, CTL_COMPONENT, &o, &got);
    if (st == API_OK) {
      *out = got ? got : cur;
      ctl__note(p, "RollbackRevision",
                "template equals revision %s: its number goes to %" PRId64,
                cur->meta.name, number);
      return 0;
    }
    if (st != API_CONFLICT)
      break;
    {
      const struct object *cached =
          informer_get(c->revs, cur->meta.namespace_, cur->meta.name);
      if (cached)
        cur = cached;
    }
  }
  ctl__err_add(&p->err, st, "%s", api_last_error(c->api));
  return -1;
}

int ctl__get_revisions(struct ctl__pass *p)
{
  const struct object *set = p->set;
  const struct statefulset_status *ss = &set->u.sts.status;
  uint64_t digest = set_digest(p);
  const struct object *latest = p->revs_nr ? p->revs[p->revs_nr - 1] : NULL;
  const struct object *last_equal = NULL, *upd = NULL;
  int64_t next = latest ? latest->u.rev.revision + 1 : 1;
  char data[32], label[32];
  struct object cand;
  struct kv cand_label = {CTL_LABEL_REV_HASH, label};

  p->collision_count = ss->has_collision_count ? ss->collision_count : 0;
  hex16(data, digest);
  ctl__revision_hash(label, sizeof(label), digest, p->collision_count);
  object_init(&cand, KIND_CONTROLLERREVISION);
  cand.meta.labels = (struct kv_list){&cand_label, 1};
  cand.u.rev.data_hash = data;
  for (size_t i = 0; i < p->revs_nr; i++)
    if (equal_revision(p->revs[i], &cand))
      last_equal = p->revs[i];

  if (last_equal && equal_revision(latest, last_equal)) {
    upd = latest; /* the template has not changed */
  } else if (last_equal) {
    if (bump_revision(p, last_equal, next, &upd))
      return -1; /* a rollback: the old revision gets the next number */
  } else {
    if (create_revision(p, arena_strdup(p->c->arena, data), next, &upd))
      return -1;
  }
  p->upd_rev = upd;
  p->cur_rev = NULL;
  for (size_t i = 0; i < p->revs_nr; i++)
    if (ss->current_revision &&
        !strcmp(p->revs[i]->meta.name, ss->current_revision)) {
      p->cur_rev = p->revs[i];
      break;
    }
  if (!p->cur_rev)
    p->cur_rev = upd; /* first sync, or the current revision is gone */
  return 0;
}

/* --- truncation (§6.2)
 * ----------------------------------------------------------------------- */

static bool in_names(const char *const *v, size_t nr, const char *name)
{
  for (size_t i = 0; i < nr; i++)
    if (!strcmp(v[i], name))
      return true;
  return false;
}

int ctl__truncate_history(struct ctl__pass *p, const struct object *cur,
                          const struct object *upd)
{
  struct ctl *c = p->c;
  int32_t limit = p->set->u.sts.spec.revision_history_limit;
  size_t history = 0, del, done = 0;
  int rc = 0;

  if (!p->revs_nr)
    return 0;
  /* live = {current, update} and every claimed pod's revision label */
  c->names.nr = 0;
  if (cur)
    VEC_PUSH(&c->names, cur->meta.name);
  if (upd)
    VEC_PUSH(&c->names, upd->meta.name);
  if (p->idx)
    ctl__index_labels(p); /* only membership is asked below */
  else
    for (size_t i = 0; i < p->pods_nr; i++) {
      const char *r = ctl__pod_revision(p->pods[i]);
      if (!in_names(c->names.v, c->names.nr, r))
        VEC_PUSH(&c->names, r);
    }
  for (size_t i = 0; i < p->revs_nr; i++)
    if (!in_names(c->names.v, c->names.nr, p->revs[i]->meta.name))
      history++;
  /* A negative limit truncates nothing (newer code guards the slice). */
  if (limit < 0 || history <= (size_t)limit)
    goto out;
  del = history - (size_t)limit;
  for (size_t i = 0; i < p->revs_nr && done < del; i++) {
    const struct object *r = p->revs[i];
    struct delete_opts o = DELETE_OPTS_DEFAULT;
    enum api_status st;

    if (in_names(c->names.v, c->names.nr, r->meta.name))
      continue;
    st = api_delete(c->api, CTL_COMPONENT, KIND_CONTROLLERREVISION,
                    r->meta.namespace_, r->meta.name, &o);
    if (st != API_OK) {
      ctl__err_add(&p->err, st, "%s", api_last_error(c->api));
      rc = -1;
      goto out;
    }
    done++;
  }
  if (done)
    ctl__note(p, "TruncateHistory",
              "deleted %zu old revision(s): revisionHistoryLimit %d", done,
              (int)limit);
out:
  return rc;
}
