import type {
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Pod,
  V1PodSpec,
  V1ReplicaSet,
  V1ReplicationController,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { DockmasterError } from '../errors.js';

/** One container of a workload and the image it runs, with where it sits in the object. */
export interface ContainerImage {
  /** `spec.template.spec.containers[0]`, as kubectl and the apiserver name fields. */
  fieldPath: string;
  containerName: string;
  /** The image exactly as written ('' when missing). */
  image: string;
}

/** The object does not have the shape of its kind (only possible for hand-written input). */
export class MalformedObjectError extends DockmasterError {
  constructor(message: string) {
    super('DM_ERR_MALFORMED_OBJECT', message);
  }
}

/**
 * The kinds whose pods we check, and where their pod spec lives. Pod controllers are checked
 * too so the user sees the denial on `kubectl apply`, not later in a ReplicaSet's events.
 */
const POD_SPEC_LOCATIONS: Readonly<Record<string, { group: string; path: string; read: (object: unknown) => V1PodSpec | undefined }>> = {
  Pod: { group: '', path: 'spec', read: (o) => (o as V1Pod).spec },
  ReplicationController: { group: '', path: 'spec.template.spec', read: (o) => (o as V1ReplicationController).spec?.template?.spec },
  Deployment: { group: 'apps', path: 'spec.template.spec', read: (o) => (o as V1Deployment).spec?.template?.spec },
  StatefulSet: { group: 'apps', path: 'spec.template.spec', read: (o) => (o as V1StatefulSet).spec?.template?.spec },
  DaemonSet: { group: 'apps', path: 'spec.template.spec', read: (o) => (o as V1DaemonSet).spec?.template?.spec },
  ReplicaSet: { group: 'apps', path: 'spec.template.spec', read: (o) => (o as V1ReplicaSet).spec?.template?.spec },
  Job: { group: 'batch', path: 'spec.template.spec', read: (o) => (o as V1Job).spec?.template?.spec },
  CronJob: { group: 'batch', path: 'spec.jobTemplate.spec.template.spec', read: (o) => (o as V1CronJob).spec?.jobTemplate?.spec?.template?.spec },
};

/** Whether objects of this group and kind carry pods we check. */
export function isCheckedKind(group: string, kind: string): boolean {
  return POD_SPEC_LOCATIONS[kind]?.group === group;
}

/** The kinds we check, `group/Kind` (core kinds without a group). */
export function checkedKinds(): string[] {
  return Object.entries(POD_SPEC_LOCATIONS).map(([kind, { group }]) => (group ? `${group}/${kind}` : kind));
}

/**
 * Every container image of an object of a checked kind: containers, initContainers and
 * ephemeralContainers. Returns undefined for kinds we do not check. Throws
 * MalformedObjectError when the pod spec is not shaped like one.
 */
export function extractContainerImages(group: string, kind: string, object: unknown): ContainerImage[] | undefined {
  const location = POD_SPEC_LOCATIONS[kind];
  if (!location || location.group !== group) return undefined;
  if (!isRecord(object)) throw new MalformedObjectError(`the ${kind} is not an object`);
  const spec = location.read(object);
  if (spec === undefined || spec === null) throw new MalformedObjectError(`the ${kind} has no ${location.path}`);
  if (!isRecord(spec)) throw new MalformedObjectError(`${location.path} of the ${kind} is not an object`);
  return [
    ...containersAt(spec.containers, `${location.path}.containers`),
    ...containersAt(spec.initContainers, `${location.path}.initContainers`),
    ...containersAt(spec.ephemeralContainers, `${location.path}.ephemeralContainers`),
  ];
}

/**
 * How many containers an object of a checked kind declares, read from the list lengths alone:
 * the bound on work per object is checked before a single container is looked at (an
 * AdmissionReview can carry 150,000 of them). Undefined for kinds we do not check or odd shapes,
 * which extraction then reports.
 */
export function countContainers(group: string, kind: string, object: unknown): number | undefined {
  const location = POD_SPEC_LOCATIONS[kind];
  if (!location || location.group !== group || !isRecord(object)) return undefined;
  const spec = location.read(object);
  if (!isRecord(spec)) return undefined;
  const length = (list: unknown): number => (Array.isArray(list) ? list.length : 0);
  return length(spec.containers) + length(spec.initContainers) + length(spec.ephemeralContainers);
}

/**
 * The legacy `EphemeralContainers` object of the `pods/ephemeralcontainers` subresource
 * (Kubernetes before 1.22 sent this kind; later versions send the whole Pod).
 */
export function extractLegacyEphemeralContainerImages(object: unknown): ContainerImage[] {
  if (!isRecord(object)) throw new MalformedObjectError('the EphemeralContainers object is not an object');
  return containersAt(object.ephemeralContainers, 'ephemeralContainers');
}

function containersAt(list: unknown, path: string): ContainerImage[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new MalformedObjectError(`${path} is not a list`);
  return list.map((container: unknown, index) => {
    const fieldPath = `${path}[${index}]`;
    if (!isRecord(container)) throw new MalformedObjectError(`${fieldPath} is not an object`);
    const { name, image } = container;
    if (image !== undefined && typeof image !== 'string') throw new MalformedObjectError(`${fieldPath}.image is not a string`);
    return { fieldPath, containerName: typeof name === 'string' ? name : '', image: image ?? '' };
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
