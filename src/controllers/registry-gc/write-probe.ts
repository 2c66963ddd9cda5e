/**
 * The check that gates each side of a window: does every replica refuse a write (405, read-only
 * in force) or accept one (202, read-write again)? The write is the start of a blob upload, the
 * first request of every push; an accepted one is cancelled at once with DELETE on its Location.
 */
import { Agent, request } from 'undici';
import type { ReplicaCheck } from '../../gc/window-decision.js';

/** Repository the probe's upload is started in (and cancelled); a name no image uses. */
export const PROBE_REPOSITORY = 'dockmaster-gc-probe/write-check';

export type WriteExpectation = 'refused' | 'accepted';

export interface ProbeAccess {
  credentials?: { username: string; password: string };
  /** CA of the registry certificate; the pod IP is not in it, so only the chain is checked. */
  caPem?: string;
}

const TIMEOUT_MS = 5_000;

async function probeOne(dispatcher: Agent, baseUrl: string, expectation: WriteExpectation, access: ProbeAccess): Promise<string | undefined> {
  const headers: Record<string, string> = {};
  if (access.credentials) {
    headers.authorization = `Basic ${Buffer.from(`${access.credentials.username}:${access.credentials.password}`).toString('base64')}`;
  }
  const start = await request(`${baseUrl}/v2/${PROBE_REPOSITORY}/blobs/uploads/`, {
    method: 'POST', headers: { ...headers, 'content-length': '0' }, dispatcher, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS,
  });
  await start.body.dump();
  const location = start.headers.location;
  if (start.statusCode === 202 && typeof location === 'string') {
    // Location is absolute with the host the registry thinks it has; keep only path and query.
    const target = new URL(location, baseUrl);
    const cancel = await request(`${baseUrl}${target.pathname}${target.search}`, { method: 'DELETE', headers, dispatcher, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
    await cancel.body.dump();
  }
  if (expectation === 'refused') return start.statusCode === 405 ? undefined : `${baseUrl} answered ${start.statusCode} to a write, not 405`;
  return start.statusCode === 202 ? undefined : `${baseUrl} answered ${start.statusCode} to a write, not 202`;
}

/** Verified only when every URL answers as expected; the first failure is the reason. */
export async function checkReplicaWrites(urls: readonly string[], expectation: WriteExpectation, access: ProbeAccess): Promise<ReplicaCheck> {
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
