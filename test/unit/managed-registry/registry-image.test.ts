import { describe, expect, it } from 'vitest';
import type { Registry } from '../../../src/api/registry.js';
import { DEFAULT_REGISTRY_IMAGE } from '../../../src/api/registry-image-default.js';
import { registryDefaultsConfigSchema, registryImageOf, resolveRegistryImage } from '../../../src/managed-registry/registry-image.js';

describe('resolveRegistryImage', () => {
  it.each([
    ['spec.image wins over what runs and the default', 'registry:3.1.2', 'registry:2.8.3', 'registry:9', 'registry:3.1.2', 'spec'],
    ['without spec.image, what runs stays (a new default never moves it)', undefined, 'registry:2.8.3', 'registry:3.1.2', 'registry:2.8.3', 'running'],
    ['a new Registry gets the default', undefined, undefined, 'registry:3.1.2', 'registry:3.1.2', 'default'],
    ['an empty running image counts as none', undefined, '', 'registry:3.1.2', 'registry:3.1.2', 'default'],
  ] as const)('%s', (_label, specImage, running, defaultImage, image, source) => {
    expect(resolveRegistryImage(specImage, running, defaultImage)).toEqual({ image, source });
  });
});

describe('registryImageOf (GC windows and retention)', () => {
  const registry = (spec: Partial<Registry['spec']>, status?: Registry['status']) => ({ spec: { storage: { emptyDir: {} }, ...spec }, ...(status && { status }) }) as Registry;
  it('reads status.image first, then spec.image, then the built-in default', () => {
    expect(registryImageOf(registry({ image: 'registry:3.1.2' }, { image: 'registry:2.8.3' }))).toBe('registry:2.8.3');
    expect(registryImageOf(registry({ image: 'registry:3.1.2' }))).toBe('registry:3.1.2');
    expect(registryImageOf(registry({}))).toBe(DEFAULT_REGISTRY_IMAGE);
  });
});

describe('registries.defaultImage', () => {
  it('defaults to the built-in image and refuses an empty one', () => {
    expect(registryDefaultsConfigSchema.parse({})).toEqual({ defaultImage: DEFAULT_REGISTRY_IMAGE, anonymousMirrorsWithCredentials: false });
    expect(registryDefaultsConfigSchema.safeParse({ defaultImage: '' }).success).toBe(false);
  });
});
