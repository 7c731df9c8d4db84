/*
 * engine.h - the discrete-event core. Knows nothing about Kubernetes.
 *
 * Ordering rule: events run in increasing (at, phase, seq) order, where seq
 * is the engine's insertion counter. Two events for the same instant and
 * phase run first-in first-out, on every machine, every run (D2).
 * Handlers receive ids, not pointers: the object may be gone by then.
 *
 * Time never goes backwards: scheduling in the past is a bug. A handle
 * returned by engine_schedule() can be cancelled until its event has run;
 * cancelling a handle that already ran or was cancelled is a no-op.
 */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <stdint.h>

#include "base.h"
#include "trace.h"

struct engine;

enum engine_phase {
  PHASE_FAULT = 0,      /* scenario actions and injected faults */
  PHASE_APISERVER = 1,  /* request completion, watch delivery */
  PHASE_NODE = 2,       /* kubelets, containers, the application */
  PHASE_CONTROLLER = 3, /* controllers and the scheduler */
  PHASE_CHECK = 9,      /* property checks, end of run */
};

typedef void engine_handler_fn(struct engine *e, uint64_t subject, uint64_t arg,
                               void *ctx);

struct engine *engine_new(struct trace *trace);
void engine_free(struct engine *e);

/* The current virtual time: the time of the event running now. */
simtime engine_now(const struct engine *e);

/*
 * Schedules fn(e, subject, arg, ctx) at virtual time at (>= now). kind is a
 * static string naming the event for the trace digest. Returns a handle
 * (never 0) for engine_cancel().
 */
uint64_t engine_schedule(struct engine *e, simtime at, enum engine_phase phase,
                         const char *kind, engine_handler_fn *fn,
                         uint64_t subject, uint64_t arg, void *ctx);

/* Cancels a pending event. Returns true if it was pending. */
bool engine_cancel(struct engine *e, uint64_t handle);

/* Runs the next event if its time is <= until. Returns false if none. */
bool engine_step(struct engine *e, simtime until);

/*
 * Runs events with time <= until; afterwards now == until if the queue
 * still holds later events, else the time of the last event run.
 * Returns the number of events run.
 */
uint64_t engine_run_until(struct engine *e, simtime until);

/* Time of the next pending event, or SIMTIME_NEVER. */
simtime engine_next_time(struct engine *e);

/* Pending (not cancelled) events. */
uint64_t engine_pending(const struct engine *e);

/* Events executed so far. */
uint64_t engine_executed(const struct engine *e);

/* Sequence number of the event running now (0 outside a handler). */
uint64_t engine_current_seq(const struct engine *e);
/* The phase of the running event; PHASE_CHECK outside events. */
enum engine_phase engine_current_phase(const struct engine *e);

/* Moves the clock forward without running anything (at >= now). */
void engine_advance(struct engine *e, simtime at);

#endif
