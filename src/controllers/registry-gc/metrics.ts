/**
 * Prometheus metrics of garbage-collection windows, on the operator's metrics registry (shared
 * collectors: runtime/shared-metrics.ts).
 */
import { Registry, type Counter, type Gauge, type Histogram } from 'prom-client';
import { sharedCounter, sharedGauge, sharedHistogram } from '../../runtime/shared-metrics.js';
import type { GarbageCollectionWindow, LastGarbageCollection } from '../../api/registry-gc-status.js';

export class GarbageCollectionMetrics {
  readonly windows: Counter<'registry' | 'result'>;
  readonly bytesFreed: Counter<'registry'>;
  readonly blobsDeleted: Counter<'registry'>;
  readonly windowDuration: Histogram<'result'>;
  readonly readOnlyDeadline: Gauge<'registry'>;

  constructor(registry: Registry = new Registry()) {
    this.windows = sharedCounter(registry, { name: 'dockmaster_gc_windows_total', help: 'Garbage-collection windows closed, per registry (namespace/name) and result (Succeeded, Failed, TimedOut).', labelNames: ['registry', 'result'] });
    this.bytesFreed = sharedCounter(registry, { name: 'dockmaster_gc_bytes_freed_total', help: 'Bytes of blob files garbage-collect removed (filesystem storage only), per registry.', labelNames: ['registry'] });
    this.blobsDeleted = sharedCounter(registry, { name: 'dockmaster_gc_blobs_deleted_total', help: 'Blobs garbage-collect deleted, per registry.', labelNames: ['registry'] });
    this.windowDuration = sharedHistogram(registry, {
      name: 'dockmaster_gc_window_duration_seconds',
      help: 'Wall time of garbage-collection windows, from opening to read-write again, per result.',
      labelNames: ['result'],
      buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400],
    });
    this.readOnlyDeadline = sharedGauge(registry, {
      name: 'dockmaster_gc_read_only_deadline_timestamp_seconds',
      help: 'While a garbage-collection window holds a registry read-only: when its maxDuration ends (Unix seconds); 0 when read-write. Past it, the registry should already be read-write.',
      labelNames: ['registry'],
    });
  }

  /** A deleted Registry's series goes with it. */
  forget(registry: string): void {
    this.readOnlyDeadline.remove({ registry });
  }

  /** The window as it is now: a read-only one publishes its deadline, any other 0. */
  observeWindow(registry: string, window: GarbageCollectionWindow | undefined): void {
    const deadline = window?.readOnly && window.deadline ? Date.parse(window.deadline) / 1000 : 0;
    this.readOnlyDeadline.set({ registry }, Number.isFinite(deadline) ? deadline : 0);
  }

  observeClosedWindow(registry: string, last: LastGarbageCollection): void {
    const result = last.result ?? 'Failed';
    this.windows.inc({ registry, result });
    if (last.bytesFreed !== undefined) this.bytesFreed.inc({ registry }, last.bytesFreed);
    if (last.blobsDeleted !== undefined) this.blobsDeleted.inc({ registry }, last.blobsDeleted);
    if (last.startTime && last.completionTime) {
      const seconds = (Date.parse(last.completionTime) - Date.parse(last.startTime)) / 1000;
      if (Number.isFinite(seconds)) this.windowDuration.observe({ result }, Math.max(0, seconds));
    }
  }
}
