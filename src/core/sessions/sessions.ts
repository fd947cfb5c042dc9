import { randomToken, sha256 } from '../../lib/crypto.js';
import { newOpaqueId } from '../../lib/ids.js';
import { revokeTokenFamiliesOfSessions } from '../../store/combined/revoke-token-families.js';
import { sessionsRepo } from '../../store/repositories/sessions.js';
import type { SessionRow } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';
import { requireSecondFactorSatisfied, secondFactorSatisfied } from '../flows/assurance.js';
import type { Tenant } from '../tenants/tenant.js';

/** A browser's sign-in at one tenant, shared by the tenant's clients (single sign-on). */
export interface Session {
  /** Public id, the ID token's `sid`; never the cookie value. */
  readonly sid: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly authTime: Date;
  readonly amr: readonly string[];
  /** The upstream identity signed in through, if any: unlinking it ends the session. */
  readonly identityId?: string;
  readonly expiresAt: Date;
}

/** A session as its user (or an operator) sees it in a list: where and when, never the cookie. */
export interface SessionSummary {
  readonly sid: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly authTime: Date;
  readonly amr: readonly string[];
  readonly expiresAt: Date;
}

/** How often a session's `last_seen_at` is written at most: a use within this much of the last is not recorded. */
export const lastSeenIntervalSeconds = 5 * 60;

/** The longest `User-Agent` kept. */
const userAgentMaxLength = 512;

/** How long a browser session lasts from sign-in (no sliding renewal). */
export const sessionLifetimeSeconds = 24 * 60 * 60;

const toSummary = (row: SessionRow): SessionSummary => ({
  sid: row.sid,
  userAgent: row.user_agent,
  ip: row.ip,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at ?? row.created_at,
  authTime: row.auth_time,
  amr: row.amr,
  expiresAt: row.expires_at,
});

const toSession = (row: SessionRow): Session => ({
  sid: row.sid,
  tenantId: row.tenant_id,
  userId: row.user_id,
  authTime: row.auth_time,
  amr: row.amr,
  ...(row.identity_id === null ? {} : { identityId: row.identity_id }),
  expiresAt: row.expires_at,
});

/**
 * Browser sessions (`core.sessions`). The cookie value is a 256-bit random secret; only its SHA-256 digest is stored,
 * so a database read does not yield working cookies.
 */
export const createSessionUseCases = (deps: CoreDeps) => ({
  /**
   * Starts a session after a sign-in that meets the tenant's second-factor policy.
   * @returns the cookie value (the only time it exists) and the session.
   * @throws GatehouseError `mfa_required` (nothing is stored)
   */
  start: async (input: {
    tenant: Tenant;
    userId: string;
    amr: readonly string[];
    authTime: Date;
    identityId?: string;
    /** The browser's `User-Agent` and address, shown to the user in their list of sessions. */
    userAgent?: string;
    ip?: string;
  }): Promise<{ cookie: string; session: Session }> => {
    requireSecondFactorSatisfied(input.tenant, input.amr);
    const cookie = randomToken(32);
    const now = deps.clock.now();
    const row = {
      id_digest: sha256(cookie),
      sid: newOpaqueId(),
      tenant_id: input.tenant.id,
      user_id: input.userId,
      auth_time: input.authTime,
      amr: [...input.amr],
      identity_id: input.identityId ?? null,
      created_at: now,
      expires_at: new Date(now.getTime() + sessionLifetimeSeconds * 1000),
      user_agent: input.userAgent === undefined ? null : input.userAgent.slice(0, userAgentMaxLength),
      ip: input.ip ?? null,
      last_seen_at: null,
    };
    await sessionsRepo.insert(deps.db, row);
    return { cookie, session: toSession(row) };
  },

  /**
   * The live session a cookie names at this tenant; undefined when unknown, expired, another tenant's, its user is
   * disabled, or its sign-in does not meet the tenant's second-factor policy as it is now (a session started before
   * the tenant asked for a second factor signs nobody in).
   */
  find: async (tenant: Tenant, cookie: string): Promise<Session | undefined> => {
    const digest = sha256(cookie);
    const now = deps.clock.now();
    const row = await sessionsRepo.find(deps.db, tenant.id, digest, now);
    if (row === undefined || !secondFactorSatisfied(tenant, row.amr)) return undefined;
    // Last seen: written only when the last record is older than the interval, so not on every request.
    const staleBefore = new Date(now.getTime() - lastSeenIntervalSeconds * 1000);
    if ((row.last_seen_at ?? row.created_at) < staleBefore) await sessionsRepo.touch(deps.db, digest, now, staleBefore);
    return toSession(row);
  },

  /** A user's live sessions at a tenant, newest first. */
  listOfUser: async (tenantId: string, userId: string): Promise<SessionSummary[]> =>
    (await sessionsRepo.listOfUser(deps.db, tenantId, userId, deps.clock.now())).map(toSummary),

  /**
   * Ends one session of a user by its public id, and in the same transaction revokes the refresh-token families
   * started in it (their access tokens go on the revocation list).
   * @returns whether there was such a session of this user.
   */
  revoke: async (tenantId: string, userId: string, sid: string): Promise<boolean> =>
    deps.db.transaction().execute(async (trx) => {
      const ended = await sessionsRepo.deleteBySid(trx, tenantId, userId, sid);
      if (ended === undefined) return false;
      await revokeTokenFamiliesOfSessions(trx, userId, [ended.sid], deps.clock.now());
      return true;
    }),

  /**
   * Ends every session of a user, and the refresh-token families started in them, in one transaction.
   * @returns how many sessions were ended.
   */
  revokeAll: async (tenantId: string, userId: string): Promise<number> =>
    deps.db.transaction().execute(async (trx) => {
      const sids = await sessionsRepo.deleteAllOfUser(trx, tenantId, userId);
      await revokeTokenFamiliesOfSessions(trx, userId, sids, deps.clock.now());
      return sids.length;
    }),

  /** Ends the session a cookie names (sign-out). @returns the ended session, if there was one. */
  end: async (tenantId: string, cookie: string): Promise<Session | undefined> => {
    const row = await sessionsRepo.delete(deps.db, tenantId, sha256(cookie));
    return row === undefined ? undefined : toSession(row);
  },

  /** Deletes expired sessions (for a periodic job). */
  purgeExpired: async (): Promise<void> => {
    await sessionsRepo.deleteExpired(deps.db, deps.clock.now());
  },
});

export type SessionUseCases = ReturnType<typeof createSessionUseCases>;
