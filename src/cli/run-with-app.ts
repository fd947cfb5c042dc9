import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compose } from '../compose.js';
import { isDevLike, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DataDirInUseError } from '../lib/data-dir-lock.js';
import { createLogger } from '../lib/logger.js';
import { localOperations, type StoreOperations } from './operations.js';
import { remoteOperations } from './remote-operations.js';
import { storeOptions } from './store-options.js';

/** The admin token the CLI presents to a running server: configured, or (development and test) the data dir's. */
const adminTokenOf = (config: Config): string | undefined => {
  if (config.adminToken !== undefined) return config.adminToken;
  if (!isDevLike(config)) return undefined;
  try {
    return readFileSync(join(config.dataDir, 'admin-token'), 'utf8').trim();
  } catch {
    return undefined;
  }
};

/**
 * Runs `action` on the store named by the store flags (`--data`, `--database-url`, `--config`, or their environment
 * variables). Normally the store is opened (and migrated) in this process and closed afterwards, whatever `action`
 * does. When a `gatehouse serve` holds the embedded store, `action` goes through that server's admin API instead, so
 * the server sees the change at once and stays the store's only writer; without its admin API (off, or no token here)
 * the command is refused, naming the server's pid. Logs go to stderr (warnings and worse), so stdout carries only the
 * command's output. The request timeouts (`databaseTimeoutMs`) do not apply to a command.
 */
export const runWithStore = async <T>(
  opts: Record<string, unknown>,
  command: string,
  action: (operations: StoreOperations) => Promise<T>,
): Promise<T> => {
  const config = loadConfig(storeOptions(opts as Record<string, string | undefined>));
  let app: Awaited<ReturnType<typeof compose>>;
  try {
    app = await compose(config, {
      command,
      log: createLogger({ level: 'warn', destination: process.stderr }),
      databaseUse: 'commands',
    });
  } catch (error) {
    // The admin token goes only to the URL of a lock file this user wrote: not to one another user planted.
    const adminToken = adminTokenOf(config);
    if (
      !(error instanceof DataDirInUseError) ||
      error.holder.adminUrl === undefined ||
      !error.ownLock ||
      adminToken === undefined
    )
      throw error;
    return action(remoteOperations({ holder: { ...error.holder, adminUrl: error.holder.adminUrl }, adminToken }));
  }
  try {
    return await action(localOperations(app));
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

export { CliError } from './cli-error.js';
