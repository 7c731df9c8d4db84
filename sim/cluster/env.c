/*
 * env.c - helpers every component shares through struct cluster_env.
 */
#include <stdio.h>

#include "cluster.h"

void cluster_note(const struct cluster_env *env, const char *object,
                  const char *reason, const char *fmt, ...)
{
  char buf[512];
  va_list ap;

  if (!env->note)
    return;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  env->note(env->note_ctx, object, reason, buf);
}
