import { describe, expect, it } from 'vitest';
import type { Registry } from '../../../src/api/registry.js';
import { readRegistrySpec, wantsReadOnly } from '../../../src/managed-registry/registry-spec.js';

const withSpec = (spec: unknown): Pick<Registry, 'spec'> => ({ spec: spec as Registry['spec'] });

describe('readRegistrySpec', () => {
  it('parses with the zod schema and applies its defaults', () => {
    const { spec, problems } = readRegistrySpec(withSpec({ storage: { emptyDir: {} } }));
    expect(problems).toEqual([]);
    expect(spec).toMatchObject({ replicas: 1 });
    expect(spec?.image).toBeUndefined();
  });
  it('names the field of a bad spec in a SpecInvalid problem', () => {
    const missing = readRegistrySpec(withSpec({ replicas: 1 }));
    expect(missing.spec).toBeUndefined();
    expect(missing.problems).toEqual([{ reason: 'SpecInvalid', message: expect.stringContaining('spec.storage') }]);
    const badCron = readRegistrySpec(withSpec({ storage: { pvc: { size: '1Gi' } }, garbageCollection: { schedule: '0 25 * * *' } }));
    expect(badCron.problems[0]?.message).toMatch(/^spec\.garbageCollection\.schedule: .*Fix the spec\.$/);
  });
  it('refuses a spec that sets two storage kinds, as CEL does at apply', () => {
    const { problems } = readRegistrySpec(withSpec({ storage: { pvc: { size: '1Gi' }, emptyDir: {} } }));
    expect(problems[0]).toMatchObject({ reason: 'SpecInvalid', message: expect.stringContaining('set exactly one of pvc, emptyDir or s3') });
  });
});

describe('wantsReadOnly', () => {
  it('follows the garbage-collection window only', () => {
    expect(wantsReadOnly({ status: { garbageCollectionWindow: { readOnly: true } } })).toBe(true);
    expect(wantsReadOnly({ status: { readOnly: true } })).toBe(false);
    expect(wantsReadOnly({})).toBe(false);
  });
});
