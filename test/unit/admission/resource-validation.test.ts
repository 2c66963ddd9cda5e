import { describe, expect, it } from 'vitest';
import type { AdmissionRequest } from '../../../src/admission/admission-review.js';
import { judgeResourceWrite } from '../../../src/admission/resource-validation.js';

const policySpec = (extra: Record<string, unknown> = {}) => ({ registryRef: { name: 'main' }, keep: [{ mostRecent: 3 }], ...extra });
const policy = (spec: unknown, annotations: Record<string, string> = {}) => ({ apiVersion: 'dockmaster.dev/v1alpha1', kind: 'RetentionPolicy', metadata: { name: 'p', namespace: 'ns', annotations }, spec });

function request(operation: AdmissionRequest['operation'], object: unknown, oldObject?: unknown, extra: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return { uid: 'u', kind: { group: 'dockmaster.dev', version: 'v1alpha1', kind: 'RetentionPolicy' }, name: 'p', namespace: 'ns', operation, object, ...(oldObject !== undefined && { oldObject }), ...extra };
}

describe('judgeResourceWrite', () => {
  it('refuses what CEL cannot check (a cron hour of 25, an unknown time zone), naming each field with the schema\'s message', () => {
    const verdict = judgeResourceWrite(request('CREATE', policy(policySpec({ schedule: '0 25 * * *', timeZone: 'Mars/Olympus' }))));
    expect(verdict.allowed).toBe(false);
    expect(verdict.message).toMatch(/^RetentionPolicy p is invalid: spec\.schedule: .*; spec\.timeZone: /);
  });

  it('admits a valid spec, and a Registry with its own schema', () => {
    expect(judgeResourceWrite(request('CREATE', policy(policySpec({ schedule: '0 2 * * *', timeZone: 'Europe/Paris' }))))).toEqual({ allowed: true, warnings: [] });
    const registry = { kind: { group: 'dockmaster.dev', version: 'v1alpha1', kind: 'Registry' } };
    expect(judgeResourceWrite(request('CREATE', { spec: { storage: { emptyDir: {} } } }, undefined, registry)).allowed).toBe(true);
    expect(judgeResourceWrite(request('CREATE', { spec: { storage: { emptyDir: {} }, garbageCollection: { schedule: '61 * * * *' } } }, undefined, registry)).message).toMatch(/spec\.garbageCollection\.schedule/);
  });

  it('never refuses a delete, a status write, or an update that leaves an invalid spec as it was (finalizers, run-now)', () => {
    const invalid = policy(policySpec({ schedule: '0 25 * * *' }));
    expect(judgeResourceWrite(request('DELETE', undefined, invalid)).allowed).toBe(true);
    expect(judgeResourceWrite(request('UPDATE', invalid, invalid, { subResource: 'status' })).allowed).toBe(true);
    expect(judgeResourceWrite(request('UPDATE', policy(invalid.spec, { 'dockmaster.dev/run-now': '2' }), invalid))).toEqual({ allowed: true, warnings: [] });
  });

  it('ratchets: an update that keeps an old problem and fixes or changes something else passes with a warning; a new problem is refused', () => {
    const old = policy(policySpec({ schedule: '0 25 * * *' }));
    const edited = judgeResourceWrite(request('UPDATE', policy(policySpec({ schedule: '0 25 * * *', dryRun: true })), old));
    expect(edited.allowed).toBe(true);
    expect(edited.warnings).toEqual([expect.stringMatching(/^already invalid before this update.*spec\.schedule/)]);
    const worse = judgeResourceWrite(request('UPDATE', policy(policySpec({ schedule: '0 25 * * *', timeZone: 'Nowhere/Land' })), old));
    expect(worse.allowed).toBe(false);
    expect(worse.message).toMatch(/spec\.timeZone/);
    expect(worse.message).not.toMatch(/spec\.schedule/);
  });

  it('leaves other groups and kinds alone', () => {
    expect(judgeResourceWrite(request('CREATE', { spec: 'anything' }, undefined, { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } })).allowed).toBe(true);
  });
});
