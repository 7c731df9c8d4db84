/*
 * props_fixture.c - the property tests' shared fixture (props_fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "props_fixture.h"

static void truth_changed(void *ctx)
{
  props_touch(ctx);
}

static int make(void **state, bool judged)
{
  struct fx *x = test_calloc(1, sizeof(*x));

  fixture_init(&x->f, 3, 1);
  x->p = props_new(x->f.api, x->f.truth, NULL);
  if (judged) {
    truth_set_hook(x->f.truth, truth_changed, x->p);
    props_set_scenario(x->p, &x->f.s);
  }
  *state = x;
  return 0;
}

int props_fx_setup(void **state)
{
  return make(state, true);
}

int props_fx_setup_bare(void **state)
{
  return make(state, false);
}

int props_fx_teardown(void **state)
{
  struct fx *x = *state;

  props_free(x->p);
  fixture_release(&x->f);
  test_free(x);
  return 0;
}

struct arena *A(struct fx *x)
{
  return &x->f.s.arena;
}

simtime now_of(struct fx *x)
{
  return engine_now(x->f.engine);
}

void advance(struct fx *x, simtime dt)
{
  engine_advance(x->f.engine, now_of(x) + dt);
}

void step(struct fx *x)
{
  props_after_event(x->p);
}

struct object props_fx_set(struct fx *x, int replicas,
                           enum pod_management_policy pmp, const char *image)
{
  struct object o;
  struct kv *l = arena_calloc(A(x), 1, sizeof(*l));
  struct pvc_template *t = arena_calloc(A(x), 1, sizeof(*t));
  struct container *c = arena_calloc(A(x), 1, sizeof(*c));

  object_init(&o, KIND_STATEFULSET);
  o.meta.name = "web";
  o.meta.namespace_ = "default";
  l[0] = (struct kv){"app", "web"};
  o.u.sts.spec.replicas = replicas;
  o.u.sts.spec.selector.match_labels = (struct kv_list){l, 1};
  o.u.sts.spec.template_.labels = (struct kv_list){l, 1};
  c->name = "app";
  c->image = image;
  o.u.sts.spec.template_.spec.containers = c;
  o.u.sts.spec.template_.spec.containers_nr = 1;
  o.u.sts.spec.service_name = "web";
  o.u.sts.spec.pod_management_policy = pmp;
  t->name = "data";
  t->spec.access_modes = ACCESS_RWO;
  t->spec.request_bytes = 1 << 30;
  o.u.sts.spec.volume_claim_templates = t;
  o.u.sts.spec.volume_claim_templates_nr = 1;
  object_set_defaults(&o);
  return o;
}

void props_fx_revision(struct fx *x, const char *name, int64_t number)
{
  struct object r;
  struct owner_ref *ref = arena_calloc(A(x), 1, sizeof(*ref));

  object_init(&r, KIND_CONTROLLERREVISION);
  r.meta.name = name;
  r.meta.namespace_ = "default";
  *ref = (struct owner_ref){"apps/v1",        "StatefulSet", "web",
                            x->set->meta.uid, true,          true};
  r.meta.owner_refs = ref;
  r.meta.owner_refs_nr = 1;
  r.u.rev.template_ = &x->set->u.sts.spec.template_;
  r.u.rev.revision = number;
  assert_int_equal(api_create(x->f.api, CTL, &r, NULL), API_OK);
  step(x);
}

void assert_violation(struct fx *x, const char *name, const char *text)
{
  int i = props_index(x->p, name);
  const struct prop_violation *v;

  assert_true(i >= 0);
  if (!props_violations(x->p, (size_t)i, &v))
    fail_msg("%s held; expected a violation with '%s'", name, text);
  if (!strstr(v->message, text))
    fail_msg("%s: message '%s' lacks '%s'", name, v->message, text);
}

void assert_held(struct fx *x, const char *name)
{
  int i = props_index(x->p, name);
  const struct prop_violation *v;

  assert_true(i >= 0);
  if (props_violations(x->p, (size_t)i, &v))
    fail_msg("%s failed: %s", name, v->message);
}

void assert_hazard(struct fx *x, const char *name, const char *text)
{
  int i = props_index(x->p, name);
  const struct prop_violation *h;

  assert_true(i >= 0);
  if (!props_hazards(x->p, (size_t)i, &h))
    fail_msg("%s recorded no hazard; expected one with '%s'", name, text);
  if (!strstr(h->message, text))
    fail_msg("%s: hazard '%s' lacks '%s'", name, h->message, text);
}

void assert_no_hazard(struct fx *x, const char *name)
{
  int i = props_index(x->p, name);
  const struct prop_violation *h;

  assert_true(i >= 0);
  if (props_hazards(x->p, (size_t)i, &h))
    fail_msg("%s recorded a hazard: %s", name, h->message);
}
