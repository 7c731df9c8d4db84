/*
 * mutants.c - the mutant registry (mutants.h). One row per mutant: its
 * stable name, what it does, the property that should catch it, the
 * component it lives in, the upstream issue it reproduces, and whether
 * this build has the variant. Rows are never renamed (campaign results
 * and CI jobs name them); new ones are appended within their group.
 */
#include "mutants.h"

static const struct mutant_info registry[] = {
    /* The StatefulSet controller: statefulset-controller.md section 12. */
    {MUTANT_CTL_B2,
     "Parallel with maxUnavailable: broken old-revision pods count against "
     "the budget, so the rollout never starts",
     "liveness.converges", "statefulset-controller", "B2 (#137409)", true,
     true},
    {MUTANT_CTL_B3,
     "rolling update and scale-down use Ready instead of Available "
     "(minReadySeconds ignored)",
     "update.max-unavailable", "statefulset-controller",
     "B3 (#112307, #123918)", true, true},
    {MUTANT_CTL_B5,
     "OnDelete: status.currentRevision never advances once every pod is "
     "replaced",
     "status.consistent", "statefulset-controller", "B5 (#73492, #106055)",
     true, true},
    {MUTANT_CTL_B6,
     "Succeeded pods are not treated as terminal and are never recreated",
     "update.terminal-pods", "statefulset-controller", "B6 (#118310)", true,
     false},
    {MUTANT_CTL_B7,
     "terminal pods are deleted on every pass and recreated in the same "
     "pass",
     "update.terminal-pods", "statefulset-controller", "B7 (#122709)", true,
     true},
    {MUTANT_CTL_B8,
     "a Pending pod's missing claim is not recreated (claims are made only "
     "with the pod)",
     "liveness.pvc-recreated", "statefulset-controller", "B8 (#74374, #113270)",
     true, true},
    {MUTANT_CTL_B9,
     "the PVC retention policy overwrites other controllers' owner "
     "references",
     "retention.policy", "statefulset-controller", "B9 (#122400)", true, true},
    {MUTANT_CTL_B16,
     "a pod whose node is unreachable is force-deleted and replaced while "
     "its container may still run",
     "identity.at-most-one", "statefulset-controller", "B16 (#35145)", true,
     true},
    {MUTANT_CTL_B17,
     "the pod cache lags the API: scale-up proceeds on a readiness that is "
     "no longer true",
     "order.create", "statefulset-controller", "B17 (#41889)", true, true},
    {MUTANT_CTL_B19,
     "scale-down waits for every pod to be healthy (the PetSet rule), so a "
     "crash-looping pod blocks it",
     "liveness.converges", "statefulset-controller", "B19 (#57865)", true,
     true},
    {MUTANT_CTL_B20,
     "Parallel blocks on an unready pod in the update step like "
     "OrderedReady",
     "liveness.converges", "statefulset-controller", "B20 (#96218)", true,
     true},
    {MUTANT_CTL_NO_WAIT_TERMINATING,
     "a replacement pod is created without waiting for the terminating "
     "one to be gone",
     "identity.unique", "statefulset-controller", "", true, true},
    {MUTANT_CTL_LOWEST_FIRST, "scale-down deletes the lowest ordinal first",
     "order.scale-down", "statefulset-controller", "", true, true},
    {MUTANT_CTL_RANDOM_NAMES,
     "pods get random names (generateName) as a ReplicaSet's do",
     "identity.stable-names", "statefulset-controller", "", true, true},
    {MUTANT_CTL_SHARED_CLAIM,
     "every replica mounts one shared claim instead of its own",
     "storage.stable-claim", "statefulset-controller", "", true, true},

    /* Other components. */
    {MUTANT_NLC_FORCE_DELETE,
     "the node lifecycle controller force-deletes the pods of unreachable "
     "nodes (pre-1.5 behaviour)",
     "identity.at-most-one", "node-lifecycle-controller", "B16 (#35145)", true,
     true},
    {MUTANT_KUBELET_EARLY_DELETE,
     "the kubelet confirms a pod's deletion before its containers have "
     "stopped",
     "identity.at-most-one", "kubelet", "", true, true},
    {MUTANT_AD_MULTI_ATTACH,
     "the attach/detach controller attaches an RWO volume to a second node "
     "without waiting for the detach",
     "storage.single-attach", "attachdetach-controller", "", true, true},
    {MUTANT_API_STATUS_RESET,
     "the StatefulSet /status subresource keeps the stored status (the "
     "main resource's strategy reused): status writes are lost",
     "status.consistent", "kube-apiserver", "", true, true},
};

const struct mutant_info *mutants_registry(size_t *nr)
{
  *nr = sizeof(registry) / sizeof(registry[0]);
  return registry;
}

const struct mutant_info *mutant_find(const char *name)
{
  size_t nr;
  const struct mutant_info *m = mutants_registry(&nr);

  for (size_t i = 0; name && i < nr; i++)
    if (!strcmp(m[i].name, name))
      return &m[i];
  return NULL;
}
