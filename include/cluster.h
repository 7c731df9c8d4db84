/*
 * cluster.h - the components around the StatefulSet controller, started by
 * the world: each is an actor that reads its own informer caches and
 * writes through the API server, never reaching into another component.
 *
 * The component table (house style 7.7) is the one place a new component
 * is wired in. A component may keep private ground truth (what really
 * runs on a node, which node really has a volume) and expose it read-only
 * to the property checker through its own header.
 */
#ifndef SIM_CLUSTER_H
#define SIM_CLUSTER_H

#include "apiserver.h"
#include "scenario.h"

struct world;

struct component {
  const char *name; /* the reporting component, e.g. "kubelet" */
  /* Called once before virtual time 0; returns private state or NULL. */
  void *(*start)(struct world *w, struct api *api, const struct scenario *s);
  void (*stop)(void *state);
};

/* The components of a cluster, in start order; *nr gets the count. */
const struct component *cluster_components(size_t *nr);

#endif
