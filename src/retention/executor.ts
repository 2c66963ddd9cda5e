import type { RetentionRunOptions, RetentionRunReport } from './run.js';

/** Placeholder until the executor lands: plans and never deletes. */
export function runRetention(_options: RetentionRunOptions): Promise<RetentionRunReport> {
  return Promise.reject(new Error('runRetention: not implemented yet'));
}
