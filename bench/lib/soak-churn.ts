import { ApiStatusError, type AdminClient } from './admin-client.js';
import { REGISTRY_API } from './registry-convergence.js';

/**
 * The soak's workload: Registries and RetentionPolicies created, edited and deleted at random
 * from a seeded generator, so a failing soak can be replayed action for action. Requests that
 * fail (the apiserver is being restarted) are counted and the next tick goes on: the check at
 * the end compares the operator's work with what the apiserver holds, not with what we meant.
 */

/** mulberry32: a tiny seeded PRNG, enough to make a run reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type ChurnAction = 'createRegistry' | 'editRegistry' | 'deleteRegistry' | 'createPolicy' | 'editPolicy' | 'deletePolicy';

/** Which action comes next (pure): grow towards `target` live objects of each kind, then churn. */
export function chooseAction(random: number, live: { registries: number; policies: number }, target: number): ChurnAction {
  const kind = random < 0.6 ? 'Registry' : 'Policy';
  const count = kind === 'Registry' ? live.registries : live.policies;
  const roll = (random * 10) % 1;
  let verb: 'create' | 'edit' | 'delete';
  if (count === 0) verb = 'create';
  else if (count < target) verb = roll < 0.5 ? 'create' : roll < 0.8 ? 'edit' : 'delete';
  else verb = roll < 0.2 ? 'create' : roll < 0.6 ? 'edit' : 'delete';
  return `${verb}${kind}` as ChurnAction;
}

export interface ChurnTally {
  actions: Record<ChurnAction, number>;
  failed: number;
  /** Every Registry name ever created: those gone at the end must have no children left. */
  registriesCreated: Set<string>;
}

export class SoakChurn {
  readonly tally: ChurnTally = {
    actions: { createRegistry: 0, editRegistry: 0, deleteRegistry: 0, createPolicy: 0, editPolicy: 0, deletePolicy: 0 },
    failed: 0,
    registriesCreated: new Set(),
  };
  private readonly registries = new Set<string>();
  private readonly policies = new Set<string>();
  private serial = 0;

  constructor(
    private readonly admin: AdminClient,
    private readonly namespace: string,
    private readonly random: () => number,
    private readonly target: number,
  ) {}

  async tick(): Promise<void> {
    const action = chooseAction(this.random(), { registries: this.registries.size, policies: this.policies.size }, this.target);
    try {
      await this.perform(action);
      this.tally.actions[action]++;
    } catch (error) {
      // 404/409 are races with our own earlier (failed-looking) requests; anything else is the restart.
      if (!(error instanceof ApiStatusError) || ![404, 409].includes(error.status)) this.tally.failed++;
    }
  }

  private pick(names: Set<string>): string {
    const list = [...names];
    return list[Math.floor(this.random() * list.length)] ?? '';
  }

  private cpu(): string {
    return `${50 + Math.floor(this.random() * 20) * 10}m`;
  }

  private async perform(action: ChurnAction): Promise<void> {
    const base = `${REGISTRY_API}/namespaces/${this.namespace}`;
    const merge = { contentType: 'application/merge-patch+json' };
    switch (action) {
      case 'createRegistry': {
        const name = `reg-${++this.serial}`;
        this.tally.registriesCreated.add(name);
        await this.admin.request('POST', `${base}/registries`, {
          apiVersion: 'dockmaster.dev/v1alpha1',
          kind: 'Registry',
          metadata: { name, namespace: this.namespace },
          spec: { storage: { emptyDir: {} }, resources: { requests: { cpu: this.cpu() } } },
        });
        this.registries.add(name);
        return;
      }
      case 'editRegistry':
        await this.admin.request('PATCH', `${base}/registries/${this.pick(this.registries)}`, { spec: { resources: { requests: { cpu: this.cpu() } } } }, merge);
        return;
      case 'deleteRegistry': {
        const name = this.pick(this.registries);
        this.registries.delete(name);
        await this.admin.request('DELETE', `${base}/registries/${name}`);
        return;
      }
      case 'createPolicy': {
        const name = `pol-${++this.serial}`;
        await this.admin.request('POST', `${base}/retentionpolicies`, {
          apiVersion: 'dockmaster.dev/v1alpha1',
          kind: 'RetentionPolicy',
          metadata: { name, namespace: this.namespace },
          spec: {
            registryRef: { name: this.registries.size > 0 ? this.pick(this.registries) : 'none' },
            // Once a year at midnight: the soak checks the controller's bookkeeping, not runs.
            schedule: '0 0 1 1 *',
            dryRun: true,
            keep: [{ tags: ['v*'], mostRecent: 1 + Math.floor(this.random() * 10) }],
          },
        });
        this.policies.add(name);
        return;
      }
      case 'editPolicy':
        await this.admin.request('PATCH', `${base}/retentionpolicies/${this.pick(this.policies)}`, { spec: { keep: [{ tags: ['v*'], mostRecent: 1 + Math.floor(this.random() * 10) }] } }, merge);
        return;
      case 'deletePolicy': {
        const name = this.pick(this.policies);
        this.policies.delete(name);
        await this.admin.request('DELETE', `${base}/retentionpolicies/${name}`);
        return;
      }
    }
  }
}
