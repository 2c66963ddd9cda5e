import { Registry, type Counter } from 'prom-client';
import { sharedCounter } from '../runtime/shared-metrics.js';

/**
 * Pull tracking's metrics. No Registry label: the receiver serves every Registry of the cluster
 * and a label per Registry would grow the series with them; the logs name the Registry.
 */
export class PullTrackingMetrics {
  /** Envelopes by HTTP answer: 202 recorded, 400 malformed, 401 bad token, 404 bad path. */
  readonly envelopes: Counter<'code'>;
  /** Events received, by what became of them: pull, canary, ignored (pushes, dockmaster's own, blobs). */
  readonly events: Counter<'kind'>;
  /** Writes of the records ConfigMaps, by result (written, failed: retried at the next flush). */
  readonly flushes: Counter<'result'>;
  /** Canary rounds checked, by outcome: sent (all came back, or the first round), lost, skipped. */
  readonly canaryRounds: Counter<'outcome'>;

  constructor(registry: Registry = new Registry()) {
    this.envelopes = sharedCounter(registry, { name: 'dockmaster_pull_envelopes_total', help: 'Notification envelopes received from managed registries, by HTTP status answered.', labelNames: ['code'] });
    this.events = sharedCounter(registry, { name: 'dockmaster_pull_events_total', help: 'Notification events received, by kind: pull (recorded), canary (proof the path works), ignored.', labelNames: ['kind'] });
    this.flushes = sharedCounter(registry, { name: 'dockmaster_pull_record_writes_total', help: 'Writes of pull records ConfigMaps, by result (failed writes are retried at the next flush).', labelNames: ['result'] });
    this.canaryRounds = sharedCounter(registry, { name: 'dockmaster_pull_canary_rounds_total', help: 'Pull canary steps per Registry, by outcome: sent, lost (a nonce did not come back: coverage restarted), skipped.', labelNames: ['outcome'] });
  }
}
