/**
 * Apply-time validation of dockmaster.dev resources (pure): the zod schemas the controllers parse
 * with (one source of truth) judge a Registry or RetentionPolicy spec when it is written, so
 * `schedule: "0 25 * * *"` or an unknown time zone is refused at `kubectl apply` with the field
 * named, instead of surfacing later as SpecInvalid. It checks syntax and meaning only; what
 * depends on the admin's configuration (allowed hostnames, outbound hosts) stays a condition,
 * because that configuration can change after the apply.
 *
 * It never traps an object: deletes, status writes and updates that leave the spec as it was
 * (finalizers, labels, annotations such as run-now) are always allowed, and an update is refused
 * only for problems it introduces (ratcheting): an object stored before a rule existed can still
 * be edited elsewhere and deleted.
 */
import { isDeepStrictEqual } from 'node:util';
import type * as z from 'zod';
import { REGISTRY_KIND, registrySpecSchema } from '../api/registry.js';
import { RETENTION_POLICY_KIND, retentionPolicySpecSchema } from '../api/retention-policy.js';
import { API_GROUP } from '../api/common.js';
import { formatIssuePath } from '../api/schema-parse.js';
import type { AdmissionRequest } from './admission-review.js';

const SPEC_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  [REGISTRY_KIND]: registrySpecSchema,
  [RETENTION_POLICY_KIND]: retentionPolicySpecSchema,
};

export interface ResourceVerdict {
  allowed: boolean;
  /** Why it is refused: every new problem, by field, with the schema's own message. */
  message?: string;
  /** Problems the object already had before this update (allowed through, but said). */
  warnings: string[];
}

const specOf = (object: unknown): unknown => (typeof object === 'object' && object !== null ? (object as { spec?: unknown }).spec : undefined);

/** `spec.schedule: …` for every issue of the spec, or [] when it parses. */
export function specProblems(kind: string, spec: unknown): string[] {
  const schema = SPEC_SCHEMAS[kind];
  if (!schema) return [];
  const parsed = schema.safeParse(spec);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${formatIssuePath(['spec', ...issue.path])}: ${issue.message}`);
}

export function judgeResourceWrite(request: AdmissionRequest): ResourceVerdict {
  const allow: ResourceVerdict = { allowed: true, warnings: [] };
  if (request.kind.group !== API_GROUP || !(request.kind.kind in SPEC_SCHEMAS)) return allow;
  if (request.operation === 'DELETE' || request.operation === 'CONNECT' || (request.subResource ?? '') !== '') return allow;
  const spec = specOf(request.object);
  const oldSpec = request.operation === 'UPDATE' ? specOf(request.oldObject) : undefined;
  if (request.operation === 'UPDATE' && isDeepStrictEqual(spec, oldSpec)) return allow;
  const problems = specProblems(request.kind.kind, spec);
  if (problems.length === 0) return allow;
  const existing = new Set(request.operation === 'UPDATE' ? specProblems(request.kind.kind, oldSpec) : []);
  const introduced = problems.filter((p) => !existing.has(p));
  const kept = problems.filter((p) => existing.has(p));
  if (introduced.length === 0) return { allowed: true, warnings: kept.map((p) => `already invalid before this update (fix it when you can): ${p}`) };
  return {
    allowed: false,
    message: `${request.kind.kind}${request.name ? ` ${request.name}` : ''} is invalid: ${introduced.join('; ')}`,
    warnings: kept.map((p) => `already invalid before this update: ${p}`),
  };
}
