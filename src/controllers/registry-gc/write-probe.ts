/**
 * The check that gates each side of a window: does every replica refuse writes (read-only in
 * force) or accept them (read-write again)? Two different writes, because of what each leaves
 * behind on distribution 2.8.2 (pinned by write-probe.test.ts against the real registry):
 * - refused: DELETE of a manifest that does not exist. Read-only answers 405 (the route has no
 *   DELETE then); read-write answers 404 and writes nothing, so retrying through a rollout is free.
 * - accepted: the start of a blob upload (202), the first request of every push, so it proves the
 *   storage takes writes; it is cancelled at once with DELETE on its Location. The cancel leaves
 *   an empty upload directory with one hash-state file (~40 KB of directories by du): one per
 *   replica per window, which distribution's upload purging removes.
 */
import type { Agent } from 'undici';
import { loadUndici } from '../../registry/client/undici.js';
import type { ReplicaCheck } from '../../gc/window-decision.js';

/** Repository the probes name; no image lives there (the catalog does not list it). */
export const PROBE_REPOSITORY = 'dockmaster-gc-probe/write-check';
const ABSENT_DIGEST = `sha256:${'0'.repeat(64)}`;

export type WriteExpectation = 'refused' | 'accepted';

export interface ProbeAccess {
  credentials?: { username: string; password: string };
  /** CA of the registry certificate; the pod IP is not in it, so only the chain is checked. */
  caPem?: string;
}

const TIMEOUT_MS = 5_000;

async function probeOne(dispatcher: Agent, baseUrl: string, expectation: WriteExpectation, access: ProbeAccess): Promise<string | undefined> {
  const { request } = await loadUndici();
  const headers: Record<string, string> = {};
  if (access.credentials) {
    headers.authorization = `Basic ${Buffer.from(`${access.credentials.username}:${access.credentials.password}`).toString('base64')}`;
  }
  const timeouts = { dispatcher, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS };
  if (expectation === 'refused') {
    const res = await request(`${baseUrl}/v2/${PROBE_REPOSITORY}/manifests/${ABSENT_DIGEST}`, { method: 'DELETE', headers, ...timeouts });
    await res.body.dump();
    return res.statusCode === 405 ? undefined : `${baseUrl} answered ${res.statusCode} to a manifest DELETE, not 405 (still writable)`;
  }
  const start = await request(`${baseUrl}/v2/${PROBE_REPOSITORY}/blobs/uploads/`, { method: 'POST', headers: { ...headers, 'content-length': '0' }, ...timeouts });
  await start.body.dump();
  const location = start.headers.location;
  if (start.statusCode === 202 && typeof location === 'string') {
    // Location is absolute with the host the registry thinks it has; keep only path and query.
    const target = new URL(location, baseUrl);
    const cancel = await request(`${baseUrl}${target.pathname}${target.search}`, { method: 'DELETE', headers, ...timeouts });
    await cancel.body.dump();
    return undefined;
  }
  return `${baseUrl} answered ${start.statusCode} to the start of an upload, not 202`;
}

/** Verified only when every URL answers as expected; the first failure is the reason. */
export async function checkReplicaWrites(urls: readonly string[], expectation: WriteExpectation, access: ProbeAccess): Promise<ReplicaCheck> {
  const { Agent } = await loadUndici();
  const dispatcher = new Agent({
    connectTimeout: TIMEOUT_MS,
    connect: access.caPem ? { ca: access.caPem, checkServerIdentity: () => undefined } : {},
  });
  try {
    for (const url of urls) {
      let problem: string | undefined;
      try {
        problem = await probeOne(dispatcher, url.replace(/\/+$/, ''), expectation, access);
      } catch (error) {
        problem = `${url} did not answer: ${(error as Error).message}`;
      }
      if (problem) return { verified: false, reason: problem };
    }
    return { verified: true };
  } finally {
    await dispatcher.close();
  }
}
