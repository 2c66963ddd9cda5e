/**
 * Bounds on everything a registry can make the client read: a registry is hostile until checked.
 * Whatever it sends (endless `Link` pages, huge pages, a body trickled a byte at a time), a
 * client's memory grows with these limits, not with the registry's answers, and every exchange
 * ends in bounded time. A limit reached is a RegistryApiError with code DM_ERR_REGISTRY_LIMIT
 * naming the limit, never a partial answer: a listing cut short must never look like "these tags
 * do not exist" to the retention planner (docs/retention.md).
 */
import { REGISTRY_ERROR_CODES, RegistryApiError } from './errors.js';

export interface RegistryReadLimits {
  /** Pages followed in one listing (`_catalog` or `tags/list`). */
  maxPages: number;
  /** Repositories a catalog may list. */
  maxRepositories: number;
  /** Tags one repository may list. */
  maxTagsPerRepository: number;
  /**
   * Tags one listing of several repositories may hold (the retention engine checks it): the
   * operator's batch of 32 repositories, or the CLI's whole plan. About 1 KB a tag.
   */
  maxTagsPerRun: number;
  /** Total time of one exchange, body included (undici's bodyTimeout only measures idle time). */
  requestDeadlineMs: number;
  /** Response bytes read over the client's life (a run): bounds the bandwidth a registry can make a run spend. */
  maxBytesRead: number;
}

/**
 * Defaults that cover the scale docs/retention.md promises (1,000 repositories, 100,000 tags in
 * one repository) with room, and keep a hostile registry from holding a run for long.
 */
export const DEFAULT_REGISTRY_READ_LIMITS: RegistryReadLimits = {
  maxPages: 10_000,
  maxRepositories: 10_000,
  maxTagsPerRepository: 100_000,
  maxTagsPerRun: 100_000,
  requestDeadlineMs: 120_000,
  maxBytesRead: 8 * 1024 ** 3,
};

/** The flag or field that raises each limit, for messages. */
const HOW_TO_RAISE: Record<keyof RegistryReadLimits, string> = {
  maxPages: 'spec.limits.maxPages of the RetentionPolicy',
  maxRepositories: 'spec.limits.maxRepositories of the RetentionPolicy',
  maxTagsPerRepository: 'spec.limits.maxTagsPerRepository of the RetentionPolicy',
  maxTagsPerRun: 'spec.limits.maxTagsPerRun of the RetentionPolicy (and the memory limit: about 1 KB a tag)',
  requestDeadlineMs: 'spec.limits.requestDeadline of the RetentionPolicy',
  maxBytesRead: 'spec.limits.maxBytesRead of the RetentionPolicy',
};

export function limitExceeded(limit: keyof RegistryReadLimits, value: number, context: { method: string; url: string }, what: string): RegistryApiError {
  return new RegistryApiError({
    code: REGISTRY_ERROR_CODES.limit,
    limit,
    method: context.method,
    url: context.url,
    message: `${context.method} ${context.url}: ${what} past the ${limit} limit of ${value}; nothing was trusted from this answer. Raise it with ${HOW_TO_RAISE[limit]} (the CLI reads the same manifest) if the registry really is that large.`,
  });
}

/**
 * Limits that bound one repository's listing. Reaching one costs that repository only: retention
 * skips it (nothing in it is deleted) and goes on with the others. Every other limit bounds the
 * whole run (repositories, bytes, time) and ends it.
 */
export const PER_REPOSITORY_LIMITS: ReadonlySet<keyof RegistryReadLimits> = new Set(['maxTagsPerRepository', 'maxPages']);

/** True when `error` is a per-repository limit reached while listing one repository's tags. */
export function isPerRepositoryLimit(error: unknown): error is RegistryApiError {
  return error instanceof RegistryApiError && error.code === REGISTRY_ERROR_CODES.limit && PER_REPOSITORY_LIMITS.has(error.limit as keyof RegistryReadLimits);
}

/** The run's deadline passed (the client's `signal`): nothing more is read or deleted. */
export function runDeadlineReached(context: { method: string; url: string }): RegistryApiError {
  return new RegistryApiError({
    code: REGISTRY_ERROR_CODES.limit,
    method: context.method,
    url: context.url,
    message: `${context.method} ${context.url}: the run reached its deadline; nothing more is read or deleted. Raise spec.maxDuration of the RetentionPolicy (the CLI reads the same manifest) if runs need longer.`,
  });
}

/** Bytes read over a client's life, checked against maxBytesRead as they arrive. */
export class ReadBudget {
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  take(count: number, context: { method: string; url: string }): void {
    this.bytes += count;
    if (this.bytes > this.maxBytes) throw limitExceeded('maxBytesRead', this.maxBytes, context, `${this.bytes} bytes read in this run`);
  }

  get used(): number {
    return this.bytes;
  }
}
