import { randomToken, sha256 } from '../../lib/crypto.js';
import { newOpaqueId } from '../../lib/ids.js';
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

/** How long a browser session lasts from sign-in (no sliding renewal). */
export const sessionLifetimeSeconds = 24 * 60 * 60;

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
    const row = await sessionsRepo.find(deps.db, tenant.id, sha256(cookie), deps.clock.now());
    return row === undefined || !secondFactorSatisfied(tenant, row.amr) ? undefined : toSession(row);
  },

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
