import type { KubeClients } from '../../../src/runtime/kube-client.js';
import { apiErrorStatus } from '../../../src/runtime/kube-client.js';

/** Retries `check` until it stops throwing or `timeoutMs` passes (then rethrows its last error). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

export async function ensureNamespace(clients: KubeClients, name: string): Promise<void> {
  try {
    await clients.core.createNamespace({ body: { metadata: { name } } });
  } catch (err) {
    if (apiErrorStatus(err) !== 409) throw err;
  }
}
