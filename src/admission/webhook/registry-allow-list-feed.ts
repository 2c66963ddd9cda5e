import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AdmissionPolicyHolder } from '../policy.js';
import type { RegistryForAdmission } from '../registry-sources.js';
import type { Manager } from '../../runtime/manager.js';
import { RESOURCES } from '../../runtime/resources.js';

/**
 * Feeds the allow list from Registries: every replica watches them (a shared informer of its
 * Manager, which runs on followers too) and hands the full set of allowed sources to the policy
 * holder on each change, so a new Registry (or `admission.allowed` flipped) takes effect on the
 * next admission request, without a restart.
 */
export class RegistryAllowListFeed {
  private lastSummary = '';

  constructor(
    private readonly manager: Manager,
    private readonly policy: AdmissionPolicyHolder,
    private readonly log: Logger,
  ) {
    const refresh = (): void => this.refresh();
    manager.watch<KubernetesObject>(RESOURCES.registry, {}, { onAdd: refresh, onUpdate: refresh, onDelete: refresh });
  }

  private refresh(): void {
    const { sources, problems } = this.policy.setRegistries(this.manager.cache<KubernetesObject>(RESOURCES.registry).list() as RegistryForAdmission[]);
    // Resyncs re-deliver every Registry; log only when the allowed set changes.
    const summary = JSON.stringify(sources);
    if (summary === this.lastSummary) return;
    this.lastSummary = summary;
    this.log.info({ registries: sources.map((s) => s.registry), clusterWide: sources.filter((s) => s.clusterWide).map((s) => s.registry) }, 'Updated the allow list from Registries');
    for (const problem of problems) this.log.warn({ origin: problem.origin, entry: problem.entry, reason: problem.message }, 'Skipped an allow-list entry of a Registry');
  }
}
