/**
 * Prometheus metrics of the admission webhook: reviews answered, by the kind of object and the
 * verdict, so a dashboard shows denials (enforce), would-be denials (warn/audit) and exemptions.
 */
import { Counter, Registry } from 'prom-client';
import type { ReviewedObject } from '../../admission/webhook-server.js';

export class AdmissionMetrics {
  private readonly reviews: Counter<'kind' | 'verdict'>;

  constructor(registry: Registry = new Registry()) {
    this.reviews =
      (registry.getSingleMetric('dockmaster_admission_reviews_total') as Counter<'kind' | 'verdict'> | undefined) ??
      new Counter({
        name: 'dockmaster_admission_reviews_total',
        help: 'AdmissionReviews answered, per object kind and verdict (allowed, denied, warned, audited, exempt, not-checked).',
        labelNames: ['kind', 'verdict'],
        registers: [registry],
      });
  }

  readonly record = (review: ReviewedObject): void => {
    this.reviews.inc({ kind: review.kind, verdict: review.verdict });
  };
}
