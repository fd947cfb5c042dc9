import type { Command } from 'commander';
import { printJson, recordCliEvent, runWithApp } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

type Opts = Record<string, string | undefined>;

/** `gatehouse tenant create|list|show`. */
export const tenantCommand = (program: Command): void => {
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
    await runWithApp(opts, async (app) => {
      const policies = {
        ...(opts.linking === undefined ? {} : { linking: opts.linking }),
        ...(opts.mfa === undefined ? {} : { mfa: opts.mfa }),
      };
      const created = await app.core.tenants.create({
        id,
        ...(opts.name === undefined ? {} : { name: opts.name }),
        ...(Object.keys(policies).length === 0 ? {} : { policies }),
      });
      recordCliEvent(app, { type: 'tenant.created', tenantId: created.id });
      printJson(created);
    });
  });

  storeFlags(tenant.command('list').description('List tenants.')).action(async (opts: Opts) => {
    await runWithApp(opts, async (app) => printJson(await app.core.tenants.list()));
  });

  storeFlags(tenant.command('show').description('Show a tenant.').argument('<id>', 'tenant id')).action(
    async (id: string, opts: Opts) => {
      await runWithApp(opts, async (app) => printJson(await app.core.tenants.require(id)));
    },
  );
};
