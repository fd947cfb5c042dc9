import type { Command } from 'commander';
import type { App } from '../../compose.js';
import { GatehouseError } from '../../core/errors.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import type { User } from '../../core/users/user.js';
import { CliError, printJson, recordCliEvent, runWithApp } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

/** A user named by id or by email. @throws GatehouseError `not_found` */
const findUser = async (app: App, tenantId: string, idOrEmail: string) => {
  const user = idOrEmail.includes('@')
    ? await app.core.users.findByEmail(tenantId, idOrEmail)
    : await app.core.users.find(tenantId, idOrEmail);
  if (user === undefined) throw new GatehouseError('not_found', `user ${JSON.stringify(idOrEmail)} does not exist`);
  return user;
};

/** Runs `action` on the user named by id or email in `--tenant`. @throws GatehouseError `not_found` */
const withUser = (
  opts: { tenant: string },
  idOrEmail: string,
  action: (app: App, tenant: Tenant, user: User) => Promise<void>,
): Promise<void> =>
  runWithApp(opts, async (app) => {
    const tenant = await app.core.tenants.require(opts.tenant);
    await action(app, tenant, await findUser(app, tenant.id, idOrEmail));
  });

const parseLimit = (text: string | undefined): number => {
  if (text === undefined) return 100;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 500) throw new CliError('--limit: must be 1–500');
  return Number(text);
};

/** `gatehouse user list|show|disable|enable|unlink`. */
export const userCommand = (program: Command): void => {
  const user = program.command('user').description("Manage a tenant's users.");

  storeFlags(
    user
      .command('list')
      .description('List users in creation order, a page at a time.')
      .requiredOption('--tenant <id>', 'tenant id')
      .option('--limit <n>', 'page size, 1–500 (default 100)')
      .option('--after <user-id>', 'start after this user (the `next` of the previous page)'),
  ).action(async (opts: { tenant: string; limit?: string; after?: string }) => {
    const limit = parseLimit(opts.limit);
    await runWithApp(opts, async (app) => {
      const tenant = await app.core.tenants.require(opts.tenant);
      const after = opts.after === undefined ? undefined : await findUser(app, tenant.id, opts.after);
      const items = await app.core.users.list(tenant.id, { limit, ...(after === undefined ? {} : { after }) });
      const last = items.at(-1);
      printJson({ items, next: items.length === limit && last !== undefined ? last.id : null });
    });
  });

  storeFlags(
    user
      .command('show')
      .description('Show a user and their linked identities.')
      .argument('<user>', 'user id or email')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, opts: { tenant: string }) => {
    await withUser(opts, idOrEmail, async (app, _tenant, found) => {
      printJson({ ...found, identities: await app.core.users.identities(found.id) });
    });
  });

  for (const [verb, status, description] of [
    ['disable', 'disabled', 'Disable a user: no further sign-ins.'],
    ['enable', 'active', 'Enable a disabled user.'],
  ] as const) {
    storeFlags(
      user
        .command(verb)
        .description(description)
        .argument('<user>', 'user id or email')
        .requiredOption('--tenant <id>', 'tenant id'),
    ).action(async (idOrEmail: string, opts: { tenant: string }) => {
      await withUser(opts, idOrEmail, async (app, tenant, found) => {
        const updated = await app.core.users.setStatus(tenant.id, found.id, status);
        recordCliEvent(app, {
          type: status === 'disabled' ? 'user.disabled' : 'user.enabled',
          tenantId: tenant.id,
          userId: found.id,
        });
        printJson(updated);
      });
    });
  }

  storeFlags(
    user
      .command('unlink')
      .description("Unlink one of a user's identities (refused when it is their last way to sign in).")
      .argument('<user>', 'user id or email')
      .requiredOption('--idp <id>', 'the connection id of the identity')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, opts: { tenant: string; idp: string }) => {
    await withUser(opts, idOrEmail, async (app, tenant, found) => {
      await app.core.accounts.unlink(tenant.id, found.id, opts.idp, 'cli');
      printJson({ ...found, identities: await app.core.users.identities(found.id) });
    });
  });
};
