/*
 * util.c - predicates and small data structures shared by the property
 * checks. The predicates mirror section 2 of the controller reference but
 * are evaluated on the ground truth (the API store), not on a cache.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props_int.h"

int prop_parse_ordinal(const char *name, size_t *parent_len)
{
  /* ^(.*)-([0-9]+)$ with a greedy group 1: the last '-' followed only by
   * digits. Overflow of int32 gives -1 but keeps the parent. */
  size_t n = strlen(name), i = n;
  int64_t v = 0;
  bool overflow = false;

  while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
    i--;
  if (i == n || i == 0 || name[i - 1] != '-') {
    if (parent_len)
      *parent_len = 0;
    return -1;
  }
  for (size_t j = i; j < n; j++) {
    v = v * 10 + (name[j] - '0');
    if (v > INT32_MAX) {
      overflow = true;
      v = INT32_MAX;
    }
  }
  if (parent_len)
    *parent_len = i - 1;
  return overflow ? -1 : (int)v;
}

const struct object *prop_controller_set(struct api *api,
                                         const struct object *o)
{
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  if (!r || strcmp(r->kind, "StatefulSet"))
    return NULL;
  const struct object *set =
      api_get(api, KIND_STATEFULSET, o->meta.namespace_, r->name);
  return set && set->meta.uid == r->uid ? set : NULL;
}

bool prop_is_terminal(const struct object *pod)
{
  return pod->u.pod.status.phase == POD_FAILED ||
         pod->u.pod.status.phase == POD_SUCCEEDED;
}

bool prop_running_ready(const struct object *pod)
{
  return pod->u.pod.status.phase == POD_RUNNING &&
         pod->u.pod.status.ready.status == COND_TRUE;
}

bool prop_available(const struct object *pod, int32_t min_ready_seconds,
                    simtime now)
{
  const struct condition *r = &pod->u.pod.status.ready;

  if (r->status != COND_TRUE)
    return false;
  if (min_ready_seconds == 0)
    return true;
  return r->last_transition_time + SIM_SEC(min_ready_seconds) < now;
}

int32_t prop_start_ordinal(const struct object *set)
{
  return set->u.sts.spec.has_ordinals ? set->u.sts.spec.ordinals_start : 0;
}

bool prop_in_range(const struct object *set, int ordinal)
{
  int32_t start = prop_start_ordinal(set);
  return ordinal >= start &&
         (int64_t)ordinal < (int64_t)start + set->u.sts.spec.replicas;
}

const struct object *prop_set_pod(struct api *api, const struct object *set,
                                  int ordinal)
{
  char name[320];

  prop_fmt(name, sizeof(name), "%s-%d", set->meta.name, ordinal);
  return api_get(api, KIND_POD, set->meta.namespace_, name);
}

struct rev_scan {
  uint64_t set_uid;
  uint64_t digest;
  const char *found;
};

static bool visit_rev(const struct object *o, void *ctx)
{
  struct rev_scan *sc = ctx;
  const struct owner_ref *r = meta_controller_ref(&o->meta);

  if (!r || r->uid != sc->set_uid || !o->u.rev.template_)
    return true;
  if (pod_template_digest(o->u.rev.template_) == sc->digest) {
    sc->found = o->meta.name;
    return false;
  }
  return true;
}

const char *prop_update_revision(struct api *api, const struct object *set)
{
  struct rev_scan sc = {set->meta.uid,
                        pod_template_digest(&set->u.sts.spec.template_), NULL};

  api_list(api, KIND_CONTROLLERREVISION, set->meta.namespace_, NULL, visit_rev,
           &sc);
  if (sc.found)
    return sc.found;
  return set->u.sts.status.update_revision ? set->u.sts.status.update_revision
                                           : "";
}

const char *prop_key(char *buf, size_t n, const char *ns, const char *name)
{
  prop_fmt(buf, n, "%s/%s", ns ? ns : "", name);
  return buf;
}

/* Appends len bytes of s to buf (size n, *at used), truncating. */
static void put(char *buf, size_t n, size_t *at, const char *s, size_t len)
{
  if (*at + 1 >= n)
    return;
  if (len > n - 1 - *at)
    len = n - 1 - *at;
  memcpy(buf + *at, s, len);
  *at += len;
}

void prop_fmt(char *buf, size_t n, const char *fmt, ...)
{
  va_list ap, again;
  size_t at = 0;

  va_start(ap, fmt);
  va_copy(again, ap);
  for (const char *f = fmt; *f; f++) {
    const char *lit = f;
    while (*f && *f != '%')
      f++;
    put(buf, n, &at, lit, (size_t)(f - lit));
    if (!*f)
      break;
    if (f[1] == 's') {
      const char *s = va_arg(ap, const char *);
      if (!s)
        s = "(null)"; /* glibc's */
      put(buf, n, &at, s, strlen(s));
    } else if (f[1] == 'd') {
      char num[16], *p = num + sizeof(num);
      int v = va_arg(ap, int);
      unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
      do
        *--p = (char)('0' + u % 10);
      while (u /= 10);
      if (v < 0)
        *--p = '-';
      put(buf, n, &at, p, (size_t)(num + sizeof(num) - p));
    } else if (f[1] == '%') {
      put(buf, n, &at, "%", 1);
    } else {
      if (n)
        vsnprintf(buf, n, fmt, again);
      va_end(again);
      va_end(ap);
      return;
    }
    f++;
  }
  if (n)
    buf[at] = '\0';
  va_end(again);
  va_end(ap);
}

/* --- pod health history ------------------------------------------------------
 */

void prop_health_release(struct prop_health *h)
{
  *h = (struct prop_health){0};
}

void prop__health_free(struct prop_health *h)
{
  strmap_free(h->unhealthy_from);
  strmap_free(h->unavailable_from);
  strmap_free(h->max_ordinal);
  strmap_free(h->spec_changed);
}

bool prop_healthy_now(const struct object *pod)
{
  return pod && !meta_is_deleting(&pod->meta) && prop_running_ready(pod);
}

void prop_health_write(struct prop_ctx *c, struct prop_health *handle,
                       enum watch_type t, const struct object *old,
                       const struct object *now)
{
  const struct object *o = now ? now : old;
  char key[320];
  bool first;
  struct prop_health *h = prop__shared_health(c, &first);

  if (!h->unhealthy_from) {
    h->unhealthy_from = strmap_new();
    h->unavailable_from = strmap_new();
    h->max_ordinal = strmap_new();
    h->spec_changed = strmap_new();
  }
  *handle = *h;
  if (!first)
    return; /* another check fed this write already */
  prop_key(key, sizeof(key), o->meta.namespace_, o->meta.name);
  if (o->kind == KIND_STATEFULSET) {
    if (t == WATCH_MODIFIED && old->meta.generation != now->meta.generation)
      strmap_set(h->spec_changed, key, prop_now(c));
    return;
  }
  if (o->kind != KIND_POD)
    return;
  bool ok = t != WATCH_DELETED && prop_healthy_now(now);
  int64_t since;
  if (ok) {
    if (strmap_get(h->unhealthy_from, key, &since)) {
      strmap_set(h->unavailable_from, key, since);
      strmap_del(h->unhealthy_from, key);
    }
  } else if (!strmap_get(h->unhealthy_from, key, NULL))
    strmap_set(h->unhealthy_from, key, prop_now(c));
  const struct owner_ref *r = meta_controller_ref(&o->meta);
  int ord = prop_parse_ordinal(o->meta.name, NULL);
  if (t == WATCH_ADDED && r && ord >= 0) {
    char skey[320];
    int64_t max;
    prop_key(skey, sizeof(skey), o->meta.namespace_, r->name);
    if (!strmap_get(h->max_ordinal, skey, &max) || ord > max)
      strmap_set(h->max_ordinal, skey, ord);
  }
}

/*
 * Whether the controller could have known the pod at ordinal was
 * unhealthy: it is unhealthy now and has been for longer than the
 * staleness allowance, or it is Ready but not yet available and the slot
 * has been unavailable for longer than that. A pod Ready for less than
 * minReadySeconds was not Ready (or not there) just before: whichever
 * version of it a cache that lags by less than the allowance holds, it is
 * unavailable, so the spell counts from when the pod stopped being
 * healthy, not from its turn to Ready.
 */
bool prop_known_unhealthy(struct prop_ctx *c, struct prop_health *h,
                          const struct object *set, int ordinal,
                          const char **why)
{
  struct api *api = prop_api(c);
  const struct object *pod = prop_set_pod(api, set, ordinal);
  simtime now = prop_now(c);
  char key[320], name[300];
  int64_t since;

  prop_fmt(name, sizeof(name), "%s-%d", set->meta.name, ordinal);
  prop_key(key, sizeof(key), set->meta.namespace_, name);
  if (!prop_healthy_now(pod)) {
    *why = !pod                           ? "does not exist"
           : meta_is_deleting(&pod->meta) ? "is terminating"
                                          : "is not Running and Ready";
    if (!strmap_get(h->unhealthy_from, key, &since))
      return true; /* never existed */
    return now - since > PROP_STALENESS;
  }
  int32_t mrs = set->u.sts.spec.min_ready_seconds;
  if (!prop_available(pod, mrs, now)) {
    *why = "is not yet available (minReadySeconds)";
    if (strmap_get(h->unavailable_from, key, &since))
      return now - since > PROP_STALENESS;
    return now - pod->u.pod.status.ready.last_transition_time > PROP_STALENESS;
  }
  return false;
}

bool prop_known_unavailable_at_version(struct prop_ctx *c,
                                       struct prop_health *h,
                                       const struct object *set, int ordinal,
                                       const char **why)
{
  if (prop_minor(c) <= 33 &&
      prop_healthy_now(prop_set_pod(prop_api(c), set, ordinal)))
    return false;
  return prop_known_unhealthy(c, h, set, ordinal, why);
}

bool prop_spec_recently_changed(struct prop_ctx *c, struct prop_health *h,
                                const struct object *set)
{
  char key[320];
  int64_t at;

  prop_key(key, sizeof(key), set->meta.namespace_, set->meta.name);
  return strmap_get(h->spec_changed, key, &at) &&
         prop_now(c) - at <= PROP_STALENESS;
}

/* Whether this write is the controller deleting a pod it did not delete
 * before (graceful: deletionTimestamp set; or removed at once). */
bool prop_is_controller_delete(struct prop_ctx *c, enum watch_type t,
                               const struct object *old,
                               const struct object *now)
{
  if (strcmp(prop_client(c), CTL_CLIENT))
    return false;
  if (t == WATCH_DELETED)
    return !meta_is_deleting(&old->meta);
  return t == WATCH_MODIFIED && !meta_is_deleting(&old->meta) &&
         meta_is_deleting(&now->meta);
}

/* --- strmap ------------------------------------------------------------------
 */

struct strmap_slot {
  char *key; /* NULL = empty; TOMB = deleted */
  int64_t v;
};

struct strmap {
  struct strmap_slot *s;
  size_t cap, used; /* used counts live + tombstones */
};

static char tomb_marker;
#define TOMB (&tomb_marker)

struct strmap *strmap_new(void)
{
  struct strmap *m = xcalloc(1, sizeof(*m));

  m->cap = 64;
  m->s = xcalloc(m->cap, sizeof(*m->s));
  return m;
}

void strmap_free(struct strmap *m)
{
  if (!m)
    return;
  for (size_t i = 0; i < m->cap; i++)
    if (m->s[i].key && m->s[i].key != TOMB)
      free(m->s[i].key);
  free(m->s);
  free(m);
}

static size_t slot_of(const struct strmap *m, const char *key, bool *found)
{
  uint64_t h = sim_fnv1a(SIM_FNV_INIT, key, strlen(key));
  size_t i = (size_t)h & (m->cap - 1), tomb = SIZE_MAX;

  for (;;) {
    struct strmap_slot *s = &m->s[i];
    if (!s->key) {
      *found = false;
      return tomb != SIZE_MAX ? tomb : i;
    }
    if (s->key == TOMB) {
      if (tomb == SIZE_MAX)
        tomb = i;
    } else if (!strcmp(s->key, key)) {
      *found = true;
      return i;
    }
    i = (i + 1) & (m->cap - 1);
  }
}

bool strmap_get(const struct strmap *m, const char *key, int64_t *out)
{
  bool found;
  size_t i = slot_of(m, key, &found);

  if (found && out)
    *out = m->s[i].v;
  return found;
}

static void grow(struct strmap *m)
{
  struct strmap old = *m;

  m->cap *= 2;
  m->s = xcalloc(m->cap, sizeof(*m->s));
  m->used = 0;
  for (size_t i = 0; i < old.cap; i++) {
    if (!old.s[i].key || old.s[i].key == TOMB)
      continue;
    bool found;
    size_t j = slot_of(m, old.s[i].key, &found);
    m->s[j] = old.s[i];
    m->used++;
  }
  free(old.s);
}

void strmap_set(struct strmap *m, const char *key, int64_t v)
{
  bool found;
  size_t i;

  if ((m->used + 1) * 4 > m->cap * 3)
    grow(m);
  i = slot_of(m, key, &found);
  if (found) {
    m->s[i].v = v;
    return;
  }
  if (!m->s[i].key)
    m->used++;
  m->s[i].key = xstrdup(key);
  m->s[i].v = v;
}

void strmap_del(struct strmap *m, const char *key)
{
  bool found;
  size_t i = slot_of(m, key, &found);

  if (!found)
    return;
  free(m->s[i].key);
  m->s[i].key = TOMB;
}
