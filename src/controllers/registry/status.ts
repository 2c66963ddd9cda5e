import type { V1Deployment } from '@kubernetes/client-node';
import { imageAdvisory } from '../../managed-registry/image-advisory.js';
import { registryImageOf } from '../../managed-registry/registry-image.js';
import type { Registry } from '../../api/registry.js';
import { mergeConditions, type ConditionInput } from '../../runtime/conditions.js';
import { changedStatusFields } from '../../runtime/status-patch.js';
import { ERROR_CATALOGUE } from '../../errors.js';
import * as C from '../../api/registry-conditions.js';
import type { SpecProblem } from '../../managed-registry/spec-problems.js';

export type RegistryStatus = NonNullable<Registry['status']>;
export type RegistryCondition = NonNullable<RegistryStatus['conditions']>[number];

/** What reconcile saw in the cluster and at the endpoint, the input of the status decision. */
export interface ObservedRegistryState {
  deployment: V1Deployment | undefined;
  /** Spec problems (missing Secrets, impossible storage); empty when the spec can run. */
  problems: readonly SpecProblem[];
  /** Set when applying a child failed (e.g. the apiserver rejected an immutable field). */
  applyError?: string;
  /** Set when applying a child failed transiently (a 5xx, a lost connection) and is being retried. */
  applyRetrying?: string;
  /** Result of the `/v2/` check; undefined when it was not made (no available replica yet). */
  probe?: { ok: boolean; message: string };
  readOnly: boolean;
  endpoint: string;
  /** The AdmissionSources condition (admission-sources.ts), when the controller computed it. */
  admission?: ConditionInput;
  /** A mirror's UpstreamReachable condition (upstream-probe.ts), when the upstream was checked. */
  upstream?: ConditionInput;
  /** Why registry pods are failing (pod-failures.ts), when replicas are unavailable and one is. */
  podFailure?: string;
  /** The image the Registry runs (resolveRegistryImage); absent when the spec does not parse. */
  image?: string;
  /**
   * Where nodes pull from (node-access/runtime-config.ts nodeAddressOf). The key is present when
   * the spec parses: undefined then means nodes cannot reach it (the status field is removed).
   */
  nodeAddress?: string | undefined;
}

function readiness(registry: Registry, observed: ObservedRegistryState, deploymentName: string): ConditionInput {
  const type = C.CONDITION_READY;
  const dep = observed.deployment;
  // A spec problem blocks a registry that never ran; one that already runs keeps serving with
  // what it had (Ready stays about availability, Degraded tells what to fix).
  if (!dep && (observed.problems.length > 0 || observed.applyError)) {
    return { type, status: 'False', reason: C.REASON_SPEC_INVALID, message: 'The registry cannot start until the Degraded condition is resolved.' };
  }
  if (!dep) {
    return { type, status: 'False', reason: C.REASON_DEPLOYMENT_MISSING, message: `Deployment ${deploymentName} does not exist yet.` };
  }
  const desired = registry.spec.replicas;
  if (desired === 0) {
    return { type, status: 'False', reason: C.REASON_SCALED_TO_ZERO, message: 'spec.replicas is 0; set it to 1 or more to serve images.' };
  }
  const available = dep.status?.availableReplicas ?? 0;
  if (available < desired) {
    return {
      type, status: 'False', reason: C.REASON_REPLICAS_UNAVAILABLE,
      message: `${available}/${desired} replicas available; see kubectl describe deployment ${deploymentName} and its pods' events.`,
    };
  }
  if (observed.probe && !observed.probe.ok) {
    return {
      type, status: 'False', reason: C.REASON_ENDPOINT_UNREACHABLE,
      message: `GET ${observed.endpoint}/v2/ failed: ${observed.probe.message}; check the Service and the registry logs.`,
    };
  }
  return { type, status: 'True', reason: C.REASON_AVAILABLE, message: `${available}/${desired} replicas available at ${observed.endpoint}.` };
}

/** True once the Deployment controller has acted on the latest spec and no old pod remains. */
export function isRolledOut(dep: V1Deployment | undefined, desiredReplicas: number): boolean {
  if (!dep) return false;
  const s = dep.status ?? {};
  const observedCurrent = (s.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 0);
  const updated = s.updatedReplicas ?? 0;
  return observedCurrent && updated >= desiredReplicas && (s.replicas ?? 0) <= updated && (s.availableReplicas ?? 0) >= desiredReplicas;
}

function progressing(registry: Registry, observed: ObservedRegistryState): ConditionInput {
  const type = C.CONDITION_PROGRESSING;
  if (isRolledOut(observed.deployment, registry.spec.replicas)) {
    return { type, status: 'False', reason: C.REASON_ROLLOUT_COMPLETE, message: 'Every replica runs the current configuration.' };
  }
  return { type, status: 'True', reason: C.REASON_ROLLING_OUT, message: 'Replicas are being created or replaced with the current configuration.' };
}

function degraded(observed: ObservedRegistryState): ConditionInput {
  const type = C.CONDITION_DEGRADED;
  const [first] = observed.problems;
  if (first) {
    return { type, status: 'True', reason: first.reason, message: observed.problems.map((p) => p.message).join(' ') };
  }
  if (observed.applyError) {
    // The catalogue's reason for DM_ERR_CHILD_REJECTED (errors.ts), which is what applyError reports.
    return { type, status: 'True', reason: ERROR_CATALOGUE.DM_ERR_CHILD_REJECTED.reason, message: observed.applyError };
  }
  if (observed.applyRetrying) {
    return { type, status: 'True', reason: C.REASON_APPLY_RETRYING, message: observed.applyRetrying };
  }
  if (observed.podFailure) {
    return { type, status: 'True', reason: C.REASON_PODS_FAILING, message: `${observed.podFailure} Check the spec (and the image's environment) against the message; kubectl logs has the rest.` };
  }
  const stuck = observed.deployment?.status?.conditions?.find(
    (c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
  );
  if (stuck) {
    return { type, status: 'True', reason: C.REASON_ROLLOUT_STUCK, message: `${stuck.message ?? 'The rollout exceeded its deadline.'} Check the pods' events and logs.` };
  }
  return { type, status: 'False', reason: C.REASON_AS_EXPECTED, message: 'No problem found.' };
}

function imageAdvisoryCondition(image: string): ConditionInput {
  const advisory = imageAdvisory(image);
  return advisory
    ? { type: C.CONDITION_IMAGE_ADVISORY, status: 'True', ...advisory }
    : { type: C.CONDITION_IMAGE_ADVISORY, status: 'False', reason: C.REASON_NO_KNOWN_ISSUE, message: `No known issue with image ${image}.` };
}

function readOnlyCondition(observed: ObservedRegistryState): ConditionInput {
  return observed.readOnly
    ? { type: C.CONDITION_READ_ONLY, status: 'True', reason: C.REASON_GC_WINDOW, message: 'A garbage-collection window is open: pushes answer 405, pulls work.' }
    : { type: C.CONDITION_READ_ONLY, status: 'False', reason: C.REASON_READ_WRITE, message: 'Pushes and pulls are accepted.' };
}

/**
 * The status the Registry should have, computed on a copy of the current one. Fields owned by
 * the garbage-collection state machine (lastGarbageCollection, garbageCollectionWindow) pass
 * through untouched.
 */
export function computeRegistryStatus(
  registry: Registry,
  observed: ObservedRegistryState,
  deploymentName: string,
  now: Date,
): RegistryStatus {
  const generation = registry.metadata?.generation ?? 0;
  const previous = registry.status?.conditions ?? [];
  // Conditions of other types (the garbage-collection state machine's) are kept as they are.
  const conditions = mergeConditions(
    previous,
    [
      readiness(registry, observed, deploymentName),
      progressing(registry, observed),
      degraded(observed),
      readOnlyCondition(observed),
      imageAdvisoryCondition(observed.image ?? registryImageOf(registry)),
      ...(observed.admission ? [observed.admission] : []),
      ...(observed.upstream ? [observed.upstream] : []),
    ],
    generation,
    now,
  );
  return {
    ...(registry.status ?? {}),
    observedGeneration: generation,
    endpoint: observed.endpoint,
    readOnly: observed.readOnly,
    ...(observed.image !== undefined && { image: observed.image }),
    ...('nodeAddress' in observed && { nodeAddress: observed.nodeAddress }),
    conditions,
  } as RegistryStatus;
}

/**
 * The status fields this controller writes, as a merge patch body. Fields owned by the
 * garbage-collection state machine are left out, so a stale cached copy never overwrites them.
 */
export function ownedStatusFields(status: RegistryStatus): Pick<RegistryStatus, 'observedGeneration' | 'endpoint' | 'readOnly' | 'image' | 'nodeAddress' | 'conditions'> {
  return {
    observedGeneration: status.observedGeneration,
    endpoint: status.endpoint,
    readOnly: status.readOnly,
    ...(status.image !== undefined && { image: status.image }),
    ...(status.nodeAddress !== undefined && { nodeAddress: status.nodeAddress }),
    conditions: status.conditions,
  };
}

const OWNED_STATUS_FIELDS = ['observedGeneration', 'endpoint', 'readOnly', 'image', 'nodeAddress', 'conditions'] as const;

/** The merge patch body of the owned fields that changed, or undefined when none did (then no write). */
export function registryStatusPatch(current: RegistryStatus | undefined, next: RegistryStatus): { status: Record<string, unknown> } | undefined {
  const changes = changedStatusFields(current, ownedStatusFields(next), OWNED_STATUS_FIELDS);
  return changes ? { status: changes } : undefined;
}

/** True when writing `next` would change nothing; reconcile then skips the status write. */
export function statusEquals(current: RegistryStatus | undefined, next: RegistryStatus): boolean {
  return registryStatusPatch(current, next) === undefined;
}
