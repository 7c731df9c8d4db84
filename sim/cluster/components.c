/*
 * components.c - the table of cluster components a run starts, in order.
 * Storage comes first: its admission plugins (default StorageClass, PVC
 * protection) must be in place before the manifests are applied at time 0;
 * so must taint eviction's (DefaultTolerationSeconds).
 */
#include "cluster.h"
#include "controller.h"

static const struct component components[] = {
    {"storage", storage_start, storage_stop},
    /* Taint eviction registers the DefaultTolerationSeconds admission
     * plugin: before the manifests, too. */
    {"taint-eviction-controller", tainteviction_start, tainteviction_stop},
    {"node-controller", nodelifecycle_start, nodelifecycle_stop},
    {"pod-garbage-collector", podgc_start, podgc_stop},
    {"attachdetach", attachdetach_start, attachdetach_stop},
    {"garbage-collector", gc_start, gc_stop},
    {"endpoints", endpoints_start, endpoints_stop},
    {"kubelet", kubelets_start, kubelets_stop},
    {"default-scheduler", scheduler_start, scheduler_stop},
    {"disruption-controller", disruption_start, disruption_stop},
    {CTL_COMPONENT, ctl_start, ctl_stop},
};

const struct component *cluster_components(size_t *nr)
{
  *nr = sizeof(components) / sizeof(components[0]);
  return components;
}
