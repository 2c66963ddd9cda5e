import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { WRITE_VERBS, type ApiRequestRecord } from './kube-client.js';

export type ReconcileResult = 'success' | 'error' | 'requeue_after';

/**
 * The operator's Prometheus metrics, on a registry of their own (never prom-client's global
 * one), so two managers in one process — as in the leader-election tests — do not collide.
 */
export class RuntimeMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly workqueueDepth: Gauge<'controller'>;
  readonly workqueueRetries: Counter<'controller'>;
  readonly apiRequests: Counter<'verb' | 'resource' | 'code'>;
  readonly isLeader: Gauge;
  private readonly writesByResource = new Map<string, number>();
  private requests = 0;
  private readonly queueDepthSources = new Map<string, () => number>();

  constructor(options: { registry?: Registry; defaultMetrics?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.reconcileTotal = new Counter({
      name: 'dockmaster_reconcile_total',
      help: 'Reconciles finished, per controller and result (success, error, requeue_after).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'dockmaster_reconcile_duration_seconds',
      help: 'Time spent in one reconcile, per controller.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    const depthSources = this.queueDepthSources;
    this.workqueueDepth = new Gauge({
      name: 'dockmaster_workqueue_depth',
      help: 'Keys waiting for a worker, per controller.',
      labelNames: ['controller'],
      registers,
      // Read at scrape time, so the gauge is never stale between queue operations.
      collect() {
        for (const [controller, depth] of depthSources) this.set({ controller }, depth());
      },
    });
    this.workqueueRetries = new Counter({
      name: 'dockmaster_workqueue_retries_total',
      help: 'Keys requeued with backoff after a failed reconcile, per controller.',
      labelNames: ['controller'],
      registers,
    });
    this.apiRequests = new Counter({
      name: 'dockmaster_kube_api_requests_total',
      help: 'Requests made to the Kubernetes apiserver, per verb, resource and HTTP status.',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    });
    this.isLeader = new Gauge({
      name: 'dockmaster_leader',
      help: '1 while this replica holds the leader lease, else 0.',
      registers,
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Pass to createKubeClients / informers: counts every apiserver request. */
  readonly observeApiRequest = (record: ApiRequestRecord): void => {
    this.apiRequests.inc({ verb: record.verb, resource: record.resource, code: record.code });
    this.requests++;
    if (WRITE_VERBS.has(record.verb)) {
      this.writesByResource.set(record.resource, (this.writesByResource.get(record.resource) ?? 0) + 1);
    }
  };

  /**
   * Write requests (create/update/patch/delete) made so far, for "an idle operator makes no
   * writes". Leader election renews its Lease every retry period by design: exclude `leases`.
   */
  writeRequestCount(options: { excludeResources?: readonly string[] } = {}): number {
    let total = 0;
    for (const [resource, count] of this.writesByResource) {
      if (!options.excludeResources?.includes(resource)) total += count;
    }
    return total;
  }

  /** Writes per resource (`configmaps`, `registries/status`, `leases`…), for test diagnostics. */
  writeRequestsByResource(): Record<string, number> {
    return Object.fromEntries(this.writesByResource);
  }

  /** Registers the queue whose depth `dockmaster_workqueue_depth{controller}` reports. */
  trackQueueDepth(controller: string, depth: () => number): void {
    this.queueDepthSources.set(controller, depth);
  }

  apiRequestCount(): number {
    return this.requests;
  }

  observeReconcile(controller: string, result: ReconcileResult, durationSeconds: number): void {
    this.reconcileTotal.inc({ controller, result });
    this.reconcileDuration.observe({ controller }, durationSeconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
