/**
 * Condition types and reasons of a RetentionPolicy. Reasons are machine-readable CamelCase
 * constants (tests, alerts and `kubectl wait --for=condition=...` match on them); messages are
 * for people and say what to do.
 */
export const CONDITION_READY = 'Ready';
/** True while a run is in progress; garbage-collection windows wait for it (see managed-registry/maintenance-locks.ts). */
export const CONDITION_RUNNING = 'Running';

// Ready
export const REASON_CONFIGURED = 'Configured';
export const REASON_SPEC_INVALID = 'SpecInvalid';
export const REASON_REGISTRY_NOT_FOUND = 'RegistryNotFound';
/** registryRef names a mirror (spec.proxy): TTL expiry, not retention, drops a mirror's content. */
export const REASON_TARGET_IS_MIRROR = 'TargetIsMirror';
export const REASON_REGISTRY_UNRESOLVED = 'RegistryEndpointUnknown';
export const REASON_SECRET_MISSING = 'SecretMissing';
export const REASON_SECRET_KEY_MISSING = 'SecretKeyMissing';
export const REASON_SECRET_INVALID = 'SecretInvalid';

// Running
export const REASON_RUN_IN_PROGRESS = 'RunInProgress';
export const REASON_IDLE = 'Idle';
export const REASON_WAITING_FOR_GC = 'WaitingForGarbageCollection';
export const REASON_WAITING_FOR_OTHER_RUN = 'WaitingForOtherRun';
/** Due, and waiting for a run slot (retention.maxConcurrentRuns, retention.maxConcurrentRunsPerNamespace). */
export const REASON_QUEUED = 'Queued';
/** Due, and stopped before planning: other runs hold the operator's tag budget (retention.maxTagsInMemory). */
export const REASON_WAITING_FOR_MEMORY = 'WaitingForMemory';
/** A Running=True left by an operator that died mid-run: a run is not resumable, the next one converges. */
export const REASON_INTERRUPTED = 'RunInterrupted';

// Events
export const EVENT_RUN_SUCCEEDED = 'RetentionRunSucceeded';
export const EVENT_RUN_PARTIALLY_FAILED = 'RetentionRunPartiallyFailed';
export const EVENT_RUN_FAILED = 'RetentionRunFailed';
export const EVENT_DRY_RUN_PLANNED = 'RetentionDryRunPlanned';
