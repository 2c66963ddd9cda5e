import { describe, expect, it } from 'vitest';
import { computeConfigHash } from '../../../src/managed-registry/config-hash.js';
import { hashObject } from '../../../src/runtime/object-hash.js';
import { buildHttpSecret } from '../../../src/managed-registry/http-secret.js';
import { buildPersistentVolumeClaim, isSingleWriterPvc } from '../../../src/managed-registry/storage/pvc.js';
import { buildService, registryEndpoint, registryUrl } from '../../../src/managed-registry/service.js';
import { registryChildNames } from '../../../src/managed-registry/children.js';
import { OWNER, specWith } from './registry-fixture.js';

describe('buildHttpSecret', () => {
  it('generates a value when none exists', () => {
    const secret = buildHttpSecret(OWNER, 's', undefined, () => 'fresh');
    expect(secret.data).toEqual({ 'http-secret': Buffer.from('fresh').toString('base64') });
    expect(secret.metadata?.ownerReferences?.[0]?.controller).toBe(true);
  });
  it('keeps the existing value and never calls the generator', () => {
    const secret = buildHttpSecret(OWNER, 's', 'ZXhpc3Rpbmc=', () => { throw new Error('must not generate'); });
    expect(secret.data).toEqual({ 'http-secret': 'ZXhpc3Rpbmc=' });
  });
  it('generates different values by default', () => {
    expect(buildHttpSecret(OWNER, 's', undefined).data).not.toEqual(buildHttpSecret(OWNER, 's', undefined).data);
  });
});

describe('buildPersistentVolumeClaim', () => {
  const cases = [
    { name: 'defaults to ReadWriteOnce, no class', pvc: { size: '10Gi' }, expected: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } },
    { name: 'keeps the storage class', pvc: { size: '1Gi', storageClassName: 'fast' }, expected: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'fast' } },
    { name: 'keeps access modes', pvc: { size: '5Gi', accessModes: ['ReadWriteMany'] }, expected: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '5Gi' } } } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(buildPersistentVolumeClaim(OWNER, 'main-registry-data', specWith({ storage: { pvc: c.pvc } } as never))?.spec).toEqual(c.expected);
    });
  }
  it('is absent for emptyDir and s3', () => {
    expect(buildPersistentVolumeClaim(OWNER, 'x', specWith({ storage: { emptyDir: {} } } as never))).toBeUndefined();
    expect(buildPersistentVolumeClaim(OWNER, 'x', specWith({ storage: { s3: { bucket: 'b', region: 'r' } } } as never))).toBeUndefined();
  });
  const writerCases = [
    { storage: { pvc: { size: '1Gi' } }, single: true },
    { storage: { pvc: { size: '1Gi', accessModes: ['ReadWriteOncePod'] } }, single: true },
    { storage: { pvc: { size: '1Gi', accessModes: ['ReadWriteOnce', 'ReadWriteMany'] } }, single: false },
    { storage: { emptyDir: {} }, single: false },
  ];
  for (const c of writerCases) {
    it(`isSingleWriterPvc(${JSON.stringify(c.storage)}) = ${c.single}`, () => {
      expect(isSingleWriterPvc(specWith({ storage: c.storage } as never))).toBe(c.single);
    });
  }
});

describe('buildService and the endpoint', () => {
  it('defaults to ClusterIP on 5000 named after the Registry', () => {
    const svc = buildService(OWNER, registryChildNames('main').service, specWith());
    expect(svc.metadata?.name).toBe('main');
    expect(svc.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'main' },
      ports: [{ name: 'registry', port: 5000, targetPort: 5000, protocol: 'TCP' }],
    });
  });
  it('takes type and port from spec.service', () => {
    const svc = buildService(OWNER, 'main', specWith({ service: { type: 'NodePort', port: 443 } } as never));
    expect(svc.spec?.type).toBe('NodePort');
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 443, targetPort: 5000 });
  });
  const endpointCases = [
    { spec: specWith(), endpoint: 'main.registries.svc:5000', url: 'http://main.registries.svc:5000' },
    { spec: specWith({ service: { port: 443 }, tls: { secretName: 't' } } as never), endpoint: 'main.registries.svc:443', url: 'https://main.registries.svc:443' },
  ];
  for (const c of endpointCases) {
    it(`endpoint ${c.endpoint}`, () => {
      const endpoint = registryEndpoint(OWNER, c.spec);
      expect(endpoint).toBe(c.endpoint);
      expect(registryUrl(endpoint, c.spec)).toBe(c.url);
    });
  }
});

describe('config hash', () => {
  it('depends on config text and Secret contents, not on their order', () => {
    const a = computeConfigHash('x', [{ name: 'a', data: { k: '1' } }, { name: 'b', data: { k: '2' } }]);
    const b = computeConfigHash('x', [{ name: 'b', data: { k: '2' } }, { name: 'a', data: { k: '1' } }]);
    expect(a).toBe(b);
    expect(computeConfigHash('y', [{ name: 'a', data: { k: '1' } }, { name: 'b', data: { k: '2' } }])).not.toBe(a);
    expect(computeConfigHash('x', [{ name: 'a', data: { k: '9' } }, { name: 'b', data: { k: '2' } }])).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
  it('hashObject ignores key order and undefined fields', () => {
    expect(hashObject({ a: 1, b: [1, { c: 2 }], d: undefined })).toBe(hashObject({ b: [1, { c: 2 }], a: 1 }));
    expect(hashObject({ a: 1 })).not.toBe(hashObject({ a: 2 }));
  });
});

describe('buildPodDisruptionBudget', () => {
  it('lets evictions take one registry pod at a time, selecting exactly the Registry pods, owned by the Registry', async () => {
    const { buildPodDisruptionBudget } = await import('../../../src/managed-registry/pod-disruption-budget.js');
    const pdb = buildPodDisruptionBudget(OWNER, 'main-registry');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'registry', 'app.kubernetes.io/instance': 'main' } } });
    expect(pdb.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Registry', name: 'main', uid: OWNER.uid, controller: true });
  });
});
