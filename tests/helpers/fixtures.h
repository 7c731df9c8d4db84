/*
 * fixtures.h - a tiny cluster for component tests: an engine, an API
 * server, the ground truth, a scenario with defaults (Kubernetes 1.34,
 * default timings, nodes node-1..node-N in zones a, b, c, default
 * StorageClass "standard") and a cluster_env whose decision notes are kept
 * for assertions. Start only the components a test needs.
 */
#ifndef SIM_TEST_FIXTURES_H
#define SIM_TEST_FIXTURES_H

#include "apiserver.h"
#include "arena.h"
#include "cluster.h"
#include "engine.h"
#include "scenario.h"
#include "trace.h"
#include "truth.h"

struct fixture {
  struct trace trace;
  struct engine *engine;
  struct api *api;
  struct truth *truth;
  struct scenario s; /* plain data filled by fixture_init */
  struct cluster_env env;
  char notes[64][256]; /* the last 64 decision notes, oldest first */
  int notes_nr;
};

/* nodes Ready Node objects are created at once (not by a kubelet). */
void fixture_init(struct fixture *f, int nodes, uint64_t seed);
void fixture_release(struct fixture *f);

/* Creates o as "kubectl" would; asserts success; returns the stored one. */
const struct object *fixture_create(struct fixture *f, const struct object *o);

/* Runs the engine until the virtual time `until`. */
void fixture_run(struct fixture *f, simtime until);

/* The stored pod/pvc/... by name in namespace "default", or NULL. */
const struct object *fixture_get(struct fixture *f, enum obj_kind k,
                                 const char *name);

/* Whether any decision note contains text. */
bool fixture_noted(const struct fixture *f, const char *text);

/* Canned objects (arena-owned): a pod with one container and optional
 * claim volume; a PVC; a StorageClass; a PV. */
struct object fixture_pod(struct fixture *f, const char *name,
                          const char *claim);
struct object fixture_pvc(struct fixture *f, const char *name,
                          const char *storage_class, int64_t bytes);
struct object fixture_pv(struct fixture *f, const char *name, int64_t bytes,
                         const char *storage_class);

#endif
