import type { Registry, RegistrySpec } from '../api/registry.js';
import { REASON_SPEC_INVALID } from '../api/registry-conditions.js';
import type { SpecProblem } from './spec-problems.js';

/**
 * The spec of a cached Registry, checked again here: the CRD's structural schema admits what
 * zod may still reject (cross-field rules), and a Registry stored before a schema change may not
 * match it. A bad spec is a Degraded condition, never a crash loop.
 */
export function readRegistrySpec(registry: Registry): { spec?: RegistrySpec; problems: SpecProblem[] } {
  const spec = registry.spec as RegistrySpec | undefined;
  if (!spec || typeof spec !== 'object' || !spec.storage) {
    return { problems: [{ reason: REASON_SPEC_INVALID, message: 'spec.storage is required: set one of pvc, emptyDir or s3.' }] };
  }
  return { spec: { ...spec, replicas: spec.replicas ?? 1 }, problems: [] };
}

/**
 * Whether the registry must run read-only now: while the garbage-collection window (issue 6's
 * state machine, recorded in status so it survives a restart) holds it so.
 */
export function wantsReadOnly(registry: Registry): boolean {
  return registry.status?.garbageCollectionWindow?.readOnly === true;
}
