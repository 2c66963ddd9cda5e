/**
 * Pull records, stored per Registry in a ConfigMap of its namespace (`<name>-registry-pulls`,
 * key pulls.json), owned by the Registry so it goes with it. Received pulls wait in memory and
 * are written in batches (never one write per event), with a compare-and-swap on
 * resourceVersion: every operator replica receives events (the Service spreads them), and
 * merging by the latest time per digest makes concurrent writers agree. docs/retention.md says
 * why a ConfigMap: no new CRD, tenant-readable in their own namespace, bounded in size.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import { REGISTRY_KIND } from '../api/registry.js';
import type { Logger } from '../logging/logger.js';
import type { PullRecords } from '../retention/pull-records.js';
import { apiErrorStatus, getOrUndefined, type KubeClients } from '../runtime/kube-client.js';
import { collectionPath, objectPath, RESOURCES } from '../runtime/resources.js';
import type { Pull } from './events.js';
import type { PullTrackingMetrics } from './metrics.js';
import { mergePulls, parseRecordsDocument, PULLS_KEY, toPullRecords, type PendingBatch, type PullRecordsDocument } from './records.js';

export const pullRecordsConfigMapName = (registryName: string): string => `${registryName}-registry-pulls`;
const CAS_ATTEMPTS = 5;
const MAX_PENDING_CANARIES = 64;

export interface PullRecordStoreOptions {
  maxRecordsPerRegistry: number;
  now?: () => number;
  log: Logger;
  metrics?: PullTrackingMetrics;
}

/** What waits for the next flush for one Registry: the latest pull per (repository, digest), bounded. */
interface PendingPulls {
  namespace: string;
  name: string;
  pulls: Map<string, Pull>;
  instances: Set<string>;
  canaries: string[];
  ignored: number;
  /** The latest pull dropped because the pending set was full: coverage must start after it. */
  lostUntilMs?: number;
}

export class PullRecordStore {
  private pending = new Map<string, PendingPulls>();
  private readonly now: () => number;

  constructor(private readonly kube: KubeClients, private readonly options: PullRecordStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Queues a batch for the next flush. Memory between flushes is bounded like the records: at
   * most maxRecordsPerRegistry distinct pulls per Registry, whoever floods the receiver; a pull
   * that does not fit is dropped and moves that Registry's coverage past it.
   */
  add(namespace: string, name: string, batch: PendingBatch): void {
    const key = `${namespace}/${name}`;
    const entry = this.pending.get(key) ?? { namespace, name, pulls: new Map<string, Pull>(), instances: new Set<string>(), canaries: [], ignored: 0 };
    for (const pull of batch.pulls) {
      const id = `${pull.repository}@${pull.digest}`;
      const queued = entry.pulls.get(id);
      if (queued) {
        if (queued.atMs < pull.atMs) entry.pulls.set(id, pull);
      } else if (entry.pulls.size < this.options.maxRecordsPerRegistry) {
        entry.pulls.set(id, pull);
      } else {
        entry.lostUntilMs = Math.max(entry.lostUntilMs ?? 0, pull.atMs);
      }
    }
    for (const id of batch.instances) entry.instances.add(id);
    // A flood of made-up nonces cannot grow this: the records keep the last few only.
    entry.canaries = [...entry.canaries, ...(batch.canaries ?? [])].slice(-MAX_PENDING_CANARIES);
    entry.ignored += batch.ignored;
    if (batch.lostUntilMs !== undefined) entry.lostUntilMs = Math.max(entry.lostUntilMs ?? 0, batch.lostUntilMs);
    this.pending.set(key, entry);
  }

  get pendingRegistries(): number {
    return this.pending.size;
  }

  /** Writes every queued batch; a batch that cannot be written is queued again for the next flush. */
  async flush(): Promise<void> {
    const entries = [...this.pending.values()];
    this.pending = new Map();
    for (const entry of entries) {
      const batch: PendingBatch = {
        pulls: [...entry.pulls.values()],
        instances: [...entry.instances],
        canaries: entry.canaries,
        ignored: entry.ignored,
        ...(entry.lostUntilMs !== undefined && { lostUntilMs: entry.lostUntilMs }),
      };
      try {
        await this.write(entry.namespace, entry.name, batch);
        this.options.metrics?.flushes.inc({ result: 'written' });
      } catch (error) {
        this.options.metrics?.flushes.inc({ result: 'failed' });
        this.options.log.warn({ err: error, registry: `${entry.namespace}/${entry.name}` }, 'Could not write pull records; retrying at the next flush');
        this.add(entry.namespace, entry.name, batch);
      }
    }
  }

  private async write(namespace: string, name: string, batch: PendingBatch): Promise<void> {
    await writePullBatch(this.kube, namespace, name, batch, { maxRecords: this.options.maxRecordsPerRegistry, now: this.now });
  }
}

/**
 * Merges a batch into a Registry's records with a compare-and-swap on resourceVersion (any
 * operator replica may write). The store's flushes and the canary's lost rounds both land here.
 */
export async function writePullBatch(kube: KubeClients, namespace: string, name: string, batch: PendingBatch, options: { maxRecords: number; now: () => number }): Promise<void> {
  const configMapName = pullRecordsConfigMapName(name);
  for (let attempt = 1; ; attempt++) {
    const live = await getOrUndefined(() => kube.requestJson<V1ConfigMap>('GET', objectPath(RESOURCES.configMap, namespace, configMapName)));
    const nowMs = options.now();
    const doc = mergePulls(parseRecordsDocument(live?.data?.[PULLS_KEY], nowMs), batch, nowMs, options.maxRecords);
    const data = { [PULLS_KEY]: JSON.stringify(doc) };
    try {
      if (live) {
        await kube.requestJson('PUT', objectPath(RESOURCES.configMap, namespace, configMapName), { body: { ...live, data } });
      } else {
        const registry = await kube.requestJson<{ metadata: { uid: string } }>('GET', objectPath(RESOURCES.registry, namespace, name));
        await kube.requestJson('POST', collectionPath(RESOURCES.configMap, namespace), { body: recordsConfigMap(namespace, name, registry.metadata.uid, data) });
      }
      return;
    } catch (error) {
      const status = apiErrorStatus(error);
      if ((status === 409 || status === 422) && attempt < CAS_ATTEMPTS) continue;
      throw error;
    }
  }
}

/** Not labelled managed-by: the Registry controller does not watch it, so a flush wakes no reconcile. */
function recordsConfigMap(namespace: string, name: string, uid: string, data: Record<string, string>): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: pullRecordsConfigMapName(name),
      namespace,
      labels: { 'app.kubernetes.io/part-of': 'dockmaster', 'dockmaster.dev/pull-records-of': name },
      ownerReferences: [{ apiVersion: 'dockmaster.dev/v1alpha1', kind: REGISTRY_KIND, name, uid, controller: false }],
    },
    data,
  };
}

/** A Registry's stored records document, or undefined when none was ever written. */
export async function readPullRecordsDocument(kube: KubeClients, namespace: string, name: string, nowMs: number): Promise<PullRecordsDocument | undefined> {
  const live = await getOrUndefined(() => kube.requestJson<V1ConfigMap>('GET', objectPath(RESOURCES.configMap, namespace, pullRecordsConfigMapName(name))));
  const text = live?.data?.[PULLS_KEY];
  return text ? parseRecordsDocument(text, nowMs) : undefined;
}

/** A Registry's pull records, or undefined when none were ever written (pull rules then keep everything). */
export async function readPullRecords(kube: KubeClients, namespace: string, name: string, nowMs: number): Promise<PullRecords | undefined> {
  const doc = await readPullRecordsDocument(kube, namespace, name, nowMs);
  return doc ? toPullRecords(doc, nowMs) : undefined;
}
