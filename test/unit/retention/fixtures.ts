/** Builders shared by the retention planner tests. */
import { retentionPolicySpecSchema, type RetentionPolicySpec, type RetentionPolicySpecInput } from '../../../src/api/retention-policy.js';
import type { ManifestSnapshot, RegistrySnapshot, RepositorySnapshot } from '../../../src/retention/snapshot.js';

export const NOW = new Date('2026-06-01T00:00:00Z');
export const IMAGE_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** A well-formed sha256 digest from a small number (distinct numbers, distinct digests). */
export function digestOf(n: number): string {
  return `sha256:${n.toString(16).padStart(64, '0')}`;
}

/** The cosign tag of an artifact attached to `subject`. */
export function signatureTag(subject: string, kind: 'sig' | 'att' | 'sbom' = 'sig'): string {
  return `${subject.replace(':', '-')}.${kind}`;
}

export function daysAgo(days: number): string {
  return new Date(NOW.getTime() - days * 86_400_000).toISOString();
}

export function image(created: string | null | undefined): ManifestSnapshot {
  return { mediaType: IMAGE_MEDIA_TYPE, created };
}

export function index(children: string[]): ManifestSnapshot {
  return { mediaType: INDEX_MEDIA_TYPE, children };
}

export function policy(spec: Partial<RetentionPolicySpecInput> & Pick<RetentionPolicySpecInput, 'keep'>): RetentionPolicySpec {
  return retentionPolicySpecSchema.parse({ registryRef: { name: 'main' }, ...spec });
}

export function registry(...repositories: RepositorySnapshot[]): RegistrySnapshot {
  return { registry: 'https://registry.test', repositories };
}
