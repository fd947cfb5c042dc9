import type { DbExecutor } from '../database.js';
import type { SessionRow } from '../schema.js';

/** `sessions`: browser sessions at the hosted pages. */
export const sessionsRepo = {
  insert: (
    db: DbExecutor,
    row: {
      id_digest: string;
      sid: string;
      tenant_id: string;
      user_id: string;
      auth_time: Date;
      amr: readonly string[];
      identity_id: string | null;
      created_at: Date;
      expires_at: Date;
      user_agent?: string | null;
      ip?: string | null;
    },
  ) =>
    db
      .insertInto('sessions')
      .values({ ...row, amr: JSON.stringify(row.amr) })
      .execute(),
  /** Primary-key lookup of a live session of this tenant whose user is still active. */
  find: (db: DbExecutor, tenantId: string, idDigest: string, now: Date): Promise<SessionRow | undefined> =>
    db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('sessions')
      .where('sessions.id_digest', '=', idDigest)
      .where('sessions.tenant_id', '=', tenantId)
      .where('sessions.expires_at', '>', now)
      .where('users.status', '=', 'active')
      .executeTakeFirst(),
  delete: (db: DbExecutor, tenantId: string, idDigest: string): Promise<SessionRow | undefined> =>
    db
      .deleteFrom('sessions')
      .where('id_digest', '=', idDigest)
      .where('tenant_id', '=', tenantId)
      .returningAll()
      .executeTakeFirst(),
  /** Ends a user's sessions but the one with `keepSid` (sessions_user_idx). */
  deleteOthersOfUser: async (db: DbExecutor, tenantId: string, userId: string, keepSid: string | undefined) => {
    let query = db.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('user_id', '=', userId);
    if (keepSid !== undefined) query = query.where('sid', '<>', keepSid);
    return Number((await query.executeTakeFirst()).numDeletedRows);
  },
  deleteExpired: (db: DbExecutor, now: Date) => db.deleteFrom('sessions').where('expires_at', '<', now).execute(),
  /**
   * Ends every session of a user, or only those signed in through one identity (sessions_user_idx).
   * @returns how many were ended.
   */
  deleteOfUser: async (db: DbExecutor, userId: string, identityId?: string): Promise<number> => {
    let query = db.deleteFrom('sessions').where('user_id', '=', userId);
    if (identityId !== undefined) query = query.where('identity_id', '=', identityId);
    return Number((await query.executeTakeFirst()).numDeletedRows);
  },
  /** A user's live sessions, newest first (sessions_user_idx); at most 200. */
  listOfUser: (db: DbExecutor, tenantId: string, userId: string, now: Date): Promise<SessionRow[]> =>
    db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('tenant_id', '=', tenantId)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .orderBy('sid')
      .limit(200)
      .execute(),
  /** Ends one session of a user by its public id. @returns the ended session, if it was theirs. */
  deleteBySid: (db: DbExecutor, tenantId: string, userId: string, sid: string): Promise<SessionRow | undefined> =>
    db
      .deleteFrom('sessions')
      .where('sid', '=', sid)
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .returningAll()
      .executeTakeFirst(),
  /** Ends every session of a user at this tenant. @returns the ended sessions' public ids. */
  deleteAllOfUser: async (db: DbExecutor, tenantId: string, userId: string): Promise<string[]> =>
    (
      await db
        .deleteFrom('sessions')
        .where('user_id', '=', userId)
        .where('tenant_id', '=', tenantId)
        .returning('sid')
        .execute()
    ).map((row) => row.sid),
  /**
   * Records that a session was used, once per `staleBefore`: only a row last seen before it is written, so concurrent
   * requests of one browser write at most once.
   */
  touch: (db: DbExecutor, idDigest: string, now: Date, staleBefore: Date) =>
    db
      .updateTable('sessions')
      .set({ last_seen_at: now })
      .where('id_digest', '=', idDigest)
      .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<', staleBefore)]))
      .execute(),
};
