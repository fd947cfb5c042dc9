import { type Static, Type } from '@sinclair/typebox';
import { hashPassword } from '../../lib/crypto.js';
import { isUuid } from '../../lib/ids.js';
import { mergePatch } from '../../lib/merge-patch.js';
import { revokeTokenFamiliesOfUser } from '../../store/combined/revoke-token-families.js';
import { isUniqueViolation } from '../../store/database.js';
import { factorsRepo } from '../../store/repositories/mfa-factors.js';
import { usersRepo } from '../../store/repositories/users.js';
import type { UserRow } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { parseInput } from '../validation.js';
import { isEmailShaped, normaliseEmail } from './email.js';
import type { User } from './user.js';
import { toUser } from './users.js';

/** How many users a substring search reads at most for one page. */
export const searchScanLimit = 5000;

const Name = Type.Union([Type.String({ maxLength: 200 }), Type.Null()]);

/** An RFC 7396 merge patch of a user: a member set to null clears it, an absent member is left as it is. */
export const UserPatch = Type.Object(
  {
    email: Type.Optional(Type.Union([Type.String({ minLength: 3, maxLength: 320 }), Type.Null()])),
    emailVerified: Type.Optional(Type.Boolean()),
    firstName: Type.Optional(Name),
    lastName: Type.Optional(Name),
    displayName: Type.Optional(Name),
    profile: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  },
  { additionalProperties: false },
);
export type UserPatch = Static<typeof UserPatch>;

/** What a search matches: the exact email, the start of the email, or a part of the email or a name. */
export type UserSearch =
  | { readonly kind: 'email'; readonly email: string }
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'contains'; readonly text: string };

export interface UserSearchPage {
  readonly users: User[];
  /** Opaque: pass it back for the next page; undefined when there is none. */
  readonly next: string | undefined;
}

const encodeCursor = (value: string): string => Buffer.from(value, 'utf8').toString('base64url');
const decodeCursor = (cursor: string): string => Buffer.from(cursor, 'base64url').toString('utf8');

/**
 * An operator's care of one user (`core.users.care`): search, change, password and second-factor resets, deletion.
 * Each change is one statement or one transaction.
 */
export const createUserCare = (deps: CoreDeps) => {
  const requireRow = async (tenantId: string, userId: string): Promise<UserRow> => {
    const row = isUuid(userId) ? await usersRepo.find(deps.db, tenantId, userId) : undefined;
    if (row === undefined) throw new GatehouseError('not_found', `user ${JSON.stringify(userId)} does not exist`);
    return row;
  };

  return {
    /**
     * A page of users matching `search`. An email prefix walks the email index in email order; a substring reads at
     * most {@link searchScanLimit} users per page in creation order (a page may then hold fewer than `limit` matches
     * and still have a next one).
     * @throws GatehouseError `invalid_request` (empty text, bad cursor)
     */
    search: async (
      tenantId: string,
      search: UserSearch,
      options: { limit: number; cursor?: string },
    ): Promise<UserSearchPage> => {
      const limit = Math.min(Math.max(options.limit, 1), 500);
      if (search.kind === 'email') {
        const row = await usersRepo.findByEmail(deps.db, tenantId, normaliseEmail(search.email));
        return { users: row === undefined ? [] : [toUser(row)], next: undefined };
      }
      const text = (search.kind === 'prefix' ? search.prefix : search.text).trim().toLowerCase();
      if (text === '') throw new GatehouseError('invalid_request', 'the search text is empty');
      const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
      if (search.kind === 'prefix') {
        const rows = await usersRepo.findByEmailPrefix(deps.db, tenantId, text, limit, after);
        const last = rows.at(-1);
        return {
          users: rows.map(toUser),
          next: rows.length === limit && last?.email != null ? encodeCursor(last.email) : undefined,
        };
      }
      if (after !== undefined && !isUuid(after)) throw new GatehouseError('invalid_request', 'cursor: not a cursor');
      const page = await usersRepo.searchScan(deps.db, tenantId, text, limit, searchScanLimit, after);
      const more = page.matches.length === limit || page.scanned === searchScanLimit;
      return {
        users: page.matches.map(toUser),
        next: more && page.lastScannedId !== undefined ? encodeCursor(page.lastScannedId) : undefined,
      };
    },

    /**
     * Changes a user by an RFC 7396 merge patch: members absent are kept, `null` clears one, `profile` is merged
     * member by member. A changed email is no longer verified unless the patch says so.
     * @throws GatehouseError `invalid_request`, `not_found`, `email_taken`
     */
    patch: async (tenantId: string, userId: string, input: unknown): Promise<User> => {
      const patch = parseInput(UserPatch, input, 'user');
      const current = await requireRow(tenantId, userId);
      let email: string | null | undefined;
      if (patch.email !== undefined) {
        email = patch.email === null ? null : normaliseEmail(patch.email);
        if (email !== null && !isEmailShaped(email))
          throw new GatehouseError('invalid_request', 'user.email: not an email address');
      }
      const emailChanged = email !== undefined && email !== current.email;
      const profile =
        patch.profile === undefined
          ? undefined
          : (mergePatch(current.profile, patch.profile ?? {}) as UserRow['profile']);
      try {
        const row = await usersRepo.update(deps.db, tenantId, userId, {
          ...(email === undefined ? {} : { email }),
          ...(patch.emailVerified !== undefined
            ? { email_verified: patch.emailVerified }
            : emailChanged
              ? { email_verified: false }
              : {}),
          ...(patch.firstName === undefined ? {} : { first_name: patch.firstName }),
          ...(patch.lastName === undefined ? {} : { last_name: patch.lastName }),
          ...(patch.displayName === undefined ? {} : { display_name: patch.displayName }),
          ...(profile === undefined ? {} : { profile: JSON.stringify(profile) }),
        });
        if (row === undefined) throw new GatehouseError('not_found', `user ${JSON.stringify(userId)} does not exist`);
        return toUser(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new GatehouseError('email_taken', 'the email address is already in use');
        throw error;
      }
    },

    /**
     * Sets a user's password (argon2id) and clears a required reset. The user's sessions and refresh tokens are kept:
     * end them with the sessions' revoke-all when the password was stolen.
     * @throws GatehouseError `invalid_request` (shorter than 8 or longer than 1024 characters), `not_found`
     */
    setPassword: async (tenantId: string, userId: string, password: string): Promise<User> => {
      if (password.length < 8 || password.length > 1024)
        throw new GatehouseError('invalid_request', 'password: must be 8 to 1024 characters long');
      await requireRow(tenantId, userId);
      const row = await usersRepo.update(deps.db, tenantId, userId, {
        password_hash: await hashPassword(password),
        password_reset_required: false,
      });
      if (row === undefined) throw new GatehouseError('not_found', `user ${JSON.stringify(userId)} does not exist`);
      return toUser(row);
    },

    /**
     * Requires (or no longer requires) a new password: while required, a correct password signs nobody in and is
     * answered `password_reset_required`.
     * @throws GatehouseError `not_found`
     */
    requirePasswordReset: async (tenantId: string, userId: string, required: boolean): Promise<User> => {
      await requireRow(tenantId, userId);
      const row = await usersRepo.update(deps.db, tenantId, userId, { password_reset_required: required });
      if (row === undefined) throw new GatehouseError('not_found', `user ${JSON.stringify(userId)} does not exist`);
      return toUser(row);
    },

    /**
     * Removes every second factor of a user (authenticator apps and recovery codes), in one transaction.
     * @returns how many factors were removed. @throws GatehouseError `not_found`
     */
    resetMfa: async (tenantId: string, userId: string): Promise<number> => {
      await requireRow(tenantId, userId);
      return deps.db.transaction().execute(async (trx) => {
        let removed = 0;
        for (const kind of ['totp', 'recovery_code'] as const) {
          const result = await factorsRepo.deleteKind(trx, tenantId, userId, kind);
          removed += result.reduce((n, r) => n + Number(r.numDeletedRows), 0);
        }
        return removed;
      });
    },

    /**
     * Deletes a user and everything that is theirs in one transaction: their access tokens go on the revocation list,
     * then the user row goes, and with it (foreign-key cascade) identities, sessions, token families, refresh tokens,
     * codes, second factors, consents and a pending email change.
     * @throws GatehouseError `not_found`
     */
    remove: async (tenantId: string, userId: string): Promise<void> => {
      await requireRow(tenantId, userId);
      const deleted = await deps.db.transaction().execute(async (trx) => {
        await revokeTokenFamiliesOfUser(trx, userId, undefined, deps.clock.now());
        return usersRepo.delete(trx, tenantId, userId);
      });
      if (!deleted) throw new GatehouseError('not_found', `user ${JSON.stringify(userId)} does not exist`);
    },
  };
};

export type UserCare = ReturnType<typeof createUserCare>;
