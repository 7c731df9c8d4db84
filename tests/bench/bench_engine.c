/*
 * bench_engine.c - events per second of the engine against a bare binary
 * heap event loop, both running the same "hold" model in this binary:
 * N pending events; each one run schedules one more a pseudo-random
 * interval later. Prints medians of several rounds and their ratio
 * (design.md target: engine >= 0.5 of the bare loop).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

#define PENDING 10000
#define EVENTS 2000000
#define ROUNDS 5

static uint64_t lcg(uint64_t *s)
{
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 33;
}

/* --- the engine -------------------------------------------------------- */

struct hold {
  uint64_t rng;
  uint64_t left;
};

static void hold_event(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct hold *h = ctx;

  (void)arg;
  if (h->left) {
    h->left--;
    engine_schedule(e, engine_now(e) + 1 + (simtime)(lcg(&h->rng) % 1000),
                    PHASE_NODE, "hold", hold_event, subject, 0, h);
  }
}

static double run_engine(void)
{
  struct hold h = {12345, EVENTS - PENDING};
  struct engine *e = engine_new(NULL);
  struct timespec a, b;

  for (uint64_t i = 0; i < PENDING; i++)
    engine_schedule(e, (simtime)(lcg(&h.rng) % 1000), PHASE_NODE, "hold",
                    hold_event, i, 0, &h);
  clock_gettime(CLOCK_MONOTONIC, &a);
  uint64_t n = engine_run_until(e, SIMTIME_NEVER);
  clock_gettime(CLOCK_MONOTONIC, &b);
  engine_free(e);
  return (double)n / ((double)(b.tv_sec - a.tv_sec) +
                      (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

/* --- a bare binary heap with the same work per event --------------------- */

struct bare_ev {
  int64_t at;
  uint64_t seq;
  void (*fn)(struct bare_ev *ev, void *ctx);
  uint64_t subject;
  void *ctx;
};

struct bare {
  struct bare_ev *h;
  size_t nr, alloc;
  uint64_t seq;
  int64_t now;
};

static int bare_less(const struct bare_ev *a, const struct bare_ev *b)
{
  return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void bare_push(struct bare *q, struct bare_ev ev)
{
  if (q->nr == q->alloc) {
    q->alloc = q->alloc ? q->alloc * 2 : 1024;
    q->h = realloc(q->h, q->alloc * sizeof(*q->h));
  }
  ev.seq = ++q->seq;
  size_t i = q->nr++;
  while (i > 0 && bare_less(&ev, &q->h[(i - 1) / 2])) {
    q->h[i] = q->h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  q->h[i] = ev;
}

static struct bare_ev bare_pop(struct bare *q)
{
  struct bare_ev top = q->h[0], last = q->h[--q->nr];
  size_t i = 0;

  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= q->nr)
      break;
    if (c + 1 < q->nr && bare_less(&q->h[c + 1], &q->h[c]))
      c++;
    if (!bare_less(&q->h[c], &last))
      break;
    q->h[i] = q->h[c];
    i = c;
  }
  if (q->nr)
    q->h[i] = last;
  return top;
}

struct bare_hold {
  struct bare *q;
  uint64_t rng, left;
};

static void bare_hold_event(struct bare_ev *ev, void *ctx)
{
  struct bare_hold *h = ctx;

  if (h->left) {
    h->left--;
    bare_push(h->q, (struct bare_ev){.at = h->q->now + 1 +
                                           (int64_t)(lcg(&h->rng) % 1000),
                                     .fn = bare_hold_event,
                                     .subject = ev->subject,
                                     .ctx = h});
  }
}

static double run_bare(void)
{
  struct bare q = {0};
  struct bare_hold h = {&q, 12345, EVENTS - PENDING};
  struct timespec a, b;
  uint64_t n = 0;

  for (uint64_t i = 0; i < PENDING; i++)
    bare_push(&q, (struct bare_ev){.at = (int64_t)(lcg(&h.rng) % 1000),
                                   .fn = bare_hold_event,
                                   .subject = i,
                                   .ctx = &h});
  clock_gettime(CLOCK_MONOTONIC, &a);
  while (q.nr) {
    struct bare_ev ev = bare_pop(&q);
    q.now = ev.at;
    ev.fn(&ev, ev.ctx);
    n++;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  free(q.h);
  return (double)n / ((double)(b.tv_sec - a.tv_sec) +
                      (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(void)
{
  double eng[ROUNDS], bare[ROUNDS];

  /* Interleave rounds so machine noise hits both alike. */
  for (int i = 0; i < ROUNDS; i++) {
    bare[i] = run_bare();
    eng[i] = run_engine();
  }
  qsort(eng, ROUNDS, sizeof(double), cmp_double);
  qsort(bare, ROUNDS, sizeof(double), cmp_double);
  printf("engine: %.2f M events/s, bare binary heap: %.2f M events/s, "
         "ratio %.2f (median of %d rounds, %d events, %d pending)\n",
         eng[ROUNDS / 2] / 1e6, bare[ROUNDS / 2] / 1e6,
         eng[ROUNDS / 2] / bare[ROUNDS / 2], ROUNDS, EVENTS, PENDING);
  return 0;
}
