import { sql } from 'kysely';
import type { DbExecutor } from '../database.js';
import type { AuditEventRow } from '../schema.js';

/** An event to append, in the table's columns (its id and time are the database's); `details` never holds a secret. */
export type NewAuditEvent = Omit<AuditEventRow, 'id' | 'created_at'>;

export const auditEventsRepo = {
  /**
   * Appends a batch of events in one statement, with one JSON parameter for the whole batch: no per-value query
   * building, and no limit on the number of rows. The audit trail calls it once per batch (`core/audit/events.ts`).
   */
  insertMany: async (db: DbExecutor, rows: readonly NewAuditEvent[]): Promise<void> => {
    await sql`
      insert into audit_events (tenant_id, type, outcome, actor, client_id, idp, user_id, ip, details)
      select tenant_id, type, outcome, actor, client_id, idp, user_id, ip, details
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as e(
        tenant_id text, type text, outcome text, actor text, client_id text, idp text, user_id uuid, ip text,
        details jsonb
      )`.execute(db);
  },
  /** Recent events of a tenant, newest first; uses audit_events_tenant_created_idx. */
  listOfTenant: (db: DbExecutor, tenantId: string, limit: number): Promise<AuditEventRow[]> =>
    db
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute(),
};
