/*
 * test_attachdetach_mutant.c - the attach/detach controller's mutant
 * MUTANT_AD_MULTI_ATTACH (include/mutants.h) against the correct
 * controller: a ReadWriteOnce volume still attached to node-1 is wanted on
 * node-2. The correct controller reports a Multi-Attach error and attaches
 * nothing; the mutant attaches it to node-2 as well. No kubelet runs: the
 * test plays its part (test_attachdetach.c does the same). The catch
 * scenario is tests/mutants/attachdetach-ignores-multi-attach.yaml.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "mutants.h"

#define GI (INT64_C(1) << 30)
#define DRIVER "disk.csi.stsim.io"

static void run_for(struct fixture *f, simtime d)
{
  simtime until = engine_now(f->engine) + d;

  fixture_run(f, until);
  if (engine_now(f->engine) < until)
    engine_advance(f->engine, until);
}

struct in_use {
  const char *const *v;
  size_t nr;
};

static bool set_in_use(struct object *o, void *ctx)
{
  const struct in_use *u = ctx;

  o->u.node.volumes_in_use = (struct str_list){u->v, u->nr};
  return true;
}

static int multi_attach_events(struct fixture *f)
{
  size_t nr;
  const struct event *const *ev = api_events(f->api, &nr);
  int n = 0;

  for (size_t i = 0; i < nr; i++)
    if (!strcmp(ev[i]->reason, "FailedAttachVolume") &&
        strstr(ev[i]->message, "Multi-Attach error"))
      n++;
  return n;
}

/*
 * web-0 on node-1 with an RWO volume, force-deleted, and its replacement
 * on node-2 a minute later: whether the volume is attached to both nodes;
 * *errors gets the Multi-Attach events.
 */
static bool attached_twice(const char *mutant, int *errors)
{
  struct fixture f;
  void *st, *ad;
  struct object v, c, p;
  struct delete_opts o = DELETE_OPTS_DEFAULT;
  char name[256];
  const char **in_use;
  bool both;

  fixture_init(&f, 3, 1);
  f.env.mutant = mutant;
  st = storage_start(&f.env);
  ad = attachdetach_start(&f.env);
  v = fixture_pv(&f, "pv-1", GI, "");
  c = fixture_pvc(&f, "data", "", GI);
  v.u.pv.spec.source = PVSRC_CSI;
  v.u.pv.spec.csi_driver = DRIVER;
  v.u.pv.spec.volume_handle = "disk-pv-1";
  v.u.pv.spec.path = NULL;
  v.u.pv.spec.access_modes = ACCESS_RWO;
  c.u.pvc.spec.access_modes = ACCESS_RWO;
  fixture_create(&f, &v);
  run_for(&f, SIM_SEC(1));
  fixture_create(&f, &c);
  run_for(&f, SIM_SEC(1));
  p = fixture_pod(&f, "web-0", "data");
  p.u.pod.spec.node_name = "node-1";
  fixture_create(&f, &p);
  run_for(&f, SIM_SEC(30));
  assert_true(truth_is_attached(f.truth, "pv-1", "node-1"));
  /* the kubelet on node-1 reports the volume mounted: no quick detach */
  attachdetach_unique_name(&fixture_get(&f, KIND_PV, "pv-1")->u.pv, name,
                           sizeof(name));
  in_use = arena_alloc(&f.s.arena, sizeof(*in_use)); /* the store keeps it */
  in_use[0] = arena_strdup(&f.s.arena, name);
  assert_int_equal(api_patch(f.api, "kubelet", KIND_NODE, "", "node-1", 0,
                             set_in_use, &(struct in_use){in_use, 1}, NULL),
                   API_OK);
  run_for(&f, SIM_SEC(1));
  o.grace_seconds = 0;
  assert_int_equal(
      api_delete(f.api, "kubectl", KIND_POD, "default", "web-0", &o), API_OK);
  p = fixture_pod(&f, "web-0", "data"); /* the replacement */
  p.u.pod.spec.node_name = "node-2";
  fixture_create(&f, &p);
  run_for(&f, SIM_MIN(1));
  both = truth_is_attached(f.truth, "pv-1", "node-1") &&
         truth_is_attached(f.truth, "pv-1", "node-2");
  *errors = multi_attach_events(&f);
  attachdetach_stop(ad);
  storage_stop(st);
  fixture_release(&f);
  return both;
}

static void multi_attach_attaches_an_rwo_volume_to_a_second_node(void **state)
{
  int errors;

  (void)state;
  assert_false(attached_twice(NULL, &errors));
  assert_int_equal(errors, 1);
  assert_true(attached_twice(MUTANT_AD_MULTI_ATTACH, &errors));
  assert_int_equal(errors, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(multi_attach_attaches_an_rwo_volume_to_a_second_node),
  };

  return cmocka_run_group_tests_name("attachdetach mutant", tests, NULL, NULL);
}
