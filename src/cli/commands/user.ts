import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { CliError, printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';
import { userCareCommands } from './user-care.js';

const parseLimit = (text: string | undefined): number => {
  if (text === undefined) return 100;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 500) throw new CliError('--limit: must be 1–500');
  return Number(text);
};

/** `gatehouse user list|show|disable|enable|unlink`. Users are named by id or email. */
export const userCommand = (program: Command, io: CliIo): void => {
  const user = program.command('user').description("Manage a tenant's users.");
  userCareCommands(user, io);

  storeFlags(
    user
      .command('list')
      .description('List users in creation order, a page at a time.')
      .requiredOption('--tenant <id>', 'tenant id')
      .option('--limit <n>', 'page size, 1–500 (default 100)')
      .option('--after <user-id>', 'start after this user (the `next` of the previous page)'),
  ).action(async (opts: { tenant: string; limit?: string; after?: string }) => {
    const limit = parseLimit(opts.limit);
    const page = { limit, ...(opts.after === undefined ? {} : { after: opts.after }) };
    await runWithStore(io, opts, 'user list', async (store) => printJson(io, await store.listUsers(opts.tenant, page)));
  });

  storeFlags(
    user
      .command('show')
      .description('Show a user and their linked identities.')
      .argument('<user>', 'user id or email')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, opts: { tenant: string }) => {
    await runWithStore(io, opts, 'user show', async (store) =>
      printJson(io, await store.showUser(opts.tenant, idOrEmail)),
    );
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
      await runWithStore(io, opts, `user ${verb}`, async (store) =>
        printJson(io, await store.setUserStatus(opts.tenant, idOrEmail, status)),
      );
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
    await runWithStore(io, opts, 'user unlink', async (store) =>
      printJson(io, await store.unlinkIdentity(opts.tenant, idOrEmail, opts.idp)),
    );
  });
};
