import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { DockmasterError } from '../errors.js';
import { systemClock, type Clock, type Timer } from './clock.js';
import { ControllerRunner, ownerKeys, type CacheReader, type ControllerDefinition, type InformerSelection } from './controller.js';
import { KubeEventRecorder, type EventRecorder } from './events.js';
import { Informer, slimForCache, type InformerHandlers } from './informer.js';
import { InformerGroup, type SharedInformer } from './informer-group.js';
import { createApiListerWatcher } from './informer-source.js';
import { createKubeClients, type KubeClients } from './kube-client.js';
import { LeaderElector, type LeaderElectionConfig } from './leader-election.js';
import { RuntimeMetrics } from './metrics.js';
import { MANAGED_BY_SELECTOR, objectKey, type KubeResource } from './resources.js';

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  /** Clients to use instead of new ones from kubeConfig (a component that already has them). */
  clients?: KubeClients;
  logger: Logger;
  controllers: ControllerDefinition[];
  /**
   * Watch these namespaces only (one list-watch each, so RoleBindings there are all the RBAC it
   * needs); all namespaces when absent or empty.
   */
  namespaces?: readonly string[];
  /** Server-side selector for owned kinds, so we cache only our own children. */
  ownedLabelSelector?: string;
  /** Lease settings; `false` leads at once (single replica, tests). identity defaults to host + random. */
  leaderElection?: (Omit<LeaderElectionConfig, 'identity'> & { identity?: string }) | false;
  resyncPeriodMs?: number;
  clock?: Clock;
  metrics?: RuntimeMetrics;
  /** `source.component` of Events. */
  eventComponent?: string;
  /** How long stopping waits for reconciles in flight before giving up on them (controller-runtime: 30 s). */
  gracefulShutdownTimeoutMs?: number;
  onStartedLeading?(): void;
  onStoppedLeading?(): void;
}

/**
 * Starts shared informers, waits for their caches, then (as leader) runs every controller.
 * All replicas keep warm caches and report ready; only the leader reconciles.
 */
export class Manager {
  readonly metrics: RuntimeMetrics;
  readonly clients: KubeClients;
  readonly events: EventRecorder;
  readonly identity: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly informers = new Map<string, SharedInformer<KubernetesObject>>();
  /** The informer each (controller, resource) reads through `ctx.cache`. */
  private readonly cacheByResource = new Map<string, SharedInformer<KubernetesObject>>();
  private readonly runners: ControllerRunner[] = [];
  private readonly elector: LeaderElector | undefined;
  private stopRequested = false;
  private synced = false;
  private leading = false;
  private started = false;

  constructor(private readonly options: ManagerOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger;
    this.metrics = options.metrics ?? new RuntimeMetrics();
    this.clients = options.clients ?? createKubeClients(options.kubeConfig, this.metrics.observeApiRequest);
    const le = options.leaderElection;
    this.identity = (le && le.identity) || `${hostname()}-${randomBytes(4).toString('hex')}`;
    this.events = new KubeEventRecorder(this.clients, {
      component: options.eventComponent ?? 'dockmaster',
      instance: this.identity,
      clock: this.clock,
      logger: this.log,
    });
    for (const definition of options.controllers) this.register(definition);
    if (le) {
      this.elector = new LeaderElector(
        { ...le, identity: this.identity },
        this.clients,
        { onStartedLeading: () => this.startLeading(), onStoppedLeading: () => this.stopLeading() },
        this.log.child({ component: 'leader-election' }),
        this.clock,
      );
    }
  }

  /** Starts informers and waits for their caches; then campaigns (or leads at once). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    // Stopped (SIGTERM) before the caches synced, e.g. with the apiserver unreachable: the
    // process must still exit, and must not campaign for the lease on its way out.
    if (this.stopRequested) return;
    this.synced = true;
    this.log.info({ informers: this.informers.size }, 'Caches synced');
    if (this.elector) this.elector.start();
    else await this.startLeading();
  }

  /** Drains reconciles in flight, releases the lease, stops informers. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.elector) await this.elector.stop();
    else await this.stopLeading();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    if (this.events instanceof KubeEventRecorder) await this.events.flush();
    this.log.info({}, 'Manager stopped');
  }

  /** Stops on SIGTERM/SIGINT (graceful lease release), then calls `onStopped` (e.g. process.exit). */
  stopOnSignals(onStopped: () => void, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
    const handler = (signal: NodeJS.Signals): void => {
      this.log.info({ signal }, 'Received signal; stopping');
      for (const s of signals) process.off(s, handler);
      void this.stop().then(onStopped, onStopped);
    };
    for (const s of signals) process.on(s, handler);
  }

  isReady(): boolean {
    return this.synced;
  }

  /**
   * Handlers on a shared informer that run on every replica, leader or not (a webhook's allow
   * list, its serving certificate). Its cache counts for isReady like the controllers' ones.
   */
  watch<T extends KubernetesObject>(resource: KubeResource, selection: InformerSelection, handlers: InformerHandlers<T>): void {
    const informer = this.informerFor(resource, selection);
    informer.addHandlers(handlers as InformerHandlers<KubernetesObject>);
    if (this.started) informer.start();
  }

  /** Queues a key for a controller (an imperative request such as "rotate now"); a no-op while not leading. */
  enqueue(controllerName: string, key: string): void {
    this.runners.find((r) => r.definition.name === controllerName)?.enqueue(key);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The cache of a resource some controller watches; throws for resources nobody watches. */
  cache<T extends KubernetesObject>(resource: KubeResource): CacheReader<T> {
    const informer = this.cacheByResource.get(resourceId(resource));
    if (!informer) {
      throw new DockmasterError('DM_ERR_NOT_WATCHED', `No informer for ${resource.kind} (${resource.apiVersion}): add it to a controller's forResource, owns or watches`);
    }
    return informer as unknown as CacheReader<T>;
  }

  private register(definition: ControllerDefinition): void {
    const runner = new ControllerRunner(definition, {
      logger: this.log,
      metrics: this.metrics,
      clock: this.clock,
      kube: this.clients,
      events: this.events,
      cache: (resource) => this.cache(resource),
    });
    this.runners.push(runner);
    const enqueue = (keys: string[]): void => keys.forEach((key) => runner.enqueue(key));
    const primaryKey = (obj: KubernetesObject): string[] => [objectKey(obj.metadata?.namespace, obj.metadata?.name ?? '')];
    const primaryHandlers = handlersFor(primaryKey, enqueue);
    this.informerFor(definition.forResource, definition.forSelection ?? {}).addHandlers({
      ...primaryHandlers,
      onDelete: (obj) => {
        for (const key of primaryKey(obj)) runner.cancelDelayed(key);
        enqueue(primaryKey(obj));
      },
    });
    const ownedSelector = this.options.ownedLabelSelector ?? MANAGED_BY_SELECTOR;
    for (const owned of definition.owns ?? []) {
      const toOwner = (obj: KubernetesObject): string[] => ownerKeys(obj, definition.forResource);
      this.informerFor(owned, { labelSelector: ownedSelector }).addHandlers(handlersFor(toOwner, enqueue));
    }
    for (const watch of definition.watches ?? []) {
      this.informerFor(watch.resource, watch).addHandlers(handlersFor((obj) => watch.mapToKeys(obj), enqueue));
    }
  }

  /** One shared informer per (resource, selection); the first registration defines what `cache()` reads. */
  private informerFor(resource: KubeResource, selection: InformerSelection): SharedInformer<KubernetesObject> {
    const { labelSelector, fieldSelector } = selection;
    // A selection's own namespace (the webhook's Secret) wins; cluster-scoped kinds have none.
    const watched = this.options.namespaces ?? [];
    const namespaces = !resource.namespaced ? [] : selection.namespace !== undefined ? [selection.namespace] : watched;
    const id = `${resourceId(resource)}?ns=${namespaces.join(',')}&l=${labelSelector ?? ''}&f=${fieldSelector ?? ''}`;
    let informer = this.informers.get(id);
    if (!informer) {
      const one = (namespace: string | undefined): Informer<KubernetesObject> => {
        const source = createApiListerWatcher<KubernetesObject>(this.clients, resource, {
          ...(namespace !== undefined && { namespace }),
          ...(labelSelector !== undefined && { labelSelector }),
          ...(fieldSelector !== undefined && { fieldSelector }),
        });
        return new Informer(source, {
          name: resource.plural,
          clock: this.clock,
          logger: this.log.child({ informer: resource.plural, ...(namespace !== undefined && { namespace }) }),
          resyncPeriodMs: this.options.resyncPeriodMs,
          transform: slimForCache,
        });
      };
      informer = namespaces.length <= 1 ? one(namespaces[0]) : new InformerGroup(new Map(namespaces.map((ns) => [ns, one(ns)])));
      this.informers.set(id, informer);
    }
    // cache() reads the widest informer of a kind: an unselected one (say, every Secret, to find a
    // user's htpasswd Secret) holds everything a label-selected one (our own children) does.
    const unselected = labelSelector === undefined && fieldSelector === undefined && selection.namespace === undefined;
    if (!this.cacheByResource.has(resourceId(resource)) || unselected) {
      this.cacheByResource.set(resourceId(resource), informer);
    }
    return informer;
  }

  private async startLeading(): Promise<void> {
    this.leading = true;
    this.metrics.isLeader.set(1);
    for (const runner of this.runners) runner.start();
    this.options.onStartedLeading?.();
  }

  private async stopLeading(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    this.metrics.isLeader.set(0);
    const drained = Promise.all(this.runners.map((r) => r.stop())).then(() => true);
    const timeoutMs = this.options.gracefulShutdownTimeoutMs ?? 30_000;
    let timer: Timer | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.clock.setTimeout(() => resolve(false), timeoutMs);
    });
    if (!(await Promise.race([drained, timedOut]))) {
      this.log.warn({ timeoutMs }, 'Reconciles still running after the graceful shutdown timeout; stopping anyway');
    }
    timer?.cancel();
    this.options.onStoppedLeading?.();
  }
}

function resourceId(resource: KubeResource): string {
  return `${resource.apiVersion}/${resource.kind}`;
}

function handlersFor(toKeys: (obj: KubernetesObject) => string[], enqueue: (keys: string[]) => void): InformerHandlers<KubernetesObject> {
  return {
    onAdd: (obj) => enqueue(toKeys(obj)),
    // An owner change moves a child between owners: both must hear about it.
    onUpdate: (oldObj, newObj) => enqueue([...new Set([...toKeys(oldObj), ...toKeys(newObj)])]),
    onDelete: (obj) => enqueue(toKeys(obj)),
  };
}
