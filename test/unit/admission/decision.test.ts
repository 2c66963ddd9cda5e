import { describe, expect, it } from 'vitest';
import type { V1DaemonSet, V1Job, V1ReplicaSet, V1ReplicationController, V1StatefulSet } from '@kubernetes/client-node';
import { decideAdmission, type AdmissionSubject } from '../../../src/admission/decision.js';
import { extractContainerImages, MalformedObjectError } from '../../../src/admission/workload-images.js';
import { AdmissionPolicyHolder, buildAllowList } from '../../../src/admission/policy.js';
import { ALLOWED_IMAGE, DISALLOWED_IMAGE, cronJob, deployment, pod, podSpec, policyFor } from './fixtures.js';

function subject(partial: Partial<AdmissionSubject> & Pick<AdmissionSubject, 'kind' | 'object'>): AdmissionSubject {
  return { operation: 'CREATE', group: '', namespace: 'team-a', name: 'x', ...partial };
}

describe('extractContainerImages', () => {
  const spec = podSpec({ containers: ['a', 'b'], init: ['i'], ephemeral: ['e'] });
  const template = { template: { spec } };
  const cases: Array<[string, string, unknown, string]> = [
    ['', 'Pod', pod('ns', 'p', spec), 'spec'],
    ['apps', 'Deployment', deployment('ns', 'd', spec), 'spec.template.spec'],
    ['apps', 'StatefulSet', { kind: 'StatefulSet', spec: { ...template, selector: {}, serviceName: 's' } } satisfies V1StatefulSet, 'spec.template.spec'],
    ['apps', 'DaemonSet', { kind: 'DaemonSet', spec: { ...template, selector: {} } } satisfies V1DaemonSet, 'spec.template.spec'],
    ['apps', 'ReplicaSet', { kind: 'ReplicaSet', spec: { ...template, selector: {} } } satisfies V1ReplicaSet, 'spec.template.spec'],
    ['batch', 'Job', { kind: 'Job', spec: template } satisfies V1Job, 'spec.template.spec'],
    ['batch', 'CronJob', cronJob('ns', 'c', spec), 'spec.jobTemplate.spec.template.spec'],
    ['', 'ReplicationController', { kind: 'ReplicationController', spec: template } satisfies V1ReplicationController, 'spec.template.spec'],
  ];
  it.each(cases)('%s/%s: every container, init and ephemeral container', (group, kind, object, prefix) => {
    expect(extractContainerImages(group, kind, object)).toEqual([
      { fieldPath: `${prefix}.containers[0]`, containerName: 'c0', image: 'a' },
      { fieldPath: `${prefix}.containers[1]`, containerName: 'c1', image: 'b' },
      { fieldPath: `${prefix}.initContainers[0]`, containerName: 'init0', image: 'i' },
      { fieldPath: `${prefix}.ephemeralContainers[0]`, containerName: 'debug0', image: 'e' },
    ]);
  });

  it('does not check other kinds, nor a known kind in the wrong group', () => {
    expect(extractContainerImages('', 'ConfigMap', {})).toBeUndefined();
    expect(extractContainerImages('extensions', 'Deployment', deployment('n', 'd', spec))).toBeUndefined();
  });

  it.each([
    [{ kind: 'Pod' }, 'has no spec'],
    [{ spec: { containers: 'nginx' } }, 'spec.containers is not a list'],
    [{ spec: { containers: ['nginx'] } }, 'spec.containers[0] is not an object'],
    [{ spec: { containers: [{ name: 'a', image: 5 }] } }, 'spec.containers[0].image is not a string'],
  ])('refuses a malformed Pod %j', (object, message) => {
    expect(() => extractContainerImages('', 'Pod', object)).toThrow(MalformedObjectError);
    expect(() => extractContainerImages('', 'Pod', object)).toThrow(message);
  });
});

describe('decideAdmission', () => {
  it('allows a Pod whose images all come from allowed sources', () => {
    const d = decideAdmission(policyFor(), subject({ kind: 'Pod', object: pod('team-a', 'p', podSpec({ containers: [ALLOWED_IMAGE, 'nginx'] })) }));
    expect(d).toMatchObject({ allowed: true, verdict: 'allowed', violations: [] });
    expect(d.images.map((j) => j.allowedBy)).toEqual(['registry.example.com:5000', 'docker.io/library']);
  });

  it('enforce: denies naming each offending container, its image as written and normalized, and the allowed sources', () => {
    const spec = podSpec({ containers: [ALLOWED_IMAGE, DISALLOWED_IMAGE], init: ['bitnami/kubectl'] });
    const d = decideAdmission(policyFor(), subject({ group: 'apps', kind: 'Deployment', name: 'web', object: deployment('team-a', 'web', spec) }));
    expect(d.allowed).toBe(false);
    expect(d.verdict).toBe('denied');
    expect(d.violations).toHaveLength(2);
    expect(d.message).toBe(
      [
        'Deployment team-a/web: 2 container image(s) not allowed (dockmaster enforce mode):',
        '- spec.template.spec.containers[1] "c1": image "evil.io/web:1.0" is not from an allowed source',
        '- spec.template.spec.initContainers[0] "init0": image "bitnami/kubectl" (normalized: docker.io/bitnami/kubectl) is not from an allowed source',
        'Allowed sources: registry.example.com:5000, docker.io/library',
      ].join('\n'),
    );
  });

  it('denies an unparsable image with the parse error', () => {
    const d = decideAdmission(policyFor(), subject({ kind: 'Pod', object: pod('team-a', 'p', podSpec({ containers: ['Nginx:1'] })) }));
    expect(d.allowed).toBe(false);
    expect(d.message).toContain('spec.containers[0] "c0": image "Nginx:1" is not a valid image reference: invalid reference format: repository name (library/Nginx) must be lowercase');
  });

  it('warn: admits with one warning per offending container and one naming the allowed sources', () => {
    const d = decideAdmission(policyFor('warn'), subject({ kind: 'Pod', object: pod('team-a', 'p', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    expect(d).toMatchObject({ allowed: true, verdict: 'warned', auditAnnotations: {} });
    expect(d.warnings).toEqual([
      'dockmaster: spec.containers[0] "c0": image "evil.io/web:1.0" is not from an allowed source',
      'dockmaster: Allowed sources: registry.example.com:5000, docker.io/library',
    ]);
  });

  it('audit: admits silently with an audit annotation listing the findings', () => {
    const d = decideAdmission(policyFor('audit'), subject({ kind: 'Pod', object: pod('team-a', 'p', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    expect(d).toMatchObject({ allowed: true, verdict: 'audited', warnings: [] });
    expect(JSON.parse(d.auditAnnotations['images-not-allowed'] ?? '')).toEqual([
      { field: 'spec.containers[0]', container: 'c0', image: DISALLOWED_IMAGE, normalized: DISALLOWED_IMAGE, problem: 'is not from an allowed source' },
    ]);
  });

  it("never blocks exempt namespaces: kube-system and the operator's own", () => {
    for (const namespace of ['kube-system', 'dockmaster-system']) {
      const d = decideAdmission(policyFor(), subject({ kind: 'Pod', namespace, object: pod(namespace, 'p', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
      expect(d).toMatchObject({ allowed: true, verdict: 'exempt' });
    }
  });

  it('on UPDATE judges only new or changed images, so old objects can still be edited and deleted', () => {
    const old = pod('team-a', 'p', podSpec({ containers: [DISALLOWED_IMAGE] }));
    const withFinalizerRemoved = { ...old, metadata: { ...old.metadata, finalizers: [] } };
    const unchanged = decideAdmission(policyFor(), subject({ kind: 'Pod', operation: 'UPDATE', object: withFinalizerRemoved, oldObject: old }));
    expect(unchanged).toMatchObject({ allowed: true, verdict: 'allowed', images: [] });

    const changed = pod('team-a', 'p', podSpec({ containers: ['evil.io/web:2.0'] }));
    expect(decideAdmission(policyFor(), subject({ kind: 'Pod', operation: 'UPDATE', object: changed, oldObject: old })).allowed).toBe(false);
  });

  it('judges an ephemeral container added through pods/ephemeralcontainers (kubectl debug)', () => {
    const old = pod('team-a', 'p', podSpec({ containers: [ALLOWED_IMAGE] }));
    const debugged = pod('team-a', 'p', podSpec({ containers: [ALLOWED_IMAGE], ephemeral: ['busybox.evil.io/busybox'] }));
    const d = decideAdmission(policyFor(), subject({ kind: 'Pod', operation: 'UPDATE', subResource: 'ephemeralcontainers', object: debugged, oldObject: old }));
    expect(d.allowed).toBe(false);
    expect(d.message).toContain('spec.ephemeralContainers[0] "debug0"');
  });

  it('judges the legacy EphemeralContainers object of the subresource', () => {
    const object = { kind: 'EphemeralContainers', ephemeralContainers: [{ name: 'dbg', image: DISALLOWED_IMAGE }] };
    const d = decideAdmission(policyFor(), subject({ kind: 'EphemeralContainers', operation: 'UPDATE', subResource: 'ephemeralcontainers', object }));
    expect(d.message).toContain('ephemeralContainers[0] "dbg"');
  });

  it('does not look at DELETE, other subresources or kinds without pods', () => {
    const p = pod('team-a', 'p', podSpec({ containers: [DISALLOWED_IMAGE] }));
    expect(decideAdmission(policyFor(), subject({ kind: 'Pod', operation: 'DELETE', object: null, oldObject: p })).verdict).toBe('not-checked');
    expect(decideAdmission(policyFor(), subject({ kind: 'Pod', operation: 'UPDATE', subResource: 'status', object: p })).verdict).toBe('not-checked');
    expect(decideAdmission(policyFor(), subject({ kind: 'ConfigMap', object: {} })).verdict).toBe('not-checked');
  });

  it('says so when no source is allowed at all', () => {
    const d = decideAdmission(policyFor('enforce', []), subject({ kind: 'Pod', object: pod('team-a', 'p', podSpec({ containers: ['nginx'] })) }));
    expect(d.message).toContain('Allowed sources: none (no allowed registries are configured)');
  });
});

describe('allow list from configuration and Registries', () => {
  it('is the union of both, and a bad Registry hostname is reported, not fatal', () => {
    const { entries, problems } = buildAllowList(['docker.io/library'], [
      { registry: 'registries/main', namespace: 'registries', clusterWide: true, hostnames: ['registry.example.com'], endpoint: 'main.registries.svc:5000', ignoredHostnames: [] },
      // Not cluster-wide: its entries go to its own namespace's list, its problems are reported all the same.
      { registry: 'registries/bad', namespace: 'registries', clusterWide: false, hostnames: ['not a host'], endpoint: 'bad.registries.svc:5000', ignoredHostnames: [] },
    ]);
    expect(entries.map((e) => [e.text, e.origin])).toEqual([
      ['docker.io/library', 'operator configuration'],
      ['registry.example.com', 'Registry registries/main'],
      ['main.registries.svc:5000', 'Registry registries/main'],
    ]);
    expect(problems).toEqual([{ origin: 'Registry registries/bad', entry: 'not a host', message: 'allow-list entry "not a host" contains whitespace' }]);
  });

  it('the policy holder swaps the policy when Registries or the configuration change', () => {
    const holder = new AdmissionPolicyHolder({ mode: 'enforce', allowedRegistries: [], exemptNamespaces: ['kube-system'] }, 'dockmaster-system');
    const object = pod('team-a', 'p', podSpec({ containers: ['main.registries.svc:5000/app:v1'] }));
    const judge = () => decideAdmission(holder.current(), subject({ kind: 'Pod', object })).verdict;
    expect(judge()).toBe('denied');
    holder.setRegistrySources([{ registry: 'registries/main', namespace: 'registries', clusterWide: true, hostnames: [], endpoint: 'main.registries.svc:5000', ignoredHostnames: [] }]);
    expect(judge()).toBe('allowed');
    holder.setRegistrySources([]);
    expect(judge()).toBe('denied');
    holder.setConfig({ mode: 'warn', allowedRegistries: [], exemptNamespaces: [] });
    expect(judge()).toBe('warned');
  });
});

describe('verdicts cached per allow list', () => {
  it('a repeated image gets the same verdict, a new allow list judges afresh', () => {
    const holder = new AdmissionPolicyHolder({ mode: 'enforce', allowedRegistries: ['docker.io/library'], exemptNamespaces: [] }, 'dockmaster-system');
    const review = (): ReturnType<typeof decideAdmission> =>
      decideAdmission(holder.current(), subject({ kind: 'Pod', object: pod('team-a', 'p', podSpec({ containers: ['nginx', 'registry.example.com/app:1', 'Bad:Ref'] })) }));
    const first = review();
    const second = review();
    expect(second).toEqual(first);
    expect(first.images.map((i) => i.allowedBy ?? i.problem)).toEqual(['docker.io/library', 'is not from an allowed source', expect.stringContaining('is not a valid image reference')]);
    // The Registry becomes allowed: the cache of the old list must not answer.
    holder.setRegistrySources([{ registry: 'apps/main', namespace: 'apps', clusterWide: true, hostnames: ['registry.example.com'], endpoint: 'main.apps.svc:5000', ignoredHostnames: [] }]);
    expect(review().images.map((i) => i.allowedBy ?? i.problem)).toEqual(['docker.io/library', 'registry.example.com', expect.stringContaining('is not a valid image reference')]);
  });

  it('stays bounded and correct past its size', () => {
    const policy = policyFor('enforce', ['ghcr.io/acme/*']);
    for (let i = 0; i < 5000; i++) {
      const image = i % 2 === 0 ? `ghcr.io/acme/app${i}:1` : `ghcr.io/evil/app${i}:1`;
      const d = decideAdmission(policy, subject({ kind: 'Pod', object: pod('team-a', 'p', podSpec({ containers: [image] })) }));
      expect(d.allowed).toBe(i % 2 === 0);
    }
  });
});
