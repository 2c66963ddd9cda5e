import * as z from 'zod';
import { DockmasterError } from '../errors.js';
import { formatIssuePath } from '../api/schema-parse.js';
import { decideAdmission, type AdmissionDecision, type AdmissionSubject } from './decision.js';
import type { AdmissionPolicy } from './policy.js';
import { MalformedObjectError } from './workload-images.js';

/**
 * AdmissionReview, admission.k8s.io/v1 only: the webhook configuration we ship asks for
 * `admissionReviewVersions: [v1]`, and v1beta1 is gone from the apiserver since 1.22.
 */
export const ADMISSION_REVIEW_API_VERSION = 'admission.k8s.io/v1';

/** A request body that is not a usable AdmissionReview; answered with 400. */
export class AdmissionReviewError extends DockmasterError {
  readonly statusCode = 400;

  constructor(message: string) {
    super('DM_ERR_INVALID_ADMISSION_REVIEW', message);
  }
}

const groupVersionKindSchema = z.looseObject({ group: z.string(), version: z.string(), kind: z.string().min(1) });

const admissionRequestSchema = z.looseObject({
  uid: z.string().min(1),
  kind: groupVersionKindSchema,
  resource: z.looseObject({ group: z.string(), version: z.string(), resource: z.string() }).optional(),
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  object: z.unknown().optional(),
  oldObject: z.unknown().optional(),
  dryRun: z.boolean().optional(),
});
export type AdmissionRequest = z.output<typeof admissionRequestSchema>;

/** What the webhook answers. */
export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_REVIEW_API_VERSION;
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; reason: string; message: string };
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}

/** Validates a request body as an AdmissionReview v1 and returns its request. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdmissionReviewError('the body is not an AdmissionReview: expected a JSON object');
  }
  const review = body as Record<string, unknown>;
  if (review.kind !== 'AdmissionReview') {
    throw new AdmissionReviewError(`the body is not an AdmissionReview (kind is ${JSON.stringify(review.kind ?? null)})`);
  }
  if (review.apiVersion !== ADMISSION_REVIEW_API_VERSION) {
    throw new AdmissionReviewError(
      `AdmissionReview apiVersion ${JSON.stringify(review.apiVersion ?? null)} is not supported: only ${ADMISSION_REVIEW_API_VERSION} ` +
        '(set admissionReviewVersions: ["v1"] in the webhook configuration)',
    );
  }
  if (typeof review.request !== 'object' || review.request === null) {
    throw new AdmissionReviewError('the AdmissionReview has no request');
  }
  const parsed = admissionRequestSchema.safeParse(review.request);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `request.${formatIssuePath(i.path)}: ${i.message}`);
    throw new AdmissionReviewError(`the AdmissionReview request is invalid: ${issues.join('; ')}`);
  }
  const request = parsed.data;
  if ((request.operation === 'CREATE' || request.operation === 'UPDATE') && (request.object === undefined || request.object === null)) {
    throw new AdmissionReviewError(`the AdmissionReview request (${request.operation}) has no object`);
  }
  return request;
}

/** The subject of a request, as the decision sees it. */
export function subjectOfRequest(request: AdmissionRequest): AdmissionSubject {
  const metadata = metadataOf(request.object);
  return {
    operation: request.operation,
    group: request.kind.group,
    kind: request.kind.kind,
    ...(request.subResource ? { subResource: request.subResource } : {}),
    namespace: request.namespace ?? metadata.namespace ?? '',
    name: request.name || metadata.name || (metadata.generateName ? `${metadata.generateName}*` : ''),
    object: request.object,
    ...(request.oldObject !== undefined && request.oldObject !== null ? { oldObject: request.oldObject } : {}),
  };
}

/** The AdmissionReview answering `uid` with a decision. */
export function admissionReviewResponse(uid: string, decision: AdmissionDecision): AdmissionReviewResponse {
  const response: AdmissionReviewResponse['response'] = { uid, allowed: decision.allowed };
  if (!decision.allowed) response.status = { code: 403, reason: 'Forbidden', message: decision.message };
  if (decision.warnings.length > 0) response.warnings = decision.warnings;
  if (Object.keys(decision.auditAnnotations).length > 0) response.auditAnnotations = decision.auditAnnotations;
  return { apiVersion: ADMISSION_REVIEW_API_VERSION, kind: 'AdmissionReview', response };
}

/** `metadata.name|namespace|generateName` of an object, when present and strings. */
export function metadataOf(object: unknown): { name?: string; namespace?: string; generateName?: string } {
  if (typeof object !== 'object' || object === null) return {};
  const metadata = (object as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return {};
  const pick = (key: string): string | undefined => {
    const value = (metadata as Record<string, unknown>)[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const result: { name?: string; namespace?: string; generateName?: string } = {};
  const name = pick('name');
  const namespace = pick('namespace');
  const generateName = pick('generateName');
  if (name) result.name = name;
  if (namespace) result.namespace = namespace;
  if (generateName) result.generateName = generateName;
  return result;
}

/**
 * The whole answer to one AdmissionReview body: validate, decide, respond. The webhook route
 * and `dockmaster admit` both go through here, so they cannot disagree.
 */
export function answerAdmissionReview(
  policy: AdmissionPolicy,
  body: unknown,
  namespaceLabels: (namespace: string) => Readonly<Record<string, string>> = () => ({}),
): { request: AdmissionRequest; decision: AdmissionDecision; review: AdmissionReviewResponse } {
  const request = parseAdmissionReview(body);
  let decision: AdmissionDecision;
  try {
    const subject = subjectOfRequest(request);
    // An AdmissionReview carries no namespace labels: the webhook reads them from its Namespace cache.
    decision = decideAdmission(policy, subject, namespaceLabels(subject.namespace));
  } catch (error) {
    if (error instanceof MalformedObjectError) throw new AdmissionReviewError(`request.object: ${error.message}`);
    throw error;
  }
  return { request, decision, review: admissionReviewResponse(request.uid, decision) };
}
