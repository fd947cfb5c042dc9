import { Command, CommanderError } from 'commander';
import { ConfigError, GatehouseError } from '../core/errors.js';
import { isStorageUnavailable } from '../lib/pg-errors.js';
import { adminTokenCommand } from './commands/admin-token.js';
import { clientCommand } from './commands/client.js';
import { configIoCommands } from './commands/config-io.js';
import { emulatorCommand } from './commands/emulator.js';
import { idpCommand } from './commands/idp.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { serveCommand } from './commands/serve.js';
import { tenantCommand } from './commands/tenant.js';
import { userCommand } from './commands/user.js';
import { CliError } from './run-with-app.js';

/** The `gatehouse` program: `gatehouse <noun> <verb> [--flags]`. */
export const buildProgram = (): Command => {
  const program = new Command('gatehouse')
    .description('Gatehouse: a self-hosted identity service.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  serveCommand(program);
  migrateCommand(program);
  tenantCommand(program);
  clientCommand(program);
  idpCommand(program);
  userCommand(program);
  keysCommand(program);
  adminTokenCommand(program);
  configIoCommands(program);
  emulatorCommand(program);
  return program;
};

/** The cause's own message, for a storage error (never a stack: it is the operator's environment, not a bug). */
const causeOf = (error: unknown): string => {
  const cause = error instanceof GatehouseError ? error.cause : error;
  const e = cause as { message?: unknown; errors?: { message?: unknown }[] } | undefined;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : e?.errors?.[0]?.message;
  return typeof message === 'string' && message !== '' ? ` (${message})` : '';
};

/**
 * Runs the CLI. Output is on stdout; a refusal is one clear line on stderr with a non-zero exit code: 2 for a wrong
 * configuration (one line per wrong value, each naming it), 1 for everything else.
 */
export const runCli = async (argv: readonly string[]): Promise<void> => {
  try {
    await buildProgram().parseAsync(argv as string[]);
  } catch (error) {
    process.exitCode = exitCodeOf(error);
    process.stderr.write(messageOf(error));
  }
};

const exitCodeOf = (error: unknown): number => {
  if (error instanceof CommanderError) return error.exitCode;
  return error instanceof ConfigError ? 2 : 1;
};

const messageOf = (error: unknown): string => {
  // Commander has printed its own message (or the help / version).
  if (error instanceof CommanderError) return '';
  if (error instanceof ConfigError)
    return error.message
      .split('\n')
      .map((line) => `gatehouse: configuration: ${line}\n`)
      .join('');
  if (error instanceof CliError) return `gatehouse: ${error.message}\n`;
  if ((error instanceof GatehouseError && error.code === 'storage_unavailable') || isStorageUnavailable(error))
    return `gatehouse: storage_unavailable: the database cannot be reached${causeOf(error)}\n`;
  if (error instanceof GatehouseError && error.expose) return `gatehouse: ${error.code}: ${error.message}\n`;
  return `gatehouse: unexpected error: ${(error as Error).stack ?? String(error)}\n`;
};
