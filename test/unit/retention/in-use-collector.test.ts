import { describe, expect, it } from 'vitest';
import { collectImagesInUse, imageIdReference, imagesOfObject } from '../../../src/retention/in-use-collector.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('imageIdReference', () => {
  it.each([
    [`docker-pullable://reg:5000/app@${D}`, `reg:5000/app@${D}`],
    [`reg:5000/app@${D}`, `reg:5000/app@${D}`],
    [D, undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (id, reference) => expect(imageIdReference(id)).toBe(reference));
});

describe('imagesOfObject', () => {
  it('takes a Pod\'s containers, init and ephemeral ones, and the digests its containers resolved to, once each', () => {
    const pod = {
      metadata: { namespace: 'shop', name: 'web-1' },
      spec: { containers: [{ name: 'a', image: 'reg/app:v1' }], initContainers: [{ name: 'i', image: 'reg/init:v1' }], ephemeralContainers: [{ name: 'e', image: 'reg/debug:v1' }] },
      status: { containerStatuses: [{ imageID: `reg/app@${D}` }, { imageID: `reg/app@${D}` }] },
    };
    expect(imagesOfObject({ group: '', kind: 'Pod' }, pod as never).map((i) => i.image).sort()).toEqual(['reg/app:v1', `reg/app@${D}`, 'reg/debug:v1', 'reg/init:v1']);
    expect(imagesOfObject({ group: '', kind: 'Pod' }, pod as never)[0]?.usedBy).toEqual({ namespace: 'shop', kind: 'Pod', name: 'web-1' });
  });

  it('takes a CronJob\'s template, and nothing from an object of the wrong shape', () => {
    const cron = { metadata: { namespace: 'n', name: 'c' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'reg/batch:v2' }] } } } } } };
    expect(imagesOfObject({ group: 'batch', kind: 'CronJob' }, cron as never).map((i) => i.image)).toEqual(['reg/batch:v2']);
    expect(imagesOfObject({ group: 'apps', kind: 'Deployment' }, { metadata: {}, spec: 'nonsense' } as never)).toEqual([]);
  });
});

describe('collectImagesInUse', () => {
  const podPage = (name: string, image: string, next?: string) => ({ metadata: next ? { continue: next } : {}, items: [{ metadata: { namespace: 'a', name }, spec: { containers: [{ name: 'c', image }] } }] });

  it('reads every kind cluster-wide, page by page', async () => {
    const paths: string[] = [];
    const kube = {
      requestJson: async (_m: string, path: string) => {
        paths.push(path);
        if (path === '/api/v1/pods?limit=500') return podPage('p1', 'reg/one:v1', 'tok');
        if (path === '/api/v1/pods?limit=500&continue=tok') return podPage('p2', 'reg/two:v1');
        return { items: [] };
      },
    };
    const { images, note } = await collectImagesInUse(kube as never, []);
    expect(images.map((i) => i.image)).toEqual(['reg/one:v1', 'reg/two:v1']);
    expect(note).toBeUndefined();
    expect(paths).toContain('/apis/batch/v1/cronjobs?limit=500');
    expect(paths).toHaveLength(8);
  });

  it('falls back to the watched namespaces when cluster-wide reads are forbidden, and says so', async () => {
    const kube = {
      requestJson: async (_m: string, path: string) => {
        if (!path.includes('/namespaces/')) throw Object.assign(new Error('forbidden'), { statusCode: 403 });
        return path.startsWith('/api/v1/namespaces/team-a/pods') ? podPage('p', 'reg/a:v1') : { items: [] };
      },
    };
    const { images, note } = await collectImagesInUse(kube as never, ['team-a', 'team-b']);
    expect(images.map((i) => i.image)).toEqual(['reg/a:v1']);
    expect(note).toMatch(/covers only the watched namespaces \(team-a, team-b\)/);
  });

  it('throws when reads fail otherwise (a run without in-use data must not delete)', async () => {
    const forbidden = { requestJson: async () => Promise.reject(Object.assign(new Error('forbidden'), { statusCode: 403 })) };
    await expect(collectImagesInUse(forbidden as never, [])).rejects.toThrow('forbidden');
    const broken = { requestJson: async () => Promise.reject(Object.assign(new Error('etcd down'), { statusCode: 500 })) };
    await expect(collectImagesInUse(broken as never, ['a'])).rejects.toThrow('etcd down');
  });
});
