import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sleep, systemClock, type Clock } from './clock.js';
import { apiErrorStatus, type KubeClients } from './kube-client.js';
import { collectionPath, objectPath, RESOURCES } from './resources.js';
import { decideLease, observeLease, releasedRecord, type LeaseRecord, type ObservedLease } from './lease-decision.js';

export interface LeaderElectionConfig {
  namespace: string;
  /** Lease name, e.g. `dockmaster-operator`. */
  leaseName: string;
  /** Unique per replica: the pod name, plus a random suffix so a restarted pod is a new candidate. */
  identity: string;
  /** How long others wait after the last renewal they saw before taking over (client-go: 15 s). */
  leaseDurationMs?: number;
  /** The leader steps down if it could not renew for this long (client-go: 10 s); < leaseDuration. */
  renewDeadlineMs?: number;
  /** Pause between tries to acquire or renew (client-go: 2 s). */
  retryPeriodMs?: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void | Promise<void>;
  /** Awaited before the lease is released, so the next leader never overlaps our in-flight work. */
  onStoppedLeading(): void | Promise<void>;
  onNewLeader?(identity: string): void;
}

/** client-go's JitterFactor: candidates spread their retries so they do not stampede. */
const RETRY_JITTER = 1.2;

/**
 * Campaigns for a coordination.k8s.io/v1 Lease, renews it while leading and releases it on
 * `stop()`. Writes use the lease's resourceVersion, so two candidates racing for one expired
 * lease cannot both win: the apiserver answers the loser 409 Conflict.
 */
export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly abort = new AbortController();
  private observed: ObservedLease | undefined;
  /** The last lease object we read or wrote, for its resourceVersion. */
  private lastLease: V1Lease | undefined;
  private leading = false;
  private lastSeenHolder: string | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly config: LeaderElectionConfig,
    private readonly clients: Pick<KubeClients, 'requestJson'>,
    private readonly callbacks: LeaderCallbacks,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
    private readonly random: () => number = Math.random,
  ) {
    this.leaseDurationMs = config.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = config.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = config.retryPeriodMs ?? 2_000;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning in the background; resolves at once. */
  start(): void {
    this.running ??= this.campaign();
  }

  /** Stops campaigning; a leader runs onStoppedLeading, then releases the lease. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async campaign(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (!(await this.tryAcquireOrRenew())) {
        await sleep(this.clock, this.retryPeriodMs * (1 + RETRY_JITTER * this.random()), signal);
        continue;
      }
      this.leading = true;
      this.log.info({ lease: this.config.leaseName, identity: this.config.identity }, 'Acquired leader lease');
      await this.callbacks.onStartedLeading();
      await this.renewUntilLost(signal);
      this.leading = false;
      await this.callbacks.onStoppedLeading();
      if (signal.aborted) {
        await this.release();
        return;
      }
      this.log.warn({ lease: this.config.leaseName }, 'Lost leader lease; campaigning again');
    }
  }

  /** Renews every retry period; returns when stopped or when no renewal succeeded within the deadline. */
  private async renewUntilLost(signal: AbortSignal): Promise<void> {
    let lastRenewMs = this.clock.now();
    while (!signal.aborted) {
      await sleep(this.clock, this.retryPeriodMs, signal);
      if (signal.aborted) return;
      const remainingMs = this.renewDeadlineMs - (this.clock.now() - lastRenewMs);
      // A hung request must not keep us leading past the deadline: race it against the clock.
      const renewed = await this.withDeadline(this.tryAcquireOrRenew(), Math.max(0, remainingMs));
      if (renewed) {
        lastRenewMs = this.clock.now();
      } else if (this.clock.now() - lastRenewMs >= this.renewDeadlineMs || this.lastSeenHolder !== this.config.identity) {
        return;
      }
    }
  }

  private withDeadline(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), ms);
      void attempt.then((ok) => {
        timer.cancel();
        resolve(ok);
      });
    });
  }

  /** One round of client-go's tryAcquireOrRenew. Never throws: failure means "not leader now". */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, leaseName: name, identity } = this.config;
    try {
      let current: V1Lease | undefined;
      try {
        current = await this.clients.requestJson<V1Lease>('GET', objectPath(RESOURCES.lease, namespace, name));
      } catch (err) {
        if (apiErrorStatus(err) !== 404) throw err;
      }
      const nowMs = this.clock.now();
      this.observed = current?.spec ? observeLease(this.observed, leaseRecordOf(current), nowMs) : undefined;
      this.noteHolder(this.observed?.record.holderIdentity);
      const decision = decideLease({
        observed: this.observed,
        nowMs,
        identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      });
      if (decision.action === 'wait') return false;
      const body: V1Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { ...(current?.metadata ?? {}), name, namespace },
        spec: leaseSpecOf(decision.record),
      };
      const written =
        decision.action === 'create'
          ? await this.clients.requestJson<V1Lease>('POST', collectionPath(RESOURCES.lease, namespace), { body })
          : await this.clients.requestJson<V1Lease>('PUT', objectPath(RESOURCES.lease, namespace, name), { body });
      this.lastLease = written;
      this.observed = { record: decision.record, observedAtMs: nowMs };
      this.noteHolder(identity);
      return true;
    } catch (err) {
      const status = apiErrorStatus(err);
      // 409: another candidate wrote first (resourceVersion moved). Expected while racing.
      if (status !== 409) this.log.warn({ err, lease: name }, 'Failed to acquire or renew leader lease');
      return false;
    }
  }

  /** Steps down on purpose so the next candidate need not wait out the lease. */
  private async release(): Promise<void> {
    const { namespace, leaseName: name, identity } = this.config;
    const lease = this.lastLease;
    if (!lease?.spec || lease.spec.holderIdentity !== identity) return;
    try {
      const body: V1Lease = { ...lease, spec: leaseSpecOf(releasedRecord(leaseRecordOf(lease), this.clock.now())) };
      await this.clients.requestJson('PUT', objectPath(RESOURCES.lease, namespace, name), { body });
      this.log.info({ lease: name, identity }, 'Released leader lease');
    } catch (err) {
      // 409 means someone already took it over: nothing left to release.
      this.log.warn({ err, lease: name }, 'Failed to release leader lease; others take over when it expires');
    }
  }

  private noteHolder(holder: string | undefined): void {
    if (holder === undefined || holder === this.lastSeenHolder) return;
    this.lastSeenHolder = holder;
    if (holder !== '') this.callbacks.onNewLeader?.(holder);
  }
}

export function leaseRecordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTimeMs: spec.acquireTime ? new Date(spec.acquireTime).getTime() : undefined,
    renewTimeMs: spec.renewTime ? new Date(spec.renewTime).getTime() : undefined,
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

function leaseSpecOf(record: LeaseRecord): NonNullable<V1Lease['spec']> {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: record.acquireTimeMs === undefined ? undefined : microTime(record.acquireTimeMs),
    renewTime: record.renewTimeMs === undefined ? undefined : microTime(record.renewTimeMs),
    leaseTransitions: record.leaseTransitions,
  };
}

/**
 * A metav1.MicroTime as the apiserver writes it (`2006-01-02T15:04:05.000000Z`). The V1Lease type
 * says V1MicroTime (a Date whose JSON client-node's serializer formats); our requests send plain
 * JSON, where a Date would lose the microsecond form, so the string goes in its place.
 */
function microTime(ms: number): Date {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}
