import { registrySpecSchema, type Registry, type RegistrySpec } from '../api/registry.js';
import { REASON_SPEC_INVALID } from '../api/registry-conditions.js';
import { describeSpecIssues } from '../api/schema-parse.js';
import type { SpecProblem } from './spec-problems.js';

/**
 * The spec of a cached Registry, parsed again with the zod schema (the one source of truth, as
 * the RetentionPolicy controller does): the CRD's structural schema admits what zod may still
 * reject, and a Registry stored before a schema change may not match it. A bad spec is a
 * SpecInvalid problem naming the field (Degraded), never a crash loop.
 */
export function readRegistrySpec(registry: Pick<Registry, 'spec'>): { spec?: RegistrySpec; problems: SpecProblem[] } {
  const parsed = registrySpecSchema.safeParse(registry.spec);
  if (!parsed.success) {
    return { problems: [{ reason: REASON_SPEC_INVALID, message: `${describeSpecIssues(parsed.error)}. Fix the spec.` }] };
  }
  return { spec: parsed.data, problems: [] };
}

/**
 * Whether the registry must run read-only now: while the garbage-collection window (the GC
 * state machine, recorded in status so it survives a restart) holds it so.
 */
export function wantsReadOnly(registry: Pick<Registry, 'status'>): boolean {
  return registry.status?.garbageCollectionWindow?.readOnly === true;
}
