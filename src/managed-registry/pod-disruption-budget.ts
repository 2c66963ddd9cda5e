/**
 * The registry pods' PodDisruptionBudget: voluntary evictions (a node drain, the cluster
 * autoscaler) take at most one replica at a time, so a Registry with several replicas keeps
 * serving through node maintenance. It guards evictions only; rollouts are the Deployment's
 * strategy (maxUnavailable 0, or Recreate on a ReadWriteOnce volume). maxUnavailable rather than
 * minAvailable: with one replica it still lets a drain proceed (the pod is unavailable for the
 * moment it moves) instead of blocking the node for good, so every Registry gets one and a
 * change of replicas never creates or deletes it.
 */
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { childMetadata, registrySelectorLabels, type RegistryIdentity } from './children.js';

export function buildPodDisruptionBudget(owner: RegistryIdentity, name: string): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMetadata(owner, name),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: registrySelectorLabels(owner.name) },
    },
  };
}
