import type { V1Deployment, V1DeploymentCondition, V1DeploymentStatus } from '@kubernetes/client-node';

/** What the stand-in knows about one Deployment's pods. */
export interface PodCounts {
  /** Pods running (current and old templates). */
  total: number;
  /** Pods running the current template. */
  updated: number;
  /** Pods whose readiness probe passed. */
  ready: number;
}

function condition(previous: V1DeploymentCondition[] | undefined, next: V1DeploymentCondition, now: Date): V1DeploymentCondition {
  const before = previous?.find((c) => c.type === next.type);
  const unchanged = before && before.status === next.status && before.reason === next.reason && before.message === next.message;
  const time = now;
  return {
    ...next,
    lastUpdateTime: unchanged ? before.lastUpdateTime : time,
    lastTransitionTime: before && before.status === next.status ? before.lastTransitionTime : time,
  };
}

/** The status a Deployment controller plus kubelet would report for these pods. */
export function deploymentStatusFor(dep: V1Deployment, pods: PodCounts, now: Date): V1DeploymentStatus {
  const desired = dep.spec?.replicas ?? 1;
  const available = pods.ready;
  const previous = dep.status?.conditions;
  const complete = pods.updated >= desired && pods.total === pods.updated && available >= desired;
  const conditions = [
    condition(previous, available >= desired
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, now),
    condition(previous, complete
      ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet has successfully progressed.' }
      : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet is progressing.' }, now),
  ];
  const status: V1DeploymentStatus = {
    observedGeneration: dep.metadata?.generation ?? 0,
    replicas: pods.total,
    updatedReplicas: pods.updated,
    readyReplicas: pods.ready,
    availableReplicas: available,
    conditions,
  };
  if (desired - available > 0) status.unavailableReplicas = desired - available;
  // The apiserver drops zero counts; leave them out so "unchanged" compares equal.
  for (const key of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'] as const) {
    if (status[key] === 0) delete status[key];
  }
  return status;
}

/** True when writing `next` would change what the apiserver holds. */
export function sameDeploymentStatus(current: V1DeploymentStatus | undefined, next: V1DeploymentStatus): boolean {
  const strip = (s: V1DeploymentStatus | undefined): string =>
    JSON.stringify({
      observedGeneration: s?.observedGeneration ?? 0,
      replicas: s?.replicas ?? 0,
      updatedReplicas: s?.updatedReplicas ?? 0,
      readyReplicas: s?.readyReplicas ?? 0,
      availableReplicas: s?.availableReplicas ?? 0,
      unavailableReplicas: s?.unavailableReplicas ?? 0,
      conditions: (s?.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]),
    });
  return strip(current) === strip(next);
}
