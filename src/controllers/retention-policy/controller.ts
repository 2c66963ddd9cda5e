import type { KubernetesObject } from '@kubernetes/client-node';
import type { Registry as MetricsRegistry } from 'prom-client';
import { retentionRunsConfigSchema, type RetentionRunsConfig } from '../../retention/run-slots-config.js';
import { TagBudget } from '../../retention/tag-budget.js';
import { AddressPolicy, externalRegistriesConfigSchema } from '../../registry/client/index.js';
import { runRetention } from '../../retention/run-retention.js';
import type { Clock } from '../../runtime/clock.js';
import { defineController, type ControllerDefinition } from '../../runtime/controller.js';
import { ReferenceIndex } from '../../runtime/reference-index.js';
import { RESOURCES } from '../../runtime/resources.js';
import type { RegistryMaintenanceLocks } from '../../managed-registry/maintenance-locks.js';
import { RetentionMetrics } from './metrics.js';
import { reconcileRetentionPolicy, type RegistryUrlResolver, type RetentionPolicyReconcilerOptions } from './reconcile.js';
import type { RetentionRunner } from './run-execution.js';
import { collectImagesInUse } from '../../retention/in-use-collector.js';

export const RETENTION_POLICY_CONTROLLER_NAME = 'retention-policy';

export interface RetentionPolicyControllerOptions {
  /** The operator's one instance, shared with the garbage-collection controller. */
  locks: RegistryMaintenanceLocks;
  /** The retention engine; tests inject their own. Default: runRetention (src/retention/run.ts). */
  runRetention?: RetentionRunner;
  clock?: Clock;
  /** How to reach a managed Registry. Default: its in-cluster Service URL (status.endpoint). */
  resolveRegistry?: RegistryUrlResolver;
  /** The registry /metrics serves (RuntimeMetrics.registry); default a private one. */
  metricsRegistry?: MetricsRegistry;
  /** How soon a run blocked by a window or another run is looked at again. Default 15 s. */
  blockedRetryMs?: number;
  /** Parallel reconciles; each run occupies one while it lasts. Default 2. */
  workers?: number;
  /** Where runs against spec.external may connect. Default: the defaults of externalRegistries (any public name; never loopback or link-local). */
  addressPolicy?: AddressPolicy;
  /** Run slots (the admin's `retention` section). Default: its defaults (4, 2 per namespace). */
  runSlots?: RetentionRunsConfig;
  /** The namespaces the operator watches (empty: all): where in-use reads go when cluster-wide ones are forbidden. */
  watchNamespaces?: readonly string[];
  /** Reads what the cluster runs (tests); default collectImagesInUse. */
  collectInUse?: RetentionPolicyReconcilerOptions['collectInUse'];
}

export const resolveThroughServiceUrl: RegistryUrlResolver = (_registry, serviceUrl) => serviceUrl;

/**
 * The RetentionPolicy controller: runs the retention engine on each policy's schedule or when
 * asked (run-now annotation), never beside another run or a garbage-collection window on the
 * same registry. Registry events re-trigger the policies using it (so a window ending starts the
 * runs it held back). Secrets are not watched: each reconcile GETs the ones the policy needs
 * (runtime/named-secrets.ts), and a policy missing one looks again after `blockedRetryMs`.
 */
export function createRetentionPolicyController(options: RetentionPolicyControllerOptions): ControllerDefinition {
  const references = { registries: new ReferenceIndex() };
  const runSlots = options.runSlots ?? retentionRunsConfigSchema.parse({});
  const reconcilerOptions = {
    locks: options.locks,
    runRetention: options.runRetention ?? runRetention,
    resolveRegistry: options.resolveRegistry ?? resolveThroughServiceUrl,
    metrics: new RetentionMetrics(options.metricsRegistry),
    references,
    addressPolicy: options.addressPolicy ?? new AddressPolicy(externalRegistriesConfigSchema.parse({})),
    tagBudget: new TagBudget(runSlots.maxTagsInMemory),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.blockedRetryMs !== undefined ? { blockedRetryMs: options.blockedRetryMs } : {}),
    collectInUse: options.collectInUse ?? ((kube, signal) => collectImagesInUse(kube, options.watchNamespaces ?? [], signal)),
  };
  const namespaceOf = (obj: KubernetesObject): string => obj.metadata?.namespace ?? '';
  return defineController({
    name: RETENTION_POLICY_CONTROLLER_NAME,
    forResource: RESOURCES.retentionPolicy,
    watches: [
      { resource: RESOURCES.registry, mapToKeys: (registry) => references.registries.referrersOf(namespaceOf(registry), registry.metadata?.name ?? '') },
    ],
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    // Runs take slots, not workers: reconciles stay quick, slots are shared fairly by namespace.
    background: { slots: runSlots.maxConcurrentRuns, slotsPerGroup: runSlots.maxConcurrentRunsPerNamespace },
    reconcile: (request, ctx) => reconcileRetentionPolicy(request, ctx, reconcilerOptions),
  });
}

export type { RegistryUrlResolver } from './reconcile.js';
export type { RetentionRunner } from './run-execution.js';
