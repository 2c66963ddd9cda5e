import { randomUUID } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { DockmasterError } from '../errors.js';
import type { Clock } from './clock.js';
import type { EventRecorder } from './events.js';
import type { KubeClients } from './kube-client.js';
import type { RuntimeMetrics } from './metrics.js';
import { apiGroup, objectKey, splitObjectKey, type KubeResource } from './resources.js';
import { WorkQueue } from './work-queue.js';
import type { BackoffPolicy } from './backoff.js';
import { BackgroundWork } from './background-work.js';

export interface ReconcileRequest {
  /** `namespace/name`. */
  key: string;
  namespace: string;
  name: string;
}

/** Return `{requeueAfterMs}` for time-driven work (a schedule); throw for retry with backoff. */
export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

/** Read-only view of an informer cache. Objects are the apiserver's JSON (timestamps are strings). */
export interface CacheReader<T extends KubernetesObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string, labelSelector?: string): T[];
}

export interface ReconcileContext {
  /** Child logger bound to {controller, namespace, name, reconcileId}. */
  log: Logger;
  reconcileId: string;
  /** The cache of a resource this controller watches (forResource, owns or watches). */
  cache<T extends KubernetesObject>(resource: KubeResource): CacheReader<T>;
  kube: KubeClients;
  events: EventRecorder;
  clock: Clock;
  /** Slots for long work off the reconcile workers; present when the definition asks for `background`. */
  background?: BackgroundWork;
}

/** Which objects of a kind an informer holds; what is omitted falls back to the manager's settings. */
export interface InformerSelection {
  /** Overrides the manager's watched namespace, e.g. the operator's own namespace for its Secret. */
  namespace?: string;
  /** Server-side selector; none means every object of the kind (mind the memory). */
  labelSelector?: string;
  /**
   * Server-side field selector, e.g. `metadata.name=<name>` for one object: RBAC can then scope
   * list and watch with resourceNames.
   */
  fieldSelector?: string;
}

/** An extra watch: map each event's object to the keys of primaries it affects (e.g. a Secret → Registries using it). */
export interface WatchSpec extends InformerSelection {
  resource: KubeResource;
  mapToKeys(obj: KubernetesObject): string[];
}

export interface ControllerDefinition {
  name: string;
  forResource: KubeResource;
  /** Narrows the primary informer (a singleton controller watches its one object by name). */
  forSelection?: InformerSelection;
  /**
   * Keys reconciled at the start of every leadership term even when no such object exists yet:
   * for a controller that creates its own primary (the webhook configuration).
   */
  startKeys?: string[];
  /** Kinds we create; events map to the owner through ownerReferences (controller: true). */
  owns?: KubeResource[];
  watches?: WatchSpec[];
  /** Parallel reconciles (never two on one key). Default 2. */
  workers?: number;
  /**
   * Slots for long work that must not hold a reconcile worker (runtime/background-work.ts): at
   * most `slots` at once, `slotsPerGroup` of one group (say, a namespace). When work settles, its
   * key is queued again. Absent: no `ctx.background`.
   */
  background?: { slots: number; slotsPerGroup: number };
  backoff?: BackoffPolicy;
  reconcile(request: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileOutcome | void>;
}

/** Validates a controller definition; controllers only describe what to watch and how to reconcile. */
export function defineController(definition: ControllerDefinition): ControllerDefinition {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(definition.name)) {
    throw new DockmasterError('DM_ERR_CONTROLLER_DEFINITION', `Controller name "${definition.name}" must be lowercase letters, digits and dashes`);
  }
  if (definition.workers !== undefined && (!Number.isInteger(definition.workers) || definition.workers < 1)) {
    throw new DockmasterError('DM_ERR_CONTROLLER_DEFINITION', `Controller "${definition.name}": workers must be a positive integer`);
  }
  return definition;
}

/** Keys of the owners of `obj` of kind `owner`, from controller owner references (pure). */
export function ownerKeys(obj: KubernetesObject, owner: KubeResource): string[] {
  const refs = obj.metadata?.ownerReferences ?? [];
  return refs
    .filter((ref) => ref.controller === true && ref.kind === owner.kind && apiGroup(ref.apiVersion) === apiGroup(owner.apiVersion))
    // Owner references cannot cross namespaces: a namespaced owner lives beside its child.
    .map((ref) => objectKey(owner.namespaced ? obj.metadata?.namespace : undefined, ref.name));
}

export interface ControllerRunnerDeps {
  logger: Logger;
  metrics: RuntimeMetrics;
  clock: Clock;
  kube: KubeClients;
  events: EventRecorder;
  cache<T extends KubernetesObject>(resource: KubeResource): CacheReader<T>;
}

/**
 * Runs one controller while this replica leads: a fresh queue per term, N workers, errors to
 * backoff, outcomes to metrics. Between terms, events are dropped; `start` enqueues every primary.
 */
export class ControllerRunner {
  private queue: WorkQueue | undefined;
  private background: BackgroundWork | undefined;
  private workers: Array<Promise<void>> = [];
  private readonly log: Logger;

  constructor(
    readonly definition: ControllerDefinition,
    private readonly deps: ControllerRunnerDeps,
  ) {
    this.log = deps.logger.child({ controller: definition.name });
    deps.metrics.trackQueueDepth(definition.name, () => this.queue?.depth() ?? 0);
  }

  /** Called by informer handlers; a no-op while not leading. */
  enqueue(key: string): void {
    this.queue?.add(key);
  }

  /** The primary object is deleted: its scheduled wake-up and backoff go with it. */
  cancelDelayed(key: string): void {
    this.queue?.cancelDelayed(key);
  }

  isRunning(): boolean {
    return this.queue !== undefined && !this.queue.isShuttingDown();
  }

  start(): void {
    if (this.isRunning()) return;
    const queue = new WorkQueue({ clock: this.deps.clock, backoff: this.definition.backoff });
    this.queue = queue;
    for (const obj of this.deps.cache(this.definition.forResource).list()) {
      queue.add(objectKey(obj.metadata?.namespace, obj.metadata?.name ?? ''));
    }
    for (const key of this.definition.startKeys ?? []) queue.add(key);
    const slots = this.definition.background;
    this.background = slots && new BackgroundWork({
      ...slots,
      onSettled: (key, result) => (result.requeueAfterMs !== undefined && result.requeueAfterMs > 0 ? queue.addAfter(key, result.requeueAfterMs) : queue.add(key)),
      onError: (key, err) => this.log.error({ err, key }, 'Background work failed'),
    });
    const count = this.definition.workers ?? 2;
    this.workers = Array.from({ length: count }, () => this.work(queue));
    this.log.info({ workers: count }, 'Started controller');
  }

  /** Stops taking keys and waits for reconciles in flight to finish. */
  async stop(): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    await queue.shutdown();
    // Background work is aborted (its signal), not waited out: a run may take an hour.
    await Promise.all([...this.workers, this.background?.stop()]);
    this.workers = [];
    this.background = undefined;
    this.log.info({}, 'Stopped controller');
  }

  private async work(queue: WorkQueue): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await this.reconcileOne(queue, key);
      } finally {
        queue.done(key);
      }
    }
  }

  private async reconcileOne(queue: WorkQueue, key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const reconcileId = randomUUID();
    const log = this.log.child({ namespace, name, reconcileId });
    const controller = this.definition.name;
    const started = performance.now();
    const ctx: ReconcileContext = {
      log,
      reconcileId,
      cache: (resource) => this.deps.cache(resource),
      kube: this.deps.kube,
      events: this.deps.events,
      clock: this.deps.clock,
      ...(this.background && { background: this.background }),
    };
    try {
      const outcome = await this.definition.reconcile({ key, namespace, name }, ctx);
      const seconds = (performance.now() - started) / 1000;
      queue.forget(key);
      const requeueAfterMs = outcome?.requeueAfterMs;
      if (requeueAfterMs !== undefined && requeueAfterMs > 0) {
        queue.addAfter(key, requeueAfterMs);
        this.deps.metrics.observeReconcile(controller, 'requeue_after', seconds);
        log.debug({ requeueAfterMs, durationSeconds: seconds }, 'Reconciled; requeued for later');
      } else {
        this.deps.metrics.observeReconcile(controller, 'success', seconds);
        log.debug({ durationSeconds: seconds }, 'Reconciled');
      }
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      const delayMs = queue.addRateLimited(key);
      this.deps.metrics.observeReconcile(controller, 'error', seconds);
      this.deps.metrics.workqueueRetries.inc({ controller });
      log.error({ err, retries: queue.retries(key), delayMs }, 'Reconcile failed; retrying after backoff');
    }
  }
}
