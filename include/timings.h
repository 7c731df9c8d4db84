/*
 * timings.h - the named timing constants of the modelled cluster, with
 * their Kubernetes defaults (reference cluster-behaviour.md section 10) and
 * the version-dependent ones resolved for a kubernetesVersion. A scenario
 * overrides any of them by name under spec.cluster.timings; `stsim list
 * timings` prints this table.
 */
#ifndef SIM_TIMINGS_H
#define SIM_TIMINGS_H

#include "base.h"

/*
 * XX(id, name, default_us, description). Version-dependent defaults are
 * fixed up by timings_defaults(); the value here is for 1.34.
 */
#define SIM_TIMINGS_MAP(XX)                                                    \
  XX(NODE_MONITOR_PERIOD, "nodeMonitorPeriod", SIM_SEC(5),                     \
     "node lifecycle controller health check loop")                            \
  XX(NODE_MONITOR_GRACE_PERIOD, "nodeMonitorGracePeriod", SIM_SEC(50),         \
     "no heartbeat for this long: Ready=Unknown (40s before 1.32)")            \
  XX(NODE_STARTUP_GRACE_PERIOD, "nodeStartupGracePeriod", SIM_SEC(60),         \
     "grace for nodes that never posted Ready")                                \
  XX(NODE_EVICTION_PERIOD, "nodeEvictionPeriod", SIM_MS(100),                  \
     "NoExecute tainting loop")                                                \
  XX(NOT_READY_TOLERATION, "defaultNotReadyTolerationSeconds", SIM_SEC(300),   \
     "default toleration for node.kubernetes.io/not-ready:NoExecute")          \
  XX(UNREACHABLE_TOLERATION, "defaultUnreachableTolerationSeconds",            \
     SIM_SEC(300),                                                             \
     "default toleration for node.kubernetes.io/unreachable:NoExecute")        \
  XX(LEASE_DURATION, "nodeLeaseDuration", SIM_SEC(40), "kubelet Lease length") \
  XX(LEASE_RENEW_INTERVAL, "nodeLeaseRenewInterval", SIM_SEC(10),              \
     "kubelet Lease renewal (25% of the duration)")                            \
  XX(NODE_STATUS_UPDATE, "nodeStatusUpdateFrequency", SIM_SEC(10),             \
     "kubelet node status computation")                                        \
  XX(NODE_STATUS_REPORT, "nodeStatusReportFrequency", SIM_MIN(5),              \
     "kubelet node status report when nothing changed")                        \
  XX(KUBELET_SYNC, "syncFrequency", SIM_MIN(1), "kubelet pod sync period")     \
  XX(POD_HOUSEKEEPING, "podHousekeepingPeriod", SIM_SEC(2),                    \
     "kubelet orphan cleanup")                                                 \
  XX(SHUTDOWN_GRACE_PERIOD, "shutdownGracePeriod", 0,                          \
     "kubelet graceful node shutdown (0 = disabled)")                          \
  XX(SHUTDOWN_GRACE_PERIOD_CRITICAL, "shutdownGracePeriodCriticalPods", 0,     \
     "part of shutdownGracePeriod kept for critical pods")                     \
  XX(POD_STARTUP, "podStartup", SIM_SEC(2),                                    \
     "median container start after volumes are mounted (image present)")       \
  XX(IMAGE_PULL, "imagePull", SIM_SEC(3), "median image pull")                 \
  XX(MIN_KILL_GRACE, "minimumGracePeriod", SIM_SEC(2),                         \
     "kubelet minimum kill grace")                                             \
  XX(CRASHLOOP_BASE, "crashLoopBackOffBase", SIM_SEC(10),                      \
     "first CrashLoopBackOff delay (doubles)")                                 \
  XX(CRASHLOOP_MAX, "crashLoopBackOffMax", SIM_SEC(300),                       \
     "CrashLoopBackOff cap")                                                   \
  XX(CRASHLOOP_RESET, "crashLoopBackOffReset", SIM_MIN(10),                    \
     "running this long resets the back-off")                                  \
  XX(ATTACH_MOUNT_TIMEOUT, "podAttachAndMountTimeout", SIM_SEC(123),           \
     "kubelet wait for attach and mount per sync (2m3s)")                      \
  XX(MOUNT_POLL, "volumeMountPoll", SIM_MS(300), "kubelet mount poll")         \
  XX(PODGC_PERIOD, "podGCPeriod", SIM_SEC(20), "pod GC loop")                  \
  XX(PODGC_QUARANTINE, "podGCQuarantine", SIM_SEC(40),                         \
     "pod GC wait before deleting pods of a vanished node")                    \
  XX(AD_RECONCILE, "attachDetachReconcilePeriod", SIM_MS(100),                 \
     "attach/detach reconciler loop")                                          \
  XX(AD_MAX_WAIT_UNMOUNT, "maxWaitForUnmount", SIM_MIN(6),                     \
     "force detach from an unhealthy node after this long")                    \
  XX(ATTACH_LATENCY, "attachLatency", SIM_SEC(2), "median volume attach")      \
  XX(DETACH_LATENCY, "detachLatency", SIM_SEC(2), "median volume detach")      \
  XX(MOUNT_LATENCY, "mountLatency", SIM_SEC(1), "median volume mount")         \
  XX(PROVISION_LATENCY, "provisionLatency", SIM_SEC(3),                        \
     "median dynamic provisioning")                                            \
  XX(PV_RESYNC, "pvControllerResync", SIM_SEC(15), "PV controller resync")     \
  XX(BIND_TIMEOUT, "volumeBindTimeout", SIM_SEC(600),                          \
     "scheduler PreBind wait for volume binding")                              \
  XX(SCHED_INITIAL_BACKOFF, "podInitialBackoff", SIM_SEC(1),                   \
     "scheduler initial back-off (doubles)")                                   \
  XX(SCHED_MAX_BACKOFF, "podMaxBackoff", SIM_SEC(10),                          \
     "scheduler back-off cap")                                                 \
  XX(SCHED_MAX_UNSCHEDULABLE, "podMaxInUnschedulablePodsDuration", SIM_MIN(5), \
     "scheduler unschedulable queue flush")                                    \
  XX(SCHED_LATENCY, "schedulingLatency", SIM_MS(10),                           \
     "scheduler cycle per pod")                                                \
  XX(WATCH_DELAY, "watchDelay", SIM_MS(5),                                     \
     "delay between a write and an informer seeing it")                        \
  XX(API_LATENCY, "apiLatency", SIM_MS(2), "API request round trip")           \
  XX(DRAIN_RETRY, "drainRetry", SIM_SEC(5), "kubectl drain 429 retry")         \
  XX(PDB_DELETION_TIMEOUT, "pdbDeletionTimeout", SIM_MIN(2),                   \
     "disruption controller disruptedPods expiry")                             \
  XX(DNS_TTL, "dnsTTL", SIM_SEC(5), "CoreDNS record TTL")                      \
  XX(APP_WRITE_PERIOD, "appWritePeriod", SIM_SEC(5),                           \
     "the application writes to each mounted volume this often")               \
  XX(CONVERGE_BOUND, "convergeBound", SIM_MIN(15),                             \
     "liveness.converges: time allowed after the last fault")

enum timing_id {
#define XX(id, name, def, desc) TIMING_##id,
  SIM_TIMINGS_MAP(XX)
#undef XX
      TIMING_COUNT
};

struct timings {
  simtime v[TIMING_COUNT];
};

/* Fills t with the defaults for Kubernetes 1.<minor>. */
void timings_defaults(struct timings *t, int minor);

/* Looks a timing up by its scenario name; -1 if unknown. */
int timings_lookup(const char *name);
const char *timings_name(enum timing_id id);
const char *timings_description(enum timing_id id);

#endif
