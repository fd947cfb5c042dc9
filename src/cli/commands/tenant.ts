import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

type Opts = Record<string, string | undefined>;

/** The branding options of `tenant create` (and `client create`), as the `branding` object; undefined when none. */
export const brandingOf = (opts: Opts): Record<string, unknown> | undefined => {
  const branding = Object.fromEntries(
    Object.entries({
      displayName: opts.displayName,
      logoUrl: opts.logo,
      primaryColor: opts.primaryColor,
      supportUrl: opts.supportUrl,
      defaultLocale: opts.defaultLocale,
      providerOrder: opts.providerOrder?.split(',').map((id) => id.trim()),
    }).filter(([, v]) => v !== undefined),
  );
  return Object.keys(branding).length === 0 ? undefined : branding;
};

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
      .option('--mfa <policy>', 'off (default), social or all')
      .option('--display-name <name>', 'the name the hosted pages and mails show (default: the name)')
      .option('--logo <url>', 'logo of the hosted pages: an https image URL or a data:image/…;base64, URI')
      .option('--primary-color <hex>', 'colour of buttons and links, #rgb or #rrggbb')
      .option('--support-url <url>', 'where people get help: an https URL or mailto: address')
      .option(
        '--default-locale <tag>',
        'language of pages and mails when the browser asks for none we have (en, de, …)',
      )
      .option('--provider-order <ids>', 'connection ids, comma-separated, in the order the sign-in page shows them'),
  ).action(async (id: string, opts: Opts) => {
    const branding = brandingOf(opts);
    const policies = {
      ...(opts.linking === undefined ? {} : { linking: opts.linking }),
      ...(opts.mfa === undefined ? {} : { mfa: opts.mfa }),
      ...(branding === undefined ? {} : { branding }),
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
