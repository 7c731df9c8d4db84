/*
 * components.c - the table of cluster components a run starts, in order.
 * Components join the table as they are built.
 */
#include "cluster.h"

static const struct component components[] = {
    {NULL, NULL, NULL}, /* keeps the array non-empty until one lands */
};

const struct component *cluster_components(size_t *nr)
{
  *nr = 0;
  for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++)
    if (components[i].start)
      *nr = i + 1;
  return components;
}
