import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MutableCertificateSource } from '../../../src/admission/certificate-source.js';
import { createCertificateAuthority, issueServingCertificate } from '../../../src/admission/certs/issue-certificates.js';
import { AdmissionPolicyHolder } from '../../../src/admission/policy.js';
import { buildWebhookServer, type WebhookServer } from '../../../src/admission/webhook-server.js';
import { ALLOWED_IMAGE, DISALLOWED_IMAGE, admissionReview, cronJob, deployment, pod, podSpec } from './fixtures.js';

const servers: WebhookServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function holder(mode: 'enforce' | 'warn' | 'audit' = 'enforce'): AdmissionPolicyHolder {
  return new AdmissionPolicyHolder({ mode, allowedRegistries: ['registry.example.com:5000', 'docker.io/library'], exemptNamespaces: ['kube-system'] }, 'dockmaster-system');
}

function server(options: Parameters<typeof buildWebhookServer>[0]): WebhookServer {
  const app = buildWebhookServer(options);
  servers.push(app);
  return app;
}

async function validate(app: WebhookServer, payload: unknown) {
  const response = await app.inject({ method: 'POST', url: '/validate', payload: payload as Record<string, unknown> });
  return { status: response.statusCode, body: response.json() };
}

describe('POST /validate', () => {
  it('allows a Pod CREATE from an allowed registry, echoing the uid', async () => {
    const app = server({ policy: holder() });
    const { status, body } = await validate(app, admissionReview({ object: pod('team-a', 'web', podSpec({ containers: [ALLOWED_IMAGE] })), uid: 'u-1' }));
    expect(status).toBe(200);
    expect(body).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: true } });
  });

  it('denies a Deployment with a disallowed image with a 403 status and our message', async () => {
    const app = server({ policy: holder() });
    const { status, body } = await validate(app, admissionReview({ object: deployment('team-a', 'web', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    expect(status).toBe(200);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.code).toBe(403);
    expect(body.response.status.reason).toBe('Forbidden');
    expect(body.response.status.message).toContain('Deployment team-a/web: 1 container image(s) not allowed');
    expect(body.response.status.message).toContain('spec.template.spec.containers[0] "c0": image "evil.io/web:1.0" is not from an allowed source');
  });

  it('denies a CronJob through its job template', async () => {
    const app = server({ policy: holder() });
    const { body } = await validate(app, admissionReview({ object: cronJob('team-a', 'nightly', podSpec({ containers: ['nginx'], init: [DISALLOWED_IMAGE] })) }));
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain('spec.jobTemplate.spec.template.spec.initContainers[0] "init0"');
  });

  it('denies kubectl debug with a disallowed image (pods/ephemeralcontainers UPDATE)', async () => {
    const app = server({ policy: holder() });
    const old = pod('team-a', 'web', podSpec({ containers: [ALLOWED_IMAGE] }));
    const debugged = pod('team-a', 'web', podSpec({ containers: [ALLOWED_IMAGE], ephemeral: ['docker.io/nicolaka/netshoot'] }));
    const { body } = await validate(app, admissionReview({ object: debugged, oldObject: old, operation: 'UPDATE', subResource: 'ephemeralcontainers' }));
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain('spec.ephemeralContainers[0] "debug0": image "docker.io/nicolaka/netshoot" is not from an allowed source');
  });

  it('allows anything in an exempt namespace', async () => {
    const app = server({ policy: holder() });
    const { body } = await validate(app, admissionReview({ object: pod('kube-system', 'x', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    expect(body.response).toEqual({ uid: expect.any(String), allowed: true });
  });

  it('warn mode admits with warnings', async () => {
    const app = server({ policy: holder('warn') });
    const { body } = await validate(app, admissionReview({ object: pod('team-a', 'web', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    expect(body.response.allowed).toBe(true);
    expect(body.response.warnings).toEqual([
      'dockmaster: spec.containers[0] "c0": image "evil.io/web:1.0" is not from an allowed source',
      'dockmaster: Allowed sources: registry.example.com:5000, docker.io/library',
    ]);
    expect(body.response.status).toBeUndefined();
  });

  it('audit mode admits with audit annotations', async () => {
    const app = server({ policy: holder('audit') });
    const { body } = await validate(app, admissionReview({ object: pod('team-a', 'web', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    expect(body.response.allowed).toBe(true);
    expect(body.response.warnings).toBeUndefined();
    expect(Object.keys(body.response.auditAnnotations)).toEqual(['images-not-allowed']);
  });

  it('takes a policy change on the next request, without a restart', async () => {
    const policy = holder();
    const app = server({ policy });
    const review = admissionReview({ object: pod('team-a', 'web', podSpec({ containers: ['main.registries.svc:5000/app'] })) });
    expect((await validate(app, review)).body.response.allowed).toBe(false);
    policy.setRegistrySources([{ registry: 'registries/main', namespace: 'registries', clusterWide: true, hostnames: [], endpoint: 'main.registries.svc:5000', ignoredHostnames: [] }]);
    expect((await validate(app, review)).body.response.allowed).toBe(true);
  });

  it.each([
    ['an array', [], 'the body is not an AdmissionReview'],
    ['a string', 'hello', 'the body is not an AdmissionReview'],
    ['another kind', { apiVersion: 'v1', kind: 'Pod' }, 'the body is not an AdmissionReview (kind is "Pod")'],
    ['v1beta1', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }, 'apiVersion "admission.k8s.io/v1beta1" is not supported: only admission.k8s.io/v1'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'the AdmissionReview has no request'],
    ['no uid', { ...admissionReview({ object: pod('a', 'b', podSpec({ containers: ['nginx'] })) }), request: { kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', object: {} } }, 'request.uid'],
    ['no object', admissionReview({ object: null }), 'has no object'],
    ['a malformed Pod', admissionReview({ object: { kind: 'Pod', spec: { containers: 'nginx' } } as { kind: string } }), 'request.object: spec.containers is not a list'],
  ])('answers 400 with a clear message for %s', async (_what, payload, message) => {
    const app = server({ policy: holder() });
    const response = await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain(message);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const app = server({ policy: holder() });
    const response = await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: '{"kind": ' });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/JSON/);
  });

  it('answers 413 to an oversized body, naming the limit', async () => {
    const app = server({ policy: holder(), bodyLimitBytes: 2048 });
    const big = admissionReview({ object: pod('team-a', 'web', podSpec({ containers: Array.from({ length: 100 }, () => ALLOWED_IMAGE) })) });
    const response = await app.inject({ method: 'POST', url: '/validate', payload: big });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'DM_ERR_BODY_TOO_LARGE', message: 'the request body is larger than the limit of 2048 bytes' });
  });

  it('never crashes on fuzzed input', async () => {
    const app = server({ policy: holder() });
    const base = admissionReview({ object: pod('team-a', 'web', podSpec({ containers: ['nginx'] })) });
    const mutations: unknown[] = [null, 0, 'x', [], {}, { containers: null }, { spec: [] }, { metadata: 'x' }];
    for (const object of mutations) {
      const request = { ...(base.request as object), object, oldObject: object, namespace: object };
      const response = await app.inject({ method: 'POST', url: '/validate', payload: { ...base, request } });
      expect([200, 400]).toContain(response.statusCode);
    }
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('robustness', () => {
  it('answers 200 or 400, never 5xx, to arbitrary JSON and to envelopes around arbitrary objects', async () => {
    const app = server({ policy: holder() });
    const kinds = fc.constantFrom('Pod', 'Deployment', 'CronJob', 'EphemeralContainers', 'Job', 'ConfigMap');
    const envelope = fc.record({
      kind: kinds,
      operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE'),
      subResource: fc.constantFrom(undefined, 'ephemeralcontainers', 'status'),
      object: fc.oneof(fc.anything(), fc.record({ spec: fc.anything() }), fc.record({ spec: fc.record({ template: fc.record({ spec: fc.anything() }) }) })),
    }).map((r) => ({
      ...admissionReview({ object: { kind: r.kind }, operation: r.operation as 'CREATE' }),
      request: { uid: 'u', kind: { group: r.kind === 'Deployment' ? 'apps' : r.kind.endsWith('Job') ? 'batch' : '', version: 'v1', kind: r.kind }, operation: r.operation, subResource: r.subResource, namespace: 'team-a', object: r.object, oldObject: r.object },
    }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), envelope), async (body) => {
        const response = await app.inject({ method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) ?? 'null' });
        expect([200, 400]).toContain(response.statusCode);
      }),
      { numRuns: 300 },
    );
  });
});

describe('health', () => {
  it('healthz is ok; readyz follows isReady', async () => {
    let ready = false;
    const app = server({ policy: holder(), isReady: () => ready });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    ready = true;
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('HTTPS and certificate rotation', () => {
  function getPeerCertificate(port: number, ca: string): Promise<{ fingerprint: string; status: number }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', ca, servername: 'webhook.dockmaster-system.svc', agent: false }, (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.resume();
        res.on('end', () => resolve({ fingerprint, status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves the source certificate and picks up a new one without a restart', async () => {
    const now = new Date();
    const ca = await createCertificateAuthority({ commonName: 'dockmaster-webhook-ca', now, lifetimeMs: 86_400_000 });
    const issue = () => issueServingCertificate({ ca, dnsNames: ['webhook.dockmaster-system.svc'], ipAddresses: ['127.0.0.1'], now, lifetimeMs: 3_600_000 });
    const first = await issue();
    const source = new MutableCertificateSource({ cert: first.certPem, key: first.keyPem });
    const app = server({ policy: holder(), certificateSource: source });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const before = await getPeerCertificate(port, ca.certPem);
    expect(before.status).toBe(200);
    const second = await issue();
    source.update({ cert: second.certPem, key: second.keyPem });
    const after = await getPeerCertificate(port, ca.certPem);
    expect(after.status).toBe(200);
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.fingerprint.replaceAll(':', '').toLowerCase()).toBe(second.facts.fingerprint);

    // A broken pair is refused and the previous certificate stays in service.
    source.update({ cert: 'not a certificate', key: second.keyPem });
    expect((await getPeerCertificate(port, ca.certPem)).fingerprint).toBe(after.fingerprint);
  });

  it('answers 429 with its code past the reviews in flight, reading the body without judging it', async () => {
    const app = server({ policy: holder(), maxConcurrentReviews: 0 });
    const { status, body } = await validate(app, admissionReview({ object: pod('team-a', 'web', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    expect(status).toBe(429);
    expect(body).toMatchObject({ statusCode: 429, code: 'DM_ERR_TOO_MANY_REVIEWS' });
    // Health is not counted against the budget.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // The apply-time validation route shares it: a flood there holds no more bodies.
    const resources = await app.inject({ method: 'POST', url: '/validate-resources', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(admissionReview({ object: pod('team-a', 'web', podSpec({ containers: [DISALLOWED_IMAGE] })) })) });
    expect(resources.statusCode).toBe(429);
  });
});
