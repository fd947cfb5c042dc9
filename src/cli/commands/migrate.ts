import type { Command } from 'commander';
import { migrateStore } from '../../compose.js';
import { loadConfig } from '../../config/load.js';
import { storeFlags, storeOptions } from '../store-options.js';

/** `gatehouse migrate`: bring the store's schema up to date (idempotent). */
export const migrateCommand = (program: Command): void => {
  storeFlags(program.command('migrate').description('Apply pending database migrations (idempotent).')).action(
    async (opts: Record<string, string | undefined>) => {
      const applied = await migrateStore(loadConfig(storeOptions(opts)));
      process.stdout.write(applied.length === 0 ? 'up to date\n' : `applied ${applied.join(', ')}\n`);
    },
  );
};
