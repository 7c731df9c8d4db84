/*
 * timings.c - the named timing constants (timings.h) and their defaults
 * per Kubernetes version (reference cluster-behaviour.md section 10).
 */
#include <string.h>

#include "timings.h"

static const struct {
  const char *name;
  simtime def;
  const char *desc;
} table[TIMING_COUNT] = {
#define XX(id, name, def, desc) [TIMING_##id] = {name, def, desc},
    SIM_TIMINGS_MAP(XX)
#undef XX
};

void timings_defaults(struct timings *t, int minor)
{
  for (int i = 0; i < TIMING_COUNT; i++)
    t->v[i] = table[i].def;
  /* node-monitor-grace-period went from 40s to 50s in 1.32 (#121472). */
  if (minor < 32)
    t->v[TIMING_NODE_MONITOR_GRACE_PERIOD] = SIM_SEC(40);
}

int timings_lookup(const char *name)
{
  for (int i = 0; i < TIMING_COUNT; i++)
    if (!strcmp(table[i].name, name))
      return i;
  return -1;
}

const char *timings_name(enum timing_id id)
{
  return id < TIMING_COUNT ? table[id].name : "?";
}

const char *timings_description(enum timing_id id)
{
  return id < TIMING_COUNT ? table[id].desc : "?";
}
