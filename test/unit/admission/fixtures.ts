import type { V1CronJob, V1Deployment, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { buildAdmissionPolicy, type AdmissionPolicy } from '../../../src/admission/policy.js';
import type { AdmissionMode } from '../../../src/config/operator-config.js';

/** Shapes of the AdmissionReviews a v1.3x apiserver sends (trimmed of userInfo details). */

export const ALLOWED_IMAGE = 'registry.example.com:5000/team/web:1.0';
export const DISALLOWED_IMAGE = 'evil.io/web:1.0';

export function policyFor(mode: AdmissionMode = 'enforce', allowedRegistries: string[] = ['registry.example.com:5000', 'docker.io/library']): AdmissionPolicy {
  return buildAdmissionPolicy({ mode, allowedRegistries, exemptNamespaces: ['kube-system'] }, 'dockmaster-system').policy;
}

export function podSpec(images: { containers?: string[]; init?: string[]; ephemeral?: string[] }): V1PodSpec {
  return {
    containers: (images.containers ?? []).map((image, i) => ({ name: `c${i}`, image })),
    ...(images.init && { initContainers: images.init.map((image, i) => ({ name: `init${i}`, image })) }),
    ...(images.ephemeral && { ephemeralContainers: images.ephemeral.map((image, i) => ({ name: `debug${i}`, image })) }),
  };
}

export function pod(namespace: string, name: string, spec: V1PodSpec): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec };
}

export function deployment(namespace: string, name: string, spec: V1PodSpec): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec } },
  };
}

export function cronJob(namespace: string, name: string, spec: V1PodSpec): V1CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace },
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { ...spec, restartPolicy: 'OnFailure' } } } } },
  };
}

const RESOURCES: Record<string, { group: string; version: string; resource: string }> = {
  Pod: { group: '', version: 'v1', resource: 'pods' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  CronJob: { group: 'batch', version: 'v1', resource: 'cronjobs' },
  ConfigMap: { group: '', version: 'v1', resource: 'configmaps' },
};

export function admissionReview(options: {
  object: { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
  operation?: 'CREATE' | 'UPDATE' | 'DELETE';
  oldObject?: unknown;
  subResource?: string;
  uid?: string;
}): Record<string, unknown> {
  const kind = options.object?.kind ?? 'Pod';
  const resource = RESOURCES[kind] ?? { group: '', version: 'v1', resource: kind.toLowerCase() };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: options.uid ?? '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: resource.group, version: resource.version, kind },
      resource,
      ...(options.subResource && { subResource: options.subResource }),
      requestKind: { group: resource.group, version: resource.version, kind },
      requestResource: resource,
      name: options.object?.metadata?.name,
      namespace: options.object?.metadata?.namespace ?? 'team-a',
      operation: options.operation ?? 'CREATE',
      userInfo: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
      object: options.object,
      oldObject: options.oldObject ?? null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}
