import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../compose.js';
import type { Config } from '../config/schema.js';
import { DataDirInUseError } from '../lib/data-dir-lock.js';
import type { CliIo } from './io.js';
import type { StoreOperations } from './operations.js';
import { storeOptions } from './store-options.js';

/** The admin token the CLI presents to a running server: configured, or (development and test) the data dir's. */
const adminTokenOf = (config: Config, devLike: boolean): string | undefined => {
  if (config.adminToken !== undefined) return config.adminToken;
  if (!devLike) return undefined;
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
 *
 * The configuration, the composition root and the core are loaded here, when a command runs, not when the program is
 * built: `gatehouse --help` and a refused flag answer without them.
 */
export const runWithStore = async <T>(
  io: CliIo,
  opts: Record<string, unknown>,
  command: string,
  action: (operations: StoreOperations) => Promise<T>,
): Promise<T> => {
  const [{ isDevLike, loadConfig }, { compose, openDatabase }, { createLogger }] = await Promise.all([
    import('../config/load.js'),
    import('../compose.js'),
    import('../lib/logger.js'),
  ]);
  const config = loadConfig(storeOptions(io, opts as Record<string, string | undefined>));
  // On PostgreSQL the command opens its store itself and hands it in: it is then migrated (or found up to date)
  // through the connection the command goes on to use, instead of through one more of its own.
  const db = config.databaseUrl === undefined ? undefined : await openDatabase(config, 'commands');
  let app: App;
  try {
    app = await compose(config, {
      command,
      log: createLogger({ level: 'warn', destination: io.stderr }),
      databaseUse: 'commands',
      ...(db === undefined ? {} : { db }),
    });
  } catch (error) {
    await db?.destroy();
    // The admin token goes only to the URL of a lock file this user wrote: not to one another user planted.
    const adminToken = adminTokenOf(config, isDevLike(config));
    if (
      !(error instanceof DataDirInUseError) ||
      error.holder.adminUrl === undefined ||
      !error.ownLock ||
      adminToken === undefined
    )
      throw error;
    const { remoteOperations } = await import('./remote-operations.js');
    return action(remoteOperations({ holder: { ...error.holder, adminUrl: error.holder.adminUrl }, adminToken }));
  }
  try {
    const { localOperations } = await import('./operations.js');
    return await action(localOperations(app));
  } finally {
    try {
      await app.close();
    } finally {
      await db?.destroy();
    }
  }
};

/** Prints a value as indented JSON on the command's stdout. */
export const printJson = (io: CliIo, value: unknown): void => {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** Commander's collector for repeatable options (`--redirect-uri a --redirect-uri b`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export { CliError } from './cli-error.js';
