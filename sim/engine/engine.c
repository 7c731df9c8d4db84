/*
 * engine.c - the event queue and virtual clock.
 *
 * The heap holds small entries (time, packed phase+seq, slot) ordered by
 * (at, phase, seq); the handler and its arguments sit in a slot table so a
 * sift moves 24 bytes, and each slot knows its heap position so a cancel
 * removes its entry at once instead of leaving a tombstone to skip later.
 * Handles carry the slot's generation: a stale handle (event already run
 * or cancelled, slot reused) is recognised and ignored.
 */
#include <stdlib.h>

#include "engine.h"

#define SEQ_BITS 56
#define NO_POS UINT32_MAX

struct heap_entry {
  simtime at;
  uint64_t key; /* phase << SEQ_BITS | seq: orders (phase, seq) at once */
  uint32_t slot;
};

struct slot {
  engine_handler_fn *fn;
  void *ctx;
  const char *kind;
  uint64_t subject, arg;
  uint32_t pos; /* index in the heap, NO_POS when free */
  uint32_t gen; /* bumped each time the slot is freed */
};

struct engine {
  struct heap_entry *heap;
  size_t nr, alloc;
  struct slot *slots;
  uint32_t slots_nr, slots_alloc;
  uint32_t *free_slots;
  uint32_t free_nr, free_alloc;
  simtime now;
  uint64_t seq;     /* insertion counter (D2) */
  uint64_t current; /* seq of the running event */
  int phase;        /* phase of the running event */
  uint64_t executed;
  struct trace *trace;
  struct trace_memo *memo; /* the digest's per-kind memo (trace.h) */
};

struct engine *engine_new(struct trace *trace)
{
  struct engine *e = xcalloc(1, sizeof(*e));

  e->trace = trace;
  e->phase = PHASE_CHECK;
  if (trace)
    e->memo = trace_memo_new();
  return e;
}

void engine_free(struct engine *e)
{
  if (!e)
    return;
  free(e->heap);
  free(e->slots);
  free(e->free_slots);
  trace_memo_free(e->memo);
  free(e);
}

simtime engine_now(const struct engine *e)
{
  return e->now;
}

static inline bool before(const struct heap_entry *a,
                          const struct heap_entry *b)
{
  if (a->at != b->at)
    return a->at < b->at;
  return a->key < b->key; /* seq is unique: never equal */
}

static inline void place(struct engine *e, size_t i, struct heap_entry h)
{
  e->heap[i] = h;
  e->slots[h.slot].pos = (uint32_t)i;
}

static void sift_up(struct engine *e, size_t i)
{
  struct heap_entry h = e->heap[i];

  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(&h, &e->heap[parent]))
      break;
    place(e, i, e->heap[parent]);
    i = parent;
  }
  place(e, i, h);
}

static void sift_down(struct engine *e, size_t i)
{
  struct heap_entry h = e->heap[i];
  size_t n = e->nr;

  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n && before(&e->heap[c + 1], &e->heap[c]))
      c++;
    if (!before(&e->heap[c], &h))
      break;
    place(e, i, e->heap[c]);
    i = c;
  }
  place(e, i, h);
}

static uint32_t slot_get(struct engine *e)
{
  if (e->free_nr)
    return e->free_slots[--e->free_nr];
  if (e->slots_nr == e->slots_alloc) {
    e->slots_alloc = e->slots_alloc ? e->slots_alloc * 2 : 256;
    e->slots = xrealloc(e->slots, e->slots_alloc * sizeof(*e->slots));
  }
  e->slots[e->slots_nr].gen = 1;
  return e->slots_nr++;
}

static void slot_put(struct engine *e, uint32_t s)
{
  e->slots[s].pos = NO_POS;
  e->slots[s].gen++;
  if (e->free_nr == e->free_alloc) {
    e->free_alloc = e->free_alloc ? e->free_alloc * 2 : 256;
    e->free_slots =
        xrealloc(e->free_slots, e->free_alloc * sizeof(*e->free_slots));
  }
  e->free_slots[e->free_nr++] = s;
}

uint64_t engine_schedule(struct engine *e, simtime at, enum engine_phase phase,
                         const char *kind, engine_handler_fn *fn,
                         uint64_t subject, uint64_t arg, void *ctx)
{
  if (at < e->now)
    SIM_BUG("event '%s' scheduled in the past (%lld < %lld)", kind,
            (long long)at, (long long)e->now);
  SIM_ASSERT(fn);
  uint32_t s = slot_get(e);
  struct slot *sl = &e->slots[s];

  sl->fn = fn;
  sl->ctx = ctx;
  sl->kind = kind;
  sl->subject = subject;
  sl->arg = arg;
  if (e->nr == e->alloc) {
    e->alloc = e->alloc ? e->alloc * 2 : 256;
    e->heap = xrealloc(e->heap, e->alloc * sizeof(*e->heap));
  }
  uint64_t seq = ++e->seq;
  SIM_ASSERT(seq < (UINT64_C(1) << SEQ_BITS));
  e->heap[e->nr] = (struct heap_entry){
      .at = at, .key = ((uint64_t)phase << SEQ_BITS) | seq, .slot = s};
  sift_up(e, e->nr++);
  return ((uint64_t)sl->gen << 32) | ((uint64_t)s + 1);
}

static void heap_remove(struct engine *e, size_t i)
{
  e->nr--;
  if (i == e->nr)
    return;
  e->heap[i] = e->heap[e->nr];
  e->slots[e->heap[i].slot].pos = (uint32_t)i;
  if (i > 0 && before(&e->heap[i], &e->heap[(i - 1) / 2]))
    sift_up(e, i);
  else
    sift_down(e, i);
}

bool engine_cancel(struct engine *e, uint64_t handle)
{
  uint64_t idx = handle & 0xffffffffu;
  uint32_t gen = (uint32_t)(handle >> 32);

  if (idx == 0 || idx > e->slots_nr)
    return false;
  uint32_t s = (uint32_t)(idx - 1);
  if (e->slots[s].gen != gen || e->slots[s].pos == NO_POS)
    return false;
  heap_remove(e, e->slots[s].pos);
  slot_put(e, s);
  return true;
}

bool engine_step(struct engine *e, simtime until)
{
  if (!e->nr || e->heap[0].at > until)
    return false;
  struct heap_entry top = e->heap[0];
  struct slot sl = e->slots[top.slot];

  heap_remove(e, 0);
  slot_put(e, top.slot);
  e->now = top.at;
  e->current = top.key & ((UINT64_C(1) << SEQ_BITS) - 1);
  e->phase = (int)(top.key >> SEQ_BITS);
  e->executed++;
  if (e->trace)
    trace_fold_memo(e->trace, e->memo, top.at, (int)(top.key >> SEQ_BITS),
                    e->current, sl.kind, sl.subject);
  sl.fn(e, sl.subject, sl.arg, sl.ctx);
  e->current = 0;
  e->phase = PHASE_CHECK;
  return true;
}

uint64_t engine_run_until(struct engine *e, simtime until)
{
  uint64_t n = 0;

  while (engine_step(e, until))
    n++;
  if (e->nr && until > e->now && until != SIMTIME_NEVER)
    e->now = until;
  return n;
}

simtime engine_next_time(struct engine *e)
{
  return e->nr ? e->heap[0].at : SIMTIME_NEVER;
}

uint64_t engine_pending(const struct engine *e)
{
  return e->nr;
}

uint64_t engine_executed(const struct engine *e)
{
  return e->executed;
}

uint64_t engine_current_seq(const struct engine *e)
{
  return e->current;
}

enum engine_phase engine_current_phase(const struct engine *e)
{
  return (enum engine_phase)e->phase;
}

void engine_advance(struct engine *e, simtime at)
{
  SIM_ASSERT(at >= e->now);
  e->now = at;
}
