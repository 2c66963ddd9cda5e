/** Exit codes shared by every subcommand: 0 done, 1 errors (or denials), 2 bad input; the error catalogue maps each error to one. */
export { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from '../errors.js';

/** Thrown by a subcommand's action to end with a given exit code (its output already written). */
export class CommandExitCode extends Error {
  readonly exitCode: number;

  constructor(exitCode: number) {
    super(`exit code ${exitCode}`);
    this.exitCode = exitCode;
  }
}
