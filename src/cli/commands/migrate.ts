import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { storeFlags, storeOptions } from '../store-options.js';

/** `gatehouse migrate`: bring the store's schema up to date (idempotent). */
export const migrateCommand = (program: Command, io: CliIo): void => {
  storeFlags(program.command('migrate').description('Apply pending database migrations (idempotent).')).action(
    async (opts: Record<string, string | undefined>) => {
      const [{ migrateStore }, { loadConfig }] = await Promise.all([
        import('../../compose.js'),
        import('../../config/load.js'),
      ]);
      const applied = await migrateStore(loadConfig(storeOptions(io, opts)));
      io.stdout.write(applied.length === 0 ? 'up to date\n' : `applied ${applied.join(', ')}\n`);
    },
  );
};
