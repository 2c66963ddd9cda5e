import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_ALLOWANCE_MS, type CertificateFacts } from '../../../src/admission/certs/certificate-facts.js';
import {
  DEFAULT_CERTIFICATE_LIFETIMES as L,
  planCertificateRotation,
  type RotationState,
} from '../../../src/admission/certs/rotation-plan.js';

const DNS = ['dockmaster-webhook.dockmaster-system.svc'];
const T0 = new Date('2026-01-01T00:00:00Z').getTime();
const DAY = 86_400_000;

function cert(fingerprint: string, issuedAt: number, lifetimeMs: number, extra: Partial<CertificateFacts> = {}): CertificateFacts {
  return { fingerprint, notBefore: new Date(issuedAt - CLOCK_SKEW_ALLOWANCE_MS), notAfter: new Date(issuedAt + lifetimeMs), dnsNames: [], ...extra };
}

function steady(issuedAt = T0): RotationState {
  return {
    authorities: [cert('ca1', T0, L.caLifetimeMs)],
    serving: cert('s1', issuedAt, L.servingLifetimeMs, { issuerFingerprint: 'ca1', dnsNames: DNS }),
    publishedBundle: { fingerprints: ['ca1'], publishedAt: new Date(T0) },
    dnsNames: DNS,
  };
}

describe('planCertificateRotation', () => {
  it('creates a CA when there is none', () => {
    const plan = planCertificateRotation(new Date(T0), { authorities: [], publishedBundle: { fingerprints: [] }, dnsNames: DNS });
    expect(plan.steps.map((s) => s.action)).toEqual(['create-authority']);
  });

  it('on first start publishes the bundle and issues at once (nothing to break yet)', () => {
    const plan = planCertificateRotation(new Date(T0), { authorities: [cert('ca1', T0, L.caLifetimeMs)], publishedBundle: { fingerprints: [] }, dnsNames: DNS });
    expect(plan.steps).toEqual([
      { action: 'publish-ca-bundle', fingerprints: ['ca1'], reason: 'the caBundle differs from the CAs kept' },
      { action: 'issue-serving-certificate', issuerFingerprint: 'ca1', reason: 'no serving certificate' },
    ]);
  });

  it('does nothing in the steady state and comes back at 2/3 of the serving lifetime', () => {
    const plan = planCertificateRotation(new Date(T0 + DAY), steady());
    expect(plan.steps).toEqual([]);
    const s = steady().serving!;
    const renewal = s.notBefore.getTime() + (s.notAfter.getTime() - s.notBefore.getTime()) * (2 / 3);
    expect(plan.recheckAt.getTime()).toBe(renewal);
    expect(planCertificateRotation(new Date(renewal - 1), steady()).steps).toEqual([]);
    expect(planCertificateRotation(new Date(renewal), steady()).steps.map((s) => s.action)).toEqual(['issue-serving-certificate']);
  });

  it('reissues when the Service name changes', () => {
    const state = { ...steady(), dnsNames: [...DNS, 'webhook.other.svc'] };
    expect(planCertificateRotation(new Date(T0 + DAY), state).steps).toEqual([
      { action: 'issue-serving-certificate', issuerFingerprint: 'ca1', reason: 'the serving certificate lacks webhook.other.svc' },
    ]);
  });

  it('rolls the CA: new CA published alongside the old, serving cert reissued after propagation, old CA retired last', () => {
    const caRenewal = T0 - CLOCK_SKEW_ALLOWANCE_MS + (L.caLifetimeMs + CLOCK_SKEW_ALLOWANCE_MS) * (2 / 3);
    const atRenewal = new Date(caRenewal);
    const base = steady(caRenewal - DAY);
    expect(planCertificateRotation(atRenewal, base).steps.map((s) => s.action)).toEqual(['create-authority']);

    const withNew: RotationState = { ...base, authorities: [...base.authorities, cert('ca2', caRenewal, L.caLifetimeMs)] };
    const publish = planCertificateRotation(atRenewal, withNew);
    expect(publish.steps).toEqual([{ action: 'publish-ca-bundle', fingerprints: ['ca1', 'ca2'], reason: 'the caBundle differs from the CAs kept' }]);
    expect(publish.recheckAt.getTime()).toBe(caRenewal + L.propagationMs);

    const published: RotationState = { ...withNew, publishedBundle: { fingerprints: ['ca1', 'ca2'], publishedAt: atRenewal } };
    expect(planCertificateRotation(new Date(caRenewal + L.propagationMs - 1), published).steps).toEqual([]);
    const issue = planCertificateRotation(new Date(caRenewal + L.propagationMs), published);
    expect(issue.steps).toEqual([{ action: 'issue-serving-certificate', issuerFingerprint: 'ca2', reason: `the serving certificate is not signed by the current CA ca2` }]);

    const issuedAt = caRenewal + L.propagationMs;
    const reissued: RotationState = { ...published, serving: cert('s2', issuedAt, L.servingLifetimeMs, { issuerFingerprint: 'ca2', dnsNames: DNS }) };
    expect(planCertificateRotation(new Date(issuedAt + L.propagationMs - 1), reissued).steps).toEqual([]);
    expect(planCertificateRotation(new Date(issuedAt + L.propagationMs), reissued).steps).toEqual([
      { action: 'retire-authority', fingerprint: 'ca1', reason: 'every serving certificate is signed by the new CA ca2' },
    ]);
  });

  it('keeps the apiserver trusting the served certificate through 12 simulated years of rotations', () => {
    let now = T0;
    let counter = 0;
    const state: { -readonly [K in keyof RotationState]: RotationState[K] } = { authorities: [], publishedBundle: { fingerprints: [] }, dnsNames: DNS };
    let caCreated = 0;
    let servingIssued = 0;
    let iterations = 0;
    while (now < T0 + 12 * 365 * DAY) {
      iterations += 1;
      expect(iterations).toBeLessThan(10_000);
      const plan = planCertificateRotation(new Date(now), state);
      for (const step of plan.steps) {
        switch (step.action) {
          case 'create-authority':
            state.authorities = [...state.authorities, cert(`ca${++counter}`, now, L.caLifetimeMs)];
            caCreated += 1;
            break;
          case 'publish-ca-bundle':
            state.publishedBundle = { fingerprints: step.fingerprints, publishedAt: new Date(now) };
            break;
          case 'issue-serving-certificate': {
            const published = state.publishedBundle;
            expect(published.fingerprints).toContain(step.issuerFingerprint);
            // Except for the very first certificate, the issuer was trusted everywhere beforehand.
            if (state.serving) expect(now - (published.publishedAt?.getTime() ?? 0)).toBeGreaterThanOrEqual(L.propagationMs);
            state.serving = cert(`s${++counter}`, now, L.servingLifetimeMs, { issuerFingerprint: step.issuerFingerprint, dnsNames: DNS });
            servingIssued += 1;
            break;
          }
          case 'retire-authority':
            expect(step.fingerprint).not.toBe(state.serving?.issuerFingerprint);
            state.authorities = state.authorities.filter((ca) => ca.fingerprint !== step.fingerprint);
            break;
        }
      }
      if (state.serving) {
        // What any replica serves is trusted by the apiserver, and never expired.
        expect(state.publishedBundle.fingerprints).toContain(state.serving.issuerFingerprint);
        expect(state.serving.notAfter.getTime()).toBeGreaterThan(now);
      }
      if (plan.steps.length === 0) {
        expect(plan.recheckAt.getTime()).toBeGreaterThan(now);
        now = plan.recheckAt.getTime();
      }
    }
    // 5-year CAs renewed at 2/3: created at 0, ~3.3 and ~6.7 and ~10 years.
    expect(caCreated).toBe(4);
    // 90-day serving certificates renewed every 60 days, plus one per CA rotation.
    expect(servingIssued).toBeGreaterThan(70);
    expect(state.authorities).toHaveLength(1);
  });
});

describe('planCertificateRotation, CAs made within one second', () => {
  it('lets the later CA in the Secret sign when notBefore ties', () => {
    const plan = planCertificateRotation(new Date(T0 + DAY), {
      authorities: [cert('old', T0, L.caLifetimeMs), cert('new', T0, L.caLifetimeMs)],
      serving: cert('s1', T0, L.servingLifetimeMs, { issuerFingerprint: 'old', dnsNames: DNS }),
      publishedBundle: { fingerprints: ['old', 'new'], publishedAt: new Date(T0) },
      dnsNames: DNS,
    });
    expect(plan.steps).toEqual([expect.objectContaining({ action: 'issue-serving-certificate', issuerFingerprint: 'new' })]);
  });
});
