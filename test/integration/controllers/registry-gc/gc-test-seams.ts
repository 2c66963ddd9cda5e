/**
 * Test-only seams of the garbage-collection controller: the stand-in kubelet runs registries as
 * loopback processes (no Pod objects, no pod IPs, no pods/log), so the replica URL comes from the
 * annotation it writes on the Deployment and the Job output from the one it writes on the Job.
 * Product code never reads either annotation.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { JobOutputReader, ReplicaResolver } from '../../../../src/controllers/registry-gc/controller.js';
import { registryChildNames } from '../../../../src/controllers/registry/children.js';
import { isRolledOut } from '../../../../src/controllers/registry/status.js';
import { RESOURCES } from '../../../../src/runtime/resources.js';
import { JOB_OUTPUT_ANNOTATION } from '../../../kubelet/job-runner.js';
import { LOCAL_URL_ANNOTATION } from '../../../kubelet/stand-in-kubelet.js';

export const resolveReplicasThroughStandIn: ReplicaResolver = async (registry, ctx) => {
  const name = registryChildNames(registry.metadata?.name ?? '').deployment;
  const deployment = ctx.cache<V1Deployment>(RESOURCES.deployment).get(registry.metadata?.namespace, name);
  if (!isRolledOut(deployment, registry.spec.replicas ?? 1)) return { pending: `Deployment ${name} is rolling out` };
  const url = deployment?.metadata?.annotations?.[LOCAL_URL_ANNOTATION];
  return url ? { urls: [url] } : { pending: `Deployment ${name} has no ready process yet` };
};

export const readJobOutputAnnotation: JobOutputReader = async (job) => job.metadata?.annotations?.[JOB_OUTPUT_ANNOTATION];
