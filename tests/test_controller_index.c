/*
 * test_controller_index.c - the controller's pod index (index.c): a pass
 * over a settled set looks again only at the slots whose pod or claims
 * changed, and the index never changes a decision. The second part runs
 * seeded random lifecycles (scale, kubelet steps, failures, deletes of
 * pods and claims) twice, with and without the index, and compares every
 * request the controller made and every Event it recorded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "controller/controller_int.h"
#include "ctl_fixture.h"
#include "rng.h"

static struct ctl *ctl_of(struct ctl_fx *x)
{
  return x->ctl;
}

/* The set's index (its pods' controllerRef uid). */
static struct ctl__sidx *sidx(struct ctl_fx *x)
{
  struct ctl *c = ctl_of(x);
  uint64_t i;

  assert_true(u64map_get(&c->sidx_by_uid, ctlfx_set(x)->meta.uid, &i));
  return c->sidx.v[i];
}

static size_t needing(struct ctl_fx *x)
{
  struct ctl__sidx *s = sidx(x);
  size_t n = 0;

  for (int32_t i = 0; i < s->replicas; i++)
    n += (s->need[i / 64] >> (i % 64)) & 1;
  return n;
}

static bool needs(struct ctl_fx *x, int32_t slot)
{
  struct ctl__sidx *s = sidx(x);

  return (s->need[slot / 64] >> (slot % 64)) & 1;
}

static void settle(struct ctl_fx *x, int32_t replicas,
                   enum pod_management_policy pmp)
{
  struct ctlfx_set_opts o = {.replicas = replicas, .pmp = pmp, .claims = true};

  ctlfx_init(x, 34);
  ctlfx_start(x);
  ctlfx_create_set(x, &o);
  ctlfx_converge(x, SIM_SEC(120), NULL);
  ctlfx_run(x, SIM_SEC(1));
}

static void a_settled_set_has_every_slot_quiet(void **state)
{
  struct ctl_fx x;

  (void)state;
  settle(&x, 70, PMP_PARALLEL);
  assert_int_equal(ctlfx_count(&x, KIND_POD), 70);
  assert_int_equal(needing(&x), 0);
  ctlfx_release(&x);
}

static void a_pod_change_wakes_only_its_slot(void **state)
{
  struct ctl_fx x;

  (void)state;
  settle(&x, 70, PMP_PARALLEL);
  ctlfx_unready(&x, "web-65");
  ctlfx_run(&x, SIM_MS(3)); /* the cache has it; the pass has not run */
  assert_true(
      u64map_get(&sidx(&x)->by_pod, ctlfx_pod(&x, "web-65")->meta.uid, NULL));
  ctlfx_run(&x, SIM_MS(100));
  /* the pass looked at web-65 (quiet again: nothing to repair) and at
   * nothing else; its status counts it unready */
  assert_int_equal(needing(&x), 0);
  assert_int_equal(ctlfx_set(&x)->u.sts.status.ready_replicas, 69);
  ctlfx_release(&x);
}

static void a_claim_change_wakes_its_ordinal(void **state)
{
  struct ctl_fx x;

  (void)state;
  settle(&x, 8, PMP_PARALLEL);
  assert_int_equal(needing(&x), 0);
  ctl__index_pvc(ctl_of(&x), ctlfx_pvc(&x, "data-web-5"));
  assert_true(needs(&x, 5));
  assert_int_equal(needing(&x), 1);
  ctlfx_release(&x);
}

static void a_scale_up_makes_the_new_slots_placeholders(void **state)
{
  struct ctl_fx x;

  (void)state;
  settle(&x, 4, PMP_PARALLEL);
  ctlfx_scale(&x, 6);
  ctlfx_run(&x, SIM_MS(10)); /* the set seen, the pods created */
  assert_int_equal(sidx(&x)->replicas, 6);
  assert_non_null(ctlfx_pod(&x, "web-5"));
  assert_null(sidx(&x)->slots[5].pod); /* not yet in the cache */
  assert_true(needs(&x, 4) && needs(&x, 5));
  assert_int_equal(needing(&x), 2);
  ctlfx_run(&x, SIM_MS(100));
  assert_non_null(sidx(&x)->slots[5].pod);
  ctlfx_release(&x);
}

static void an_orphan_pod_makes_passes_walk_the_cache(void **state)
{
  struct ctl_fx x;
  struct object o;

  (void)state;
  settle(&x, 2, PMP_PARALLEL);
  o = fixture_pod(&x.f, "stray", NULL);
  fixture_create(&x.f, &o);
  ctlfx_run(&x, SIM_MS(10));
  assert_int_equal(ctl_of(&x)->idx_orphans, 1);
  ctlfx_release(&x);
}

/* --- the index decides nothing ------------------------------------------- */

struct log {
  char *buf;
  size_t len, alloc;
};

static void log_add(struct log *l, const char *fmt, ...)
{
  char line[512];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (l->len + (size_t)n + 1 > l->alloc) {
    l->alloc = (l->len + (size_t)n + 1) * 2;
    l->buf = realloc(l->buf, l->alloc);
  }
  memcpy(l->buf + l->len, line, (size_t)n + 1);
  l->len += (size_t)n;
}

static void on_request(const char *who, const char *verb, enum obj_kind kind,
                       const char *ns, const char *name, enum api_status status,
                       bool changed, void *ctx)
{
  (void)ns;
  if (!strcmp(who, CTL_COMPONENT))
    log_add(ctx, "%s %s %s %s %d\n", verb, obj_kind_name(kind), name,
            api_status_name(status), (int)changed);
}

static void on_event(const struct event *ev, bool repeat, void *ctx)
{
  if (!strcmp(ev->source, CTL_COMPONENT))
    log_add(ctx, "event %s %s %d\n", ev->reason, ev->message, (int)repeat);
}

struct pick {
  const char *names[256];
  size_t nr;
};

static bool pick_one(const struct object *o, void *ctx)
{
  struct pick *p = ctx;

  if (p->nr < 256)
    p->names[p->nr++] = o->meta.name;
  return true;
}

static const char *random_name(struct ctl_fx *x, gsl_rng *r, enum obj_kind k)
{
  struct pick p = {.nr = 0};

  api_list(x->f.api, k, "default", NULL, pick_one, &p);
  return p.nr ? p.names[gsl_rng_uniform_int(r, p.nr)] : NULL;
}

/* One random step of the world around the controller. */
static void random_step(struct ctl_fx *x, gsl_rng *r)
{
  const char *pod = random_name(x, r, KIND_POD);
  const struct object *o = pod ? ctlfx_pod(x, pod) : NULL;
  unsigned what = (unsigned)gsl_rng_uniform_int(r, 10);

  if (what == 0) {
    ctlfx_scale(x, (int32_t)gsl_rng_uniform_int(r, 12));
  } else if (what == 1 && o && !meta_is_deleting(&o->meta)) {
    ctlfx_delete(x, pod);
  } else if (what == 2 && o && o->u.pod.spec.node_name &&
             !meta_is_deleting(&o->meta)) {
    ctlfx_phase(x, pod, POD_FAILED, false);
  } else if (what == 3) {
    const char *pvc = random_name(x, r, KIND_PVC);
    if (pvc)
      api_delete(x->f.api, "kubectl", KIND_PVC, "default", pvc, NULL);
  } else if (what == 4 && o && o->u.pod.status.phase == POD_RUNNING &&
             !meta_is_deleting(&o->meta)) {
    ctlfx_unready(x, pod);
  } else if (what == 5) {
    ctlfx_set_image(x, gsl_rng_uniform_int(r, 2) ? "registry.example/app:2"
                                                 : "registry.example/app:1");
  } else {
    ctlfx_kubelet_round(x, NULL);
  }
  ctlfx_run(x, SIM_MS(1 + gsl_rng_uniform_int(r, 400)));
}

static void run_log(struct log *l, uint64_t seed, bool index,
                    enum pod_management_policy pmp, enum pvc_retention ws)
{
  struct ctl_fx x;
  struct ctlfx_set_opts o = {.replicas = 5,
                             .pmp = pmp,
                             .claims = true,
                             .when_scaled = ws,
                             .when_deleted = ws};
  gsl_rng *r = rng_stream_new(seed, RNG_CONTROLLER, 77);

  ctlfx_init(&x, 34);
  ctlfx_start(&x);
  ctl_of(&x)->idx_off = !index;
  api_add_request_hook(x.f.api, on_request, l);
  api_set_event_hook(x.f.api, on_event, l);
  ctlfx_create_set(&x, &o);
  for (int i = 0; i < 150; i++)
    random_step(&x, r);
  ctlfx_converge(&x, SIM_SEC(60), NULL);
  log_add(l, "syncs %llu\n", (unsigned long long)ctl_syncs(x.ctl));
  rng_free(r);
  ctlfx_release(&x);
}

static void
random_lives_decide_the_same_with_and_without_the_index(void **state)
{
  (void)state;
  for (uint64_t seed = 1; seed <= 12; seed++) {
    enum pod_management_policy pmp =
        seed % 2 ? PMP_PARALLEL : PMP_ORDERED_READY;
    enum pvc_retention ws = seed % 3 ? RETAIN : DELETE;
    struct log with = {0}, without = {0};

    run_log(&with, seed, true, pmp, ws);
    run_log(&without, seed, false, pmp, ws);
    assert_true(with.len > 1000);
    if (with.len != without.len || memcmp(with.buf, without.buf, with.len))
      fail_msg("seed %llu: the index changed a decision",
               (unsigned long long)seed);
    free(with.buf);
    free(without.buf);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_settled_set_has_every_slot_quiet),
      cmocka_unit_test(a_pod_change_wakes_only_its_slot),
      cmocka_unit_test(a_claim_change_wakes_its_ordinal),
      cmocka_unit_test(a_scale_up_makes_the_new_slots_placeholders),
      cmocka_unit_test(an_orphan_pod_makes_passes_walk_the_cache),
      cmocka_unit_test(random_lives_decide_the_same_with_and_without_the_index),
  };

  return cmocka_run_group_tests_name("controller_index", tests, NULL, NULL);
}
