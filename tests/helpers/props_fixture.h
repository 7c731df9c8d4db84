/*
 * props_fixture.h - what the property tests share (test_props*.c): the
 * tiny cluster of fixtures.h with a property set over its API server and
 * ground truth, the StatefulSet "web" those tests build, its revision,
 * and assertions on a property's verdict and hazards. The tests write the
 * store by hand, playing the controller and the kubelet; no component
 * runs.
 */
#ifndef TESTS_PROPS_FIXTURE_H
#define TESTS_PROPS_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "fixtures.h"
#include "props.h"

#define CTL "statefulset-controller"

struct fx {
  struct fixture f;
  struct props *p;
  const struct object *set;
};

/* cmocka setups: props over the fixture. props_fx_setup also hands the
 * properties the fixture's scenario (liveness judges against it) and the
 * truth's change hook; props_fx_setup_bare does neither. */
int props_fx_setup(void **state);
int props_fx_setup_bare(void **state);
int props_fx_teardown(void **state);

struct arena *A(struct fx *x);
simtime now_of(struct fx *x);
void advance(struct fx *x, simtime dt);
/* One simulation event is over: the checks run. */
void step(struct fx *x);

/* StatefulSet "web" (one RWO claim template "data" of 1Gi, a container
 * "app" with image, selector app=web), defaulted, not yet stored. */
struct object props_fx_set(struct fx *x, int replicas,
                           enum pod_management_policy pmp, const char *image);
/* Stores a ControllerRevision of the set's current template, as the
 * controller would, and runs the checks. */
void props_fx_revision(struct fx *x, const char *name, int64_t number);

/* Property name failed (and its first message contains text) / held. */
void assert_violation(struct fx *x, const char *name, const char *text);
void assert_held(struct fx *x, const char *name);
/* Property name recorded a hazard (whose message contains text) / none. */
void assert_hazard(struct fx *x, const char *name, const char *text);
void assert_no_hazard(struct fx *x, const char *name);

#endif
