import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

type Opts = Record<string, string | undefined>;

/** `gatehouse tenant create|list|show`. */
export const tenantCommand = (program: Command, io: CliIo): void => {
  const tenant = program.command('tenant').description('Manage tenants.');

  storeFlags(
    tenant
      .command('create')
      .description('Create a tenant.')
      .argument('<id>', 'tenant id: lowercase letters, digits and dashes (the `/t/{id}` path segment)')
      .option('--name <name>', 'display name (default: the id)')
      .option('--linking <policy>', 'merge_needed (default) or auto_link_verified')
      .option('--mfa <policy>', 'off (default), social or all'),
  ).action(async (id: string, opts: Opts) => {
    const policies = {
      ...(opts.linking === undefined ? {} : { linking: opts.linking }),
      ...(opts.mfa === undefined ? {} : { mfa: opts.mfa }),
    };
    const input = {
      id,
      ...(opts.name === undefined ? {} : { name: opts.name }),
      ...(Object.keys(policies).length === 0 ? {} : { policies }),
    };
    await runWithStore(io, opts, 'tenant create', async (store) => printJson(io, await store.createTenant(input)));
  });

  storeFlags(tenant.command('list').description('List tenants.')).action(async (opts: Opts) => {
    await runWithStore(io, opts, 'tenant list', async (store) => printJson(io, await store.listTenants()));
  });

  storeFlags(tenant.command('show').description('Show a tenant.').argument('<id>', 'tenant id')).action(
    async (id: string, opts: Opts) => {
      await runWithStore(io, opts, 'tenant show', async (store) => printJson(io, await store.showTenant(id)));
    },
  );
};
