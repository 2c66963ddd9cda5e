import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { apiErrorStatus, isNamespaceTerminating, type KubeClients } from './kube-client.js';

export type EventType = 'Normal' | 'Warning';

/** What controllers see: fire-and-forget, never throws (an Event is a hint, never a reason to fail). */
export interface EventRecorder {
  record(involved: KubernetesObject, type: EventType, reason: string, message: string): void;
}

export interface KubeEventRecorderOptions {
  /** `source.component` and `reportingComponent`, e.g. `dockmaster`. */
  component: string;
  /** `reportingInstance`: this replica's identity. */
  instance?: string;
  clock?: Clock;
  logger?: Logger;
  /** Identical events within this window bump `count` on one Event instead of creating another. */
  aggregationWindowMs?: number;
  /** Repeats closer than this are counted in memory and written with the next repeat after it. */
  minWriteIntervalMs?: number;
  /** Bound on remembered series, so a storm of distinct messages cannot grow memory. */
  maxSeries?: number;
}

interface Series {
  namespace: string;
  eventName: string;
  count: number;
  lastWriteMs: number;
  lastSeenMs: number;
}

/**
 * Writes core/v1 Events on the object they are about, aggregating repeats the way client-go's
 * EventCorrelator does: the same (object, type, reason, message) within the window patches
 * `count` and `lastTimestamp` of the existing Event, so a failing reconcile does not spam.
 */
export class KubeEventRecorder implements EventRecorder {
  private readonly clock: Clock;
  private readonly series = new Map<string, Series>();
  private pending: Promise<void> = Promise.resolve();
  private readonly windowMs: number;
  private readonly minWriteIntervalMs: number;
  private readonly maxSeries: number;

  constructor(
    private readonly clients: Pick<KubeClients, 'requestJson'>,
    private readonly options: KubeEventRecorderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.windowMs = options.aggregationWindowMs ?? 10 * 60_000;
    this.minWriteIntervalMs = options.minWriteIntervalMs ?? 10_000;
    this.maxSeries = options.maxSeries ?? 4096;
  }

  record(involved: KubernetesObject, type: EventType, reason: string, message: string): void {
    this.pending = this.pending.then(() => this.write(involved, type, reason, message));
  }

  /** Resolves once every recorded Event has been written (or given up on). */
  flush(): Promise<void> {
    return this.pending;
  }

  private async write(involved: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = involved.metadata ?? {};
    const namespace = meta.namespace || 'default';
    const key = [meta.uid ?? `${namespace}/${meta.name}`, type, reason, message].join('\u0000');
    const nowMs = this.clock.now();
    const now = new Date(nowMs).toISOString();
    const existing = this.series.get(key);
    try {
      if (existing && nowMs - existing.lastSeenMs < this.windowMs) {
        existing.count++;
        existing.lastSeenMs = nowMs;
        if (nowMs - existing.lastWriteMs < this.minWriteIntervalMs) return;
        existing.lastWriteMs = nowMs;
        try {
          await this.clients.requestJson('PATCH', eventPath(namespace, existing.eventName), {
            body: { count: existing.count, lastTimestamp: now },
            contentType: 'application/merge-patch+json',
          });
          return;
        } catch (err) {
          // Events expire (the apiserver's --event-ttl, 1 h by default): start a new one.
          if (apiErrorStatus(err) !== 404) throw err;
        }
      }
      const eventName = `${meta.name ?? 'object'}.${(nowMs * 1_000_000 + Math.floor(Math.random() * 1_000_000)).toString(16)}`;
      const event: CoreV1Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName, namespace },
        involvedObject: {
          apiVersion: involved.apiVersion,
          kind: involved.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: new Date(nowMs),
        lastTimestamp: new Date(nowMs),
        source: { component: this.options.component },
        reportingComponent: this.options.component,
        reportingInstance: this.options.instance ?? '',
      };
      await this.clients.requestJson('POST', eventPath(namespace), { body: event });
      this.remember(key, { namespace, eventName, count: 1, lastWriteMs: nowMs, lastSeenMs: nowMs });
    } catch (err) {
      // An Event about an object in a namespace being deleted has no reader left: not worth a warning.
      if (isNamespaceTerminating(err)) {
        this.options.logger?.debug({ reason, involved: `${namespace}/${meta.name}` }, 'Event dropped: namespace is terminating');
        return;
      }
      this.options.logger?.warn({ err, reason, involved: `${namespace}/${meta.name}` }, 'Failed to write Event');
    }
  }

  private remember(key: string, series: Series): void {
    this.series.delete(key);
    this.series.set(key, series);
    // Map iteration is insertion order: the first key is the least recently created series.
    while (this.series.size > this.maxSeries) {
      const oldest = this.series.keys().next().value;
      if (oldest === undefined) break;
      this.series.delete(oldest);
    }
  }
}

function eventPath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
  return name ? `${base}/${encodeURIComponent(name)}` : base;
}

/** Records nothing: for tests and tools that run controllers without a cluster to write to. */
export const discardingEventRecorder: EventRecorder = { record: () => undefined };
