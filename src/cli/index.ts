import { Command, CommanderError } from 'commander';
import { ConfigError, GatehouseError } from '../core/errors.js';
import { migrateCommand } from './commands/migrate.js';
import { serveCommand } from './commands/serve.js';

/** The `gatehouse` program: `gatehouse <noun> <verb> [--flags]`. */
export const buildProgram = (): Command => {
  const program = new Command('gatehouse')
    .description('Gatehouse: a self-hosted identity service.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  serveCommand(program);
  migrateCommand(program);
  return program;
};

/** Runs the CLI; a wrong config or a refused operation is one clear line on stderr and exit code 2 or 1. */
export const runCli = async (argv: readonly string[]): Promise<void> => {
  try {
    await buildProgram().parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`gatehouse: configuration error\n${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof GatehouseError && error.expose) {
      process.stderr.write(`gatehouse: ${error.code}: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`gatehouse: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
};
