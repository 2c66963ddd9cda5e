import { describe, expect, it } from 'vitest';
import { admissionSourcesCondition, HostnameClaims } from '../../../../src/controllers/registry/admission-sources.js';

const registry = (namespace: string, name: string, hostnames: string[] = [], allowed?: boolean) => ({
  metadata: { name, namespace },
  spec: { hostnames, ...(allowed === undefined ? {} : { admission: { allowed } }) },
});

describe('the AdmissionSources condition', () => {
  const config = { clusterWideNamespaces: ['registries'], hostnames: [{ pattern: '*.registry.example.com', namespace: 'registries' }] };
  it('says where the endpoint and the mapped hostnames are admitted', () => {
    const own = registry('registries', 'main', ['main.registry.example.com']);
    expect(admissionSourcesCondition(own, [own], config)).toEqual({
      type: 'AdmissionSources',
      status: 'True',
      reason: 'Admitted',
      message: expect.stringMatching(/main\.registries\.svc:5000, main\.registry\.example\.com are admitted in every namespace/),
    });
    const team = registry('team-a', 'cache');
    expect(admissionSourcesCondition(team, [team], config).message).toContain('in namespace team-a only');
  });
  it('names the configuration key for an ignored hostname, and refuses public ones', () => {
    const evil = registry('team-b', 'evil', ['evil.io', 'docker.io']);
    const condition = admissionSourcesCondition(evil, [evil], config);
    expect(condition).toMatchObject({ status: 'False', reason: 'HostnamesIgnored' });
    expect(condition.message).toContain('admission.registries.hostnames');
    expect(condition.message).toContain('docker.io is a public registry');
  });
  it('reports a conflict on both claimants', () => {
    const one = registry('registries', 'one', ['x.registry.example.com']);
    const two = registry('registries', 'two', ['x.registry.example.com']);
    expect(admissionSourcesCondition(one, [one, two], config)).toMatchObject({ status: 'False', reason: 'HostnameConflict' });
    expect(admissionSourcesCondition(two, [one, two], config)).toMatchObject({ status: 'False', reason: 'HostnameConflict' });
  });
  it('is False/AdmissionDisabled with admission.allowed false', () => {
    const off = registry('a', 'off', [], false);
    expect(admissionSourcesCondition(off, [off], config)).toMatchObject({ status: 'False', reason: 'AdmissionDisabled' });
  });
});

describe('HostnameClaims', () => {
  it('wakes the other claimants of a hostname, case-insensitively, and forgets a Registry without hostnames', () => {
    const claims = new HostnameClaims();
    claims.set('a/one', ['X.example.com']);
    claims.set('b/two', ['x.example.com', 'y.example.com']);
    expect(claims.othersClaiming(registry('a', 'one', ['x.example.com']))).toEqual(['b/two']);
    claims.set('b/two', []);
    expect(claims.othersClaiming(registry('a', 'one', ['x.example.com']))).toEqual([]);
  });
});
