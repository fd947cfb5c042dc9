import { type App, compose } from '../compose.js';
import { loadConfig } from '../config/load.js';
import type { AuditEvent } from '../core/audit/events.js';
import { createLogger } from '../lib/logger.js';
import { storeOptions } from './store-options.js';

/**
 * Opens the store named by the store flags (`--data`, `--database-url`, `--config`, or their environment variables),
 * migrates it, runs `action` and closes everything, whatever `action` does. Logs go to stderr (warnings and worse), so
 * stdout carries only the command's output. The request timeouts (`databaseTimeoutMs`) do not apply to a command.
 */
export const runWithApp = async <T>(opts: Record<string, unknown>, action: (app: App) => Promise<T>): Promise<T> => {
  const config = loadConfig(storeOptions(opts as Record<string, string | undefined>));
  const app = await compose(config, {
    log: createLogger({ level: 'warn', destination: process.stderr }),
    databaseUse: 'commands',
  });
  try {
    return await action(app);
  } finally {
    await app.close();
  }
};

/** Prints a value as indented JSON on stdout. */
export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** Commander's collector for repeatable options (`--redirect-uri a --redirect-uri b`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A refused command-line request (not a core error): printed as one line, exit code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Records a command-line admin action in the audit trail, attributed to `cli`. */
export const recordCliEvent = (app: App, event: Omit<AuditEvent, 'actor' | 'outcome'>): void =>
  app.core.audit.record({ ...event, outcome: 'success', actor: 'cli' });
