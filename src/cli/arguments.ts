/** Parsers of command-line values, kept apart from the commands' implementations (cheap to load). */
import { InputValidationError } from '../errors.js';

/** Parses `--concurrency`: a positive integer, else bad input (exit 2). */
export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new InputValidationError('command line', [{ path: '--concurrency', message: `expected an integer from 1 to 256, got "${value}"` }]);
  }
  return n;
}

