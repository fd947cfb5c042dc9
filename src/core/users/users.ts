import { hashPassword, verifyPassword } from '../../lib/crypto.js';
import { isUuid, newId } from '../../lib/ids.js';
import { createReadCache } from '../../lib/read-cache.js';
import { revokeTokenFamiliesOfUser } from '../../store/combined/revoke-token-families.js';
import { isUniqueViolation } from '../../store/database.js';
import { identitiesRepo } from '../../store/repositories/identities.js';
import { sessionsRepo } from '../../store/repositories/sessions.js';
import { usersRepo } from '../../store/repositories/users.js';
import type { IdentityRow, UserRow } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { parseInput } from '../validation.js';
import { isEmailShaped, normaliseEmail } from './email.js';
import { type Identity, type User, UserInput } from './user.js';

export const toUser = (row: UserRow): User => ({
  id: row.id,
  tenantId: row.tenant_id,
  email: row.email,
  emailVerified: row.email_verified,
  hasPassword: row.password_hash !== null,
  firstName: row.first_name,
  lastName: row.last_name,
  displayName: row.display_name,
  profile: row.profile,
  status: row.status,
  passwordResetRequired: row.password_reset_required,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const toIdentity = (row: Omit<IdentityRow, 'raw'>): Identity => ({
  id: row.id,
  userId: row.user_id,
  idp: row.idp,
  issuer: row.issuer,
  subject: row.subject,
  email: row.email,
  emailVerified: row.email_verified,
  createdAt: row.created_at,
  lastLoginAt: row.last_login_at,
});

/** A valid argon2id hash of a random string: verified against when the user does not exist, so timing is the same. */
let dummyHash: Promise<string> | undefined;

/** Users of a tenant: creation, lookup, password checks, status. */
export const createUserUseCases = (deps: CoreDeps) => {
  const requireRow = async (tenantId: string, userId: string): Promise<UserRow> => {
    const row = isUuid(userId) ? await usersRepo.find(deps.db, tenantId, userId) : undefined;
    if (row === undefined) throw new GatehouseError('not_found', `user ${JSON.stringify(userId)} does not exist`);
    return row;
  };

  // Asked on every sign-in page: a short per-instance cache keeps it to one probe per tenant every few seconds.
  const passwordUsers = createReadCache<boolean>({
    ttlMs: 10_000,
    now: () => deps.clock.now().getTime(),
    load: (tenantId) => usersRepo.anyWithPassword(deps.db, tenantId),
  });

  return {
    /** Whether any user of the tenant has a password (cached for ten seconds per instance). */
    anyWithPassword: async (tenantId: string): Promise<boolean> => passwordUsers.get(tenantId),
    /** @throws GatehouseError `not_found` */
    require: async (tenantId: string, userId: string): Promise<User> => toUser(await requireRow(tenantId, userId)),
    find: async (tenantId: string, userId: string): Promise<User | undefined> => {
      const row = isUuid(userId) ? await usersRepo.find(deps.db, tenantId, userId) : undefined;
      return row === undefined ? undefined : toUser(row);
    },
    findByEmail: async (tenantId: string, email: string): Promise<User | undefined> => {
      const row = await usersRepo.findByEmail(deps.db, tenantId, normaliseEmail(email));
      return row === undefined ? undefined : toUser(row);
    },
    /** A page of users in creation order; pass the last user of a page as `after` for the next. */
    list: async (tenantId: string, options: { limit?: number; after?: User } = {}): Promise<User[]> =>
      (await usersRepo.list(deps.db, tenantId, options.limit ?? 100, options.after)).map(toUser),
    identities: async (userId: string): Promise<Identity[]> =>
      (await identitiesRepo.listByUser(deps.db, userId)).map(toIdentity),

    /**
     * Creates a user with an optional password (argon2id) in `tenantId`.
     * @throws GatehouseError `invalid_request`, `email_taken`
     */
    create: async (tenantId: string, input: unknown, db = deps.db): Promise<User> => {
      const parsed = parseInput(UserInput, input, 'user');
      const email = parsed.email === undefined ? null : normaliseEmail(parsed.email);
      if (email !== null && !isEmailShaped(email))
        throw new GatehouseError('invalid_request', 'user.email: not an email address');
      const passwordHash =
        parsed.password !== undefined ? await hashPassword(parsed.password) : (parsed.passwordHash ?? null);
      try {
        const row = await usersRepo.insert(db, {
          id: newId(),
          tenant_id: tenantId,
          email,
          email_verified: parsed.emailVerified ?? false,
          password_hash: passwordHash,
          first_name: parsed.firstName ?? null,
          last_name: parsed.lastName ?? null,
          display_name: parsed.displayName ?? null,
          profile: JSON.stringify(parsed.profile ?? {}),
          status: 'active',
        });
        if (passwordHash !== null) passwordUsers.delete(tenantId);
        return toUser(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new GatehouseError('email_taken', 'the email address is already in use');
        if ((error as { code?: string }).code === '23503')
          throw new GatehouseError('not_found', `tenant ${tenantId} does not exist`);
        throw error;
      }
    },

    /**
     * Disables or enables a user. Disabling also ends, in the same transaction, everything the user holds: every
     * refresh-token family (their access tokens revoked) and every browser session; enabling again revives none.
     * @throws GatehouseError `not_found`
     */
    setStatus: async (tenantId: string, userId: string, status: 'active' | 'disabled'): Promise<User> => {
      await requireRow(tenantId, userId);
      const row = await deps.db.transaction().execute(async (trx) => {
        const updated = await usersRepo.update(trx, tenantId, userId, { status });
        if (updated !== undefined && status === 'disabled') {
          await revokeTokenFamiliesOfUser(trx, userId, undefined, deps.clock.now());
          await sessionsRepo.deleteOfUser(trx, userId);
        }
        return updated;
      });
      if (row === undefined) throw new GatehouseError('not_found', `user ${JSON.stringify(userId)} does not exist`);
      return toUser(row);
    },

    /** The stored password hash (export only). */
    passwordHash: async (tenantId: string, userId: string): Promise<string | null> =>
      (await requireRow(tenantId, userId)).password_hash,

    /**
     * Checks an email + password. Unknown users cost the same argon2 verification as known ones.
     * @throws GatehouseError `invalid_grant` (wrong email or password), `user_disabled`
     */
    verifyCredentials: async (tenantId: string, email: string, password: string): Promise<User> => {
      const row = await usersRepo.findByEmail(deps.db, tenantId, normaliseEmail(email));
      if (row?.password_hash == null) {
        dummyHash ??= hashPassword('gatehouse-timing-equaliser');
        await verifyPassword(await dummyHash, password);
        throw new GatehouseError('invalid_grant', 'invalid email or password');
      }
      if (!(await verifyPassword(row.password_hash, password)))
        throw new GatehouseError('invalid_grant', 'invalid email or password');
      if (row.status !== 'active') throw new GatehouseError('user_disabled', 'the user account is disabled');
      // Only after the password proved the account: an operator asked for a new one before it signs in again.
      if (row.password_reset_required)
        throw new GatehouseError('password_reset_required', 'this account must set a new password before signing in');
      return toUser(row);
    },
  };
};

export type UserUseCases = ReturnType<typeof createUserUseCases>;
