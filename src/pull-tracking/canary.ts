/**
 * The pull canary (issue 17): zero pull events does not prove zero pulls, since a NetworkPolicy,
 * a wrong token or a receiver that was down silences them. So, every few minutes, the operator
 * pulls (HEAD) a small image of its own from every pod of every tracked Registry, each request
 * with a nonce in its User-Agent, and checks at the next round that every nonce came back as an
 * event. A nonce that did not means pulls through that pod may have been lost: the Registry's
 * coverage restarts (err on keeping). Its events keep a quiet registry's path proven alive too,
 * which the 15-minute silence rule of records.ts then relies on.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import {
  PULL_CANARY_CONFIG,
  PULL_CANARY_MANIFEST,
  PULL_CANARY_MANIFEST_MEDIA_TYPE,
  PULL_CANARY_REPOSITORY,
  PULL_CANARY_TAG,
} from '../managed-registry/pull-canary-image.js';
import { isRegistryNotFound } from '../registry/client/errors.js';
import type { RegistryCredentials } from '../registry/client/auth.js';
import { RegistryV2Client } from '../registry/client/v2-client.js';
import type { KubeClients } from '../runtime/kube-client.js';
import { CANARY_USER_AGENT_PREFIX } from './events.js';
import type { PullTrackingMetrics } from './metrics.js';
import { readPullRecordsDocument, writePullBatch } from './store.js';

/** How often a Registry's pods are pulled from; a round's nonces are checked at the next one. */
export const CANARY_INTERVAL_MS = 5 * 60_000;
/** A nonce sent this long ago must have arrived (distribution retries, the store flushes). */
export const CANARY_DEADLINE_MS = 2 * 60_000;

export interface CanaryTarget {
  namespace: string;
  name: string;
  /** Where the canary image is pushed when missing: the Registry's Service URL. */
  serviceUrl: string;
  /** Every registry pod, each pulled from directly. */
  replicaUrls: string[];
  credentials?: RegistryCredentials;
  caPem?: string;
}

export type CanaryOutcome =
  | { state: 'waiting' }
  | { state: 'sent'; nonces: number }
  | { state: 'lost'; missing: number; sent: number }
  | { state: 'skipped'; reason: string };

interface Round {
  sentAtMs: number;
  nonces: string[];
}

export interface PullCanaryOptions {
  log: Logger;
  metrics?: PullTrackingMetrics;
  maxRecordsPerRegistry: number;
  now?: () => number;
  intervalMs?: number;
  deadlineMs?: number;
  /** Builds the client of one request; tests observe it. */
  clientFor?: (url: string, target: CanaryTarget, userAgent?: string) => RegistryV2Client;
}

export class PullCanary {
  private readonly rounds = new Map<string, Round>();
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly deadlineMs: number;
  private readonly clientFor: NonNullable<PullCanaryOptions['clientFor']>;

  constructor(private readonly options: PullCanaryOptions) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? CANARY_INTERVAL_MS;
    this.deadlineMs = options.deadlineMs ?? CANARY_DEADLINE_MS;
    this.clientFor =
      options.clientFor ??
      ((url, target, userAgent) =>
        new RegistryV2Client({ url, allowPlainHttp: true, ...(target.credentials && { credentials: target.credentials }), ...(target.caPem && { caPem: target.caPem }), ...(userAgent && { userAgent }) }));
  }

  /**
   * One step for one Registry, called at each of its reconciles (level-based: it does what is due).
   * Checks the last round once its deadline passed, then sends a new round when the interval has.
   */
  async step(target: CanaryTarget, kube: KubeClients): Promise<CanaryOutcome> {
    const outcome = await this.stepOnce(target, kube);
    if (outcome.state !== 'waiting') this.options.metrics?.canaryRounds.inc({ outcome: outcome.state });
    return outcome;
  }

  private async stepOnce(target: CanaryTarget, kube: KubeClients): Promise<CanaryOutcome> {
    const key = `${target.namespace}/${target.name}`;
    const round = this.rounds.get(key);
    const nowMs = this.now();
    if (round && nowMs - round.sentAtMs < Math.max(this.deadlineMs, this.intervalMs)) return { state: 'waiting' };
    let outcome: CanaryOutcome | undefined;
    if (round) {
      this.rounds.delete(key);
      const arrived = new Set((await readPullRecordsDocument(kube, target.namespace, target.name, nowMs))?.canaries ?? []);
      const missing = round.nonces.filter((nonce) => !arrived.has(nonce)).length;
      if (missing > 0) {
        // Pulls through a pod whose canary never came back may be lost until now: coverage restarts.
        await writePullBatch(kube, target.namespace, target.name, { pulls: [], instances: [], ignored: 0, lostUntilMs: nowMs }, { maxRecords: this.options.maxRecordsPerRegistry, now: this.now });
        this.options.log.warn({ registry: key, missing, sent: round.nonces.length }, 'Pull canary events did not arrive: pull tracking restarts its coverage for this Registry');
        outcome = { state: 'lost', missing, sent: round.nonces.length };
      }
    }
    if (target.replicaUrls.length === 0) return outcome ?? { state: 'skipped', reason: 'no registry pod to pull from' };
    const ready = await this.ensureImage(target);
    if (ready !== true) return outcome ?? { state: 'skipped', reason: ready };
    const nonces: string[] = [];
    for (const url of target.replicaUrls) {
      const nonce = randomBytes(12).toString('base64url');
      // Expected even if the request fails: a pod that cannot be pulled from now is the Registry's
      // own problem (Ready says so), and a pod that serves nobody costs coverage, the safe side.
      nonces.push(nonce);
      const client = this.clientFor(url, target, `${CANARY_USER_AGENT_PREFIX}${nonce}`);
      try {
        await client.headManifest(PULL_CANARY_REPOSITORY, PULL_CANARY_TAG);
      } catch (error) {
        this.options.log.debug({ err: error, registry: key, url }, 'Pull canary request failed');
      } finally {
        await client.close();
      }
    }
    this.rounds.set(key, { sentAtMs: nowMs, nonces });
    return outcome ?? { state: 'sent', nonces: nonces.length };
  }

  /** Forgets a deleted Registry's round (the Registry controller calls it once the Registry is gone). */
  forget(namespace: string, name: string): void {
    this.rounds.delete(`${namespace}/${name}`);
  }

  /** The canary image is there, or was pushed now; otherwise why not (e.g. a read-only GC window). */
  private async ensureImage(target: CanaryTarget): Promise<true | string> {
    const client = this.clientFor(target.serviceUrl, target);
    try {
      try {
        await client.headManifest(PULL_CANARY_REPOSITORY, PULL_CANARY_TAG);
        return true;
      } catch (error) {
        if (!isRegistryNotFound(error)) return `the canary image cannot be read: ${String(error)}`;
      }
      await client.uploadBlob(PULL_CANARY_REPOSITORY, PULL_CANARY_CONFIG);
      await client.putManifest(PULL_CANARY_REPOSITORY, PULL_CANARY_TAG, PULL_CANARY_MANIFEST_MEDIA_TYPE, PULL_CANARY_MANIFEST);
      this.options.log.info({ registry: `${target.namespace}/${target.name}` }, `Pushed the pull canary image ${PULL_CANARY_REPOSITORY}:${PULL_CANARY_TAG}`);
      return true;
    } catch (error) {
      return `the canary image cannot be pushed: ${String(error)}`;
    } finally {
      await client.close();
    }
  }
}
