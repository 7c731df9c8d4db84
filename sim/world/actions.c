/*
 * actions.c - carrying out the scenario's actions (interface.md section
 * 2) on the virtual clock. Each kind has one executor in a table; a kind
 * with no executor yet is refused by world_new() with "not supported yet",
 * so nothing a user wrote is silently ignored.
 */
#include "world_int.h"

typedef void action_exec_fn(struct world *w, const struct action *a);

/* Executors by kind; filled in as the behaviour behind each is built. */
static action_exec_fn *const executors[ACTION_COUNT] = {0};

static void run_action(struct engine *e, uint64_t subject, uint64_t arg,
                       void *ctx)
{
  struct world *w = ctx;
  const struct action *a = &w->s->actions[subject];

  (void)e;
  (void)arg;
  SIM_ASSERT(executors[a->kind]);
  executors[a->kind](w, a);
}

void world__actions_schedule(struct world *w)
{
  for (size_t i = 0; i < w->s->actions_nr; i++) {
    const struct action *a = &w->s->actions[i];
    if (a->at == SIMTIME_NEVER)
      continue; /* `when` actions fire from the write hook */
    if (!executors[a->kind])
      SIM_BUG("action '%s' reached the scheduler unsupported",
              action_name(a->kind));
    engine_schedule(w->engine, a->at, PHASE_FAULT, action_name(a->kind),
                    run_action, i, 0, w);
    if (a->at > w->horizon)
      w->horizon = a->at;
  }
}
