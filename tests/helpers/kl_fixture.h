/*
 * kl_fixture.h - the kubelets alone in a tiny cluster (fixtures.h), with a
 * log of every API request, for the kubelet tests (test_kubelet.c,
 * test_kubelet_failures.c). The test plays the scheduler, the PV
 * controller and the attach/detach controller by hand.
 */
#ifndef SIM_TEST_KL_FIXTURE_H
#define SIM_TEST_KL_FIXTURE_H

#include "fixtures.h"

#define KL_MAX_REQS 16384

/* One API request as the request hook saw it. */
struct kl_req {
  simtime at;
  char who[40];
  char verb[16];
  enum obj_kind kind;
  char name[64];
  enum api_status st;
  bool changed;
};

struct kl_fixture {
  struct fixture f;
  void *ks; /* the kubelets, once kl_start() ran */
  struct kl_req reqs[KL_MAX_REQS];
  size_t reqs_nr;
};

/* cmocka setup/teardown: two nodes, seed 1. */
int kl_setup(void **state);
int kl_teardown(void **state);

/* Starts the kubelets (after the test adjusted the scenario). */
void kl_start(struct kl_fixture *t);
void kl_run(struct kl_fixture *t, simtime until);
const struct object *kl_pod(struct kl_fixture *t, const char *name);

#endif
