import { describe, expect, it } from 'vitest';
import { readCertificateFacts } from '../../../src/admission/certs/certificate-facts.js';
import type { CertificateLifetimes } from '../../../src/admission/certs/rotation-plan.js';
import { runCertificateRotation, type CertificateRotationResult } from '../../../src/admission/certs/run-rotation.js';

const DNS = ['dockmaster-webhook.dockmaster-system.svc'];
const T0 = Date.now();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LIFETIMES: CertificateLifetimes = { caLifetimeMs: 30 * DAY, servingLifetimeMs: 6 * DAY, renewAtFraction: 2 / 3, propagationMs: 5 * 60_000 };

async function servingIssuer(result: CertificateRotationResult, caPems: readonly string[]): Promise<string | undefined> {
  if (!result.stored.serving) return undefined;
  return (await readCertificateFacts(result.stored.serving.certPem, caPems)).issuerFingerprint;
}

describe('runCertificateRotation', () => {
  it('creates a CA, publishes it and issues a serving certificate on first run, then does nothing', async () => {
    const first = await runCertificateRotation({ stored: { authorities: [] }, published: { pems: [] }, dnsNames: DNS, now: new Date(T0), lifetimes: LIFETIMES });
    expect(first.steps.map((s) => s.action)).toEqual(['create-authority', 'publish-ca-bundle', 'issue-serving-certificate']);
    expect(first.stored.authorities).toHaveLength(1);
    expect(first.published.pems).toEqual(first.stored.authorities);
    expect(await servingIssuer(first, first.published.pems)).toBeDefined();
    expect((await readCertificateFacts(first.stored.serving!.certPem)).dnsNames).toEqual(DNS);

    const again = await runCertificateRotation({ stored: first.stored, published: first.published, dnsNames: DNS, now: new Date(T0 + HOUR), lifetimes: LIFETIMES });
    expect(again.steps).toEqual([]);
    expect(again.stored).toEqual(first.stored);
    expect(again.recheckAt.getTime()).toBeGreaterThan(T0 + HOUR);
  });

  it('issues a new serving certificate on request, from the same CA', async () => {
    const first = await runCertificateRotation({ stored: { authorities: [] }, published: { pems: [] }, dnsNames: DNS, now: new Date(T0), lifetimes: LIFETIMES });
    const rotated = await runCertificateRotation({ ...first, dnsNames: DNS, now: new Date(T0 + HOUR), lifetimes: LIFETIMES, forceServingRotation: true });
    expect(rotated.steps.map((s) => s.action)).toEqual(['issue-serving-certificate']);
    expect(rotated.stored.serving?.certPem).not.toBe(first.stored.serving?.certPem);
    expect(rotated.stored.authorities).toEqual(first.stored.authorities);
  });

  it('adds a missing DNS name by reissuing', async () => {
    const first = await runCertificateRotation({ stored: { authorities: [] }, published: { pems: [] }, dnsNames: DNS, now: new Date(T0), lifetimes: LIFETIMES });
    const more = [...DNS, 'localhost'];
    const next = await runCertificateRotation({ ...first, dnsNames: more, now: new Date(T0 + HOUR), lifetimes: LIFETIMES });
    expect(next.steps.map((s) => s.action)).toEqual(['issue-serving-certificate']);
    expect((await readCertificateFacts(next.stored.serving!.certPem)).dnsNames).toEqual(more);
  });

  it('never loops when lifetimes are shorter than the renewal margins', async () => {
    const tiny: CertificateLifetimes = { caLifetimeMs: 60_000, servingLifetimeMs: 10_000, renewAtFraction: 2 / 3, propagationMs: 0 };
    const result = await runCertificateRotation({ stored: { authorities: [] }, published: { pems: [] }, dnsNames: DNS, now: new Date(T0), lifetimes: tiny });
    const counts = new Map<string, number>();
    for (const step of result.steps) counts.set(step.action, (counts.get(step.action) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBe(1);
  });

  it('through a CA rotation, the published caBundle always trusts the serving certificate, and holds old and new CA until the new one signs', async () => {
    let state = await runCertificateRotation({ stored: { authorities: [] }, published: { pems: [] }, dnsNames: DNS, now: new Date(T0), lifetimes: LIFETIMES });
    const firstCa = state.stored.authorities[0];
    const bundleSizes: number[] = [];
    let sawTwoCasWhileOldSigns = false;
    // Every 6 hours for 45 days: past the first CA's renewal (2/3 of 30 days) and its retirement.
    for (let t = T0 + 6 * HOUR; t <= T0 + 45 * DAY; t += 6 * HOUR) {
      // The Secret is written before the configuration: check the order the apiserver sees.
      state = await runCertificateRotation({ stored: state.stored, published: state.published, dnsNames: DNS, now: new Date(t), lifetimes: LIFETIMES });
      const issuer = await servingIssuer(state, state.published.pems);
      expect(issuer, `at +${(t - T0) / HOUR} h the caBundle does not trust the serving certificate`).toBeDefined();
      for (const pem of state.published.pems) expect(state.stored.authorities).toContain(pem);
      bundleSizes.push(state.published.pems.length);
      if (state.published.pems.length === 2 && (await servingIssuer(state, [firstCa!]))) sawTwoCasWhileOldSigns = true;
    }
    expect(sawTwoCasWhileOldSigns).toBe(true);
    expect(Math.max(...bundleSizes)).toBe(2);
    // In the end the old CA is gone and the new one signs.
    expect(state.stored.authorities).not.toContain(firstCa);
    expect(state.published.pems).toEqual(state.stored.authorities);
  }, 60_000);
});

describe('runCertificateRotation, forced CA rotation', () => {
  it('adds a CA that signs next even within the same second as the old one (certificate times have 1 s precision)', async () => {
    const first = await runCertificateRotation({ stored: { authorities: [] }, published: { pems: [] }, dnsNames: DNS, now: new Date(T0), lifetimes: LIFETIMES });
    const rotated = await runCertificateRotation({ ...first, dnsNames: DNS, now: new Date(T0), lifetimes: LIFETIMES, forceAuthorityRotation: true });
    expect(rotated.steps.map((s) => s.action)).toEqual(['create-authority', 'publish-ca-bundle']);
    expect(rotated.published.pems).toEqual(rotated.stored.authorities);
    expect(rotated.stored.authorities).toHaveLength(2);
    // The serving certificate stays the old CA's until the new bundle has propagated …
    expect(rotated.stored.serving).toEqual(first.stored.serving);
    expect(rotated.recheckAt.getTime()).toBe(T0 + LIFETIMES.propagationMs);
    // … then moves to the new CA, never back to the old one.
    const moved = await runCertificateRotation({ ...rotated, dnsNames: DNS, now: new Date(T0 + LIFETIMES.propagationMs), lifetimes: LIFETIMES });
    expect(moved.steps.map((s) => s.action)).toEqual(['issue-serving-certificate']);
    expect(await servingIssuer(moved, [rotated.stored.authorities[1]!])).toBeDefined();
    const retired = await runCertificateRotation({ ...moved, dnsNames: DNS, now: new Date(T0 + 2 * LIFETIMES.propagationMs), lifetimes: LIFETIMES });
    expect(retired.steps.map((s) => s.action)).toEqual(['retire-authority', 'publish-ca-bundle']);
    expect(retired.published.pems).toEqual([rotated.stored.authorities[1]]);
  });
});
