/**
 * The operator's controllers, assembled once for `dockmaster operator`, the demo and the
 * benchmarks, so they all run the same set wired the same way: one maintenance lock shared by
 * retention runs and GC windows, metrics on the operator's registry.
 */
import type { RegistryDefaultsConfig } from '../managed-registry/registry-image.js';
import type { Registry as MetricsRegistry } from 'prom-client';
import { createRegistryController, type RegistryControllerOptions } from '../controllers/registry/controller.js';
import { createRegistryGcController, type RegistryGcControllerOptions } from '../controllers/registry-gc/controller.js';
import { RegistryMaintenanceLocks } from '../managed-registry/maintenance-locks.js';
import { createRetentionPolicyController, type RetentionPolicyControllerOptions } from '../controllers/retention-policy/controller.js';
import type { RegistrySourcesConfig } from '../admission/admission-config.js';
import type { ControllerDefinition } from '../runtime/controller.js';
import { upstreamProbe } from '../controllers/registry/upstream-probe.js';
import type { PullTrackingConfig } from '../pull-tracking/config.js';
import type { PullCanary } from '../pull-tracking/canary.js';
import { resolveReplicasByPodIp } from '../controllers/registry-gc/cluster-reads.js';
import { AddressPolicy, type ExternalRegistriesConfig } from '../registry/client/index.js';
import type { RetentionRunsConfig } from '../retention/run-slots-config.js';

/**
 * How the controllers reach the registries. The defaults are the in-cluster ones (Service URL,
 * pod IPs, pods/log); the demo and the tests replace them because the stand-in kubelet runs
 * registries as local processes.
 */
export interface RegistryAccessSeams {
  registry?: Pick<RegistryControllerOptions, 'resolveEndpoint' | 'probe' | 'probeIntervalMs'>;
  retention?: Pick<RetentionPolicyControllerOptions, 'resolveRegistry' | 'blockedRetryMs'>;
  garbageCollection?: Pick<RegistryGcControllerOptions, 'resolveReplicas' | 'readJobOutput' | 'timing'>;
}

export function createOperatorControllers(options: {
  metricsRegistry: MetricsRegistry;
  seams?: RegistryAccessSeams;
  /** The admin's admission.registries section, for the Registries' AdmissionSources condition. */
  admissionSources?: RegistrySourcesConfig;
  /** The admin's externalRegistries section: where runs against spec.external may connect. */
  externalRegistries?: ExternalRegistriesConfig;
  /** The admin's retention section: run slots. */
  retentionRuns?: RetentionRunsConfig;
  /** The admin's registries section: the image of a new Registry without spec.image. */
  registryDefaults?: RegistryDefaultsConfig;
  /** The namespaces the operator watches (empty: all). */
  watchNamespaces?: readonly string[];
  /** The admin's pullTracking section: with a receiverURL, registries send their pulls there. */
  pullTracking?: PullTrackingConfig;
  /** With pull tracking: the canary that proves each registry pod's events arrive. */
  pullCanary?: PullCanary;
}): ControllerDefinition[] {
  // One lock for every controller that does maintenance on a registry (retention runs, GC windows).
  const locks = new RegistryMaintenanceLocks();
  const { metricsRegistry, seams = {} } = options;
  // One outbound policy for every connection the operator makes on a tenant's behalf: retention
  // runs against spec.external and mirrors' upstream checks.
  const addressPolicy = options.externalRegistries && new AddressPolicy(options.externalRegistries);
  return [
    createRegistryController({
      ...(addressPolicy && { probeUpstream: upstreamProbe(addressPolicy) }),
      ...seams.registry,
      ...(options.admissionSources && { admissionSources: options.admissionSources }),
      ...(options.registryDefaults && { defaultImage: options.registryDefaults.defaultImage }),
      ...(options.pullTracking?.receiverURL && { pullTracking: { receiverURL: options.pullTracking.receiverURL } }),
      // The canary pulls from every pod as the GC window checks every pod: by IP, or the seam's way.
      ...(options.pullCanary && { pullCanary: { canary: options.pullCanary, resolveReplicas: seams.garbageCollection?.resolveReplicas ?? resolveReplicasByPodIp } }),
      mirrorPolicy: {
        anonymousMirrorsWithCredentials: options.registryDefaults?.anonymousMirrorsWithCredentials ?? false,
        ...(addressPolicy && { refuseHost: (host: string) => addressPolicy.refuseHost(host) }),
      },
    }),
    createRetentionPolicyController({
      locks,
      metricsRegistry,
      ...(addressPolicy && { addressPolicy }),
      ...(options.retentionRuns && { runSlots: options.retentionRuns }),
      ...(options.watchNamespaces && { watchNamespaces: options.watchNamespaces }),
      ...seams.retention,
    }),
    createRegistryGcController({ locks, metricsRegistry, ...seams.garbageCollection }),
  ];
}
