/**
 * Condition types and reasons of a Registry. Reasons are machine-readable CamelCase constants
 * (tests, alerts and `kubectl wait --for=condition=...` match on them); messages are for people.
 */
export const CONDITION_READY = 'Ready';
export const CONDITION_PROGRESSING = 'Progressing';
export const CONDITION_DEGRADED = 'Degraded';
export const CONDITION_READ_ONLY = 'ReadOnly';
/** True when the registry image has a known problem (managed-registry/image-advisory.ts). */
export const CONDITION_IMAGE_ADVISORY = 'ImageAdvisory';
export const REASON_NO_KNOWN_ISSUE = 'NoKnownIssue';

// Ready
export const REASON_AVAILABLE = 'Available';
export const REASON_DEPLOYMENT_MISSING = 'DeploymentMissing';
export const REASON_REPLICAS_UNAVAILABLE = 'ReplicasUnavailable';
export const REASON_SCALED_TO_ZERO = 'ScaledToZero';
export const REASON_ENDPOINT_UNREACHABLE = 'EndpointUnreachable';
export const REASON_SPEC_INVALID = 'SpecInvalid';

// Progressing
export const REASON_ROLLING_OUT = 'RollingOut';
export const REASON_ROLLOUT_COMPLETE = 'RolloutComplete';

// Degraded (True reasons name the problem; False is AsExpected)
export const REASON_AS_EXPECTED = 'AsExpected';
export const REASON_SECRET_MISSING = 'SecretMissing';
export const REASON_DOWNGRADE_REFUSED = 'DowngradeRefused';
/** A registry container crash-loops or cannot start; the message has its last exit. */
export const REASON_PODS_FAILING = 'PodsFailing';
export const REASON_SECRET_INVALID = 'SecretInvalid';
export const REASON_INVALID_STORAGE = 'InvalidStorage';
export const REASON_APPLY_FAILED = 'ApplyFailed';
/** A child apply failed in a way worth retrying (a 5xx, a lost connection): retried with backoff. */
export const REASON_APPLY_RETRYING = 'ApplyRetrying';
export const REASON_ROLLOUT_STUCK = 'RolloutStuck';
/** A child's name is taken by an object this Registry does not control; it is never adopted. */
export const REASON_NAME_CONFLICT = 'NameConflict';

// ReadOnly
export const REASON_GC_WINDOW = 'GarbageCollectionWindow';
export const REASON_READ_WRITE = 'ReadWrite';

// Mirrors (spec.proxy)
/** True when the mirror's upstream answers /v2/ with the configured credentials; False with the last error. */
export const CONDITION_UPSTREAM_REACHABLE = 'UpstreamReachable';
export const REASON_UPSTREAM_REACHABLE = 'UpstreamReachable';
export const REASON_UPSTREAM_UNREACHABLE = 'UpstreamUnreachable';
export const REASON_UPSTREAM_CREDENTIALS_REJECTED = 'UpstreamCredentialsRejected';
/** A mirror setting that cannot work (ttl on 2.8, credentials on an anonymous mirror, an upstream outside the allow list). */
export const REASON_MIRROR_INVALID = 'MirrorInvalid';
