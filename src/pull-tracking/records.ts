/**
 * The pull records of one Registry as stored (a ConfigMap's `pulls.json`), and how a batch of
 * pulls changes them (pure). Coverage (`coveredSince`) only moves forward, and moves whenever
 * pulls may have been lost: a new registry process (its event queue was in memory) or records
 * dropped to stay under the bound. Keep rules trust "not pulled within D" only when coverage
 * spans D, so every doubt keeps tags.
 */
import * as z from 'zod';
import type { PullRecords } from '../retention/pull-records.js';
import type { PullBatch } from './events.js';

export const PULLS_KEY = 'pulls.json';
/** Instance IDs remembered, to tell a new registry process from one already seen. */
const MAX_INSTANCES = 16;

/**
 * Zero events does not prove zero pulls (a NetworkPolicy or a wrong token silences them). Any
 * event proves the path alive, dockmaster's own HEADs during retention runs included; records
 * whose last event is older than this are not trusted to say what was not pulled.
 */
export const MAX_SILENCE_MS = 15 * 60_000;

/** Canary nonces remembered: a few rounds of every pod of a Registry. */
const MAX_CANARIES = 64;

const documentSchema = z.object({
  coveredSince: z.string(),
  lastEvent: z.string().optional(),
  instances: z.array(z.string()).default([]),
  canaries: z.array(z.string()).default([]),
  pulls: z.record(z.string(), z.record(z.string(), z.string())).default({}),
});
export type PullRecordsDocument = z.output<typeof documentSchema>;

/** The stored document; a missing or unreadable one starts coverage now (nothing known before). */
export function parseRecordsDocument(text: string | undefined, nowMs: number): PullRecordsDocument {
  const fresh: PullRecordsDocument = { coveredSince: new Date(nowMs).toISOString(), instances: [], canaries: [], pulls: {} };
  if (!text) return fresh;
  try {
    const parsed = documentSchema.safeParse(JSON.parse(text));
    return parsed.success && Number.isFinite(Date.parse(parsed.data.coveredSince)) ? parsed.data : fresh;
  } catch {
    return fresh;
  }
}

const later = (a: string, bMs: number): string => (Date.parse(a) >= bMs ? a : new Date(bMs).toISOString());

/** A batch of received pulls on its way to the records; `lostUntilMs`: the latest pull dropped before it got here. */
export type PendingBatch = Pick<PullBatch, 'pulls' | 'instances' | 'ignored'> & Partial<Pick<PullBatch, 'canaries'>> & { lostUntilMs?: number };

/** The document with a batch merged in: latest pull per (repository, digest), bounded to `maxRecords`. */
export function mergePulls(doc: PullRecordsDocument, batch: PendingBatch, nowMs: number, maxRecords: number): PullRecordsDocument {
  const hasEvents = batch.pulls.length + batch.ignored > 0;
  const lastEvent = hasEvents ? new Date(nowMs).toISOString() : doc.lastEvent;
  let coveredSince = batch.lostUntilMs === undefined ? doc.coveredSince : later(doc.coveredSince, batch.lostUntilMs);
  // Events after a silence longer than MAX_SILENCE_MS: what happened during it is not known.
  if (hasEvents && doc.lastEvent !== undefined && nowMs - Date.parse(doc.lastEvent) > MAX_SILENCE_MS) coveredSince = later(coveredSince, nowMs);
  const known = new Set(doc.instances);
  const newInstances = batch.instances.filter((id) => !known.has(id));
  // A process not seen before: if one ran before it, its queued events may be gone.
  if (doc.instances.length > 0 && newInstances.length > 0) coveredSince = later(coveredSince, nowMs);
  const instances = [...doc.instances, ...newInstances].slice(-MAX_INSTANCES);

  const pulls: Record<string, Record<string, string>> = {};
  for (const [repository, digests] of Object.entries(doc.pulls)) pulls[repository] = { ...digests };
  for (const pull of batch.pulls) {
    const byDigest = (pulls[pull.repository] ??= {});
    const previous = byDigest[pull.digest];
    if (previous === undefined || Date.parse(previous) < pull.atMs) byDigest[pull.digest] = new Date(pull.atMs).toISOString();
  }

  const all = Object.entries(pulls).flatMap(([repository, digests]) => Object.entries(digests).map(([digest, at]) => ({ repository, digest, atMs: Date.parse(at) })));
  if (all.length > maxRecords) {
    all.sort((a, b) => a.atMs - b.atMs);
    const dropped = all.slice(0, all.length - maxRecords);
    for (const { repository, digest } of dropped) {
      delete pulls[repository]?.[digest];
      if (Object.keys(pulls[repository] ?? {}).length === 0) delete pulls[repository];
    }
    // Pulls up to the newest dropped one are no longer all known.
    coveredSince = later(coveredSince, dropped.at(-1)?.atMs ?? nowMs);
  }
  const canaries = [...doc.canaries, ...(batch.canaries ?? [])].slice(-MAX_CANARIES);
  return { coveredSince, ...(lastEvent && { lastEvent }), instances, canaries, pulls };
}

/** What the planner reads: no coverage at all while the event path has been silent too long. */
export function toPullRecords(doc: PullRecordsDocument, nowMs: number): PullRecords {
  const byRepository = new Map<string, Map<string, number>>();
  for (const [repository, digests] of Object.entries(doc.pulls)) {
    byRepository.set(repository, new Map(Object.entries(digests).map(([digest, at]) => [digest, Date.parse(at)])));
  }
  const lastEventMs = doc.lastEvent ? Date.parse(doc.lastEvent) : Number.NaN;
  const silent = !(nowMs - lastEventMs <= MAX_SILENCE_MS);
  return { coveredSinceMs: silent ? nowMs : Date.parse(doc.coveredSince), byRepository };
}
