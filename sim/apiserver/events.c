/*
 * events.c - the core/v1 Event recorder.
 *
 * Aggregation follows client-go's EventCorrelator logger: an event equal
 * to an earlier one in involved object, type, reason, message and source
 * becomes a new version of that same Event with count + 1 and a new
 * lastTimestamp. client-go's cache is an LRU of 4096 entries with no time
 * limit; here every distinct event is remembered for the run. The
 * aggregator that merges *similar* events (same reason, different
 * messages, more than 10 in 10 minutes) is not modelled.
 *
 * Events live outside the per-kind store: the log keeps every version in
 * recording order, and a hash table (for lookup only, D4) finds the
 * current version of each distinct event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver_int.h"

/*
 * The lookup key mixes a word at a time (it only places events in the
 * table: a match is confirmed field by field, same_event).
 */
static void h_u64(uint64_t *h, uint64_t v)
{
  uint64_t x = (*h ^ v) * UINT64_C(0x9e3779b97f4a7c15);

  *h = x ^ (x >> 29);
}

static void h_str(uint64_t *h, const char *s)
{
  size_t n = s ? strlen(s) : 0;

  h_u64(h, s ? n : SIZE_MAX);
  for (; n >= 8; n -= 8, s += 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h_u64(h, w);
  }
  if (n) {
    uint64_t w = 0;
    memcpy(&w, s, n);
    h_u64(h, w);
  }
}

static bool str_eq(const char *a, const char *b)
{
  if (!a || !b)
    return a == b;
  return !strcmp(a, b);
}

static uint64_t event_key(const struct event *e)
{
  uint64_t h = SIM_FNV_INIT;

  h_u64(&h, (uint64_t)e->involved_kind);
  h_str(&h, e->involved_namespace);
  h_str(&h, e->involved_name);
  h_u64(&h, e->involved_uid);
  h_u64(&h, (uint64_t)e->type);
  h_str(&h, e->reason);
  h_str(&h, e->message);
  h_str(&h, e->source);
  return h;
}

static bool same_event(const struct event *a, const struct event *b)
{
  return a->involved_kind == b->involved_kind &&
         str_eq(a->involved_namespace, b->involved_namespace) &&
         str_eq(a->involved_name, b->involved_name) &&
         a->involved_uid == b->involved_uid && a->type == b->type &&
         str_eq(a->reason, b->reason) && str_eq(a->message, b->message) &&
         str_eq(a->source, b->source);
}

static struct api__event_slot *find_slot(struct api__event_slot *slots,
                                         size_t alloc, uint64_t key,
                                         const struct event *e)
{
  size_t mask = alloc - 1;

  for (size_t i = (size_t)key & mask;; i = (i + 1) & mask) {
    struct api__event_slot *s = &slots[i];
    if (!s->cur || (s->key == key && same_event(s->cur, e)))
      return s;
  }
}

static void grow(struct api *api)
{
  size_t alloc = api->ev_slots_alloc ? api->ev_slots_alloc * 2 : 64;
  struct api__event_slot *slots = xcalloc(alloc, sizeof(*slots));

  for (size_t i = 0; i < api->ev_slots_alloc; i++) {
    const struct api__event_slot *s = &api->ev_slots[i];
    if (s->cur)
      *find_slot(slots, alloc, s->key, s->cur) = *s;
  }
  free(api->ev_slots);
  api->ev_slots = slots;
  api->ev_slots_alloc = alloc;
}

void api_record_event(struct api *api, const char *source,
                      const struct object *involved, enum event_type type,
                      const char *reason, const char *fmt, ...)
{
  simtime now = engine_now(api->engine);
  struct event probe = {0}, *v;
  struct api__event_slot *slot;
  char msg[1024];
  uint64_t key;
  bool repeat;
  va_list ap;

  SIM_ASSERT(involved);
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  probe.involved_kind = involved->kind;
  probe.involved_name = involved->meta.name;
  probe.involved_namespace = involved->meta.namespace_;
  probe.involved_uid = involved->meta.uid;
  probe.type = type;
  probe.reason = reason;
  probe.message = msg;
  probe.source = source;
  key = event_key(&probe);

  if (2 * (api->ev_distinct + 1) > api->ev_slots_alloc)
    grow(api);
  slot = find_slot(api->ev_slots, api->ev_slots_alloc, key, &probe);
  repeat = slot->cur != NULL;
  v = arena_alloc(api->arena, sizeof(*v));
  if (repeat) {
    *v = *slot->cur;
    v->count++;
    v->last_timestamp = now;
  } else {
    *v = probe;
    v->involved_name = arena_strdup(api->arena, probe.involved_name);
    v->involved_namespace = arena_strdup(api->arena, probe.involved_namespace);
    v->reason = arena_strdup(api->arena, reason);
    v->message = arena_strdup(api->arena, msg);
    v->source = arena_strdup(api->arena, source);
    v->count = 1;
    v->first_timestamp = v->last_timestamp = now;
    slot->key = key;
    api->ev_distinct++;
  }
  slot->cur = v;
  VEC_PUSH(&api->events, v);
  if (api->event_hook)
    api->event_hook(v, repeat, api->event_ctx);
}

const struct event *const *api_events(const struct api *api, size_t *nr)
{
  *nr = api->events.nr;
  return api->events.v;
}

void api_set_event_hook(struct api *api, api_event_hook_fn *fn, void *ctx)
{
  api->event_hook = fn;
  api->event_ctx = ctx;
}

void api__events_free(struct api *api)
{
  free(api->events.v);
  free(api->ev_slots);
}
