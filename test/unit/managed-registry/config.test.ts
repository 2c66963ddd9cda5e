import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildConfigMap, buildRegistryConfig } from '../../../src/managed-registry/config.js';
import { OWNER, specWith } from './registry-fixture.js';

/** The parts of distribution's config.yml the assertions read. */
interface Doc {
  version: string;
  storage: {
    filesystem?: { rootdirectory: string };
    s3?: Record<string, string>;
    delete: unknown;
    maintenance: { uploadpurging: unknown; readonly: unknown };
  };
  http: { addr: string; headers: unknown; secret?: string; tls?: unknown };
  auth?: unknown;
  health: { storagedriver: unknown };
}

function configOf(overrides: Parameters<typeof specWith>[0], readOnly = false): Doc {
  return parse(buildRegistryConfig(specWith(overrides), { realm: 'main', readOnly })) as Doc;
}

describe('buildRegistryConfig', () => {
  const cases: Array<{ name: string; overrides: Parameters<typeof specWith>[0]; readOnly?: boolean; expect: (c: Doc) => void }> = [
    {
      name: 'pvc storage uses the filesystem driver at the mounted path',
      overrides: {},
      expect: (c) => {
        expect(c.storage.filesystem).toEqual({ rootdirectory: '/var/lib/registry' });
        expect(c.storage.s3).toBeUndefined();
      },
    },
    {
      name: 'emptyDir storage uses the filesystem driver too',
      overrides: { storage: { emptyDir: {} } } as never,
      expect: (c) => expect(c.storage.filesystem?.rootdirectory).toBe('/var/lib/registry'),
    },
    {
      name: 's3 storage names bucket, region and endpoint, never the keys',
      overrides: { storage: { s3: { bucket: 'images', region: 'eu-west-1', endpoint: 'https://minio:9000', secretRef: { name: 's3' } } } } as never,
      expect: (c) => {
        expect(c.storage.s3).toEqual({ bucket: 'images', region: 'eu-west-1', regionendpoint: 'https://minio:9000' });
        expect(c.storage.filesystem).toBeUndefined();
      },
    },
    {
      name: 's3 without an endpoint omits regionendpoint',
      overrides: { storage: { s3: { bucket: 'b', region: 'us-east-1' } } } as never,
      expect: (c) => expect(c.storage.s3).toEqual({ bucket: 'b', region: 'us-east-1' }),
    },
    {
      name: 'deletes are enabled (retention deletes by digest)',
      overrides: {},
      expect: (c) => expect(c.storage.delete).toEqual({ enabled: true }),
    },
    {
      name: 'read-write: readonly is a map with enabled false',
      overrides: {},
      expect: (c) => expect(c.storage.maintenance.readonly).toEqual({ enabled: false }),
    },
    {
      name: 'read-only (GC window): readonly is a map with enabled true',
      overrides: {},
      readOnly: true,
      expect: (c) => expect(c.storage.maintenance.readonly).toEqual({ enabled: true }),
    },
    {
      name: 'upload purging is on and not a dry run',
      overrides: {},
      expect: (c) => expect(c.storage.maintenance.uploadpurging).toEqual({ enabled: true, age: '168h', interval: '24h', dryrun: false }),
    },
    {
      name: 'listens on :5000 with nosniff, http.secret left to the env var',
      overrides: {},
      expect: (c) => {
        expect(c.http.addr).toBe(':5000');
        expect(c.http.headers).toEqual({ 'X-Content-Type-Options': ['nosniff'] });
        expect(c.http.secret).toBeUndefined();
        expect(c.http.tls).toBeUndefined();
      },
    },
    {
      name: 'no auth section without an htpasswd Secret',
      overrides: {},
      expect: (c) => expect(c.auth).toBeUndefined(),
    },
    {
      name: 'htpasswd auth points at the mounted file with the realm',
      overrides: { auth: { htpasswdSecret: 'users' } } as never,
      expect: (c) => expect(c.auth).toEqual({ htpasswd: { realm: 'main', path: '/auth/htpasswd' } }),
    },
    {
      name: 'tls points at the mounted certificate and key',
      overrides: { tls: { secretName: 'cert' } } as never,
      expect: (c) => expect(c.http.tls).toEqual({ certificate: '/certs/tls.crt', key: '/certs/tls.key' }),
    },
    {
      name: 'storage driver health check is enabled',
      overrides: {},
      expect: (c) => expect(c.health.storagedriver).toEqual({ enabled: true, interval: '10s', threshold: 3 }),
    },
    {
      name: 'version is the string 0.1',
      overrides: {},
      expect: (c) => expect(c.version).toBe('0.1'),
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => testCase.expect(configOf(testCase.overrides, testCase.readOnly)));
  }

  it('is byte-for-byte deterministic (the text is hashed into the pod template)', () => {
    const spec = specWith({ auth: { htpasswdSecret: 'u' }, tls: { secretName: 't' } } as never);
    expect(buildRegistryConfig(spec, { realm: 'main', readOnly: false })).toBe(buildRegistryConfig(spec, { realm: 'main', readOnly: false }));
  });

  it('changes text when read-only flips, so the pods roll', () => {
    const spec = specWith();
    expect(buildRegistryConfig(spec, { realm: 'main', readOnly: true })).not.toBe(buildRegistryConfig(spec, { realm: 'main', readOnly: false }));
  });
});

describe('buildConfigMap', () => {
  it('holds config.yml and is owned by the Registry', () => {
    const cm = buildConfigMap(OWNER, 'main-registry-config', 'version: "0.1"\n');
    expect(cm.data).toEqual({ 'config.yml': 'version: "0.1"\n' });
    expect(cm.metadata?.ownerReferences).toEqual([
      { apiVersion: 'dockmaster.dev/v1alpha1', kind: 'Registry', name: 'main', uid: OWNER.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(cm.metadata?.labels).toEqual({
      'app.kubernetes.io/name': 'registry',
      'app.kubernetes.io/instance': 'main',
      'app.kubernetes.io/managed-by': 'dockmaster',
    });
  });
});
