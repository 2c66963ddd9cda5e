import { CLOCK_SKEW_ALLOWANCE_MS, type CertificateFacts } from './certificate-facts.js';

/**
 * When to create, publish, issue and retire the webhook's certificates: a pure, level-based
 * plan (like a reconcile) from the current state and the clock. The I/O layer applies the
 * steps in order (Secret, ValidatingWebhookConfiguration) and plans again.
 *
 * The one safety rule: the apiserver must trust whatever certificate any replica serves.
 * - The caBundle holds every CA we still keep. A new CA is published before anything is
 *   signed with it, and a serving certificate from it is issued only once that bundle has had
 *   time to reach every apiserver.
 * - An old CA is retired only when the serving certificate is signed by the new one and has
 *   had time to reach every replica (Secret volume sync, file polling).
 */

export interface CertificateLifetimes {
  caLifetimeMs: number;
  servingLifetimeMs: number;
  /** Renew a certificate once this fraction of its lifetime has passed (2/3: well before expiry). */
  renewAtFraction: number;
  /** Time for a new caBundle or serving certificate to reach every apiserver and replica. */
  propagationMs: number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_CERTIFICATE_LIFETIMES: CertificateLifetimes = {
  caLifetimeMs: 5 * 365 * DAY_MS,
  servingLifetimeMs: 90 * DAY_MS,
  renewAtFraction: 2 / 3,
  // The kubelet syncs Secret volumes within about a minute; file sources poll every few seconds.
  propagationMs: 5 * 60_000,
};

export interface RotationState {
  /** The CAs kept in the Secret, oldest first. The newest valid one signs. */
  authorities: readonly CertificateFacts[];
  /** The serving certificate in the Secret (issuerFingerprint set when a kept CA signed it). */
  serving?: CertificateFacts;
  /** The caBundle of the ValidatingWebhookConfiguration: CA fingerprints, and when it was written. */
  publishedBundle: { fingerprints: readonly string[]; publishedAt?: Date };
  /** DNS names the serving certificate must carry (`<service>.<namespace>.svc`, …). */
  dnsNames: readonly string[];
}

export type RotationStep =
  | { action: 'create-authority'; reason: string }
  | { action: 'publish-ca-bundle'; fingerprints: string[]; reason: string }
  | { action: 'issue-serving-certificate'; issuerFingerprint: string; reason: string }
  | { action: 'retire-authority'; fingerprint: string; reason: string };

export interface RotationPlan {
  steps: RotationStep[];
  /** When to plan again if nothing else happens. */
  recheckAt: Date;
}

export function planCertificateRotation(now: Date, state: RotationState, lifetimes: CertificateLifetimes = DEFAULT_CERTIFICATE_LIFETIMES): RotationPlan {
  const t = now.getTime();
  const wakeups: number[] = [];
  // Oldest first. Certificate times have one-second precision, so two CAs made within a second
  // tie: then the order kept in the Secret (oldest first) decides.
  const valid = state.authorities
    .map((ca, index) => ({ ca, index }))
    .filter(({ ca }) => ca.notAfter.getTime() > t)
    .sort((a, b) => a.ca.notBefore.getTime() - b.ca.notBefore.getTime() || a.index - b.index)
    .map(({ ca }) => ca);
  const signing = valid[valid.length - 1];

  if (!signing) return { steps: [{ action: 'create-authority', reason: 'no valid CA is kept' }], recheckAt: now };
  const caRenewal = renewalTime(signing, lifetimes);
  if (t >= caRenewal) {
    return { steps: [{ action: 'create-authority', reason: `CA ${short(signing)} reached ${fraction(lifetimes)} of its lifetime` }], recheckAt: now };
  }
  wakeups.push(caRenewal);

  const steps: RotationStep[] = [];
  for (const ca of state.authorities) {
    if (ca.notAfter.getTime() <= t) steps.push({ action: 'retire-authority', fingerprint: ca.fingerprint, reason: `CA ${short(ca)} expired` });
  }

  // Every valid CA we keep stays trusted, oldest first.
  const bundle = valid.map((ca) => ca.fingerprint);
  const published = new Set(state.publishedBundle.fingerprints);
  const bundleCurrent = bundle.length === published.size && bundle.every((f) => published.has(f));
  if (!bundleCurrent) steps.push({ action: 'publish-ca-bundle', fingerprints: bundle, reason: 'the caBundle differs from the CAs kept' });

  const serving = state.serving;
  const servingBroken = !serving || serving.notAfter.getTime() <= t;
  const reissueReason = reasonToReissue(t, serving, signing, state.dnsNames, lifetimes);
  if (reissueReason) {
    // The apiserver must already trust the signing CA, unless nothing works anyway.
    const trustedSince = bundleCurrent && published.has(signing.fingerprint) ? (state.publishedBundle.publishedAt?.getTime() ?? 0) : t;
    const trustedEverywhere = trustedSince + lifetimes.propagationMs;
    if (servingBroken || t >= trustedEverywhere) {
      steps.push({ action: 'issue-serving-certificate', issuerFingerprint: signing.fingerprint, reason: reissueReason });
    } else {
      wakeups.push(trustedEverywhere);
    }
  } else if (serving) {
    wakeups.push(renewalTime(serving, lifetimes));
    // The serving certificate is the new CA's: older CAs can go once every replica serves it.
    const servedEverywhere = serving.notBefore.getTime() + CLOCK_SKEW_ALLOWANCE_MS + lifetimes.propagationMs;
    for (const ca of valid) {
      if (ca.fingerprint === signing.fingerprint) continue;
      if (t >= servedEverywhere) {
        steps.push({ action: 'retire-authority', fingerprint: ca.fingerprint, reason: `every serving certificate is signed by the new CA ${short(signing)}` });
      } else {
        wakeups.push(servedEverywhere);
      }
    }
  }
  return { steps, recheckAt: new Date(Math.min(...wakeups.filter((w) => w > t), t + lifetimes.servingLifetimeMs)) };
}

function reasonToReissue(t: number, serving: CertificateFacts | undefined, signing: CertificateFacts, dnsNames: readonly string[], lifetimes: CertificateLifetimes): string | undefined {
  if (!serving) return 'no serving certificate';
  if (serving.notAfter.getTime() <= t) return 'the serving certificate expired';
  if (serving.issuerFingerprint !== signing.fingerprint) return `the serving certificate is not signed by the current CA ${short(signing)}`;
  const missing = dnsNames.filter((n) => !serving.dnsNames.includes(n));
  if (missing.length > 0) return `the serving certificate lacks ${missing.join(', ')}`;
  if (t >= renewalTime(serving, lifetimes)) return `the serving certificate reached ${fraction(lifetimes)} of its lifetime`;
  return undefined;
}

function renewalTime(cert: CertificateFacts, lifetimes: CertificateLifetimes): number {
  const start = cert.notBefore.getTime();
  return start + (cert.notAfter.getTime() - start) * lifetimes.renewAtFraction;
}

function short(cert: CertificateFacts): string {
  return cert.fingerprint.slice(0, 12);
}

function fraction(lifetimes: CertificateLifetimes): string {
  return `${Math.round(lifetimes.renewAtFraction * 100)}%`;
}
