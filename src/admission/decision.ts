import { InvalidImageReferenceError, parseImageReference } from '../registry/reference.js';
import { describeAllowList, findAllowingEntry, type AllowEntry } from './allow-list.js';
import { namespacePolicy, type AdmissionPolicy, type NamespacePolicy } from './policy.js';
import {
  countContainers,
  extractContainerImages,
  extractLegacyEphemeralContainerImages,
  MalformedObjectError,
  type ContainerImage,
} from './workload-images.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** What is being admitted: from an AdmissionReview request, or from a file for `dockmaster admit`. */
export interface AdmissionSubject {
  operation: AdmissionOperation;
  group: string;
  kind: string;
  subResource?: string;
  namespace: string;
  /** The object's name; '' when the apiserver will generate it. */
  name: string;
  object: unknown;
  oldObject?: unknown;
}

/** allowed/denied: enforce; warned/audited: admitted with a finding; exempt/not-checked: not looked at. */
export type AdmissionVerdict = 'allowed' | 'denied' | 'warned' | 'audited' | 'exempt' | 'not-checked';

/** One container image and what the allow list says of it. */
export interface ImageJudgement {
  container: ContainerImage;
  /** The normalized reference, when the image parses. */
  normalized?: string;
  /** The entry that admits it (its text), when one does. */
  allowedBy?: string;
  /** Why it is not admitted, when it is not. */
  problem?: string;
  /** Denied in every mode: a string the runtime resolves from the node's images, not from a registry. */
  alwaysDenied?: boolean;
}

export interface AdmissionDecision {
  allowed: boolean;
  verdict: AdmissionVerdict;
  subject: { kind: string; namespace: string; name: string };
  /** Every image judged (on UPDATE, only those new or changed). */
  images: ImageJudgement[];
  violations: ImageJudgement[];
  /** A one-paragraph account; for a denial, the message the user sees. */
  message: string;
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

/** The audit annotation key (the apiserver prefixes it with the webhook's name). */
export const AUDIT_ANNOTATION_KEY = 'images-not-allowed';

/** Past this many containers in one object, it is denied without judging each (a flood bound). */
export const MAX_CONTAINERS_PER_OBJECT = 500;
/** A denial lists this many violations, then "and K more" (the message stays small). */
export const MAX_VIOLATIONS_LISTED = 20;

interface ImageVerdict extends Omit<ImageJudgement, 'container'> {
  /** Pinned by digest (`@sha256:…`). */
  pinned?: boolean;
  /** Tagged latest, or written without tag or digest (which pulls latest). */
  latest?: boolean;
}

/**
 * Strings a container runtime resolves against the images already on the node instead of
 * pulling by name: an image ID (`sha256:<hex>`, which would otherwise normalize to the
 * innocent-looking `docker.io/library/sha256:<hex>`) or a bare hex ID prefix (`3f57d9401f8d`,
 * which cri-dockerd and containerd's CRI look up as a truncated image ID). Admitting one lets a
 * pod run whatever image a node happens to hold, whatever the allow list says.
 */
const LOCAL_IMAGE_ID = /^(sha256:[a-f0-9]{1,64}|[a-f0-9]{12,64})(@.*)?$/i;

function localResolution(image: string): string | undefined {
  if (!LOCAL_IMAGE_ID.test(image)) return undefined;
  return (
    'is an image ID, which the container runtime resolves from the images already on the node instead of pulling it from a registry; ' +
    'write the repository with the digest instead, e.g. registry.example.com/app@sha256:…'
  );
}

/** The verdict on one image string: a pure function of the allow list and the string. */
function judgeImageString(allowList: readonly AllowEntry[], image: string): ImageVerdict {
  const local = localResolution(image);
  let reference;
  try {
    reference = parseImageReference(image);
  } catch (error) {
    if (!(error instanceof InvalidImageReferenceError)) throw error;
    const invalid = `is not a valid image reference: ${error.message}`;
    return local ? { problem: `${invalid}; it ${local.slice('is '.length)}`, alwaysDenied: true } : { problem: invalid };
  }
  if (local) return { problem: local, alwaysDenied: true };
  const normalized = reference.toString();
  const shape = { pinned: reference.digest !== undefined, latest: reference.digest === undefined && (reference.tag === undefined || reference.tag === 'latest') };
  const entry = findAllowingEntry(allowList, reference);
  if (entry) return { normalized, allowedBy: entry.text, ...shape };
  return { normalized, problem: 'is not from an allowed source', ...shape };
}

/**
 * Verdicts by image string, per allow list. A cluster admits the same few images over and over
 * (every pod of a ReplicaSet, every rollout) and parsing a reference is most of a decision's cost
 * (13 µs of 15 for a Pod with six images). A policy change makes a new allow list, so a stale
 * verdict can never be served; the WeakMap lets the old list's cache go with it.
 */
const verdictCache = new WeakMap<readonly AllowEntry[], Map<string, ImageVerdict>>();
/** Past this many distinct images per allow list, start over (a bound, not an LRU: misses are cheap). */
const VERDICT_CACHE_MAX = 4096;

/** Judges one image against the allow list (and, when given, the namespace's digest and latest rules). */
export function judgeImage(allowList: readonly AllowEntry[], container: ContainerImage, rules?: Pick<NamespacePolicy, 'requireDigest' | 'denyLatest'>): ImageJudgement {
  let verdicts = verdictCache.get(allowList);
  if (!verdicts) {
    verdicts = new Map();
    verdictCache.set(allowList, verdicts);
  }
  let verdict = verdicts.get(container.image);
  if (!verdict) {
    verdict = judgeImageString(allowList, container.image);
    if (verdicts.size >= VERDICT_CACHE_MAX) verdicts.clear();
    verdicts.set(container.image, verdict);
  }
  const { pinned, latest, ...judgement } = verdict;
  if (judgement.problem === undefined && rules?.requireDigest && !pinned) {
    return { container, ...judgement, allowedBy: undefined, problem: 'is not pinned by digest; this namespace requires image@sha256:…' } as ImageJudgement;
  }
  if (judgement.problem === undefined && rules?.denyLatest && latest) {
    return { container, ...judgement, allowedBy: undefined, problem: 'uses the latest tag (written or implied by no tag); this namespace requires a version tag or a digest' } as ImageJudgement;
  }
  return { container, ...judgement };
}

/**
 * The admission decision for one object: pure, shared by the webhook and `dockmaster admit`.
 * On UPDATE only images that are new or changed are judged: metadata updates (a finalizer
 * removed, a label added, a Deployment scaled) of objects created before a policy change must
 * never be blocked, or such objects could not even be deleted cleanly.
 */
export function decideAdmission(policy: AdmissionPolicy, subject: AdmissionSubject, namespaceLabels: Readonly<Record<string, string>> = {}): AdmissionDecision {
  const display = { kind: subject.kind, namespace: subject.namespace, name: subject.name || '(generated name)' };
  const notChecked = (verdict: 'exempt' | 'not-checked', message: string): AdmissionDecision => ({
    allowed: true, verdict, subject: display, images: [], violations: [], message, warnings: [], auditAnnotations: {},
  });

  if (subject.operation !== 'CREATE' && subject.operation !== 'UPDATE') {
    return notChecked('not-checked', `${subject.operation} does not start containers`);
  }
  const where = `${display.kind} ${display.namespace}/${display.name}`;
  const declared = (subject.subResource ?? '') === '' ? countContainers(subject.group, subject.kind, subject.object) : undefined;
  if (declared !== undefined && declared > MAX_CONTAINERS_PER_OBJECT && !policy.exemptNamespaces.has(subject.namespace)) return tooManyContainers(where, display, declared);
  const containers = containersOf(subject, subject.object);
  if (containers === undefined) {
    const what = subject.subResource ? `${subject.kind} (subresource ${subject.subResource})` : subject.kind;
    return notChecked('not-checked', `${what} does not run containers`);
  }
  if (policy.exemptNamespaces.has(subject.namespace)) {
    return notChecked('exempt', `namespace ${subject.namespace} is exempt from image source checks`);
  }

  if (containers.length > MAX_CONTAINERS_PER_OBJECT) return tooManyContainers(where, display, containers.length);
  const local = namespacePolicy(policy, subject.namespace, namespaceLabels);
  const unchanged = subject.operation === 'UPDATE' ? imagesOfOldObject(subject) : new Set<string>();
  const images = containers.filter((c) => !unchanged.has(c.image)).map((c) => judgeImage(local.allowList, c, local));
  const violations = images.filter((j) => j.problem !== undefined);
  if (violations.length === 0) {
    const checked = images.length === containers.length ? `${images.length}` : `${images.length} new or changed`;
    return {
      allowed: true, verdict: 'allowed', subject: display, images, violations,
      message: `${where}: ${checked} image(s) from allowed sources`, warnings: [], auditAnnotations: {},
    };
  }

  const allowed = `Allowed sources: ${describeAllowList(local.allowList)}`;
  const lines = violations.slice(0, MAX_VIOLATIONS_LISTED).map((v) => `- ${describeViolation(v)}`);
  if (violations.length > MAX_VIOLATIONS_LISTED) lines.push(`- and ${violations.length - MAX_VIOLATIONS_LISTED} more`);
  const heading = `${where}: ${violations.length} container image(s) not allowed (dockmaster ${local.mode} mode):`;
  const message = [heading, ...lines, allowed].join('\n');
  const base = { subject: display, images, violations, message };
  // An image ID runs whatever the node holds: denied in every mode, warn and audit included.
  const mode = violations.some((v) => v.alwaysDenied) ? 'enforce' : local.mode;
  switch (mode) {
    case 'enforce':
      return { ...base, allowed: false, verdict: 'denied', warnings: [], auditAnnotations: {} };
    case 'warn':
      return {
        ...base, allowed: true, verdict: 'warned',
        warnings: [...violations.map((v) => `dockmaster: ${describeViolation(v)}`), `dockmaster: ${allowed}`],
        auditAnnotations: {},
      };
    case 'audit':
      return { ...base, allowed: true, verdict: 'audited', warnings: [], auditAnnotations: { [AUDIT_ANNOTATION_KEY]: auditValue(violations) } };
  }
}

function tooManyContainers(where: string, subject: AdmissionDecision['subject'], count: number): AdmissionDecision {
  return {
    allowed: false, verdict: 'denied', subject, images: [], violations: [],
    message: `${where}: ${count} containers, more than the ${MAX_CONTAINERS_PER_OBJECT} dockmaster judges in one object; split the workload.`,
    warnings: [], auditAnnotations: {},
  };
}

/** `spec.containers[0] "web": image "evil.io/x:1" (evil.io/x:1) is not from an allowed source`. */
export function describeViolation(judgement: ImageJudgement): string {
  const { container } = judgement;
  const written = JSON.stringify(container.image);
  const normalized = judgement.normalized && judgement.normalized !== container.image ? ` (normalized: ${judgement.normalized})` : '';
  return `${container.fieldPath} ${JSON.stringify(container.containerName)}: image ${written}${normalized} ${judgement.problem ?? ''}`.trimEnd();
}

function auditValue(violations: readonly ImageJudgement[]): string {
  return JSON.stringify(
    violations.map((v) => ({ field: v.container.fieldPath, container: v.container.containerName, image: v.container.image, normalized: v.normalized, problem: v.problem })),
  );
}

/** Containers of a checked kind, or undefined for kinds and subresources that run none. */
function containersOf(subject: AdmissionSubject, object: unknown): ContainerImage[] | undefined {
  const sub = subject.subResource ?? '';
  if (sub === 'ephemeralcontainers') {
    if (subject.group === '' && subject.kind === 'EphemeralContainers') return extractLegacyEphemeralContainerImages(object);
    return extractContainerImages(subject.group, subject.kind, object);
  }
  // Other subresources (status, scale, binding, …) cannot change images.
  if (sub !== '') return undefined;
  return extractContainerImages(subject.group, subject.kind, object);
}

function imagesOfOldObject(subject: AdmissionSubject): Set<string> {
  if (subject.oldObject === undefined || subject.oldObject === null) return new Set();
  try {
    return new Set((containersOf(subject, subject.oldObject) ?? []).map((c) => c.image));
  } catch (error) {
    // A malformed old object cannot vouch for any image: judge them all.
    if (error instanceof MalformedObjectError) return new Set();
    throw error;
  }
}
