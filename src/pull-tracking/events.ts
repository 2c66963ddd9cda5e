/**
 * distribution's notification envelope, checked: what a registry sends is hostile until parsed
 * (sizes bounded, digests checked). Only manifest pulls by others than dockmaster count.
 */
import * as z from 'zod';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** distribution batches at most a few events per envelope; anything near this is not a registry. */
export const MAX_EVENTS_PER_ENVELOPE = 1000;

const eventSchema = z.looseObject({
  action: z.string().max(32),
  timestamp: z.string().max(64),
  target: z.looseObject({ repository: z.string().min(1).max(512), digest: z.string().max(80).optional(), mediaType: z.string().max(256).optional() }),
  request: z.looseObject({ useragent: z.string().max(1024).optional() }).optional(),
  source: z.looseObject({ instanceID: z.string().max(128).optional() }).optional(),
});

export const envelopeSchema = z.strictObject({ events: z.array(eventSchema).max(MAX_EVENTS_PER_ENVELOPE) });
export type NotificationEnvelope = z.output<typeof envelopeSchema>;

export interface Pull {
  repository: string;
  digest: string;
  atMs: number;
}

export interface PullBatch {
  pulls: Pull[];
  /** distribution instance IDs seen (one per registry process start). */
  instances: string[];
  ignored: number;
  /** Nonces of the pull canary's requests that came back as events (canary.ts). */
  canaries: string[];
}

/** dockmaster's own requests (retention's HEADs and GETs) carry this User-Agent prefix: they are not pulls by users. */
export const OWN_USER_AGENT_PREFIX = 'dockmaster/';
/** The pull canary's requests: `dockmaster-canary/<nonce>`, one nonce per registry pod and round. */
export const CANARY_USER_AGENT_PREFIX = 'dockmaster-canary/';
const CANARY_NONCE = /^[A-Za-z0-9_-]{8,64}$/;

/** The pulls an envelope reports, without dockmaster's own and without anything that is not a manifest pull. */
export function pullsOf(envelope: NotificationEnvelope): PullBatch {
  const pulls: Pull[] = [];
  const instances = new Set<string>();
  const canaries: string[] = [];
  let ignored = 0;
  for (const event of envelope.events) {
    if (event.source?.instanceID) instances.add(event.source.instanceID);
    const atMs = Date.parse(event.timestamp);
    const digest = event.target.digest ?? '';
    const userAgent = event.request?.useragent ?? '';
    const own = userAgent.startsWith(OWN_USER_AGENT_PREFIX);
    if (userAgent.startsWith(CANARY_USER_AGENT_PREFIX)) {
      // Proof that this registry's events reach us; never a pull.
      const nonce = userAgent.slice(CANARY_USER_AGENT_PREFIX.length);
      if (event.action === 'pull' && CANARY_NONCE.test(nonce)) canaries.push(nonce);
      ignored += 1;
      continue;
    }
    if (event.action !== 'pull' || own || !DIGEST.test(digest) || !Number.isFinite(atMs)) {
      ignored += 1;
      continue;
    }
    pulls.push({ repository: event.target.repository, digest, atMs });
  }
  return { pulls, instances: [...instances], ignored, canaries };
}
