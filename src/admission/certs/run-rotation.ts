import { readCertificateFacts, type CertificateFacts } from './certificate-facts.js';
import { issueCertificate } from './certificate-issuer.js';
import { DEFAULT_CERTIFICATE_LIFETIMES, planCertificateRotation, type CertificateLifetimes, type RotationStep } from './rotation-plan.js';
import type { StoredCertificates } from './certificate-secret.js';

/**
 * Applies the rotation planner's steps to the stored certificates and the published caBundle, in
 * memory, re-planning until nothing is left to do now (the last plan gives the recheck time); the caller then writes the Secret first and
 * the webhook configuration second. Each kind of step runs at most once per call, so lifetimes
 * shorter than the planner's margins (tests) cannot loop.
 */

export interface PublishedBundle {
  /** CA certificates (PEM) in the caBundle. */
  pems: string[];
  publishedAt?: Date;
}

export interface CertificateRotationInput {
  stored: StoredCertificates;
  published: PublishedBundle;
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  now: Date;
  lifetimes?: CertificateLifetimes;
  /** Issue a new serving certificate now, whatever the plan says (an operator's `rotate` call, tests). */
  forceServingRotation?: boolean;
  /** Start a CA rotation now (a suspected key leak): the plan then publishes, re-issues and retires as usual. */
  forceAuthorityRotation?: boolean;
  commonName?: string;
}

export interface CertificateRotationResult {
  stored: StoredCertificates;
  published: PublishedBundle;
  /** The steps taken, in order (empty: nothing changed). */
  steps: RotationStep[];
  recheckAt: Date;
}

const MAX_ROUNDS = 6;

export async function runCertificateRotation(input: CertificateRotationInput): Promise<CertificateRotationResult> {
  const lifetimes = input.lifetimes ?? DEFAULT_CERTIFICATE_LIFETIMES;
  let stored: StoredCertificates = { ...input.stored, authorities: [...input.stored.authorities] };
  let published: PublishedBundle = { ...input.published, pems: [...input.published.pems] };
  const taken: RotationStep[] = [];
  const done = new Set<RotationStep['action']>();
  let recheckAt = input.now;
  let forced = input.forceServingRotation === true;

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const authorities = await factsByFingerprint(stored.authorities);
    const plan = planCertificateRotation(
      input.now,
      {
        authorities: [...authorities.values()].map((a) => a.facts),
        ...(stored.serving && { serving: await readCertificateFacts(stored.serving.certPem, stored.authorities) }),
        publishedBundle: {
          fingerprints: [...(await factsByFingerprint(published.pems)).keys()],
          ...(published.publishedAt && { publishedAt: published.publishedAt }),
        },
        dnsNames: input.dnsNames,
      },
      lifetimes,
    );
    recheckAt = plan.recheckAt;
    const steps = plan.steps.filter((step) => !done.has(step.action));
    if (round === 0 && input.forceAuthorityRotation && !steps.some((s) => s.action === 'create-authority')) {
      // Alone, like the planner's own create-authority: the next round plans with the new CA.
      steps.splice(0, steps.length, { action: 'create-authority', reason: 'CA rotation was requested' });
    }
    if (forced && !steps.some((s) => s.action === 'create-authority' || s.action === 'issue-serving-certificate')) {
      // The map keeps the Secret's order (oldest first), which breaks ties as the planner does.
      const signing = newestAuthority([...authorities.values()].map((a) => a.facts), input.now);
      if (signing) steps.push({ action: 'issue-serving-certificate', issuerFingerprint: signing.fingerprint, reason: 'rotation was requested' });
    }
    forced = false;
    if (steps.length === 0) break;
    for (const step of steps) {
      done.add(step.action);
      taken.push(step);
      switch (step.action) {
        case 'create-authority': {
          const ca = await issueCertificate({ kind: 'authority', commonName: `${input.commonName ?? 'dockmaster-webhook'}-ca-${input.now.getTime()}`, now: input.now.toISOString(), lifetimeMs: lifetimes.caLifetimeMs });
          stored = { ...stored, authorities: [...stored.authorities, ca.certPem], signingKeyPem: ca.keyPem };
          break;
        }
        case 'publish-ca-bundle':
          published = { pems: step.fingerprints.map((f) => authorities.get(f)?.pem ?? '').filter(Boolean), publishedAt: input.now };
          break;
        case 'issue-serving-certificate': {
          const issuer = authorities.get(step.issuerFingerprint);
          if (!issuer || !stored.signingKeyPem) throw new Error(`no key for the signing CA ${step.issuerFingerprint.slice(0, 12)}`);
          const serving = await issueCertificate({
            kind: 'serving',
            ca: { certPem: issuer.pem, keyPem: stored.signingKeyPem },
            dnsNames: input.dnsNames,
            ...(input.ipAddresses && { ipAddresses: input.ipAddresses }),
            now: input.now.toISOString(),
            lifetimeMs: lifetimes.servingLifetimeMs,
          });
          stored = { ...stored, serving: { certPem: serving.certPem, keyPem: serving.keyPem } };
          break;
        }
        case 'retire-authority':
          stored = { ...stored, authorities: stored.authorities.filter((pem) => authorities.get(step.fingerprint)?.pem !== pem) };
          break;
      }
    }
  }
  return { stored, published, steps: taken, recheckAt };
}

async function factsByFingerprint(pems: readonly string[]): Promise<Map<string, { pem: string; facts: CertificateFacts }>> {
  const map = new Map<string, { pem: string; facts: CertificateFacts }>();
  for (const pem of pems) {
    const facts = await readCertificateFacts(pem);
    map.set(facts.fingerprint, { pem, facts });
  }
  return map;
}

/** As the planner picks it: the latest notBefore, ties going to the later one in the Secret (oldest first). */
function newestAuthority(authorities: CertificateFacts[], now: Date): CertificateFacts | undefined {
  let newest: CertificateFacts | undefined;
  for (const ca of authorities) {
    if (ca.notAfter > now && (!newest || ca.notBefore.getTime() >= newest.notBefore.getTime())) newest = ca;
  }
  return newest;
}
