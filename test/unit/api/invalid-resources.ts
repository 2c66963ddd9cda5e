/**
 * Resources both the zod schemas and the apiserver (through the generated CRDs) must refuse,
 * each with the field the error must name. Shared by the unit test and the real-apiserver test,
 * so the CRD's patterns and CEL rules are held to what zod rejects.
 */

export interface InvalidResourceCase {
  name: string;
  manifest: Record<string, unknown>;
  /** Field path the error message must contain, as both zod and the apiserver print it. */
  expectField: string;
  /**
   * Set when only zod can see the problem (it needs croner or the time-zone database, which
   * CEL lacks); the apiserver accepts these and the controllers report them as Degraded.
   */
  zodOnly?: boolean;
}

const GROUP_VERSION = 'dockmaster.dev/v1alpha1';

function registry(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: GROUP_VERSION, kind: 'Registry', metadata: { name }, spec };
}

function policy(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'RetentionPolicy',
    metadata: { name },
    spec: { registryRef: { name: 'main' }, keep: [{ mostRecent: 5 }], ...spec },
  };
}

const emptyDir = { storage: { emptyDir: {} } };

export const INVALID_RESOURCES: readonly InvalidResourceCase[] = [
  { name: 'bad cron (4 fields)', manifest: policy('bad-cron', { schedule: '0 2 * *' }), expectField: 'spec.schedule' },
  { name: 'bad cron (words)', manifest: policy('bad-cron-words', { schedule: 'every day at 2' }), expectField: 'spec.schedule' },
  { name: 'cron minute out of range', manifest: policy('bad-cron-range', { schedule: '61 * * * *' }), expectField: 'spec.schedule', zodOnly: true },
  { name: 'unknown time zone', manifest: policy('bad-zone', { timeZone: 'Mars/Olympus_Mons' }), expectField: 'spec.timeZone', zodOnly: true },
  { name: 'time zone with a space', manifest: policy('bad-zone-space', { timeZone: 'Central European' }), expectField: 'spec.timeZone' },
  { name: 'negative mostRecent', manifest: policy('negative-count', { keep: [{ mostRecent: -1 }] }), expectField: 'spec.keep[0].mostRecent' },
  { name: 'zero mostRecent', manifest: policy('zero-count', { keep: [{ mostRecent: 0 }] }), expectField: 'spec.keep[0].mostRecent' },
  { name: 'fractional mostRecent', manifest: policy('fraction-count', { keep: [{ mostRecent: 2.5 }] }), expectField: 'spec.keep[0].mostRecent' },
  {
    name: 'both registryRef and external',
    manifest: policy('both-targets', { external: { url: 'https://registry.example.com' } }),
    expectField: 'spec.registryRef',
  },
  {
    name: 'neither registryRef nor external',
    manifest: { ...policy('no-target', {}), spec: { keep: [{ mostRecent: 5 }] } },
    expectField: 'spec.registryRef',
  },
  {
    name: 'external with a path in the URL',
    manifest: { ...policy('url-path', {}), spec: { external: { url: 'https://registry.example.com/v2/' }, keep: [{ mostRecent: 1 }] } },
    expectField: 'spec.external.url',
  },
  {
    name: 'external with caSecret and insecure',
    manifest: { ...policy('ca-and-insecure', {}), spec: { external: { url: 'https://r.example.com', caSecret: 'ca', insecure: true }, keep: [{ mostRecent: 1 }] } },
    expectField: 'spec.external.insecure',
  },
  { name: 'bad duration (words)', manifest: policy('bad-duration', { keep: [{ newerThan: '3 days' }] }), expectField: 'spec.keep[0].newerThan' },
  { name: 'bad duration (negative)', manifest: policy('negative-duration', { keep: [{ newerThan: '-1h' }] }), expectField: 'spec.keep[0].newerThan' },
  { name: 'bad duration (unit)', manifest: policy('bad-unit', { keep: [{ newerThan: '2w' }] }), expectField: 'spec.keep[0].newerThan' },
  { name: 'bad repository glob (uppercase)', manifest: policy('glob-upper', { repositories: ['App/**'] }), expectField: 'spec.repositories[0]' },
  { name: 'bad repository glob (** inside a segment)', manifest: policy('glob-star', { repositories: ['app**'] }), expectField: 'spec.repositories[0]' },
  { name: 'bad repository glob (braces)', manifest: policy('glob-brace', { excludeRepositories: ['app/{a,b}'] }), expectField: 'spec.excludeRepositories[0]' },
  { name: 'bad repository glob (empty segment)', manifest: policy('glob-empty', { repositories: ['app//web'] }), expectField: 'spec.repositories[0]' },
  { name: 'bad tag glob (slash)', manifest: policy('tag-slash', { protectedTags: ['v1/latest'] }), expectField: 'spec.protectedTags[0]' },
  { name: 'bad tag glob (negation)', manifest: policy('tag-negation', { keep: [{ tags: ['!v*'] }] }), expectField: 'spec.keep[0].tags[0]' },
  { name: 'empty keep list', manifest: policy('no-keep', { keep: [] }), expectField: 'spec.keep' },
  { name: 'semver without a count', manifest: policy('semver-empty', { keep: [{ semver: {} }] }), expectField: 'spec.keep[0].semver' },
  { name: 'empty repository scope', manifest: policy('no-scope', { repositories: [] }), expectField: 'spec.repositories' },
  { name: 'unknown storage kind', manifest: registry('gcs-storage', { storage: { gcs: { bucket: 'images' } } }), expectField: 'spec.storage' },
  { name: 'storage with two kinds', manifest: registry('two-kinds', { storage: { emptyDir: {}, pvc: { size: '1Gi' } } }), expectField: 'spec.storage' },
  { name: 'storage with no kind', manifest: registry('no-kind', { storage: {} }), expectField: 'spec.storage' },
  { name: 'missing storage', manifest: registry('no-storage', { replicas: 1 }), expectField: 'spec.storage' },
  { name: 'bad PVC size', manifest: registry('bad-size', { storage: { pvc: { size: 'ten gigs' } } }), expectField: 'spec.storage.pvc.size' },
  { name: 'PVC access mode ReadOnlyMany', manifest: registry('read-only-many', { storage: { pvc: { size: '1Gi', accessModes: ['ReadOnlyMany'] } } }), expectField: 'spec.storage.pvc.accessModes[0]' },
  { name: 'negative replicas', manifest: registry('negative-replicas', { ...emptyDir, replicas: -1 }), expectField: 'spec.replicas' },
  { name: 'unknown service type', manifest: registry('bad-service', { ...emptyDir, service: { type: 'ExternalName' } }), expectField: 'spec.service.type' },
  { name: 'service port out of range', manifest: registry('bad-port', { ...emptyDir, service: { port: 70000 } }), expectField: 'spec.service.port' },
  { name: 'bad GC cron', manifest: registry('bad-gc-cron', { ...emptyDir, garbageCollection: { schedule: 'weekly' } }), expectField: 'spec.garbageCollection.schedule' },
  { name: 'zero GC maxDuration', manifest: registry('zero-window', { ...emptyDir, garbageCollection: { schedule: '@weekly', maxDuration: '0m' } }), expectField: 'spec.garbageCollection.maxDuration' },
  { name: 'bad GC maxDuration', manifest: registry('bad-window', { ...emptyDir, garbageCollection: { schedule: '@weekly', maxDuration: 'half an hour' } }), expectField: 'spec.garbageCollection.maxDuration' },
  { name: 'bad htpasswd Secret name', manifest: registry('bad-secret', { ...emptyDir, auth: { htpasswdSecret: 'Main_Users' } }), expectField: 'spec.auth.htpasswdSecret' },
  { name: 'bad hostname', manifest: registry('bad-host', { ...emptyDir, hostnames: ['https://registry.example.com'] }), expectField: 'spec.hostnames[0]' },
  { name: 'bad resource quantity', manifest: registry('bad-quantity', { ...emptyDir, resources: { limits: { memory: 'lots' } } }), expectField: 'spec.resources.limits.memory' },
];
