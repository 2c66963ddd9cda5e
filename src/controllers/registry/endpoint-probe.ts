import type { V1Deployment } from '@kubernetes/client-node';
import { loadUndici } from '../../registry/client/undici.js';

export interface ProbeResult {
  ok: boolean;
  message: string;
}

/**
 * Where the operator sends its `/v2/` check for a Registry. In a cluster that is the Service
 * URL; the stand-in kubelet of the tests runs registries on loopback ports the Service DNS name
 * cannot reach, so tests inject a resolver reading the stand-in's annotation. Product code never
 * reads that annotation.
 */
export type EndpointResolver = (serviceUrl: string, deployment: V1Deployment | undefined) => string | undefined;

export const resolveThroughService: EndpointResolver = (serviceUrl) => serviceUrl;

/**
 * GET `<url>/v2/`. 200 and 401 both prove a registry answers the v2 API (401 is its
 * htpasswd challenge, and the operator holds no user credentials). The serving certificate is
 * not verified: this checks that the registry answers, and the operator has no trust anchor
 * for a user's certificate; clients that pull do verify it.
 */
export async function probeRegistryV2(baseUrl: string, timeoutMs = 3000): Promise<ProbeResult> {
  const { Agent, request } = await loadUndici();
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false, timeout: timeoutMs } });
  try {
    const response = await request(`${baseUrl}/v2/`, { dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await response.body.dump();
    const apiVersion = response.headers['docker-distribution-api-version'];
    if ((response.statusCode === 200 || response.statusCode === 401) && apiVersion === 'registry/2.0') {
      return { ok: true, message: `HTTP ${response.statusCode}` };
    }
    return { ok: false, message: `HTTP ${response.statusCode} without Docker-Distribution-Api-Version: registry/2.0` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, message: cause ?? (error instanceof Error ? error.message : String(error)) };
  } finally {
    await dispatcher.close();
  }
}
