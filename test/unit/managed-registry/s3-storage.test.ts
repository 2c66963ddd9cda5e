import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildRegistryConfig } from '../../../src/managed-registry/config.js';
import { buildDeployment } from '../../../src/managed-registry/deployment.js';
import { registryChildNames } from '../../../src/managed-registry/children.js';
import { storageDriverFor } from '../../../src/managed-registry/storage/index.js';
import type { RegistrySpec, ResolvedRegistrySpec } from '../../../src/api/registry.js';
import { OWNER, specWith } from './registry-fixture.js';

type S3 = NonNullable<RegistrySpec['storage']['s3']>;
const s3Spec = (s3: Partial<S3>, image = 'registry:3.1.2'): ResolvedRegistrySpec =>
  specWith({ image, storage: { s3: { bucket: 'images', region: 'us-east-1', secretRef: { name: 's3' }, ...s3 } } } as never);
const storageOf = (spec: RegistrySpec) => (parse(buildRegistryConfig(spec, { realm: 'main', readOnly: false })) as { storage: Record<string, unknown> }).storage;

describe('S3 storage options', () => {
  it('renders rootDirectory, forcePathStyle (3.x), plain-HTTP endpoints and turned-off redirects', () => {
    const storage = storageOf(s3Spec({ endpoint: 'http://minio:9000', rootDirectory: '/registry', forcePathStyle: true, redirect: false }));
    expect(storage.s3).toEqual({ bucket: 'images', region: 'us-east-1', regionendpoint: 'http://minio:9000', secure: false, rootdirectory: '/registry', forcepathstyle: true });
    expect(storage.redirect).toEqual({ disable: true });
    expect(storageOf(s3Spec({ endpoint: 'https://minio:9000' })).s3).toEqual({ bucket: 'images', region: 'us-east-1', regionendpoint: 'https://minio:9000' });
    expect(storageOf(s3Spec({})).redirect).toBeUndefined();
  });

  it('never renders forcepathstyle for 2.x (unknown key there), and says when 2.x cannot do what was asked', () => {
    const ok = s3Spec({ endpoint: 'http://minio:9000', forcePathStyle: true }, 'registry:2.8.3');
    expect(storageOf(ok).s3).not.toHaveProperty('forcepathstyle');
    expect(storageDriverFor(ok).problems(ok)).toEqual([]);
    const noEndpoint = s3Spec({ forcePathStyle: true }, 'registry:2.8.3');
    expect(storageDriverFor(noEndpoint).problems(noEndpoint)[0]).toMatch(/^spec\.storage\.s3\.forcePathStyle: .*uses path style only with an endpoint/);
    const virtualHosted = s3Spec({ endpoint: 'https://minio', forcePathStyle: false }, 'registry:2.8.3');
    expect(storageDriverFor(virtualHosted).problems(virtualHosted)[0]).toMatch(/always uses path style with an endpoint/);
  });

  it('mounts the CA bundle and points SSL_CERT_FILE at it, never AWS_CA_BUNDLE; the Secret is a requirement (a change rolls the pods)', () => {
    const spec = s3Spec({ endpoint: 'https://minio:9000', caSecretRef: { name: 'minio-ca' } });
    const pod = buildDeployment(OWNER, spec, { names: registryChildNames(OWNER.name), configHash: 'h' }).spec?.template.spec;
    const container = pod?.containers[0];
    expect(pod?.volumes).toContainEqual({ name: 's3-ca', secret: { secretName: 'minio-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    expect(container?.volumeMounts).toContainEqual({ name: 's3-ca', mountPath: '/etc/dockmaster/s3-ca', readOnly: true });
    expect(container?.env).toContainEqual({ name: 'SSL_CERT_FILE', value: '/etc/dockmaster/s3-ca/ca.crt' });
    expect(container?.env?.map((e) => e.name)).not.toContain('AWS_CA_BUNDLE');
    expect(storageDriverFor(spec).secretRequirements(spec).map((r) => [r.name, r.keys])).toEqual([['s3', ['accessKey', 'secretKey']], ['minio-ca', ['ca.crt']]]);
  });

  it('spreads several replicas over nodes softly, and sets OTEL off on 3.x images only', () => {
    const three = buildDeployment(OWNER, { ...s3Spec({}), replicas: 3 }, { names: registryChildNames(OWNER.name), configHash: 'h' }).spec?.template.spec;
    expect(three?.topologySpreadConstraints).toEqual([{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: expect.any(Object) } }]);
    expect(three?.containers[0]?.env).toContainEqual({ name: 'OTEL_TRACES_EXPORTER', value: 'none' });
    const one = buildDeployment(OWNER, specWith(), { names: registryChildNames(OWNER.name), configHash: 'h' }).spec?.template.spec;
    expect(one?.topologySpreadConstraints).toBeUndefined();
    expect(one?.containers[0]?.env?.map((e) => e.name)).not.toContain('OTEL_TRACES_EXPORTER');
  });
});
