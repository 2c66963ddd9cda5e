import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AdmissionPolicyHolder } from '../../../src/admission/policy.js';
import { buildWebhookServer } from '../../../src/admission/webhook-server.js';
import { AdmissionMetrics } from '../../../src/admission/webhook/admission-metrics.js';
import { ALLOWED_IMAGE, DISALLOWED_IMAGE, admissionReview, deployment, pod, podSpec } from './fixtures.js';

describe('dockmaster_admission_reviews_total', () => {
  it('counts each answered review by kind and verdict, and nothing for a bad request', async () => {
    const registry = new Registry();
    const policy = new AdmissionPolicyHolder({ mode: 'enforce', allowedRegistries: ['registry.example.com:5000'], exemptNamespaces: ['kube-system'] }, 'dockmaster-system');
    const app = buildWebhookServer({ policy, onReviewed: new AdmissionMetrics(registry).record });
    const send = (payload: unknown) => app.inject({ method: 'POST', url: '/validate', payload: payload as Record<string, unknown> });
    await send(admissionReview({ object: pod('team-a', 'ok', podSpec({ containers: [ALLOWED_IMAGE] })) }));
    await send(admissionReview({ object: pod('team-a', 'bad', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    await send(admissionReview({ object: deployment('team-a', 'bad', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    await send(admissionReview({ object: pod('kube-system', 'sys', podSpec({ containers: [DISALLOWED_IMAGE] })) }));
    await send({ not: 'a review' });
    await app.close();
    const values = (await registry.getSingleMetric('dockmaster_admission_reviews_total')!.get()).values.map((v) => [v.labels.kind, v.labels.verdict, v.value]);
    expect(values).toEqual(
      expect.arrayContaining([
        ['Pod', 'allowed', 1],
        ['Pod', 'denied', 1],
        ['Deployment', 'denied', 1],
        ['Pod', 'exempt', 1],
      ]),
    );
    expect(values).toHaveLength(4);
  });

  it('shares one collector when two webhooks use the same registry', () => {
    const registry = new Registry();
    new AdmissionMetrics(registry);
    expect(() => new AdmissionMetrics(registry)).not.toThrow();
  });
});
