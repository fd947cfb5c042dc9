import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { UserSearch } from '../../core/users/user-care.js';
import type { CliIo } from '../io.js';
import { CliError, printJson, runWithStore } from '../run-with-app.js';
import { storeFlags } from '../store-options.js';

const parseLimit = (text: string | undefined): number => {
  if (text === undefined) return 100;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 500) throw new CliError('--limit: must be 1–500');
  return Number(text);
};

/** The first line of a file (a password is never an argument: arguments show in the process list). */
const readSecretFile = (path: string): string => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CliError(`--password-file: cannot read ${path}`);
  }
  return text.split(/\r?\n/, 1)[0] ?? '';
};

const parseJson = (text: string, flag: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${flag}: not JSON`);
  }
};

type TenantOption = { tenant: string };

/**
 * `gatehouse user find|create|patch|set-password|require-reset|reset-mfa|delete|sessions|end-sessions`: an operator's
 * care of a user, the same operations as the admin API's.
 */
export const userCareCommands = (user: Command, io: CliIo): void => {
  storeFlags(
    user
      .command('find')
      .description('Find users by exact email, by the start of their email, or by a part of their email or name.')
      .requiredOption('--tenant <id>', 'tenant id')
      .option('--email <email>', 'the user with this email')
      .option('--prefix <text>', 'users whose email starts with this, in email order')
      .option('--text <text>', 'users whose email or name contains this, in creation order')
      .option('--limit <n>', 'page size, 1–500 (default 100)')
      .option('--cursor <cursor>', 'the `next` of the previous page'),
  ).action(
    async (
      opts: TenantOption &
        Record<string, unknown> & { email?: string; prefix?: string; text?: string; limit?: string; cursor?: string },
    ) => {
      const given = [opts.email, opts.prefix, opts.text].filter((v) => v !== undefined);
      if (given.length !== 1) throw new CliError('give one of --email, --prefix or --text');
      const search: UserSearch =
        opts.email !== undefined
          ? { kind: 'email', email: opts.email }
          : opts.prefix !== undefined
            ? { kind: 'prefix', prefix: opts.prefix }
            : { kind: 'contains', text: opts.text ?? '' };
      const page = { limit: parseLimit(opts.limit), ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }) };
      await runWithStore(io, opts, 'user find', async (store) =>
        printJson(io, await store.findUsers(opts.tenant, search, page)),
      );
    },
  );

  storeFlags(
    user
      .command('create')
      .description('Create a user.')
      .requiredOption('--tenant <id>', 'tenant id')
      .option('--email <email>', 'email address')
      .option('--email-verified', 'the address is known to be theirs')
      .option('--first-name <name>', 'first name')
      .option('--last-name <name>', 'last name')
      .option('--password-file <path>', 'a file whose first line is the password (hashed with argon2id)'),
  ).action(
    async (
      opts: TenantOption &
        Record<string, unknown> & {
          email?: string;
          emailVerified?: boolean;
          firstName?: string;
          lastName?: string;
          passwordFile?: string;
        },
    ) => {
      const input = {
        ...(opts.email === undefined ? {} : { email: opts.email }),
        ...(opts.emailVerified === true ? { emailVerified: true } : {}),
        ...(opts.firstName === undefined ? {} : { firstName: opts.firstName }),
        ...(opts.lastName === undefined ? {} : { lastName: opts.lastName }),
        ...(opts.passwordFile === undefined ? {} : { password: readSecretFile(opts.passwordFile) }),
      };
      await runWithStore(io, opts, 'user create', async (store) =>
        printJson(io, await store.createUser(opts.tenant, input)),
      );
    },
  );

  storeFlags(
    user
      .command('patch')
      .description('Change a user by an RFC 7396 merge patch: members left out are kept, null clears one.')
      .argument('<user>', 'user id or email')
      .argument('<json>', 'the patch, e.g. {"displayName":"Ada","lastName":null}')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, patch: string, opts: TenantOption) => {
    const body = parseJson(patch, '<json>');
    await runWithStore(io, opts, 'user patch', async (store) =>
      printJson(io, await store.patchUser(opts.tenant, idOrEmail, body)),
    );
  });

  storeFlags(
    user
      .command('set-password')
      .description("Set a user's password (argon2id); clears a required reset.")
      .argument('<user>', 'user id or email')
      .requiredOption('--password-file <path>', 'a file whose first line is the password')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, opts: TenantOption & Record<string, unknown> & { passwordFile: string }) => {
    const password = readSecretFile(opts.passwordFile);
    await runWithStore(io, opts, 'user set-password', async (store) =>
      printJson(io, await store.setUserPassword(opts.tenant, idOrEmail, password)),
    );
  });

  storeFlags(
    user
      .command('require-reset')
      .description('Require a new password: a password sign-in answers password_reset_required until one is set.')
      .argument('<user>', 'user id or email')
      .option('--off', 'no longer require it')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, opts: TenantOption & Record<string, unknown> & { off?: boolean }) => {
    await runWithStore(io, opts, 'user require-reset', async (store) =>
      printJson(io, await store.requirePasswordReset(opts.tenant, idOrEmail, opts.off !== true)),
    );
  });

  storeFlags(
    user
      .command('reset-mfa')
      .description('Remove every second factor of a user (authenticator apps and recovery codes).')
      .argument('<user>', 'user id or email')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, opts: TenantOption) => {
    await runWithStore(io, opts, 'user reset-mfa', async (store) =>
      printJson(io, await store.resetUserMfa(opts.tenant, idOrEmail)),
    );
  });

  storeFlags(
    user
      .command('delete')
      .description('Delete a user and everything theirs (identities, sessions, tokens, second factors).')
      .argument('<user>', 'user id or email')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, opts: TenantOption) => {
    await runWithStore(io, opts, 'user delete', async (store) =>
      printJson(io, await store.deleteUser(opts.tenant, idOrEmail)),
    );
  });

  storeFlags(
    user
      .command('sessions')
      .description("List a user's browser sessions, newest first.")
      .argument('<user>', 'user id or email')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, opts: TenantOption) => {
    await runWithStore(io, opts, 'user sessions', async (store) =>
      printJson(io, await store.listUserSessions(opts.tenant, idOrEmail)),
    );
  });

  storeFlags(
    user
      .command('end-sessions')
      .description('End one session of a user (--sid) or all of them; their refresh tokens are revoked.')
      .argument('<user>', 'user id or email')
      .option('--sid <sid>', 'only this session')
      .requiredOption('--tenant <id>', 'tenant id'),
  ).action(async (idOrEmail: string, opts: TenantOption & Record<string, unknown> & { sid?: string }) => {
    await runWithStore(io, opts, 'user end-sessions', async (store) =>
      printJson(io, await store.revokeUserSessions(opts.tenant, idOrEmail, opts.sid)),
    );
  });
};
