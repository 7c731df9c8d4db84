/*
 * controller.h - the StatefulSet controller of kube-controller-manager,
 * step for step as docs/reference/statefulset-controller.md sections 1-9
 * and 16 describe it.
 *
 * What it sees: its own informer caches of Pods, StatefulSets,
 * PersistentVolumeClaims and ControllerRevisions, fed by the API server's
 * watch after the watch delay. What it reads live: only what upstream
 * reads live - the uncached GET of the StatefulSet before adopting orphans
 * (RecheckDeletionTimestamp) and the GET of a ControllerRevision whose
 * create answered AlreadyExists (history.CreateControllerRevision). It
 * writes through the API server as "statefulset-controller" and records
 * Events from that component. cluster.h is included for struct
 * cluster_env and cluster_note() only: no cluster internals, and the
 * ground truth (env->truth) is never touched.
 *
 * Timing: a work-queue item is processed CTL_SYNC_DELAY after it was
 * added (one pick-up plus one reconcile of a real worker; every write of
 * one sync happens at that instant), so a cause and its effect never share
 * a timestamp. The worker then stays busy with that key for
 * CTL_SYNC_PER_POD per claimed pod (a rough estimate of a Go reconcile
 * over its caches); an Add meanwhile is processed once it is done, as the
 * work queue re-runs a key added while it is being processed. Errors requeue
 * with upstream's rate limiter: per key 5 ms * 2^failures (cap 1000 s),
 * combined (max) with a 10 qps / burst 100 token bucket; a successful sync
 * forgets the key. Workers start only once all four caches have synced, polled
 * every CTL_CACHE_SYNC_POLL as cache.WaitForCacheSync does.
 *
 * Resync: the shared informers resync every period drawn once per
 * process in [12 h, 24 h) (--min-resync-period 12h times a random factor
 * in [1, 2), from the controller's RNG stream); only the StatefulSet
 * handler reacts, enqueueing every set.
 *
 * Decision traces go through cluster_note() on "StatefulSet/<name>" with
 * a short reason ("Waiting", "Creating", "Deleting", ...), for `run -v`.
 *
 * Ownership: ctl_start returns private state owned by the caller until
 * ctl_stop. The informers belong to the API server (freed by api_free).
 */
#ifndef SIM_CONTROLLER_H
#define SIM_CONTROLLER_H

#include <stddef.h>

#include "apiserver.h"
#include "base.h"
#include "cluster.h"

/* The component name: ownerReference writer, Event source, API client. */
#define CTL_COMPONENT "statefulset-controller"

/* Time from a queue Add to the sync taking effect (documented above). */
#define CTL_SYNC_DELAY SIM_MS(1)

/* Busy time of a sync per claimed pod (an estimate, see above). */
#define CTL_SYNC_PER_POD SIM_US(1)

/* cache.WaitForCacheSync's poll period. */
#define CTL_CACHE_SYNC_POLL SIM_MS(100)

/*
 * The read-your-own-writes gate of reference section 16 (KEP-5647,
 * kubernetes#137254): after writing a Pod or PVC the controller does not
 * act on a cache older than its own write. Off unless the scenario turns
 * it on.
 */
#define CTL_GATE_READ_OWN_WRITES "StaleControllerConsistencyStatefulSet"

/*
 * Starts the controller: creates its four informers (watch delay
 * env->s->timings.v[TIMING_WATCH_DELAY]) and its work queue. env is
 * copied; env->api and env->s must outlive the state.
 */
void *ctl_start(const struct cluster_env *env);

/* Cancels pending work and frees the state (NULL-safe). */
void ctl_stop(void *state);

/*
 * restart-controller: a new controller process. The caches are dropped and
 * relisted, the queue and the rate limiter start empty, and no sync runs
 * until all four caches have synced again.
 */
void ctl_restart(void *state);

/* watch-delay: the delay of this controller's four informers. */
void ctl_set_watch_delay(void *state, simtime delay);

/* Syncs run so far (for tests and reports). */
uint64_t ctl_syncs(const void *state);

#endif
