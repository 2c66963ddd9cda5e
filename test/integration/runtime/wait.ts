import type { KubeClients } from '../../../src/runtime/kube-client.js';
import { apiErrorStatus } from '../../../src/runtime/kube-client.js';

/** Retries `check` until it stops throwing or `timeoutMs` passes (then rethrows its last error); returns what it returned. */
export async function eventually<T = void>(check: () => T | Promise<T>, timeoutMs = 15_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

export async function ensureNamespace(clients: KubeClients, name: string): Promise<void> {
  try {
    await clients.requestJson('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  } catch (err) {
    if (apiErrorStatus(err) !== 409) throw err;
  }
}
