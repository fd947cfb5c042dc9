import type { Insertable } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { MfaFactorRow, MfaFactorsTable } from '../schema.js';

export const factorsRepo = {
  /** Uses mfa_factors_user_kind_idx; a user has one TOTP seed and a handful of recovery codes. */
  listByUser: (db: DbExecutor, tenantId: string, userId: string) =>
    db
      .selectFrom('mfa_factors')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .limit(100)
      .execute(),
  insert: (db: DbExecutor, rows: Insertable<MfaFactorsTable>[]) =>
    db.insertInto('mfa_factors').values(rows).returningAll().execute(),
  /** Removes a user's factors of `kind`, or only the unconfirmed ones. */
  deleteKind: (
    db: DbExecutor,
    tenantId: string,
    userId: string,
    kind: MfaFactorRow['kind'],
    unconfirmedOnly = false,
  ) => {
    let query = db
      .deleteFrom('mfa_factors')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('kind', '=', kind);
    if (unconfirmedOnly) query = query.where('confirmed_at', 'is', null);
    return query.execute();
  },
  deleteOthers: (db: DbExecutor, tenantId: string, userId: string, kind: MfaFactorRow['kind'], keepId: string) =>
    db
      .deleteFrom('mfa_factors')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('kind', '=', kind)
      .where('id', '!=', keepId)
      .execute(),
  confirm: (db: DbExecutor, id: string, step: number, now: Date) =>
    db
      .updateTable('mfa_factors')
      .set({ confirmed_at: now, last_used_step: step })
      .where('id', '=', id)
      .where('confirmed_at', 'is', null)
      .returningAll()
      .executeTakeFirst(),
  /** Accepts a TOTP time step once: only when it is later than the last one used. */
  useStep: (db: DbExecutor, id: string, step: number) =>
    db
      .updateTable('mfa_factors')
      .set({ last_used_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', String(step))]))
      .returning('id')
      .executeTakeFirst(),
  /** Spends a recovery code once. */
  useCode: (db: DbExecutor, tenantId: string, userId: string, codeDigest: string, now: Date) =>
    db
      .updateTable('mfa_factors')
      .set({ used_at: now })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('kind', '=', 'recovery_code')
      .where('code_digest', '=', codeDigest)
      .where('used_at', 'is', null)
      .returning('id')
      .executeTakeFirst(),
};

export type { MfaFactorRow };
