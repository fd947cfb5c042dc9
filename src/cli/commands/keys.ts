import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

/** `gatehouse keys list|rotate`: a tenant's signing keys (public facts only). */
export const keysCommand = (program: Command, io: CliIo): void => {
  const keys = program.command('keys').description("Manage a tenant's token signing keys.");

  storeFlags(
    keys
      .command('list')
      .description('List the signing keys (next, active, retired).')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: { tenant: string }) => {
    await runWithStore(io, opts, 'keys list', async (store) => printJson(io, await store.listKeys(opts.tenant)));
  });

  storeFlags(
    keys
      .command('rotate')
      .description('Rotate: the next key starts signing, the active one retires, a new next key is published.')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (opts: { tenant: string }) => {
    await runWithStore(io, opts, 'keys rotate', async (store) => printJson(io, await store.rotateKeys(opts.tenant)));
  });
};
