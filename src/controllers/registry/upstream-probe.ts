/**
 * A mirror's upstream, checked from the operator: `GET /v2/` with the mirror's credentials
 * (basic or token auth, as the registry asks), through the admin's outbound allow list. The
 * result is the UpstreamReachable condition; rejected credentials also make the mirror Degraded.
 */
import type { AddressPolicy } from '../../registry/client/address-policy.js';
import type { RegistryCredentials } from '../../registry/client/auth.js';
import { RegistryApiError } from '../../registry/client/errors.js';
import { RegistryV2Client } from '../../registry/client/v2-client.js';

export interface UpstreamProbeResult {
  reachable: boolean;
  /** The upstream refused the credentials (401/403 after authenticating with them). */
  credentialsRejected: boolean;
  message: string;
}

export type UpstreamProbe = (remoteURL: string, credentials: RegistryCredentials | undefined) => Promise<UpstreamProbeResult>;

/** The default probe: one bounded request (5 s, no retries, 64 KiB read at most). */
export function upstreamProbe(addressPolicy?: AddressPolicy): UpstreamProbe {
  return async (remoteURL, credentials) => {
    const client = new RegistryV2Client({
      url: remoteURL,
      allowPlainHttp: remoteURL.startsWith('http://'),
      ...(credentials && { credentials }),
      ...(addressPolicy && { addressPolicy }),
      retries: 0,
      timeoutMs: 5_000,
      limits: { maxBytesRead: 64 * 1024, requestDeadlineMs: 10_000 },
    });
    try {
      await client.ping();
      return { reachable: true, credentialsRejected: false, message: `${remoteURL} answers /v2/${credentials ? ' with the configured credentials' : ''}.` };
    } catch (error) {
      const status = error instanceof RegistryApiError ? error.status : null;
      const detail = error instanceof Error ? error.message : String(error);
      if (credentials && (status === 401 || status === 403)) {
        return { reachable: true, credentialsRejected: true, message: `${remoteURL} refused the credentials of spec.proxy.credentialsSecret (HTTP ${status}): ${detail}` };
      }
      return { reachable: false, credentialsRejected: false, message: `${remoteURL} is not reachable: ${detail}. Cached content is still served.` };
    } finally {
      await client.close();
    }
  };
}
