import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AdmissionPolicyHolder } from '../../admission/policy.js';
import { registryAdmissionSources, type RegistryForAdmission } from '../../admission/registry-sources.js';
import { createApiListerWatcher, Informer, RESOURCES, stripManagedFields, type KubeClients } from '../../runtime/index.js';

/**
 * Feeds the allow list from Registries: every replica watches them and hands the full set of
 * allowed sources to the policy holder on each change, so a new Registry (or `admission.allowed`
 * flipped) takes effect on the next admission request, without a restart.
 */
export class RegistryAllowListFeed {
  private readonly informer: Informer<KubernetesObject>;
  private lastSummary = '';

  constructor(
    clients: KubeClients,
    private readonly policy: AdmissionPolicyHolder,
    private readonly log: Logger,
    options: { namespace?: string } = {},
  ) {
    this.informer = new Informer(createApiListerWatcher(clients, RESOURCES.registry, options.namespace ? { namespace: options.namespace } : {}), {
      name: RESOURCES.registry.plural,
      logger: log,
      transform: stripManagedFields,
    });
    const refresh = (): void => this.refresh();
    this.informer.addHandlers({ onAdd: refresh, onUpdate: refresh, onDelete: refresh });
  }

  start(): void {
    this.informer.start();
  }

  async stop(): Promise<void> {
    await this.informer.stop();
  }

  waitForSync(): Promise<void> {
    return this.informer.waitForSync();
  }

  hasSynced(): boolean {
    return this.informer.hasSynced();
  }

  private refresh(): void {
    const sources = registryAdmissionSources(this.informer.list() as RegistryForAdmission[]);
    const problems = this.policy.setRegistrySources(sources);
    // Resyncs re-deliver every Registry; log only when the allowed set changes.
    const summary = JSON.stringify(sources);
    if (summary === this.lastSummary) return;
    this.lastSummary = summary;
    this.log.info({ registries: sources.map((s) => s.registry) }, 'Updated the allow list from Registries');
    for (const problem of problems) this.log.warn({ origin: problem.origin, entry: problem.entry, reason: problem.message }, 'Skipped an allow-list entry of a Registry');
  }
}
