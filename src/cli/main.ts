import { Command, CommanderError } from 'commander';
import { registerOperatorCommand } from './operator.js';
import { registerRetentionCommand } from './retention.js';
import { dockmasterVersion } from '../version.js';
import { DockmasterError, InputValidationError } from '../errors.js';
import { registerAdmitCommand } from './admit-command.js';
import { registerWebhookCommand } from './webhook.js';
import { registerNodeConfigCommand } from './node-config.js';
import { CommandExitCode, EXIT_BAD_INPUT, EXIT_OK } from './exit-codes.js';

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
  registerNodeConfigCommand(program);
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
      // The catalogue says which: 2 for bad input (a flag, a file), 1 for a failure.
      return error.exitCode;
    }
    throw error;
  }
}
