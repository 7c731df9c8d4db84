/*
 * utils.c - the predicates of reference §2 (stateful_set_utils.go), taken
 * literally, and the PVC retention helpers of §5.5 (isClaimOwnerUpToDate,
 * hasUnexpectedController, updateClaimOwnerRefForSetAndPod).
 */
#include <stdio.h>
#include <string.h>

#include "controller_int.h"

/* --- parse ------------------------------------------------------------------
 */

bool ctl__parse(const char *name, size_t *parent_len, int32_t *ordinal)
{
  const char *dash = name ? strrchr(name, '-') : NULL;
  const char *d;
  int64_t v = 0;
  bool overflow = false;

  *parent_len = 0;
  *ordinal = -1;
  /*
   * ^(.*)-([0-9]+)$: the digits run to the end, so only the last '-' can
   * start them; group 1 is everything before it. Go's '.' does not match
   * a newline, so a parent containing one does not match.
   */
  if (!dash || !dash[1])
    return false;
  for (d = dash + 1; *d; d++)
    if (*d < '0' || *d > '9')
      return false;
  if (memchr(name, '\n', (size_t)(dash - name)))
    return false;
  for (d = dash + 1; *d; d++) {
    v = v * 10 + (*d - '0');
    if (v > INT32_MAX) {
      overflow = true; /* strconv.ParseInt(s, 10, 32) fails */
      break;
    }
  }
  *parent_len = (size_t)(dash - name);
  *ordinal = overflow ? -1 : (int32_t)v;
  return true;
}

int32_t ctl__ordinal(const char *name)
{
  size_t len;
  int32_t ord;

  ctl__parse(name, &len, &ord);
  return ord;
}

bool ctl__is_member(const struct object *set, const struct object *pod)
{
  size_t len;
  int32_t ord;

  if (!ctl__parse(pod->meta.name, &len, &ord))
    return set->meta.name[0] == '\0'; /* parent "" */
  return strlen(set->meta.name) == len &&
         !memcmp(set->meta.name, pod->meta.name, len);
}

int32_t ctl__start_ordinal(const struct object *set)
{
  return set->u.sts.spec.has_ordinals ? set->u.sts.spec.ordinals_start : 0;
}

int32_t ctl__replicas(const struct object *set)
{
  /* -1 (unset) never reaches a controller: the API server defaults it. */
  return set->u.sts.spec.replicas < 0 ? 1 : set->u.sts.spec.replicas;
}

bool ctl__in_range(const struct object *set, int32_t ordinal)
{
  int64_t start = ctl__start_ordinal(set);
  int64_t end = start + ctl__replicas(set) - 1;

  return ordinal >= 0 && start <= ordinal && ordinal <= end;
}

/* --- pod predicates
 * ------------------------------------------------------------ */

bool ctl__is_created(const struct object *pod)
{
  return pod && pod->u.pod.status.phase != POD_PHASE_NONE;
}

bool ctl__is_pending(const struct object *pod)
{
  return pod && pod->u.pod.status.phase == POD_PENDING;
}

bool ctl__is_failed(const struct object *pod)
{
  return pod && pod->u.pod.status.phase == POD_FAILED;
}

bool ctl__is_succeeded(const struct object *pod)
{
  return pod && pod->u.pod.status.phase == POD_SUCCEEDED;
}

bool ctl__is_terminating(const struct object *pod)
{
  return pod && pod->meta.deletion_timestamp != SIMTIME_NEVER;
}

bool ctl__is_ready(const struct object *pod)
{
  return pod && pod->u.pod.status.ready.status == COND_TRUE;
}

bool ctl__is_running_and_ready(const struct object *pod)
{
  return pod && pod->u.pod.status.phase == POD_RUNNING && ctl__is_ready(pod);
}

/*
 * isRunningAndAvailable does not look at the phase. A lastTransitionTime
 * of SIMTIME_NEVER or <= 0 stands for Go's zero time (the simulation
 * starts at 0 and no pod becomes Ready at that very instant).
 */
bool ctl__is_running_and_available(const struct object *pod, int32_t mrs,
                                   simtime now)
{
  simtime ltt;

  if (!ctl__is_ready(pod))
    return false;
  if (mrs <= 0)
    return true;
  ltt = pod->u.pod.status.ready.last_transition_time;
  if (ltt == SIMTIME_NEVER || ltt <= 0)
    return false;
  return ltt + SIM_SEC(mrs) < now;
}

bool ctl__is_healthy(const struct object *pod)
{
  return ctl__is_running_and_ready(pod) && !ctl__is_terminating(pod);
}

bool ctl__is_unavailable(int minor, const struct object *pod, int32_t mrs,
                         simtime now)
{
  if (!pod)
    return true;
  if (minor <= 33)
    return !ctl__is_healthy(pod);
  return !ctl__is_running_and_available(pod, mrs, now) ||
         ctl__is_terminating(pod);
}

const char *ctl__pod_revision(const struct object *pod)
{
  const char *r = kv_get(&pod->meta.labels, CTL_LABEL_REVISION);

  return r ? r : "";
}

static bool str_eq(const char *a, const char *b)
{
  return !strcmp(a ? a : "", b ? b : "");
}

/* Appends s (len bytes) at *at, within n; returns false if it did not fit. */
static bool put(char *buf, size_t n, size_t *at, const char *s, size_t len)
{
  if (*at + len + 1 > n)
    return false;
  memcpy(buf + *at, s, len);
  *at += len;
  buf[*at] = '\0';
  return true;
}

/* The decimal of v (>= 0) into d; returns its length. */
static size_t decimal(char *d, int32_t v)
{
  char tmp[16];
  size_t n = 0, i = 0;

  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0);
  while (n)
    d[i++] = tmp[--n];
  d[i] = '\0';
  return i;
}

/*
 * Names are built by hand: they are made for every pod of every pass and
 * snprintf dominated the profile of large sets.
 */
void ctl__pod_name(char *buf, size_t n, const struct object *set,
                   int32_t ordinal)
{
  char d[16];
  size_t at = 0, dl = ordinal < 0 ? 0 : decimal(d, ordinal);

  buf[0] = '\0';
  if (ordinal < 0) {
    snprintf(buf, n, "%s-%d", set->meta.name, (int)ordinal);
    return;
  }
  if (!put(buf, n, &at, set->meta.name, strlen(set->meta.name)) ||
      !put(buf, n, &at, "-", 1) || !put(buf, n, &at, d, dl))
    snprintf(buf, n, "%s-%d", set->meta.name, (int)ordinal);
}

void ctl__claim_name(char *buf, size_t n, const char *tmpl,
                     const struct object *set, int32_t ordinal)
{
  char d[16];
  size_t at = 0, dl = ordinal < 0 ? 0 : decimal(d, ordinal);

  buf[0] = '\0';
  if (ordinal < 0 || !put(buf, n, &at, tmpl, strlen(tmpl)) ||
      !put(buf, n, &at, "-", 1) ||
      !put(buf, n, &at, set->meta.name, strlen(set->meta.name)) ||
      !put(buf, n, &at, "-", 1) || !put(buf, n, &at, d, dl))
    snprintf(buf, n, "%s-%s-%d", tmpl, set->meta.name, (int)ordinal);
}

bool ctl__identity_matches(const struct object *set, const struct object *pod)
{
  size_t len;
  int32_t ord;
  const char *digits;

  if (!ctl__parse(pod->meta.name, &len, &ord) || ord < 0)
    return false;
  /* parent == set.name, and name == getPodName(set, ordinal): the digits
   * are the canonical decimal (no leading zero) */
  if (strlen(set->meta.name) != len ||
      memcmp(set->meta.name, pod->meta.name, len))
    return false;
  digits = pod->meta.name + len + 1;
  if (digits[0] == '0' && digits[1])
    return false;
  return str_eq(pod->meta.namespace_, set->meta.namespace_) &&
         str_eq(kv_get(&pod->meta.labels, CTL_LABEL_POD_NAME), pod->meta.name);
}

bool ctl__storage_matches(const struct object *set, const struct object *pod)
{
  const struct statefulset_spec *sp = &set->u.sts.spec;
  const struct pod_spec *ps = &pod->u.pod.spec;
  int32_t ord = ctl__ordinal(pod->meta.name);
  char claim[512];

  if (ord < 0)
    return false;
  for (size_t t = 0; t < sp->volume_claim_templates_nr; t++) {
    const struct pvc_template *tm = &sp->volume_claim_templates[t];
    const struct pod_volume *v = NULL;

    /* volumes by name, as a Go map: the last of a name wins */
    for (size_t i = 0; i < ps->volumes_nr; i++)
      if (str_eq(ps->volumes[i].name, tm->name))
        v = &ps->volumes[i];
    ctl__claim_name(claim, sizeof(claim), tm->name, set, ord);
    if (!v || v->source != VOLSRC_PVC || !str_eq(v->claim_name, claim))
      return false;
  }
  return true;
}

/* --- slots
 * ----------------------------------------------------------------------- */

const char *ctl__slot_revision(const struct ctl__pass *p,
                               const struct ctl__slot *s)
{
  if (s->pod)
    return ctl__pod_revision(s->pod);
  return (s->at_update ? p->upd_rev : p->cur_rev)->meta.name;
}

bool ctl__slot_unavailable(const struct ctl__pass *p, const struct ctl__slot *s)
{
  return ctl__is_unavailable(p->c->unavail_minor, s->pod,
                             p->set->u.sts.spec.min_ready_seconds, p->now);
}

/* --- retention (§5.5)
 * ---------------------------------------------------------- */

/* The group of an apiVersion; false if it does not parse. */
static bool api_group(const char *api_version, const char **g, size_t *len)
{
  const char *slash;

  if (!api_version)
    api_version = "";
  slash = strchr(api_version, '/');
  if (!slash) {
    *g = "";
    *len = 0;
    return true;
  }
  if (strchr(slash + 1, '/'))
    return false;
  *g = api_version;
  *len = (size_t)(slash - api_version);
  return true;
}

/* matchesRef: same group, kind and name as the owner. */
static bool matches_ref(const struct owner_ref *r, const char *group,
                        const char *kind, const char *name)
{
  const char *g;
  size_t len;

  if (!api_group(r->api_version, &g, &len))
    return false;
  return strlen(group) == len && !memcmp(g, group, len) &&
         str_eq(r->kind, kind) && str_eq(r->name, name);
}

static bool matches_set(const struct owner_ref *r, const struct object *set)
{
  return matches_ref(r, "apps", "StatefulSet", set->meta.name);
}

static bool matches_pod(const struct owner_ref *r,
                        const struct ctl__podref *pod)
{
  return matches_ref(r, "", "Pod", pod->name);
}

static bool has_owner_ref(const struct object *claim, uint64_t uid)
{
  for (size_t i = 0; i < claim->meta.owner_refs_nr; i++)
    if (claim->meta.owner_refs[i].uid == uid)
      return true;
  return false;
}

static bool has_stale_set_ref(const struct object *claim,
                              const struct object *set)
{
  for (size_t i = 0; i < claim->meta.owner_refs_nr; i++) {
    const struct owner_ref *r = &claim->meta.owner_refs[i];
    if (matches_set(r, set) && r->uid != set->meta.uid)
      return true;
  }
  return false;
}

bool ctl__has_stale_owner_ref_to_pod(const struct object *claim,
                                     const struct ctl__podref *pod)
{
  for (size_t i = 0; i < claim->meta.owner_refs_nr; i++) {
    const struct owner_ref *r = &claim->meta.owner_refs[i];
    if (matches_pod(r, pod) && r->uid != pod->uid)
      return true;
  }
  return false;
}

static bool retain_retain(const struct object *set)
{
  return set->u.sts.spec.when_scaled == RETAIN &&
         set->u.sts.spec.when_deleted == RETAIN;
}

bool ctl__has_unexpected_controller(const struct object *set,
                                    const struct ctl__podref *pod,
                                    const struct object *claim)
{
  if (retain_retain(set))
    return false;
  for (size_t i = 0; i < claim->meta.owner_refs_nr; i++) {
    const struct owner_ref *r = &claim->meta.owner_refs[i];
    if (matches_set(r, set)) {
      if (r->uid != set->meta.uid)
        return true; /* incorrectly orphaned: leave it to the GC */
      continue;
    }
    if (matches_pod(r, pod)) {
      if (r->uid != pod->uid)
        return true;
      continue;
    }
    if (r->controller)
      return true; /* another controller */
  }
  return false;
}

static bool has_non_controller_owner(const struct object *claim,
                                     const struct object *set,
                                     const struct ctl__podref *pod)
{
  for (size_t i = 0; i < claim->meta.owner_refs_nr; i++) {
    const struct owner_ref *r = &claim->meta.owner_refs[i];
    if ((r->uid == set->meta.uid || (pod->uid && r->uid == pod->uid)) &&
        !r->controller)
      return true;
  }
  return false;
}

bool ctl__claim_owner_up_to_date(const struct object *set,
                                 const struct ctl__podref *pod,
                                 const struct object *claim)
{
  enum pvc_retention ws = set->u.sts.spec.when_scaled;
  enum pvc_retention wd = set->u.sts.spec.when_deleted;
  bool set_ref = has_owner_ref(claim, set->meta.uid);
  bool pod_ref = pod->uid && has_owner_ref(claim, pod->uid);
  bool scaled_down = !ctl__in_range(set, pod->ordinal);

  /* Managed by a previous (presumably deleted) incarnation: hands off. */
  if (has_stale_set_ref(claim, set) ||
      ctl__has_stale_owner_ref_to_pod(claim, pod))
    return true;
  if (ctl__has_unexpected_controller(set, pod, claim))
    return !(set_ref || pod_ref); /* our refs must go, else leave it */
  if (has_non_controller_owner(claim, set, pod))
    return false;
  if (ws == RETAIN && wd == RETAIN)
    return !set_ref && !pod_ref;
  if (ws == RETAIN && wd == DELETE)
    return set_ref && !pod_ref;
  if (ws == DELETE && wd == RETAIN)
    return !set_ref && scaled_down == pod_ref;
  /* Delete/Delete: scaled down => pod ref only; in range => set ref only */
  return scaled_down != set_ref && scaled_down == pod_ref;
}

static struct owner_ref controller_ref(const char *api_version,
                                       const char *kind, const char *name,
                                       uint64_t uid)
{
  return (struct owner_ref){.api_version = api_version,
                            .kind = kind,
                            .name = name,
                            .uid = uid,
                            .controller = true,
                            .block_owner_deletion = true};
}

/* addControllerRef: appends unless a ref with the uid is there already. */
static void add_controller_ref(struct owner_ref *refs, size_t *nr,
                               struct owner_ref r)
{
  for (size_t i = 0; i < *nr; i++)
    if (refs[i].uid == r.uid)
      return;
  refs[(*nr)++] = r;
}

const struct owner_ref *ctl__claim_refs(struct arena *a,
                                        const struct object *set,
                                        const struct ctl__podref *pod,
                                        const struct object *claim, size_t *nr)
{
  enum pvc_retention ws = set->u.sts.spec.when_scaled;
  enum pvc_retention wd = set->u.sts.spec.when_deleted;
  bool unexpected = ctl__has_unexpected_controller(set, pod, claim);
  bool scaled_down = !ctl__in_range(set, pod->ordinal);
  struct owner_ref *refs =
      arena_calloc(a, claim->meta.owner_refs_nr + 2, sizeof(*refs));
  size_t n = 0;

  /* Scrub every ref to our set and pod. */
  for (size_t i = 0; i < claim->meta.owner_refs_nr; i++) {
    const struct owner_ref *r = &claim->meta.owner_refs[i];
    if (!matches_set(r, set) && !matches_pod(r, pod))
      refs[n++] = *r;
  }
  if (!unexpected) {
    struct owner_ref sr =
        controller_ref("apps/v1", "StatefulSet", set->meta.name, set->meta.uid);
    struct owner_ref pr = controller_ref("v1", "Pod", pod->name, pod->uid);

    if (ws == RETAIN && wd == DELETE)
      add_controller_ref(refs, &n, sr);
    else if (ws == DELETE && wd == RETAIN && scaled_down)
      add_controller_ref(refs, &n, pr);
    else if (ws == DELETE && wd == DELETE)
      add_controller_ref(refs, &n, scaled_down ? pr : sr);
  }
  *nr = n;
  return refs;
}
