/**
 * The trust boundaries of admission, as pure decisions (docs/security.md): Registries widen the
 * allow list only in their own namespace unless the admin opens it, per-namespace rules loosen
 * only by name, image IDs are denied in every mode, and the work per object is bounded.
 */
import { describe, expect, it } from 'vitest';
import { parseOperatorConfig } from '../../../src/config/operator-config.js';
import { decideAdmission, MAX_CONTAINERS_PER_OBJECT, MAX_VIOLATIONS_LISTED, type AdmissionSubject } from '../../../src/admission/decision.js';
import { AdmissionPolicyHolder } from '../../../src/admission/policy.js';
import { pod, podSpec } from './fixtures.js';

const HEX = 'a'.repeat(64);
const subject = (namespace: string, images: string[]): AdmissionSubject => ({
  operation: 'CREATE', group: '', kind: 'Pod', namespace, name: 'p', object: pod(namespace, 'p', podSpec({ containers: images })),
});

function holderFor(admission: unknown, registries: Array<{ name: string; namespace: string; hostnames?: string[] }> = []): AdmissionPolicyHolder {
  const config = parseOperatorConfig({ admission });
  const holder = new AdmissionPolicyHolder(config.admission, config.namespace);
  holder.setRegistries(registries.map((r) => ({ metadata: { name: r.name, namespace: r.namespace }, spec: { hostnames: r.hostnames ?? [] } })));
  return holder;
}

describe('Registries are scoped to their namespace', () => {
  it("team-b's Registry cannot change what team-a may run, nor claim public hosts for itself", () => {
    const holder = holderFor({ allowedRegistries: ['registry.k8s.io'] }, [{ name: 'evil', namespace: 'team-b', hostnames: ['evil.io', 'docker.io', 'ghcr.io'] }]);
    const verdict = (ns: string, image: string) => decideAdmission(holder.current(), subject(ns, [image])).verdict;
    expect(verdict('team-a', 'evil.io/miner:1')).toBe('denied');
    expect(verdict('team-a', 'docker.io/anyone/x:1')).toBe('denied');
    expect(verdict('team-b', 'evil.io/miner:1')).toBe('denied');
    expect(verdict('team-b', 'docker.io/anyone/x:1')).toBe('denied');
    // Its own endpoint is admissible in its own namespace only.
    expect(verdict('team-b', 'evil.team-b.svc:5000/app:1')).toBe('allowed');
    expect(verdict('team-a', 'evil.team-b.svc:5000/app:1')).toBe('denied');
  });

  it('the admin can open one namespace\'s Registries cluster-wide, and map hostnames to it', () => {
    const holder = holderFor(
      { registries: { clusterWideNamespaces: ['registries'], hostnames: [{ pattern: '*.registry.example.com', namespace: 'registries' }] } },
      [{ name: 'main', namespace: 'registries', hostnames: ['main.registry.example.com'] }, { name: 'squat', namespace: 'team-b', hostnames: ['other.registry.example.com'] }],
    );
    const verdict = (ns: string, image: string) => decideAdmission(holder.current(), subject(ns, [image])).verdict;
    expect(verdict('team-a', 'main.registries.svc:5000/app:1')).toBe('allowed');
    expect(verdict('team-a', 'main.registry.example.com/app:1')).toBe('allowed');
    // The pattern maps to namespace registries only: team-b cannot take a name under it.
    expect(verdict('team-b', 'other.registry.example.com/app:1')).toBe('denied');
  });
});

describe('per-namespace rules', () => {
  const admission = {
    mode: 'enforce',
    allowedRegistries: ['docker.io/library'],
    namespaces: [
      { names: ['team-a'], allowedRegistries: ['ghcr.io/team-a/*', 'docker.io/bitnami/redis:7.2'], mode: 'warn' },
      { matchLabels: { tier: 'prod' }, mode: 'enforce', requireDigest: true },
      { matchLabels: { hygiene: 'strict' }, denyLatest: true },
    ],
  };
  const holder = holderFor(admission);
  const decide = (ns: string, images: string[], labels: Record<string, string> = {}) => decideAdmission(holder.current(), subject(ns, images), labels);

  it('a rule by name adds entries (exact images included) and relaxes the mode there only', () => {
    expect(decide('team-a', ['ghcr.io/team-a/web:1']).verdict).toBe('allowed');
    expect(decide('team-a', ['docker.io/bitnami/redis:7.2']).verdict).toBe('allowed');
    expect(decide('team-a', ['docker.io/bitnami/redis:7.4']).verdict).toBe('warned');
    expect(decide('team-c', ['ghcr.io/team-a/web:1']).verdict).toBe('denied');
  });
  it('a rule by labels only tightens: a tenant labelling its namespace gains nothing', () => {
    expect(decide('team-a', ['nginx:1.27'], { tier: 'prod' }).verdict).toBe('denied');
    expect(decide('team-a', [`nginx@sha256:${HEX}`], { tier: 'prod' }).verdict).toBe('allowed');
    expect(decide('team-c', ['nginx'], { hygiene: 'strict' }).message).toContain('latest');
    expect(decide('team-c', ['nginx:latest'], { hygiene: 'strict' }).verdict).toBe('denied');
    expect(decide('team-c', ['nginx:1.27'], { hygiene: 'strict' }).verdict).toBe('allowed');
  });
});

describe('images the runtime resolves from the node are denied in every mode', () => {
  for (const mode of ['enforce', 'warn', 'audit'] as const) {
    it(`${mode}: sha256:<hex>, a bare 64-hex ID and a short ID prefix`, () => {
      const holder = holderFor({ mode, allowedRegistries: ['docker.io/library', 'docker.io'] });
      for (const image of [`sha256:${HEX}`, HEX, 'abcdef012345']) {
        const decision = decideAdmission(holder.current(), subject('team-a', [image]));
        expect(decision.verdict, image).toBe('denied');
        expect(decision.message).toMatch(/image ID[\s\S]*resolves from the images already on the node[\s\S]*@sha256/);
      }
    });
  }
});

describe('bounded work per object', () => {
  const holder = holderFor({ allowedRegistries: ['docker.io/library'] });
  it(`denies an object with more than ${MAX_CONTAINERS_PER_OBJECT} containers without judging each`, () => {
    const images = Array.from({ length: MAX_CONTAINERS_PER_OBJECT + 1 }, () => 'nginx:1');
    const decision = decideAdmission(holder.current(), subject('team-a', images));
    expect(decision.verdict).toBe('denied');
    expect(decision.message).toContain(`more than the ${MAX_CONTAINERS_PER_OBJECT}`);
  });
  it(`lists the first ${MAX_VIOLATIONS_LISTED} violations, then how many more`, () => {
    const images = Array.from({ length: 60 }, (_, i) => `evil.io/x${i}:1`);
    const decision = decideAdmission(holder.current(), subject('team-a', images));
    expect(decision.violations).toHaveLength(60);
    expect(decision.message).toContain('- and 40 more');
    expect(decision.message.split('\n').filter((line) => line.startsWith('- spec.containers'))).toHaveLength(MAX_VIOLATIONS_LISTED);
  });
});
