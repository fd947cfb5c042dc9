import { createBatcher } from '../../lib/batcher.js';
import { auditEventsRepo } from '../../store/repositories/audit-events.js';
import type { CoreDeps } from '../deps.js';

/** Typed domain events, named `noun.outcome`. */
export type AuditEventType =
  | 'tenant.created'
  | 'tenant.updated'
  | 'tenant.deleted'
  | 'client.created'
  | 'client.updated'
  | 'client.secret_rotated'
  | 'client.deleted'
  | 'connection.set'
  | 'connection.removed'
  | 'user.created'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.email_verified'
  | 'user.password_reset'
  | 'user.signup_refused'
  | 'user.updated'
  | 'user.deleted'
  | 'user.password_set'
  | 'user.password_reset_required'
  | 'user.mfa_reset'
  | 'user.email_changed'
  | 'session.revoked'
  | 'keys.rotated'
  | 'login.started'
  | 'login.cancelled'
  | 'login.succeeded'
  | 'login.failed'
  | 'login.merge_needed'
  | 'login.email_missing'
  | 'login.new_user_required'
  | 'identity.linked'
  | 'identity.unlinked'
  | 'identity.link_refused'
  | 'tokens.issued'
  | 'refresh_token.rotated'
  | 'refresh_token.reused'
  | 'authorization_code.replayed'
  | 'token.revoked'
  | 'session.ended'
  | 'mfa.challenged'
  | 'mfa.succeeded'
  | 'mfa.failed'
  | 'config.imported'
  | 'backup.taken'
  | 'backup.restored'
  | 'rate_limit.refused'
  | 'account.throttled'
  | 'account.failures_notified'
  | 'admin.auth_failed'
  | 'admin_token.created'
  | 'admin_token.revoked'
  | 'mfa.factor_changed'
  | 'consent.granted'
  | 'consent.denied';

export interface AuditEvent {
  readonly type: AuditEventType;
  readonly outcome: 'success' | 'failure' | 'info';
  readonly tenantId?: string;
  /** Who acted: `admin`, `admin_token:{id}`, `client:{id}`, `user:{id}`, `system`, `anonymous`. */
  readonly actor?: string;
  readonly clientId?: string;
  readonly idp?: string;
  readonly userId?: string;
  readonly ip?: string;
  /** Never a token or secret. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The audit trail. Events are buffered and written in batches (one INSERT per batch, at most `flushMs` later), so a
 * token issuance does not pay an extra database round trip; `flush()` writes what is pending (tests, shutdown).
 * An event that cannot be written is logged, never thrown to the caller.
 */
export const createAuditLog = (deps: CoreDeps, flushMs = 200, maxBatch = 500) => {
  const write = async (batch: AuditEvent[]) => {
    try {
      const rows = batch.map((e) => ({
        tenant_id: e.tenantId ?? null,
        type: e.type,
        outcome: e.outcome,
        actor: e.actor ?? null,
        client_id: e.clientId ?? null,
        idp: e.idp ?? null,
        user_id: e.userId ?? null,
        ip: e.ip ?? null,
        details: e.details ?? {},
      }));
      await auditEventsRepo.insertMany(deps.db, rows);
    } catch (error) {
      deps.log.error({ err: error, events: batch.length }, 'audit.write_failed');
    }
  };

  const batches = createBatcher(write, { flushMs, maxBatch });

  return {
    record: (event: AuditEvent): void => batches.add(event),
    flush: batches.flush,
    /** Recent events of a tenant, newest first (admin API). */
    list: async (tenantId: string, limit = 100) =>
      auditEventsRepo.listOfTenant(deps.db, tenantId, Math.min(limit, 1000)),
  };
};

export type AuditLog = ReturnType<typeof createAuditLog>;
