/*
 * test_endpoints.c - EndpointSlices for Services (conditions, hostnames,
 * no churn, slices of 100) and what DNS answers from them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"

struct t {
  struct fixture f;
  void *eps;
  void *gc;
  unsigned slice_writes; /* writes to EndpointSlices seen by the hook */
};

static void count_writes(enum watch_type wt, const struct object *old,
                         const struct object *now, void *ctx)
{
  struct t *t = ctx;

  (void)wt;
  (void)old;
  if (now->kind == KIND_ENDPOINTSLICE)
    t->slice_writes++;
}

static int setup(void **state)
{
  struct t *t = test_calloc(1, sizeof(*t));

  fixture_init(&t->f, 2, 1);
  api_add_write_hook(t->f.api, count_writes, t);
  t->eps = endpoints_start(&t->f.env);
  *state = t;
  return 0;
}

static int teardown(void **state)
{
  struct t *t = *state;

  endpoints_stop(t->eps);
  gc_stop(t->gc);
  fixture_release(&t->f);
  test_free(t);
  return 0;
}

static void run_for(struct t *t, simtime d)
{
  fixture_run(&t->f, engine_now(t->f.engine) + d);
}

static struct kv_list app_label(struct t *t, const char *app)
{
  struct kv *l = arena_calloc(&t->f.s.arena, 1, sizeof(*l));

  *l = (struct kv){"app", app};
  return (struct kv_list){l, 1};
}

static const struct object *service(struct t *t, const char *name,
                                    bool headless, bool publish)
{
  struct object o;

  object_init(&o, KIND_SERVICE);
  o.meta.name = name;
  o.meta.namespace_ = "default";
  o.u.svc.headless = headless;
  o.u.svc.cluster_ip = headless ? NULL : "10.96.0.10";
  o.u.svc.selector = app_label(t, "web");
  o.u.svc.publish_not_ready_addresses = publish;
  return fixture_create(&t->f, &o);
}

struct status_patch {
  const char *ip; /* NULL: keep */
  enum cond_status ready;
  enum pod_phase phase; /* POD_PHASE_NONE: keep */
};

static bool patch_status(struct object *o, void *ctx)
{
  const struct status_patch *p = ctx;

  if (p->ip)
    o->u.pod.status.pod_ip = p->ip;
  if (p->ready != COND_UNSET)
    o->u.pod.status.ready.status = p->ready;
  if (p->phase != POD_PHASE_NONE)
    o->u.pod.status.phase = p->phase;
  return true;
}

static void set_status(struct t *t, const char *pod, const char *ip,
                       enum cond_status ready, enum pod_phase phase)
{
  struct status_patch p = {ip, ready, phase};

  assert_int_equal(api_patch(t->f.api, "kubelet", KIND_POD, "default", pod, 0,
                             patch_status, &p, NULL),
                   API_OK);
}

/* A StatefulSet-like pod of service "web" (hostname = name, subdomain),
 * Running with ip (NULL: none yet) and Ready as given. */
static const struct object *pod(struct t *t, const char *name,
                                const char *subdomain, const char *ip,
                                bool ready)
{
  struct object o = fixture_pod(&t->f, name, NULL);

  o.meta.labels = app_label(t, "web");
  o.u.pod.spec.hostname = name;
  o.u.pod.spec.subdomain = subdomain;
  o.u.pod.spec.node_name = "node-1";
  fixture_create(&t->f, &o);
  set_status(t, name, ip, ready ? COND_TRUE : COND_FALSE, POD_RUNNING);
  return fixture_get(&t->f, KIND_POD, name);
}

struct slices {
  const struct object *v[8];
  size_t nr;
  size_t endpoints;
};

static bool collect(const struct object *o, void *ctx)
{
  struct slices *s = ctx;

  if (s->nr < 8)
    s->v[s->nr++] = o;
  s->endpoints += o->u.eps.endpoints_nr;
  return true;
}

static struct slices slices_of(struct t *t, const char *svc)
{
  struct slices s = {0};
  struct kv kv = {"kubernetes.io/service-name", svc};
  struct label_selector sel = {.match_labels = {&kv, 1}};

  api_list(t->f.api, KIND_ENDPOINTSLICE, "default", &sel, collect, &s);
  return s;
}

/* The endpoint of pod in service svc's slices, or NULL. */
static const struct endpoint *endpoint(struct t *t, const char *svc,
                                       const char *pod_name)
{
  struct slices s = slices_of(t, svc);

  for (size_t i = 0; i < s.nr; i++)
    for (size_t j = 0; j < s.v[i]->u.eps.endpoints_nr; j++)
      if (!strcmp(s.v[i]->u.eps.endpoints[j].target_pod, pod_name))
        return &s.v[i]->u.eps.endpoints[j];
  return NULL;
}

/* The one address name resolves to, "" for none, "*" for several. */
static const char *resolve1(struct t *t, const char *name)
{
  const char *ips[4];
  size_t n = dns_resolve(t->f.api, name, ips, 4);

  return n == 0 ? "" : n == 1 ? ips[0] : "*";
}

/* --- slices and conditions ------------------------------------------------ */

static void
a_ready_pod_of_a_headless_service_gets_a_ready_endpoint(void **state)
{
  struct t *t = *state;
  const struct object *svc = service(t, "web", true, false);
  const struct object *p = pod(t, "web-0", "web", "10.0.0.1", true);
  const struct endpoint *ep;
  struct slices s;

  run_for(t, SIM_SEC(1));
  s = slices_of(t, "web");
  assert_int_equal(s.nr, 1);
  assert_int_equal(strncmp(s.v[0]->meta.name, "web-", 4), 0);
  assert_int_equal(strlen(s.v[0]->meta.name), 4 + 5);
  assert_string_equal(s.v[0]->u.eps.service_name, "web");
  assert_string_equal(
      kv_get(&s.v[0]->meta.labels, "endpointslice.kubernetes.io/managed-by"),
      "endpointslice-controller.k8s.io");
  assert_non_null(
      kv_get(&s.v[0]->meta.labels, "service.kubernetes.io/headless"));
  assert_non_null(meta_controller_ref(&s.v[0]->meta));
  assert_int_equal(meta_controller_ref(&s.v[0]->meta)->uid, svc->meta.uid);
  assert_true(meta_controller_ref(&s.v[0]->meta)->block_owner_deletion);

  ep = endpoint(t, "web", "web-0");
  assert_non_null(ep);
  assert_string_equal(ep->address, "10.0.0.1");
  assert_true(ep->ready);
  assert_true(ep->serving);
  assert_false(ep->terminating);
  assert_string_equal(ep->hostname, "web-0");
  assert_string_equal(ep->node_name, "node-1");
  assert_int_equal(ep->target_uid, p->meta.uid);
}

static void
the_slice_follows_a_pod_change_after_the_watch_delay_and_a_write(void **state)
{
  struct t *t = *state;
  simtime lag = t->f.s.timings.v[TIMING_WATCH_DELAY] +
                t->f.s.timings.v[TIMING_API_LATENCY];

  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  run_for(t, SIM_SEC(1));
  set_status(t, "web-0", NULL, COND_FALSE, POD_PHASE_NONE);
  run_for(t, lag - 1);
  assert_true(endpoint(t, "web", "web-0")->ready);
  run_for(t, 1);
  assert_false(endpoint(t, "web", "web-0")->ready);
}

static void a_pod_without_an_ip_is_left_out_until_it_has_one(void **state)
{
  struct t *t = *state;

  service(t, "web", true, false);
  pod(t, "web-0", "web", NULL, false);
  run_for(t, SIM_SEC(1));
  /* The placeholder slice, empty. */
  assert_int_equal(slices_of(t, "web").nr, 1);
  assert_int_equal(slices_of(t, "web").endpoints, 0);
  set_status(t, "web-0", "10.0.0.1", COND_UNSET, POD_PHASE_NONE);
  run_for(t, SIM_SEC(1));
  assert_non_null(endpoint(t, "web", "web-0"));
  assert_false(endpoint(t, "web", "web-0")->ready);
}

static void readiness_flips_show_in_ready_serving_and_dns(void **state)
{
  struct t *t = *state;

  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  run_for(t, SIM_SEC(1));
  assert_string_equal(resolve1(t, "web-0.web"), "10.0.0.1");

  set_status(t, "web-0", NULL, COND_FALSE, POD_PHASE_NONE);
  run_for(t, SIM_SEC(1));
  assert_false(endpoint(t, "web", "web-0")->ready);
  assert_false(endpoint(t, "web", "web-0")->serving);
  assert_string_equal(resolve1(t, "web-0.web"), "");

  set_status(t, "web-0", NULL, COND_TRUE, POD_PHASE_NONE);
  run_for(t, SIM_SEC(1));
  assert_true(endpoint(t, "web", "web-0")->ready);
  assert_string_equal(resolve1(t, "web-0.web"), "10.0.0.1");
}

static void a_terminating_pod_stays_serving_but_not_ready(void **state)
{
  struct t *t = *state;
  const struct endpoint *ep;

  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  run_for(t, SIM_SEC(1));
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", NULL),
      API_OK);
  run_for(t, SIM_SEC(1));
  ep = endpoint(t, "web", "web-0");
  assert_non_null(ep);
  assert_true(ep->terminating);
  assert_true(ep->serving);
  assert_false(ep->ready);
  assert_string_equal(resolve1(t, "web-0.web"), "");
}

static void publish_not_ready_addresses_makes_every_endpoint_ready(void **state)
{
  struct t *t = *state;
  const struct endpoint *ep;

  service(t, "web", true, true);
  pod(t, "web-0", "web", "10.0.0.1", false);
  run_for(t, SIM_SEC(1));
  ep = endpoint(t, "web", "web-0");
  assert_true(ep->ready);
  assert_false(ep->serving);
  assert_string_equal(resolve1(t, "web-0.web"), "10.0.0.1");

  /* Even terminating: the stale IP of a dying pod keeps being served. */
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", NULL),
      API_OK);
  run_for(t, SIM_SEC(1));
  ep = endpoint(t, "web", "web-0");
  assert_true(ep->terminating);
  assert_true(ep->ready);
  assert_string_equal(resolve1(t, "web-0.web"), "10.0.0.1");
}

static void terminal_and_unselected_pods_are_excluded(void **state)
{
  struct t *t = *state;
  struct object o = fixture_pod(&t->f, "other", NULL);

  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  pod(t, "web-1", "web", "10.0.0.2", false);
  o.meta.labels = app_label(t, "db");
  fixture_create(&t->f, &o);
  set_status(t, "other", "10.0.0.9", COND_TRUE, POD_RUNNING);
  set_status(t, "web-1", NULL, COND_UNSET, POD_FAILED);
  run_for(t, SIM_SEC(1));
  assert_non_null(endpoint(t, "web", "web-0"));
  assert_null(endpoint(t, "web", "web-1"));
  assert_null(endpoint(t, "web", "other"));
}

static void
the_hostname_is_set_only_when_the_subdomain_names_the_service(void **state)
{
  struct t *t = *state;

  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  pod(t, "web-1", "elsewhere", "10.0.0.2", true);
  run_for(t, SIM_SEC(1));
  assert_string_equal(endpoint(t, "web", "web-0")->hostname, "web-0");
  assert_null(endpoint(t, "web", "web-1")->hostname);
  assert_string_equal(resolve1(t, "web-1.web"), "");
  /* CoreDNS names an endpoint without hostname by its dashed IP. */
  assert_string_equal(resolve1(t, "10-0-0-2.web"), "10.0.0.2");
}

static void a_recreated_pod_with_a_new_ip_replaces_the_old_address(void **state)
{
  struct t *t = *state;
  struct delete_opts force = DELETE_OPTS_DEFAULT;
  const struct object *p;

  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  run_for(t, SIM_SEC(1));
  force.grace_seconds = 0;
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_POD, "default", "web-0", &force),
      API_OK);
  run_for(t, SIM_SEC(1));
  assert_null(endpoint(t, "web", "web-0"));
  assert_string_equal(resolve1(t, "web-0.web"), "");

  p = pod(t, "web-0", "web", "10.0.0.7", true);
  run_for(t, SIM_SEC(1));
  assert_int_equal(endpoint(t, "web", "web-0")->target_uid, p->meta.uid);
  assert_string_equal(resolve1(t, "web-0.web"), "10.0.0.7");
  assert_int_equal(slices_of(t, "web").endpoints, 1);
}

static void nothing_is_written_when_nothing_shown_changed(void **state)
{
  struct t *t = *state;
  const struct object *s;
  uint64_t rv;
  unsigned writes;

  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  run_for(t, SIM_SEC(1));
  s = slices_of(t, "web").v[0];
  rv = s->meta.resource_version;
  writes = t->slice_writes;
  assert_int_equal(writes, 1); /* created once with its endpoint */
  /* From now on every write attempt of the controller fails and counts,
   * even one the API server would answer as a no-op. */
  api_add_write_fault(t->f.api, API_FAULT_UNAVAILABLE, 1.0,
                      engine_now(t->f.engine), SIMTIME_NEVER,
                      "endpointslice-controller");

  /* Pod changes the slice does not show: phase, a label, a re-apply,
   * and a readiness flip undone before the controller syncs. */
  set_status(t, "web-0", NULL, COND_FALSE, POD_PHASE_NONE);
  set_status(t, "web-0", NULL, COND_TRUE, POD_PHASE_NONE);
  set_status(t, "web-0", NULL, COND_TRUE, POD_PENDING);
  set_status(t, "web-0", NULL, COND_TRUE, POD_RUNNING);
  {
    struct object o = *fixture_get(&t->f, KIND_POD, "web-0");
    struct kv *l = arena_calloc(&t->f.s.arena, 2, sizeof(*l));
    l[0] = (struct kv){"app", "web"};
    l[1] = (struct kv){"tier", "db"};
    o.meta.labels = (struct kv_list){l, 2};
    assert_int_equal(api_update(t->f.api, "kubectl", &o, NULL), API_OK);
  }
  run_for(t, SIM_MIN(10));
  assert_int_equal(api_faults_injected(t->f.api), 0);
  assert_int_equal(t->slice_writes, writes);
  assert_int_equal(slices_of(t, "web").v[0]->meta.resource_version, rv);
  assert_int_equal(engine_pending(t->f.engine), 0);
}

static void more_than_100_endpoints_spread_over_slices(void **state)
{
  struct t *t = *state;
  char name[32];
  struct slices s;
  struct delete_opts force = DELETE_OPTS_DEFAULT;

  service(t, "web", true, false);
  for (int i = 0; i < 150; i++) {
    char ip[32];
    snprintf(name, sizeof(name), "web-%d", i);
    snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 100, i % 100 + 1);
    pod(t, arena_strdup(&t->f.s.arena, name), "web",
        arena_strdup(&t->f.s.arena, ip), true);
  }
  run_for(t, SIM_SEC(1));
  s = slices_of(t, "web");
  assert_int_equal(s.nr, 2);
  assert_int_equal(s.endpoints, 150);
  assert_true(s.v[0]->u.eps.endpoints_nr == 100 ||
              s.v[1]->u.eps.endpoints_nr == 100);
  {
    const char *ips[200];
    assert_int_equal(
        dns_resolve(t->f.api, "web.default.svc.cluster.local", ips, 200), 150);
  }

  /* Emptying the second slice deletes it; the first one stays. */
  force.grace_seconds = 0;
  for (int i = 100; i < 150; i++) {
    snprintf(name, sizeof(name), "web-%d", i);
    assert_int_equal(
        api_delete(t->f.api, "kubectl", KIND_POD, "default", name, &force),
        API_OK);
  }
  run_for(t, SIM_SEC(1));
  s = slices_of(t, "web");
  assert_int_equal(s.nr, 1);
  assert_int_equal(s.endpoints, 100);
}

static void a_selector_change_rebuilds_the_endpoints(void **state)
{
  struct t *t = *state;
  struct object o;

  o = *service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  run_for(t, SIM_SEC(1));
  assert_non_null(endpoint(t, "web", "web-0"));
  o.u.svc.selector = app_label(t, "db");
  assert_int_equal(api_update(t->f.api, "kubectl", &o, NULL), API_OK);
  run_for(t, SIM_SEC(1));
  assert_null(endpoint(t, "web", "web-0"));
  assert_int_equal(slices_of(t, "web").nr, 1);
}

static void
a_deleted_service_loses_its_slices_through_the_collector(void **state)
{
  struct t *t = *state;

  t->gc = gc_start(&t->f.env);
  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  run_for(t, SIM_SEC(1));
  assert_int_equal(slices_of(t, "web").nr, 1);
  assert_int_equal(
      api_delete(t->f.api, "kubectl", KIND_SERVICE, "default", "web", NULL),
      API_OK);
  /* CoreDNS needs the Service: no answer at once. */
  assert_string_equal(resolve1(t, "web-0.web"), "");
  run_for(t, SIM_SEC(1));
  assert_int_equal(slices_of(t, "web").nr, 0);
  assert_int_equal(engine_pending(t->f.engine), 0);
}

/* --- DNS ------------------------------------------------------------------ */

static void dns_short_and_full_names_resolve_to_the_pod(void **state)
{
  struct t *t = *state;

  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  pod(t, "web-1", "web", "10.0.0.2", true);
  run_for(t, SIM_SEC(1));
  assert_string_equal(resolve1(t, "web-1.web"), "10.0.0.2");
  assert_string_equal(resolve1(t, "web-1.web.default"), "10.0.0.2");
  assert_string_equal(resolve1(t, "web-1.web.default.svc"), "10.0.0.2");
  assert_string_equal(resolve1(t, "web-1.web.default.svc.cluster.local"),
                      "10.0.0.2");
  assert_string_equal(resolve1(t, "web-1.web.default.svc.cluster.local."),
                      "10.0.0.2");
  assert_string_equal(resolve1(t, "WEB-1.Web.default.svc.cluster.local"),
                      "10.0.0.2");
  assert_string_equal(resolve1(t, "web-1.web.default.svc."), "");
  assert_string_equal(resolve1(t, "web-2.web"), "");
  assert_string_equal(resolve1(t, "web.default.svc.cluster.local"), "*");
  {
    const char *ips[1];
    assert_int_equal(dns_resolve(t->f.api, "web", ips, 1), 2);
  }
  /* From another namespace the short form does not reach "default". */
  {
    const char *ips[2];
    assert_int_equal(dns_resolve_from(t->f.api, "other", "web-1.web", ips, 2),
                     0);
    assert_int_equal(
        dns_resolve_from(t->f.api, "other", "web-1.web.default", ips, 2), 1);
  }
}

static void dns_of_a_service_with_a_cluster_ip_is_that_ip(void **state)
{
  struct t *t = *state;

  service(t, "api", false, false);
  pod(t, "web-0", "api", "10.0.0.1", true);
  run_for(t, SIM_SEC(1));
  assert_string_equal(resolve1(t, "api.default.svc.cluster.local"),
                      "10.96.0.10");
  /* Pod names only exist under headless Services. */
  assert_string_equal(resolve1(t, "web-0.api"), "");
  assert_non_null(endpoint(t, "api", "web-0"));
}

static void an_idle_controller_schedules_nothing(void **state)
{
  struct t *t = *state;

  service(t, "web", true, false);
  pod(t, "web-0", "web", "10.0.0.1", true);
  run_for(t, SIM_SEC(1));
  assert_int_equal(engine_pending(t->f.engine), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(a_ready_pod_of_a_headless_service_gets_a_ready_endpoint),
      T(the_slice_follows_a_pod_change_after_the_watch_delay_and_a_write),
      T(a_pod_without_an_ip_is_left_out_until_it_has_one),
      T(readiness_flips_show_in_ready_serving_and_dns),
      T(a_terminating_pod_stays_serving_but_not_ready),
      T(publish_not_ready_addresses_makes_every_endpoint_ready),
      T(terminal_and_unselected_pods_are_excluded),
      T(the_hostname_is_set_only_when_the_subdomain_names_the_service),
      T(a_recreated_pod_with_a_new_ip_replaces_the_old_address),
      T(nothing_is_written_when_nothing_shown_changed),
      T(more_than_100_endpoints_spread_over_slices),
      T(a_selector_change_rebuilds_the_endpoints),
      T(a_deleted_service_loses_its_slices_through_the_collector),
      T(dns_short_and_full_names_resolve_to_the_pod),
      T(dns_of_a_service_with_a_cluster_ip_is_that_ip),
      T(an_idle_controller_schedules_nothing),
#undef T
  };

  return cmocka_run_group_tests_name("endpoints", tests, NULL, NULL);
}
