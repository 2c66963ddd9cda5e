import type { AdminClient, KubeObject } from './admin-client.js';
import { childNames, REGISTRY_API, snapshotNamespace, statusIsCurrent, type NamespaceSnapshot } from './registry-convergence.js';

/**
 * What "converged" means after the soak, checked against what the apiserver holds: every
 * Registry has its children, its Deployment carries the spec's CPU request (the field the soak
 * edits) and its status is current; every Registry that is gone has no child left and none is
 * stuck deleting; every RetentionPolicy's status has observed its generation.
 */

export interface SoakConvergence {
  registries: number;
  policies: number;
  problems: string[];
}

function deploymentCpu(deployment: KubeObject | undefined): string | undefined {
  const spec = deployment?.spec as { template?: { spec?: { containers?: Array<{ resources?: { requests?: { cpu?: string } } }> } } } | undefined;
  return spec?.template?.spec?.containers?.[0]?.resources?.requests?.cpu;
}

function registryProblems(snapshot: NamespaceSnapshot, registry: KubeObject): string[] {
  const name = registry.metadata.name;
  if (registry.metadata.deletionTimestamp) return [`Registry ${name} is stuck deleting (finalizers ${JSON.stringify(registry.metadata.finalizers)})`];
  const children = childNames(name);
  const problems: string[] = [];
  if (!statusIsCurrent(registry)) problems.push(`Registry ${name}: status not current (${JSON.stringify(registry.status ?? null).slice(0, 200)})`);
  const missing = [
    snapshot.deployments.has(children.deployment) ? '' : 'Deployment',
    snapshot.services.has(children.service) ? '' : 'Service',
    snapshot.configMaps.has(children.configMap) ? '' : 'ConfigMap',
    snapshot.secrets.has(children.secret) ? '' : 'Secret',
  ].filter(Boolean);
  if (missing.length > 0) problems.push(`Registry ${name}: missing ${missing.join(', ')}`);
  const wantCpu = (registry.spec as { resources?: { requests?: { cpu?: string } } } | undefined)?.resources?.requests?.cpu;
  const haveCpu = deploymentCpu(snapshot.deployments.get(children.deployment));
  if (snapshot.deployments.has(children.deployment) && wantCpu !== haveCpu) problems.push(`Registry ${name}: Deployment cpu ${haveCpu} != spec ${wantCpu}`);
  return problems;
}

export async function checkSoakConvergence(admin: AdminClient, namespace: string, everCreated: ReadonlySet<string>): Promise<SoakConvergence> {
  const snapshot = await snapshotNamespace(admin, namespace);
  const policies = await admin.list(`${REGISTRY_API}/namespaces/${namespace}/retentionpolicies`);
  const problems = snapshot.registries.flatMap((registry) => registryProblems(snapshot, registry));
  const present = new Set(snapshot.registries.map((r) => r.metadata.name));
  for (const name of everCreated) {
    if (present.has(name)) continue;
    const children = childNames(name);
    const left = [
      snapshot.deployments.has(children.deployment) ? 'Deployment' : '',
      snapshot.services.has(children.service) ? 'Service' : '',
      snapshot.configMaps.has(children.configMap) ? 'ConfigMap' : '',
      snapshot.secrets.has(children.secret) ? 'Secret' : '',
    ].filter(Boolean);
    if (left.length > 0) problems.push(`deleted Registry ${name} left ${left.join(', ')}`);
  }
  for (const policy of policies) {
    const observed = (policy.status as { observedGeneration?: number } | undefined)?.observedGeneration;
    if (observed !== policy.metadata.generation) problems.push(`RetentionPolicy ${policy.metadata.name}: observedGeneration ${observed} != generation ${policy.metadata.generation}`);
  }
  return { registries: snapshot.registries.length, policies: policies.length, problems };
}
