import { Command, CommanderError } from 'commander';
import { registerOperatorCommand } from './operator.js';
import { registerRetentionCommand } from './retention.js';
import { dockmasterVersion } from '../version.js';
import { DockmasterError, InputValidationError } from '../errors.js';
import { registerAdmitCommand } from './admit.js';
import { registerWebhookCommand } from './webhook.js';

/** Exit codes shared by every subcommand: 0 done, 1 errors (or denials), 2 bad input. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** Thrown by a subcommand's action to end with a given exit code (its output already written). */
export class CommandExitCode extends Error {
  readonly exitCode: number;

  constructor(exitCode: number) {
    super(`exit code ${exitCode}`);
    this.exitCode = exitCode;
  }
}

export function buildProgram(): Command {
  const program = new Command('dockmaster')
    .description('Run container registries declaratively on Kubernetes.')
    .version(dockmasterVersion(), '-V, --version')
    .exitOverride()
    .showHelpAfterError();

  registerOperatorCommand(program);
  registerWebhookCommand(program);
  registerRetentionCommand(program);
  registerAdmitCommand(program);
  program
    .command('version')
    .description('Print the version.')
    .action(() => {
      process.stdout.write(`dockmaster ${dockmasterVersion()}\n`);
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommandExitCode) return error.exitCode;
    if (error instanceof CommanderError) {
      // Help and --version end through exitOverride with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (error instanceof InputValidationError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    if (error instanceof DockmasterError) {
      process.stderr.write(`Error [${error.code}]: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
}
