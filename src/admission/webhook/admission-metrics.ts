/**
 * Prometheus metrics of the admission webhook: reviews answered, by the kind of object and the
 * verdict, so a dashboard shows denials (enforce), would-be denials (warn/audit) and exemptions.
 */
import { X509Certificate } from 'node:crypto';
import { Registry, type Counter, type Gauge, type Histogram } from 'prom-client';
import { sharedCounter, sharedGauge, sharedHistogram } from '../../runtime/shared-metrics.js';
import type { ReviewedObject } from '../../admission/webhook-server.js';

export class AdmissionMetrics {
  private readonly reviews: Counter<'kind' | 'verdict'>;
  private readonly reviewDuration: Histogram;
  private readonly certificateExpiry: Gauge;

  constructor(registry: Registry = new Registry()) {
    this.reviewDuration = sharedHistogram(registry, {
      name: 'dockmaster_admission_review_duration_seconds',
      help: 'Time to judge an AdmissionReview, from the parsed body to the answer (the apiserver waits for it).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    this.certificateExpiry = sharedGauge(registry, {
      name: 'dockmaster_webhook_certificate_expiry_timestamp_seconds',
      help: 'When the serving certificate the webhook uses now expires (Unix seconds).',
    });
    this.reviews = sharedCounter(registry, {
      name: 'dockmaster_admission_reviews_total',
      help: 'AdmissionReviews answered, per object kind and verdict (allowed, denied, warned, audited, exempt, not-checked).',
      labelNames: ['kind', 'verdict'],
    });
  }

  readonly record = (review: ReviewedObject): void => {
    this.reviews.inc({ kind: review.kind, verdict: review.verdict });
    if (review.seconds !== undefined) this.reviewDuration.observe(review.seconds);
  };

  /** The expiry of the certificate now served; a PEM that does not parse leaves the last value. */
  readonly observeCertificate = (certPem: string): void => {
    try {
      this.certificateExpiry.set(Date.parse(new X509Certificate(certPem).validTo) / 1000);
    } catch {
      // The server refuses such a pair too (swapCertificate) and keeps the previous one.
    }
  };
}
