/**
 * dockmaster's error catalogue, in the manner of fastify's FST_ERR_* catalogue: every error the
 * operator, the webhook and the CLI raise on purpose has one entry here, with
 * - `code`: stable, matched by callers and tests (never the message text);
 * - `message`: the form of its message (`%s` stands for what the raiser fills in);
 * - `exitCode`: how `dockmaster` ends when a command fails with it (0 done, 1 failure, 2 bad input);
 * - `httpStatus`: what the webhook answers when a request fails with it;
 * - `reason`: the CamelCase condition reason a controller shows for it in status.
 * A code that is not in the catalogue does not type-check.
 */

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

export interface ErrorDefinition {
  message: string;
  exitCode: typeof EXIT_FAILURE | typeof EXIT_BAD_INPUT;
  httpStatus: number;
  reason: string;
}

const badInput = (message: string, reason = 'SpecInvalid'): ErrorDefinition => ({ message, exitCode: EXIT_BAD_INPUT, httpStatus: 400, reason });
const failure = (message: string, reason: string, httpStatus = 500): ErrorDefinition => ({ message, exitCode: EXIT_FAILURE, httpStatus, reason });

export const ERROR_CATALOGUE = {
  // Input from outside: a file, a flag, a CR, a request body.
  DM_ERR_INVALID_INPUT: badInput('Invalid %s:\n  - %s: %s'),
  DM_ERR_INVALID_DURATION: badInput('Invalid duration "%s": %s'),
  DM_ERR_INVALID_GLOB: badInput('Invalid glob "%s": %s'),
  DM_ERR_INVALID_REFERENCE: badInput('Invalid image reference "%s": %s'),
  DM_ERR_INVALID_ALLOW_ENTRY: badInput('Invalid allow-list entry "%s" (%s): %s'),
  DM_ERR_LABEL_SELECTOR: badInput('Invalid label selector "%s": %s'),
  DM_ERR_KUBECONFIG: badInput('Cannot load the kubeconfig: %s', 'KubeconfigInvalid'),
  DM_ERR_CERTIFICATE_FILE: badInput('Cannot read the certificate files %s: %s', 'CertificateInvalid'),
  // The admission webhook's requests.
  DM_ERR_INVALID_ADMISSION_REVIEW: badInput('The body is not an AdmissionReview: %s', 'InvalidAdmissionReview'),
  DM_ERR_MALFORMED_OBJECT: badInput('The %s in the AdmissionReview is malformed: %s', 'MalformedObject'),
  DM_ERR_BODY_TOO_LARGE: { ...badInput('The request body is larger than the limit of %s bytes', 'BodyTooLarge'), httpStatus: 413 },
  DM_ERR_BAD_REQUEST: badInput('Bad request: %s', 'BadRequest'),
  DM_ERR_TOO_MANY_REVIEWS: failure('More than %s reviews in flight', 'Overloaded', 429),
  DM_ERR_INTERNAL: failure('Internal error while judging the request', 'InternalError'),
  // The Kubernetes API and the controller runtime.
  DM_ERR_APPLY: failure('Server-side apply of %s %s failed: %s', 'ApplyFailed'),
  DM_ERR_CHILD_REJECTED: failure('The apiserver refused %s %s: %s', 'ApplyFailed'),
  DM_ERR_CHILD_CHANGED: failure('%s %s changed while it was read', 'ApplyRetrying', 409),
  DM_ERR_CHILD_CONFLICT: failure('%s %s already exists and is not controlled by this Registry', 'NameConflict', 409),
  DM_ERR_NOT_WATCHED: failure('No informer for %s: add it to a controller\'s forResource, owns or watches', 'InternalError'),
  DM_ERR_CONTROLLER_DEFINITION: failure('Controller "%s": %s', 'InternalError'),
  DM_ERR_CRD_SCHEMA: failure('The generated CRD schema of %s is not structural: %s', 'InternalError'),
  // Registries, as the v2 client meets them.
  DM_ERR_REGISTRY_API: failure('%s %s answered %s: %s', 'RegistryError', 502),
  DM_ERR_REGISTRY_NOT_FOUND: failure('%s %s: %s not found', 'RegistryNotFound', 404),
  DM_ERR_REGISTRY_AUTH: failure('%s %s: authentication failed: %s', 'RegistryAuthFailed', 502),
  DM_ERR_REGISTRY_DELETE_DISABLED: failure('%s: deletes are disabled (storage.delete.enabled is false)', 'RegistryDeleteDisabled', 502),
  DM_ERR_REGISTRY_UNTAG_UNSUPPORTED: failure('%s: the registry cannot untag (distribution 2.x answers DELETE of a tag with 400 DIGEST_INVALID)', 'RegistryUntagUnsupported', 502),
  DM_ERR_REGISTRY_READ_ONLY: failure('%s: the registry is in read-only mode', 'RegistryReadOnly', 503),
  DM_ERR_REGISTRY_INVALID_RESPONSE: failure('%s %s: the answer is not what the v2 API promises: %s', 'RegistryInvalidResponse', 502),
  DM_ERR_REGISTRY_DIGEST_MISMATCH: failure('%s %s: content does not hash to %s', 'RegistryDigestMismatch', 502),
  DM_ERR_KUBE_TIMEOUT: failure('%s %s: no answer from the apiserver within %s ms', 'ApiServerTimeout', 504),
  DM_ERR_REGISTRY_UNREACHABLE: failure('%s %s: no answer: %s', 'RegistryUnreachable', 504),
  DM_ERR_REGISTRY_TLS: failure('%s %s: TLS handshake failed: %s', 'RegistryTlsFailed', 502),
  DM_ERR_REGISTRY_BAD_REQUEST: badInput('%s: the client refuses this request: %s', 'RegistryBadRequest'),
  DM_ERR_REGISTRY_CLIENT_CONFIG: badInput('Registry client configuration: %s', 'RegistryClientConfig'),
  DM_ERR_REGISTRY_LIMIT: failure('%s %s: %s past the %s limit of %s', 'RegistryLimitReached', 502),
  DM_ERR_REGISTRY_TIMEOUT: failure('%s %s: no complete answer within %s ms', 'RegistryTimeout', 504),
  DM_ERR_REGISTRY_ADDRESS_REFUSED: badInput('%s %s: refused to connect: %s', 'AddressRefused'),
  // Retention runs in the operator.
  DM_ERR_RETENTION_IN_USE_UNAVAILABLE: failure('Reading what the cluster runs failed: %s; nothing was deleted', 'InUseUnavailable', 503),
  DM_ERR_RETENTION_MEMORY_BUSY: failure('The operator-wide tag budget (retention.maxTagsInMemory of %s) is held by other runs', 'WaitingForMemory', 503),
} as const satisfies Record<`DM_ERR_${string}`, ErrorDefinition>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * Base of every error dockmaster raises on purpose. Its `code` is an entry of ERROR_CATALOGUE,
 * which also gives the CLI exit code, the HTTP status and the condition reason.
 */
export class DockmasterError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  get exitCode(): number {
    return ERROR_CATALOGUE[this.code].exitCode;
  }

  get httpStatus(): number {
    return ERROR_CATALOGUE[this.code].httpStatus;
  }

  get conditionReason(): string {
    return ERROR_CATALOGUE[this.code].reason;
  }
}

/** Input from outside (a file, a flag, a CR) failed validation; `issues` name each field. */
export class InputValidationError extends DockmasterError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>;

  constructor(source: string, issues: ReadonlyArray<{ path: string; message: string }>) {
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`);
    super('DM_ERR_INVALID_INPUT', `Invalid ${source}:\n${lines.join('\n')}`);
    this.issues = issues;
  }
}
