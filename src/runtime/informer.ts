import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import { sleep, systemClock, type Clock, type Timer } from './clock.js';
import { parseLabelSelector } from './label-selector.js';
import { objectKey } from './resources.js';

/** One page-complete list: the items and the resourceVersion to watch from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  /** For ERROR events, a metav1.Status (`{code: 410, reason: 'Expired'}` when the RV is too old). */
  object: T | { code?: number; reason?: string; message?: string };
}

/**
 * Where an informer gets its objects. The real one talks to the apiserver (informer-source.ts);
 * the seam exists so the reflector's state machine (re-list on 410, backoff, resync) can be
 * driven step by step in unit tests, and is proven against the real apiserver in integration.
 */
export interface ListerWatcher<T> {
  list(): Promise<ListResult<T>>;
  /** Starts a watch; `onDone` is called exactly once when it ends (with the error, if any). */
  watch(resourceVersion: string, onEvent: (event: WatchEvent<T>) => void, onDone: (err?: unknown) => void): Promise<{ stop(): void }>;
}

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  /** Also called with (obj, obj) on every resync, so level-based controllers revisit everything. */
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  /** Name for logs, e.g. `configmaps`. */
  name: string;
  clock?: Clock;
  logger?: Logger;
  /** Re-deliver every cached object to handlers this often; 0 disables. Default 10 minutes. */
  resyncPeriodMs?: number;
  /** Backoff between failed list/watch attempts; client-go's reflector uses 800 ms → 30 s. */
  backoff?: BackoffPolicy;
  /** Applied to every object before it is cached (client-go's TransformFunc), e.g. slimForCache. */
  transform?: (obj: T) => T;
}

/** kubectl's copy of the last applied manifest: a second copy of the object, read by nobody here. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What the cache keeps of an object's bookkeeping (client-go's TransformFunc, issue 21): each
 * managedFields entry without its field set (fieldsV1, often the largest part of an object; the
 * manager and operation stay for child-apply.ts), and no last-applied annotation.
 */
export function slimForCache<T extends KubernetesObject>(obj: T): T {
  const metadata = obj.metadata;
  if (!metadata) return obj;
  const annotations = metadata.annotations;
  const hasLastApplied = annotations !== undefined && LAST_APPLIED_ANNOTATION in annotations;
  if (!metadata.managedFields && !hasLastApplied) return obj;
  const slim = { ...metadata };
  if (metadata.managedFields) {
    slim.managedFields = metadata.managedFields.map(({ manager, operation, subresource }) => ({ manager, operation, ...(subresource ? { subresource } : {}) }));
  }
  if (hasLastApplied) {
    const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = annotations;
    slim.annotations = rest;
  }
  return { ...obj, metadata: slim };
}

const DEFAULT_RESYNC_MS = 10 * 60_000;
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 800, capMs: 30_000, jitter: 0.1 };
const QUICK_CLOSE_MS = 1000;

/**
 * A list+watch cache over one resource (client-go's reflector + indexer + shared informer).
 * Re-lists when the watch says 410 Gone, restarts watches with backoff, resyncs periodically.
 */
export class Informer<T extends KubernetesObject> {
  private readonly clock: Clock;
  private readonly resyncPeriodMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly objects = new Map<string, T>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private readonly stopController = new AbortController();
  private readonly syncWaiters: Array<() => void> = [];
  private resourceVersion = '';
  private synced = false;
  private failures = 0;
  private running: Promise<void> | undefined;
  private resyncTimer: Timer | undefined;
  private currentWatch: { stop(): void } | undefined;
  /** Counts how many times the informer listed from scratch; tests and logs read it. */
  listCount = 0;

  constructor(
    private readonly source: ListerWatcher<T>,
    private readonly options: InformerOptions<T>,
  ) {
    this.clock = options.clock ?? systemClock;
    this.resyncPeriodMs = options.resyncPeriodMs ?? DEFAULT_RESYNC_MS;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  start(): void {
    if (this.running) return;
    this.running = this.run();
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    // Whoever waits for a sync that can no longer come is released (waitForSync's contract).
    for (const resolve of this.syncWaiters.splice(0)) resolve();
    this.resyncTimer?.cancel();
    this.currentWatch?.stop();
    await this.running;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first complete list (or at once when stopped). */
  /** Resolves once the cache has synced, or once the informer is stopped (check hasSynced()). */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopController.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(objectKey(namespace, name));
  }

  list(namespace?: string, labelSelector?: string): T[] {
    const match = labelSelector ? parseLabelSelector(labelSelector) : undefined;
    const out: T[] = [];
    for (const obj of this.objects.values()) {
      if (namespace !== undefined && namespace !== '' && obj.metadata?.namespace !== namespace) continue;
      if (match && !match(obj.metadata?.labels)) continue;
      out.push(obj);
    }
    return out;
  }

  /** Adds handlers; objects already cached are delivered as adds, as client-go does. Returns an unsubscribe. */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    for (const obj of this.objects.values()) this.safely(() => handlers.onAdd?.(obj));
    return () => this.handlers.delete(handlers);
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      try {
        if (this.resourceVersion === '') await this.relist();
        if (signal.aborted) return;
        const startedAtMs = this.clock.now();
        const err = await this.watchOnce();
        if (err === undefined) {
          // A watch the server closes at once (no error, no time spent) must not become a hot loop.
          if (this.clock.now() - startedAtMs < QUICK_CLOSE_MS) await sleep(this.clock, backoffDelayMs(this.failures++, this.backoff), signal);
          else this.failures = 0;
          continue;
        }
        if (statusOf(err) === 410) {
          this.options.logger?.info({ informer: this.options.name }, 'Watch resourceVersion expired; re-listing');
          this.resourceVersion = '';
          continue;
        }
        throw err;
      } catch (err) {
        if (signal.aborted) return;
        const delayMs = backoffDelayMs(this.failures++, this.backoff);
        this.options.logger?.warn({ err, informer: this.options.name, delayMs }, 'List or watch failed; retrying after backoff');
        await sleep(this.clock, delayMs, signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const result = await this.source.list();
    this.listCount++;
    const items = result.items.map((obj) => this.options.transform?.(obj) ?? obj);
    const fresh = new Map<string, T>();
    for (const obj of items) fresh.set(keyOf(obj), obj);
    for (const [key, old] of this.objects) {
      if (!fresh.has(key)) {
        this.objects.delete(key);
        this.emit((h) => h.onDelete?.(old));
      }
    }
    for (const obj of items) this.upsert(obj);
    this.resourceVersion = result.resourceVersion;
    this.failures = 0;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  /** Runs one watch to its end; resolves with the error that ended it (410 included), or undefined. */
  private watchOnce(): Promise<unknown> {
    return new Promise((resolve) => {
      let expired: unknown;
      let stopRequested = false;
      this.currentWatch = {
        stop: () => {
          stopRequested = true;
        },
      };
      const onEvent = (event: WatchEvent<T>): void => {
        if (event.type === 'ERROR') {
          const status = event.object as { code?: number; message?: string };
          expired = Object.assign(new Error(status.message ?? 'Watch error event'), { statusCode: status.code });
          this.currentWatch?.stop();
          return;
        }
        const raw = event.object as T;
        const rv = raw.metadata?.resourceVersion;
        const obj = event.type === 'BOOKMARK' ? raw : (this.options.transform?.(raw) ?? raw);
        if (event.type === 'ADDED' || event.type === 'MODIFIED') this.upsert(obj);
        else if (event.type === 'DELETED') this.remove(obj);
        if (rv) this.resourceVersion = rv;
      };
      this.source
        .watch(this.resourceVersion, onEvent, (err) => resolve(expired ?? err))
        .then((handle) => {
          this.currentWatch = handle;
          if (stopRequested || this.stopController.signal.aborted) handle.stop();
        })
        .catch((err: unknown) => resolve(err ?? new Error('Watch failed to start')));
    });
  }

  private upsert(obj: T): void {
    const key = keyOf(obj);
    const old = this.objects.get(key);
    this.objects.set(key, obj);
    if (!old) this.emit((h) => h.onAdd?.(obj));
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit((h) => h.onUpdate?.(old, obj));
  }

  private remove(obj: T): void {
    const key = keyOf(obj);
    const old = this.objects.get(key);
    this.objects.delete(key);
    this.emit((h) => h.onDelete?.(old ?? obj));
  }

  private scheduleResync(): void {
    if (this.resyncPeriodMs <= 0 || this.stopController.signal.aborted) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.synced) for (const obj of this.objects.values()) this.emit((h) => h.onUpdate?.(obj, obj));
      this.scheduleResync();
    }, this.resyncPeriodMs);
  }

  private emit(call: (handlers: InformerHandlers<T>) => void): void {
    for (const handlers of this.handlers) this.safely(() => call(handlers));
  }

  private safely(call: () => void): void {
    try {
      call();
    } catch (err) {
      // A handler bug must not kill the watch loop feeding every other controller.
      this.options.logger?.error({ err, informer: this.options.name }, 'Informer event handler threw');
    }
  }
}

function keyOf(obj: KubernetesObject): string {
  return objectKey(obj.metadata?.namespace, obj.metadata?.name ?? '');
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const candidate = (err as { statusCode?: unknown }).statusCode ?? (err as { code?: unknown }).code;
  return typeof candidate === 'number' ? candidate : undefined;
}
