import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { collect, printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

/** `gatehouse admin-token create|list|revoke`: admin API tokens bound to a tenant (or all) and scopes. */
export const adminTokenCommand = (program: Command, io: CliIo): void => {
  const tokens = program
    .command('admin-token')
    .description('Manage admin API tokens, each bound to one tenant (or every tenant) and a set of scopes.');

  storeFlags(
    tokens
      .command('create')
      .description('Create an admin token; the token is printed once and never again.')
      .option('--tenant <id>', 'the one tenant the token may see (default: every tenant)')
      .requiredOption('--scope <scope>', 'a scope, e.g. users:read (repeatable)', collect)
      .option('--name <name>', 'a label for the token'),
  ).action(async (opts: { tenant?: string; scope: string[]; name?: string }) => {
    await runWithStore(io, opts, 'admin-token create', async (store) => {
      printJson(
        io,
        await store.createAdminToken({
          tenant: opts.tenant ?? null,
          scopes: opts.scope,
          ...(opts.name === undefined ? {} : { name: opts.name }),
        }),
      );
    });
  });

  storeFlags(tokens.command('list').description('List admin tokens (never a token).')).action(
    async (opts: Record<string, unknown>) => {
      await runWithStore(io, opts, 'admin-token list', async (store) => printJson(io, await store.listAdminTokens()));
    },
  );

  storeFlags(
    tokens.command('revoke').description('Revoke an admin token; it stops working at once.').argument('<id>'),
  ).action(async (id: string, opts: Record<string, unknown>) => {
    await runWithStore(io, opts, 'admin-token revoke', async (store) =>
      printJson(io, await store.revokeAdminToken(id)),
    );
  });
};
