/*
 * kubelet_int.h - the kubelets' private state, shared by the files of the
 * component:
 *
 *   kubelet.c         the component: informers, one struct kl_node per Node,
 *                     the Lease, the node status loop, the application hook
 *                     (kubelets_set_app_ready);
 *   kubelet_pod.c     the pod worker: admission, sandbox, image pulls,
 *                     container starts, restarts with CrashLoopBackOff,
 *                     termination, the pod status and the final delete;
 *   kubelet_volume.c  the volume manager: claims, the attach handshake with
 *                     volumesInUse / volumesAttached, mounts, unmounts and
 *                     WaitForAttachAndMount;
 *   kubelet_probe.c   readiness and startup probe workers;
 *   kubelet_api.c     every write a kubelet makes to the API server.
 *
 *   kubelet_machine.c the machine: crash, boot, partition and heal (the
 *                     watch cut and relisted), graceful node shutdown, the
 *                     VM deleted, a node added (cluster-behaviour.md 2.4-2.8,
 *                     3.4).
 *
 * Everything a machine holds lives in its struct kl_node (and its pods),
 * so a crash drops it and a boot rebuilds it from the API; every API write
 * goes through one kl__api_* function per kind of write (kubelet_api.c),
 * so a partition fails them in one place (kl__api_reachable), and every
 * informer input for a node goes through kl__node_watching(), so a cut
 * watch is one check too.
 *
 * Timers: events carry ids, never pointers (house style 6.6). A pod timer
 * has subject = pod uid and arg = kl_arg(node index, item, what); the
 * handler looks the pod up and ignores a timer whose pod is gone. Every
 * timer handle is kept and cancelled when the state it belongs to ends.
 */
#ifndef SIM_KUBELET_INT_H
#define SIM_KUBELET_INT_H

#include <stdarg.h>

#include <gsl/gsl_rng.h>

#include "cluster.h"
#include "rng.h"

#define KL_WHO "kubelet" /* client name and event source */
#define KL_LEASE_NS "kube-node-lease"
#define KL_SPREAD 1.5 /* lognormal p84/p50 of latencies */

struct kubelets;
struct kl_node;
struct kl_pod;

/* --- probes (kubelet_probe.c) -------------------------------------------- */

/*
 * One probe worker (prober/worker.go) for one container. The worker ticks
 * every periodSeconds on a grid that starts when the pod was first synced
 * (status.startTime), plus, for readiness, one probe run by hand when the
 * container starts. Probes are not simulated one by one: the worker is
 * brought up to date (kl__probe_catch_up) whenever what the probe would
 * observe changes, and a timer is set only for the probe at which the
 * result will flip or the first failure of a streak will be reported.
 */
struct kl_probe {
  const struct probe *spec; /* NULL: no such probe */
  bool result;              /* the results manager's value */
  bool known;               /* result set (readiness starts at Failure,
                               startup at Unknown) */
  bool last;                /* result of the last probe */
  int32_t run;              /* consecutive probes with `last` (0 = none) */
  simtime done;             /* probes up to this time are accounted for */
  simtime eligible;         /* no probe before this; SIMTIME_NEVER = held */
  simtime manual;           /* a probe run by hand, or SIMTIME_NEVER */
  bool reported;            /* Unhealthy sent for the current failures */
  uint64_t timer;
};

/* --- containers ---------------------------------------------------------- */

enum kl_ctr_state {
  KC_WAITING,
  KC_RUNNING,
  KC_EXITED,
};

/* What a container's lifecycle timer does when it fires. */
enum kl_ctr_step {
  KCS_NONE,
  KCS_PULLED,    /* the image pull finishes */
  KCS_STARTED,   /* the container is created and started */
  KCS_APP_READY, /* the app finishes its start-up (image `startup`) */
  KCS_EXIT,      /* the app exits after SIGTERM, or is killed */
  KCS_RESTART,   /* the CrashLoopBackOff back-off is over */
};

struct kl_ctr {
  const struct container *spec;
  const struct image_decl *image; /* NULL: an image that runs fine */
  bool init;                      /* an init container */
  enum kl_ctr_state state;
  const char *reason; /* waiting: ContainerCreating, PodInitializing,
                         CrashLoopBackOff; exited: Completed, Error */
  int exit_code;
  bool ever_exited; /* has a lastState.terminated */
  int32_t restarts;
  simtime started_at;   /* of the current or last run */
  simtime app_ready_at; /* the app answers from then on */
  simtime backoff;      /* last CrashLoopBackOff delay, 0 = none yet */
  bool started;         /* startup probe passed (true without one) */
  bool ready;           /* readiness result as reported */
  struct kl_probe readiness, startup;
  uint64_t timer;
  enum kl_ctr_step step;
  simtime pull_asked; /* when this container asked for its image */
  simtime pull_began; /* when its pull began (after the queue) */
  int exit_pending;   /* KCS_EXIT: the exit code it will have */
  simtime exit_at;    /* KCS_EXIT: when */
};

/* --- volumes (kubelet_volume.c) ------------------------------------------ */

enum kl_vol_state {
  KV_WAIT_CLAIM,  /* claim missing or not Bound, or PV unknown */
  KV_WAIT_ATTACH, /* attachable: until reported in use and attached */
  KV_MOUNTING,
  KV_MOUNTED,
  KV_UNMOUNTING,
  KV_UNMOUNTED,
};

struct kl_vol {
  const struct pod_volume *spec; /* a VOLSRC_PVC volume of the pod */
  const char *pv;                /* resolved PV name, NULL until bound */
  bool attachable;               /* PVSRC_CSI */
  const char *unique;            /* attachable: its name in volumesInUse and
                                    volumesAttached (kubernetes.io/csi/...) */
  enum kl_vol_state state;
  uint64_t timer; /* mount / unmount in progress */
  int writers;    /* running containers writing to it */
};

/* --- pods (kubelet_pod.c) ------------------------------------------------ */

enum kl_pod_state {
  KP_WAIT_VOLUMES, /* the pod worker is in WaitForAttachAndMount */
  KP_SYNC_BACKOFF, /* that wait timed out: next sync after a back-off */
  KP_STARTING,     /* sandbox up; containers starting one by one */
  KP_RUNNING,      /* every container started once */
  KP_TERMINATING,  /* containers were told to stop */
  KP_TEARDOWN,     /* containers and sandbox gone; volumes unmounting */
  KP_FINISHED,     /* cleaned up (and final-deleted when deleting) */
};

/* What a pod's worker timer does when it fires. */
enum kl_pod_step {
  KPS_NONE,
  KPS_MOUNT_TIMEOUT, /* podAttachAndMountTimeout reached */
  KPS_MOUNTED,       /* the 300 ms poll sees every volume mounted */
  KPS_RESYNC,        /* the pod worker syncs again after an error */
};

struct kl_pod {
  struct kl_node *node;
  uint64_t uid;
  const struct object *obj; /* the latest version seen (or the final one) */
  enum kl_pod_state state;
  bool deleting; /* deletionTimestamp seen */
  bool gone;     /* removed from the API */
  bool rejected; /* failed admission */
  const char *reject_reason, *reject_message;
  simtime first_sync; /* status.startTime; probe grid origin */
  simtime wait_start; /* this WaitForAttachAndMount began */
  uint64_t timer;
  enum kl_pod_step step;
  bool sandbox;                    /* the sandbox exists (truth_pod_start) */
  const char *ip;                  /* of the current sandbox */
  int ip_host;                     /* its host part (1..254), 0 = none */
  bool ip_shown;                   /* a container ran: status.podIP is set */
  size_t next;                     /* next container to start (STARTING) */
  size_t n_init;                   /* ctrs[0..n_init) are init containers */
  bool app_unready;                /* kubelets_set_app_ready(false) */
  bool truth_running, truth_ready; /* as last told to the truth */
  bool terminal;                   /* phase Succeeded/Failed decided */
  enum pod_phase final_phase;
  bool shutdown;           /* killed by graceful node shutdown: Failed,
                              reason Terminated (kubelet_machine.c) */
  bool final_deleted;      /* the final delete was answered */
  bool early_deleted;      /* mutant: final-deleted before the stop */
  uint64_t api_timer;      /* status manager retry */
  bool in_waiters;         /* in kubelets.waiters */
  VEC(struct kl_ctr) ctrs; /* init containers first, then the others */
  VEC(struct kl_vol) vols;
};

/* --- nodes (kubelet.c) --------------------------------------------------- */

struct kl_pull {
  const char *image;
  simtime done; /* when the pull in flight finishes */
};

struct kl_node {
  struct kubelets *ks;
  uint32_t index; /* stream index; IPs 10.x.<index>.n */
  const char *name;
  gsl_rng *rng;              /* RNG_NODES, index */
  simtime t0;                /* the kubelet started (grid origin) */
  const struct object *node; /* the Node as last seen; NULL if deleted */
  const char *host_ip;
  /*
   * The machine (kubelet_machine.c). Power and network are separate, so
   * faults combine (a partitioned node may crash, boot and only then be
   * healed); `machine` is what the ground truth shows, derived from them.
   */
  enum node_machine machine;
  bool off;            /* powered off: crashed, or shut down */
  bool cut;            /* the network to the API server is cut */
  bool gone;           /* the VM was deleted */
  bool shutting_down;  /* graceful node shutdown in progress */
  bool relisting;      /* the watch reconnects: input ignored until then */
  bool vols_synced;    /* ReconcilerStatesHasBeenSynced: volumesInUse is
                          posted only once the pods were listed */
  bool rebooted;       /* "Rebooted" at the next node status post */
  const char *boot_id; /* this boot's id (a UUID from the node's stream) */
  uint64_t relist_timer;
  /* Graceful node shutdown: 1 = regular pods, 2 = critical pods. */
  int shutdown_phase;
  simtime shutdown_end; /* the current phase's time is up then */
  uint64_t shutdown_timer;
  bool last_unschedulable; /* kubelet's lastNodeUnschedulable */
  /* Lease (component-helpers lease controller). */
  const struct object *lease; /* the last version written */
  uint64_t lease_timer;
  simtime lease_backoff; /* ensure-lease retry back-off */
  /* renewing without a write per renewal (kubelet.c, apiserver.h): the
   * registration, and the next renewal (its jitter already drawn) */
  struct api_lease_renewal *lease_reg;
  simtime lease_next;
  /* Node status loop. */
  uint64_t status_timer;
  simtime status_at;          /* when status_timer fires */
  simtime last_tick;          /* the last tick ran then (-1: none yet) */
  simtime last_report;        /* SIMTIME_NEVER: never reported */
  VEC(const char *) reported; /* volumesInUse last posted, sorted */
  VEC(const char *) in_use;   /* scratch: volumesInUse now */
  /* Volume manager reconciler (100 ms grid). */
  uint64_t vol_timer;
  /* Pods on this node, in the order the kubelet saw them. */
  VEC(struct kl_pod *) pods;
  /* Images present; pulls in flight (serialized image puller). */
  VEC(const char *) images;
  VEC(struct kl_pull) pulls;
  simtime pull_free; /* the puller is busy until then */
  /* Sandbox IPs: host parts in use and the next to try. */
  uint8_t ip_used[32];
  int ip_next;
};

struct kubelets {
  struct cluster_env env;
  struct api *api;
  struct engine *engine;
  struct arena *arena;
  const struct timings *tm;
  struct informer *nodes, *pods, *pvcs, *pvs;
  VEC(struct kl_node *) by_index; /* in the order they started */
  VEC(struct kl_node *) slots;    /* slots.v[index]: O(1) timer lookup */
  VEC(struct kl_node *) by_name;  /* sorted by name */
  /* Pods with a claim not resolved yet (woken by PVC/PV changes). */
  VEC(struct kl_pod *) waiters;
  VEC(struct kl_pod *) free_pods;
  /* Version-dependent behaviour, resolved once. */
  simtime crash_base, crash_max;
  bool failed_mount_event; /* <= 1.27: FailedMount on the wait timeout */
  bool created_colon;      /* >= 1.32: "Created container: c" */
  /* mutant MUTANT_KUBELET_EARLY_DELETE (kubelet_pod.c pod_kill) */
  bool mut_early_delete;
  /* Scratch for building pod statuses. */
  VEC(struct container_status) scratch;
};

/* --- timers: packing of the event arg ------------------------------------ */

/* arg = node index (32 bits) | item (16 bits) | what (16 bits). */
static inline uint64_t kl_arg(uint32_t node, uint32_t item, uint32_t what)
{
  return (uint64_t)node | ((uint64_t)(item & 0xffff) << 32) |
         ((uint64_t)(what & 0xffff) << 48);
}

static inline uint32_t kl_arg_node(uint64_t arg)
{
  return (uint32_t)(arg & 0xffffffffu);
}

static inline uint32_t kl_arg_item(uint64_t arg)
{
  return (uint32_t)((arg >> 32) & 0xffff);
}

static inline uint32_t kl_arg_what(uint64_t arg)
{
  return (uint32_t)(arg >> 48);
}

/* The first time origin + k * period (k >= 0) that is >= t. */
simtime kl__align(simtime origin, simtime period, simtime t);

/* Cancels *h if set and clears it. */
void kl__cancel(struct kubelets *ks, uint64_t *h);

/* Looks a node up by index / name; a pod by uid on a node. */
struct kl_node *kl__node_by_index(struct kubelets *ks, uint32_t idx);
struct kl_node *kl__node_by_name(struct kubelets *ks, const char *name);
struct kl_pod *kl__pod_find(struct kl_node *n, uint64_t uid);

/* A pod's timer event: subject = uid, arg = kl_arg(...). */
uint64_t kl__schedule(struct kubelets *ks, simtime at, const char *kind,
                      engine_handler_fn *fn, struct kl_pod *kp, uint32_t item,
                      uint32_t what);

/* Decision trace line about a pod ("Pod/web-0"). */
void kl__note(struct kl_pod *kp, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A lognormal latency around the named timing, from the node's stream. */
simtime kl__latency(struct kl_node *n, enum timing_id id);

/* kubelet.c: the node status loop should run at its next tick. */
void kl__node_status_dirty(struct kl_node *n);
/* kubelet.c: the node status loop runs now (not on its grid). */
void kl__node_status_now(struct kl_node *n);
/* kubelet.c: the node's stream, after its Lease renewals up to now were
 * drawn (every draw from n->rng but the Lease's goes through this). */
gsl_rng *kl__rng(struct kl_node *n);
/* kubelet.c: the Lease is renewed by real writes again from its next
 * renewal on (before the kubelet stops, loses the API, or restarts). */
void kl__lease_real(struct kl_node *n);
/* kubelet.c: the lease and node status loops start (kubelet start). */
void kl__node_loops_start(struct kl_node *n);
/* kubelet.c: whether the kubelet of n receives informer input (machine on,
 * connected, watch not reconnecting). */
bool kl__node_watching(const struct kl_node *n);
/* kubelet.c: the kubelet of n (re)reads its Node and pods from the caches,
 * as a relist delivers them: pods it runs that are gone from the API are
 * killed, the others synced, new ones admitted. */
void kl__node_relist(struct kl_node *n);
/* kubelet.c: a kubelet for Node o starts (first sight, or add-node). */
struct kl_node *kl__node_start(struct kubelets *ks, const struct object *o);
/* kubelet.c: whether name is in the volumesInUse the node last reported. */
bool kl__node_reported(const struct kl_node *n, const char *name);
/* kubelet.c: whether the Node's status.volumesAttached lists name. */
bool kl__node_attached(const struct kl_node *n, const char *name);

/* --- kubelet_pod.c ------------------------------------------------------- */

/* A pod bound to n was added or changed (informer). */
void kl__pod_seen(struct kl_node *n, const struct object *o);
/* A pod of n was removed from the API (informer DELETED). */
void kl__pod_removed(struct kl_node *n, const struct object *o);
/* Every volume of kp is mounted now (volume manager). */
void kl__pod_volumes_mounted(struct kl_pod *kp);
/* Every volume of kp is unmounted after teardown (volume manager). */
void kl__pod_volumes_unmounted(struct kl_pod *kp);
/* The pod status (kubelet's part) changed: write it. */
void kl__pod_sync_status(struct kl_pod *kp);
/* Truth: running / ready of the incarnation, told only on change. */
void kl__pod_sync_truth(struct kl_pod *kp);
/* A container's readiness/started changed (probes). */
void kl__ctr_probe_changed(struct kl_pod *kp, struct kl_ctr *c);
/* A container failed its startup probe: kill it, restart per policy. */
void kl__ctr_startup_failed(struct kl_pod *kp, struct kl_ctr *c);
/* Whether the app of c answers its readiness probe at t. */
bool kl__app_ready(const struct kl_pod *kp, const struct kl_ctr *c, simtime t);
/* The machine died: every pod's containers, writers and mounts are gone
 * from the truth (attachments stay), and the pods are dropped. No API
 * write. */
void kl__pods_machine_died(struct kl_node *n);
/* Graceful node shutdown kills kp with grace_seconds; it ends Failed with
 * reason Terminated (status written at once). */
void kl__pod_shutdown_kill(struct kl_pod *kp, int64_t grace_seconds);
/* Whether kp's containers are stopped (or it never had any to stop). */
bool kl__pod_stopped(const struct kl_pod *kp);
/* Frees every pod of n (kubelets_stop). */
void kl__pods_free(struct kubelets *ks, struct kl_node *n);
void kl__pod_pool_free(struct kubelets *ks);

/* --- kubelet_volume.c ---------------------------------------------------- */

/* Adds kp's claim volumes to the desired state and reconciles. */
void kl__vol_pod_added(struct kl_pod *kp);
/* Schedules the node's reconciler at its next 100 ms tick. */
void kl__vol_kick(struct kl_node *n);
/* Wakes the nodes of pods waiting for a claim (PVC/PV changed). */
void kl__vol_claims_changed(struct kubelets *ks);
/* Whether every claim volume of kp is mounted. */
bool kl__vol_all_mounted(const struct kl_pod *kp);
/* Tears kp's volumes down (pod terminated): unmount, leave in-use. */
void kl__vol_teardown(struct kl_pod *kp);
/* Fills n->in_use with the attachable volumes in use, sorted. */
void kl__vol_in_use(struct kl_node *n);
/* "[a b]" lists of unmounted / unattached volume names into bufs. */
void kl__vol_describe(const struct kl_pod *kp, char *unmounted, size_t ulen,
                      char *unattached, size_t alen);
/* Drops kp from the waiters list. */
void kl__vol_unwait(struct kl_pod *kp);
/* The pod volume named name, or NULL. */
struct kl_vol *kl__vol_by_name(struct kl_pod *kp, const char *name);

/* --- kubelet_probe.c ----------------------------------------------------- */

/* Sets up c's probe workers when it starts running. */
void kl__probe_start(struct kl_pod *kp, struct kl_ctr *c);
/* Stops c's probe workers (it exited or is being killed). */
void kl__probe_stop(struct kl_pod *kp, struct kl_ctr *c);
/* Accounts for probes before `until` (exclusive) with what they saw. */
void kl__probe_catch_up(struct kl_pod *kp, struct kl_ctr *c, simtime until);
/* Re-plans c's probe timers after what the probes observe changed. */
void kl__probe_plan(struct kl_pod *kp, struct kl_ctr *c);

/* --- kubelet_machine.c ---------------------------------------------------- */

/* The truth's machine state follows off/cut/gone/shutting_down. */
void kl__machine_sync(struct kl_node *n);
/* A pod of a shutting-down node stopped: the shutdown may move on. */
void kl__machine_pod_stopped(struct kl_node *n);

/* --- kubelet_api.c: every write to the API server ------------------------ */

/*
 * The one place that knows whether the kubelet of n can reach the API
 * server. Always true until partitions are modelled; then these functions
 * fail with API_UNAVAILABLE (a timeout, really) while partitioned.
 */
bool kl__api_reachable(const struct kl_node *n);

enum api_status kl__api_pod_status(struct kl_node *n, const struct object *pod,
                                   api_patch_fn *fn, void *ctx);
enum api_status kl__api_pod_final_delete(struct kl_node *n,
                                         const struct object *pod);
enum api_status kl__api_node_status(struct kl_node *n, api_patch_fn *fn,
                                    void *ctx, const struct object **out);
/* registerWithAPIServer: a new machine's kubelet creates its Node
 * (add-node); the machine is up and connected. */
enum api_status kl__api_node_create(struct kubelets *ks, const struct object *o,
                                    const struct object **out);
enum api_status kl__api_lease_create(struct kl_node *n,
                                     const struct object *lease,
                                     const struct object **out);
enum api_status kl__api_lease_update(struct kl_node *n,
                                     const struct object *lease,
                                     const struct object **out);
/* The lease controller's live GET (a real kubelet reads it from the API,
 * not from a cache). NULL if absent or unreachable. */
const struct object *kl__api_lease_get(struct kl_node *n);
/* An Event from the kubelet of n about o. Lost while unreachable (as an
 * event recorder's buffer would drop them). */
void kl__api_event(struct kl_node *n, const struct object *o,
                   enum event_type type, const char *reason, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

#endif
