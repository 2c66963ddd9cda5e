/**
 * A RetentionPolicy's read limits and deadline, as the registry client takes them. The one
 * translation, shared by the RetentionPolicy controller and `dockmaster retention plan|apply`
 * (which read the same manifest), so both runs are bounded alike.
 */
import { parseDurationMs } from '../api/duration.js';
import type { RetentionPolicySpec } from '../api/retention-policy.js';
import type { RegistryReadLimits } from '../registry/client/index.js';

export function clientLimitsOf(spec: Pick<RetentionPolicySpec, 'limits'>): Partial<RegistryReadLimits> {
  const limits = spec.limits ?? {};
  return {
    ...(limits.maxRepositories !== undefined && { maxRepositories: limits.maxRepositories }),
    ...(limits.maxTagsPerRepository !== undefined && { maxTagsPerRepository: limits.maxTagsPerRepository }),
    ...(limits.maxTagsPerRun !== undefined && { maxTagsPerRun: limits.maxTagsPerRun }),
    ...(limits.maxPages !== undefined && { maxPages: limits.maxPages }),
    ...(limits.requestDeadline !== undefined && { requestDeadlineMs: parseDurationMs(limits.requestDeadline) }),
    ...(limits.maxBytesRead !== undefined && { maxBytesRead: limits.maxBytesRead }),
  };
}

/** The run deadline: every request and every delete stops once it passes. */
export function runDeadlineSignal(spec: Pick<RetentionPolicySpec, 'maxDuration'>): AbortSignal {
  return AbortSignal.timeout(parseDurationMs(spec.maxDuration));
}
