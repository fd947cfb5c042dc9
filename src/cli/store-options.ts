import type { Command } from 'commander';
import type { LoadConfigOptions } from '../config/load.js';
import type { CliIo } from './io.js';

/** The flags every command that touches the store takes (the same as the `DATABASE_URL`/`GATEHOUSE_DATA_DIR` env). */
export const storeFlags = (command: Command): Command =>
  command
    .option('--data <dir>', 'data directory of the embedded store (env GATEHOUSE_DATA_DIR; default .gatehouse)')
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded store (env DATABASE_URL)')
    .option('--config <file>', 'JSON config file (env GATEHOUSE_CONFIG)');

/** `loadConfig` options from the store flags, plus any other flags already mapped to config fields. */
export const storeOptions = (
  io: CliIo,
  opts: Record<string, string | undefined>,
  flags: Record<string, unknown> = {},
): LoadConfigOptions => ({
  flags: { dataDir: opts.data, databaseUrl: opts.databaseUrl, ...flags },
  ...(opts.config === undefined ? {} : { configFile: opts.config }),
  ...(io.env === undefined ? {} : { env: io.env }),
});
