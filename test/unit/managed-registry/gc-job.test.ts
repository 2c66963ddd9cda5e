import { describe, expect, it } from 'vitest';
import type { RegistrySpec, ResolvedRegistrySpec } from '../../../src/api/registry.js';
import { registryChildNames } from '../../../src/managed-registry/children.js';
import { buildDeployment } from '../../../src/managed-registry/deployment.js';
import { buildGarbageCollectJob, gcJobName, GC_CONTAINER_NAME } from '../../../src/managed-registry/gc-job.js';
import { GC_SCRIPT } from '../../../src/managed-registry/gc-job-script.js';

const owner = { name: 'main', namespace: 'registries', uid: 'uid-1' };
function spec(storage: RegistrySpec['storage'], extra: Partial<RegistrySpec> = {}): ResolvedRegistrySpec {
  return { image: 'registry:2.8.3', replicas: 1, storage, service: { type: 'ClusterIP', port: 5000 }, hostnames: [], admission: { allowed: true }, ...extra } as ResolvedRegistrySpec;
}
const pvc = (accessModes?: Array<'ReadWriteOnce' | 'ReadWriteMany'>): RegistrySpec['storage'] => ({ pvc: { size: '1Gi', deleteOnRemoval: false, ...(accessModes ? { accessModes } : {}) } });

function build(s: ResolvedRegistrySpec, more: { nodeName?: string; deleteUntagged?: boolean } = {}) {
  return buildGarbageCollectJob({ owner, spec: s, jobName: 'main-gc-x', deleteUntagged: more.deleteUntagged ?? false, activeDeadlineSeconds: 1770.6, ...(more.nodeName ? { nodeName: more.nodeName } : {}) });
}

describe('buildGarbageCollectJob', () => {
  it('runs the GC script with the registry image, config path and blob directory; no retries; bounded; owned', () => {
    const job = build(spec(pvc()));
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 1770 });
    expect(job.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Registry', name: 'main', uid: 'uid-1', controller: true })]);
    expect(job.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'dockmaster', 'app.kubernetes.io/instance': 'main' });
    const container = job.spec?.template.spec?.containers[0];
    expect(container?.name).toBe(GC_CONTAINER_NAME);
    expect(container?.image).toBe('registry:2.8.3');
    expect(container?.command).toEqual(['/bin/sh', '-c', GC_SCRIPT, 'dockmaster-gc', '/etc/docker/registry/config.yml', '/var/lib/registry/docker/registry/v2/blobs']);
    expect(job.spec?.template.spec?.restartPolicy).toBe('Never');
  });

  it('mounts exactly the volumes, env and security settings of the registry pod', () => {
    const s = spec(pvc(), { auth: { htpasswdSecret: 'users' }, tls: { secretName: 'tls' } });
    const pod = buildDeployment(owner, s, { names: registryChildNames('main'), configHash: 'h' }).spec?.template.spec;
    const job = build(s).spec?.template.spec;
    expect(job?.volumes).toEqual(pod?.volumes);
    expect(job?.securityContext).toEqual(pod?.securityContext);
    expect(job?.containers[0]?.volumeMounts).toEqual(pod?.containers[0]?.volumeMounts);
    expect(job?.containers[0]?.env).toEqual(pod?.containers[0]?.env);
    expect(job?.containers[0]?.securityContext).toEqual(pod?.containers[0]?.securityContext);
  });

  it('never carries the labels the registry Service selects on', () => {
    const labels = build(spec(pvc())).spec?.template.metadata?.labels ?? {};
    expect(labels['app.kubernetes.io/name']).not.toBe('registry');
  });

  it('pins to the registry pod\'s node for a ReadWriteOnce claim, by node name through the scheduler', () => {
    const job = build(spec(pvc()), { nodeName: 'node-7' });
    expect(job.spec?.template.spec?.affinity).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-7'] }] }] } },
    });
    expect(job.spec?.template.spec?.nodeName).toBeUndefined();
  });

  it('does not pin a ReadWriteMany claim or s3 storage', () => {
    expect(build(spec(pvc(['ReadWriteMany'])), { nodeName: 'node-7' }).spec?.template.spec?.affinity).toBeUndefined();
    const s3 = build(spec({ s3: { bucket: 'b', region: 'r', secretRef: { name: 's3' } } }), { nodeName: 'node-7' });
    expect(s3.spec?.template.spec?.affinity).toBeUndefined();
    // No filesystem to measure on s3: the blob directory argument is empty.
    expect(s3.spec?.template.spec?.containers[0]?.command?.[5]).toBe('');
  });

  it('passes --delete-untagged only when decided', () => {
    expect(build(spec(pvc()), { deleteUntagged: true }).spec?.template.spec?.containers[0]?.command?.at(-1)).toBe('--delete-untagged');
  });
});

describe('gcJobName', () => {
  it('is stable for one window and at most 63 characters', () => {
    const started = new Date('2025-03-02T03:00:00Z');
    expect(gcJobName('main', started)).toBe(gcJobName('main', new Date(started)));
    const long = gcJobName('r'.repeat(253), started);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^r+-gc-[0-9a-z]+$/);
  });
});
