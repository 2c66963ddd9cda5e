import { createScopeMatcher } from '../api/glob.js';
import type { RetentionPolicySpec } from '../api/retention-policy.js';
import { PULL_CANARY_REPOSITORY } from '../managed-registry/pull-canary-image.js';

/**
 * The repositories a policy acts on: its repositories less its excludeRepositories, and never
 * dockmaster's pull canary (a policy matching `**` would otherwise delete the image that proves
 * pull tracking alive). One matcher for listing and planning, so both agree.
 */
export function policyRepositoryScope(spec: Pick<RetentionPolicySpec, 'repositories' | 'excludeRepositories'>): (repository: string) => boolean {
  const inScope = createScopeMatcher({ include: spec.repositories, exclude: spec.excludeRepositories }, 'repository');
  return (repository) => repository !== PULL_CANARY_REPOSITORY && inScope(repository);
}
