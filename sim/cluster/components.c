/*
 * components.c - the table of cluster components the world starts, in
 * order. Components are added here as they are built (scheduler, kubelet,
 * storage, attach/detach, garbage collector, endpoints, node lifecycle,
 * the StatefulSet controller).
 */
#include "cluster.h"

static const struct component components[] = {
    {NULL, NULL, NULL}, /* placeholder so the array is never empty */
};

const struct component *cluster_components(size_t *nr)
{
  *nr = 0;
  for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++)
    if (components[i].start)
      *nr = i + 1;
  return components;
}
