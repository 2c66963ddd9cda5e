/** The operator runtime: what controllers build on. Controllers import from here only. */
export { systemClock, sleep, type Clock, type Timer } from './clock.js';
export { DEFAULT_BACKOFF, backoffDelayMs, KeyedBackoff, type BackoffPolicy } from './backoff.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
export {
  RESOURCES,
  MANAGED_BY_SELECTOR,
  collectionPath,
  objectPath,
  objectKey,
  splitObjectKey,
  apiGroup,
  type KubeResource,
} from './resources.js';
export {
  createKubeClients,
  loadKubeConfig,
  serverSideApply,
  apiErrorStatus,
  describeApiRequest,
  WRITE_VERBS,
  type KubeClients,
  type ApplyOptions,
  type ApiRequestRecord,
  type ApiRequestObserver,
  type RawRequestOptions,
} from './kube-client.js';
export { parseLabelSelector, type LabelMatcher } from './label-selector.js';
export { Informer, stripManagedFields, type InformerHandlers, type InformerOptions, type ListerWatcher, type ListResult, type WatchEvent } from './informer.js';
export { createApiListerWatcher, type ApiListerWatcherOptions } from './informer-source.js';
export {
  defineController,
  ownerKeys,
  ControllerRunner,
  type ControllerDefinition,
  type ReconcileRequest,
  type ReconcileOutcome,
  type ReconcileContext,
  type CacheReader,
  type WatchSpec,
} from './controller.js';
export { Manager, type ManagerOptions } from './manager.js';
export { decideLease, releasedRecord, observeLease, type LeaseRecord, type LeaseDecision, type ObservedLease } from './lease-decision.js';
export { LeaderElector, type LeaderElectionConfig, type LeaderCallbacks } from './leader-election.js';
export { RuntimeMetrics, type ReconcileResult } from './metrics.js';
export { buildHealthServer, type HealthServerDeps } from './health.js';
export { KubeEventRecorder, discardingEventRecorder, type EventRecorder, type EventType, type KubeEventRecorderOptions } from './events.js';
