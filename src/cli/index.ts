import { Command, CommanderError } from 'commander';
import { ConfigError, GatehouseError } from '../core/errors.js';
import { DataDirInUseError } from '../lib/data-dir-lock.js';
import { isStorageUnavailable } from '../lib/pg-errors.js';
import { adminTokenCommand } from './commands/admin-token.js';
import { backupCommands } from './commands/backup.js';
import { clientCommand } from './commands/client.js';
import { configIoCommands } from './commands/config-io.js';
import { emulatorCommand } from './commands/emulator.js';
import { idpCommand } from './commands/idp.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { serveCommand } from './commands/serve.js';
import { tenantCommand } from './commands/tenant.js';
import { userCommand } from './commands/user.js';
import { type CliIo, processIo } from './io.js';
import { CliError } from './run-with-app.js';

/** The `gatehouse` program: `gatehouse <noun> <verb> [--flags]`. */
export const buildProgram = (io: CliIo = processIo()): Command => {
  const program = new Command('gatehouse')
    .description('Gatehouse: a self-hosted identity service.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // One line: commander's message, its suggestion, and where to look.
      outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, ' ')} (add --help for usage)\n`),
    });
  serveCommand(program, io);
  migrateCommand(program, io);
  tenantCommand(program, io);
  clientCommand(program, io);
  idpCommand(program, io);
  userCommand(program, io);
  keysCommand(program, io);
  adminTokenCommand(program, io);
  configIoCommands(program, io);
  backupCommands(program, io);
  emulatorCommand(program, io);
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
 * Runs the CLI on `argv` (as `process.argv`: the program, the script, then the arguments) and answers its exit code.
 * Output is on stdout; a refusal is one clear line on stderr with a non-zero exit code: 2 for a wrong configuration
 * (one line per wrong value, each naming it), 1 for everything else.
 */
export const runCli = async (argv: readonly string[], io: CliIo = processIo()): Promise<number> => {
  try {
    await buildProgram(io).parseAsync(argv as string[]);
    return 0;
  } catch (error) {
    io.stderr.write(messageOf(error));
    return exitCodeOf(error);
  }
};

/** What an operating-system error code means, in the words an operator searches for. */
const errnoReasons: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'a path component is not a directory',
  EADDRINUSE: 'the address is in use by another process',
  EADDRNOTAVAIL: 'the address is not one of this machine',
};

/** One line for an operating-system refusal (a data dir that cannot be written, a port in use), or undefined. */
const systemErrorLine = (error: unknown): string | undefined => {
  const e = error as Partial<NodeJS.ErrnoException> & { address?: unknown; port?: unknown };
  if (e === null || typeof e !== 'object' || typeof e.code !== 'string' || typeof e.syscall !== 'string') return;
  const reason = errnoReasons[e.code];
  if (reason === undefined) return;
  if (e.syscall === 'listen') return `cannot listen on ${String(e.address)}:${String(e.port)}: ${reason} (${e.code})`;
  if (typeof e.path === 'string') return `cannot ${e.syscall} ${e.path}: ${reason} (${e.code})`;
  return;
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
  if (error instanceof CliError || error instanceof DataDirInUseError) return `gatehouse: ${error.message}\n`;
  if ((error instanceof GatehouseError && error.code === 'storage_unavailable') || isStorageUnavailable(error))
    return `gatehouse: storage_unavailable: the database cannot be reached${causeOf(error)}\n`;
  if (error instanceof GatehouseError && error.expose) return `gatehouse: ${error.code}: ${error.message}\n`;
  const system = systemErrorLine(error);
  if (system !== undefined) return `gatehouse: ${system}\n`;
  return `gatehouse: unexpected error: ${(error as Error).stack ?? String(error)}\n`;
};
