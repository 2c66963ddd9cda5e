/**
 * How the operator reaches what the stand-in kubelet runs, for the demo and the end-to-end
 * tests. The stand-in runs each registry as a loopback process (no Pods, no pod IPs, no Service
 * DNS, no pods/log), so every URL comes from the annotation it writes on the Deployment and a
 * GC Job's output from the one it writes on the Job. Product code never reads either annotation.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { EndpointResolver } from '../../src/controllers/registry/endpoint-probe.js';
import { registryChildNames } from '../../src/managed-registry/children.js';
import { isRolledOut } from '../../src/controllers/registry/status.js';
import type { JobOutputReader, ReplicaResolver } from '../../src/controllers/registry-gc/controller.js';
import type { RegistryUrlResolver } from '../../src/controllers/retention-policy/controller.js';
import { objectPath, RESOURCES } from '../../src/runtime/resources.js';
import { JOB_OUTPUT_ANNOTATION } from './job-runner.js';
import { LOCAL_URL_ANNOTATION, LOCAL_URLS_ANNOTATION } from './stand-in-kubelet.js';

/** Registry controller: where its `/v2/` readiness check goes. */
export const resolveThroughStandIn: EndpointResolver = (_serviceUrl, deployment) =>
  deployment?.metadata?.annotations?.[LOCAL_URL_ANNOTATION] ?? undefined;

/** RetentionPolicy controller: the URL a run lists and deletes through. */
export const resolveRegistryThroughStandIn: RegistryUrlResolver = async (registry, _serviceUrl, ctx) => {
  const name = registryChildNames(registry.metadata.name ?? '').deployment;
  const deployment = await ctx.kube.requestJson<V1Deployment>('GET', objectPath(RESOURCES.deployment, registry.metadata.namespace, name));
  return deployment.metadata?.annotations?.[LOCAL_URL_ANNOTATION];
};

/** GC window controller: every replica it must see answer 405 (read-only) or accept a write. */
export const resolveReplicasThroughStandIn: ReplicaResolver = async (registry, ctx) => {
  const name = registryChildNames(registry.metadata?.name ?? '').deployment;
  const deployment = ctx.cache<V1Deployment>(RESOURCES.deployment).get(registry.metadata?.namespace, name);
  if (!isRolledOut(deployment, registry.spec.replicas ?? 1)) return { pending: `Deployment ${name} is rolling out` };
  // Every replica, as the real resolver lists every pod IP: each must refuse writes before GC.
  const urls = (deployment?.metadata?.annotations?.[LOCAL_URLS_ANNOTATION] ?? '').split(',').filter(Boolean);
  if (urls.length < (registry.spec.replicas ?? 1)) return { pending: `Deployment ${name} has ${urls.length} of ${registry.spec.replicas ?? 1} replicas ready` };
  return { urls };
};

/** GC window controller: the garbage-collect Job's output (pods/log needs a real kubelet). */
export const readJobOutputAnnotation: JobOutputReader = async (job) => job.metadata?.annotations?.[JOB_OUTPUT_ANNOTATION];
