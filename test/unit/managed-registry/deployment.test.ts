import { describe, expect, it } from 'vitest';
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { registryChildNames } from '../../../src/managed-registry/children.js';
import { buildDeployment } from '../../../src/managed-registry/deployment.js';
import { OWNER, specWith } from './registry-fixture.js';

const names = registryChildNames('main');

function deploymentOf(overrides: Parameters<typeof specWith>[0] = {}, configHash = 'abc'): V1Deployment {
  return buildDeployment(OWNER, specWith(overrides), { names, configHash });
}
function containerOf(dep: V1Deployment): V1Container {
  const container = dep.spec?.template.spec?.containers[0];
  if (!container) throw new Error('no container');
  return container;
}

describe('buildDeployment', () => {
  it('runs the image with replicas, selector and the config-hash annotation', () => {
    const dep = deploymentOf({ replicas: 1, image: 'registry:2.8.3' }, 'deadbeef');
    expect(dep.metadata?.name).toBe('main-registry');
    expect(dep.spec?.replicas).toBe(1);
    expect(dep.spec?.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'main' });
    expect(dep.spec?.template.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('dockmaster');
    expect(dep.spec?.template.metadata?.annotations).toEqual({ 'dockmaster.dev/config-hash': 'deadbeef' });
    expect(containerOf(dep).image).toBe('registry:2.8.3');
    expect(containerOf(dep).command).toEqual(['registry', 'serve', '/etc/docker/registry/config.yml']);
  });

  const strategyCases = [
    { name: 'RWO PVC → Recreate', storage: { pvc: { size: '1Gi' } }, replicas: 1, expected: 'Recreate' },
    { name: 'explicit RWO PVC → Recreate', storage: { pvc: { size: '1Gi', accessModes: ['ReadWriteOnce'] } }, replicas: 1, expected: 'Recreate' },
    { name: 'RWX PVC → RollingUpdate', storage: { pvc: { size: '1Gi', accessModes: ['ReadWriteMany'] } }, replicas: 2, expected: 'RollingUpdate' },
    { name: 'emptyDir → RollingUpdate', storage: { emptyDir: {} }, replicas: 1, expected: 'RollingUpdate' },
    { name: 's3 → RollingUpdate', storage: { s3: { bucket: 'b', region: 'r' } }, replicas: 3, expected: 'RollingUpdate' },
  ];
  for (const c of strategyCases) {
    it(`strategy: ${c.name}`, () => {
      expect(deploymentOf({ storage: c.storage, replicas: c.replicas } as never).spec?.strategy?.type).toBe(c.expected);
    });
  }

  it('mounts the config, the PVC and nothing else for a plain spec', () => {
    const dep = deploymentOf();
    expect(dep.spec?.template.spec?.volumes).toEqual([
      { name: 'config', configMap: { name: 'main-registry-config' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'main-registry-data' } },
    ]);
    expect(containerOf(dep).volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/docker/registry', readOnly: true },
      { name: 'data', mountPath: '/var/lib/registry' },
    ]);
  });

  it('uses an emptyDir with its size limit', () => {
    const volumes = deploymentOf({ storage: { emptyDir: { sizeLimit: '2Gi' } } } as never).spec?.template.spec?.volumes;
    expect(volumes?.find((v) => v.name === 'data')).toEqual({ name: 'data', emptyDir: { sizeLimit: '2Gi' } });
  });

  it('has no data volume for s3 and reads the keys from the credentials Secret', () => {
    const dep = deploymentOf({ storage: { s3: { bucket: 'b', region: 'r', secretRef: { name: 's3' } } } } as never);
    expect(dep.spec?.template.spec?.volumes?.map((v) => v.name)).toEqual(['config']);
    expect(containerOf(dep).env?.map((e) => [e.name, e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.key])).toEqual([
      ['REGISTRY_HTTP_SECRET', 'main-registry-http', 'http-secret'],
      ['REGISTRY_STORAGE_S3_ACCESSKEY', 's3', 'accessKey'],
      ['REGISTRY_STORAGE_S3_SECRETKEY', 's3', 'secretKey'],
    ]);
  });

  it('takes the http secret from the http Secret, never a literal', () => {
    expect(containerOf(deploymentOf()).env).toEqual([
      { name: 'REGISTRY_HTTP_SECRET', valueFrom: { secretKeyRef: { name: 'main-registry-http', key: 'http-secret' } } },
    ]);
  });

  it('mounts the htpasswd Secret at /auth and the TLS Secret at /certs', () => {
    const dep = deploymentOf({ auth: { htpasswdSecret: 'users' }, tls: { secretName: 'cert' } } as never);
    const volumes = dep.spec?.template.spec?.volumes ?? [];
    expect(volumes.find((v) => v.name === 'htpasswd')?.secret).toEqual({ secretName: 'users', items: [{ key: 'htpasswd', path: 'htpasswd' }] });
    expect(volumes.find((v) => v.name === 'certs')?.secret?.secretName).toBe('cert');
    const mounts = containerOf(dep).volumeMounts ?? [];
    expect(mounts.find((m) => m.name === 'htpasswd')).toEqual({ name: 'htpasswd', mountPath: '/auth', readOnly: true });
    expect(mounts.find((m) => m.name === 'certs')).toEqual({ name: 'certs', mountPath: '/certs', readOnly: true });
  });

  const probeCases = [
    { name: 'plain HTTP', overrides: {}, scheme: 'HTTP' },
    { name: 'htpasswd (GET / needs no credentials)', overrides: { auth: { htpasswdSecret: 'u' } }, scheme: 'HTTP' },
    { name: 'TLS', overrides: { tls: { secretName: 'c' } }, scheme: 'HTTPS' },
  ];
  for (const c of probeCases) {
    it(`probes: readiness GET / on 5000 over ${c.scheme}, liveness TCP (${c.name})`, () => {
      const container = containerOf(deploymentOf(c.overrides as never));
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/', port: 5000, scheme: c.scheme });
      expect(container.livenessProbe?.tcpSocket).toEqual({ port: 5000 });
    });
  }

  it('runs non-root with a read-only root filesystem, no capabilities and RuntimeDefault seccomp', () => {
    const dep = deploymentOf();
    expect(dep.spec?.template.spec?.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(containerOf(dep).securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
    });
    expect(dep.spec?.template.spec?.automountServiceAccountToken).toBe(false);
  });

  it('copies resources, and leaves them out when unset', () => {
    const resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } };
    expect(containerOf(deploymentOf({ resources } as never)).resources).toEqual(resources);
    expect(containerOf(deploymentOf()).resources).toBeUndefined();
  });

  it('changes only the annotation when only the config hash changes', () => {
    const a = deploymentOf({}, 'one');
    const b = deploymentOf({}, 'two');
    expect({ ...a.spec?.template.metadata, annotations: {} }).toEqual({ ...b.spec?.template.metadata, annotations: {} });
    expect(a.spec?.template.spec).toEqual(b.spec?.template.spec);
  });
});
