/*
 * kl_fixture.c - the kubelet tests' fixture (kl_fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kl_fixture.h"

int kl_setup(void **state)
{
  struct kl_fixture *t = calloc(1, sizeof(*t));

  fixture_init(&t->f, 2, 1);
  *state = t;
  return 0;
}

int kl_teardown(void **state)
{
  struct kl_fixture *t = *state;

  kubelets_stop(t->ks);
  fixture_release(&t->f);
  free(t);
  return 0;
}

static void on_request(const char *who, const char *verb, enum obj_kind kind,
                       const char *ns, const char *name, enum api_status status,
                       bool changed, void *ctx)
{
  struct kl_fixture *t = ctx;
  struct kl_req *r;

  (void)ns;
  if (t->reqs_nr == KL_MAX_REQS)
    return;
  r = &t->reqs[t->reqs_nr++];
  r->at = engine_now(t->f.engine);
  snprintf(r->who, sizeof(r->who), "%s", who ? who : "");
  snprintf(r->verb, sizeof(r->verb), "%s", verb);
  r->kind = kind;
  snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
  r->st = status;
  r->changed = changed;
}

void kl_start(struct kl_fixture *t)
{
  api_add_request_hook(t->f.api, on_request, t);
  t->ks = kubelets_start(&t->f.env);
}

void kl_run(struct kl_fixture *t, simtime until)
{
  fixture_run(&t->f, until);
}

const struct object *kl_pod(struct kl_fixture *t, const char *name)
{
  return fixture_get(&t->f, KIND_POD, name);
}
