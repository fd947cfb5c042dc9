import type { BeginUpstreamLogin } from '../strategies/upstream/begin.js';
import type { Tenant } from '../tenants/tenant.js';
import type { AuditLog } from './events.js';

/** `sessions.end`, recording `session.ended` for a session that existed. */
export const auditSessionEnd =
  <S extends { userId: string; sid: string }>(
    end: (tenantId: string, cookie: string) => Promise<S | undefined>,
    audit: AuditLog,
  ) =>
  async (tenantId: string, cookie: string): Promise<S | undefined> => {
    const session = await end(tenantId, cookie);
    if (session !== undefined)
      audit.record({
        type: 'session.ended',
        outcome: 'success',
        tenantId,
        userId: session.userId,
        actor: `user:${session.userId}`,
        details: { sid: session.sid },
      });
    return session;
  };

/** `beginUpstreamLogin`, recording `login.started` with the connection and the target's client. */
export const auditLoginStart =
  (begin: BeginUpstreamLogin, audit: AuditLog): BeginUpstreamLogin =>
  async (input) => {
    const result = await begin(input);
    audit.record({
      type: 'login.started',
      outcome: 'info',
      tenantId: input.tenant.id,
      idp: input.connectionId,
      clientId: input.target.clientId,
      details: { flow: result.flow.id, target: input.target.kind },
    });
    return result;
  };

/** `cancelLogin`, recording `login.cancelled`. */
export const auditLoginCancel =
  (cancel: (tenant: Tenant, sessionId: string) => Promise<void>, audit: AuditLog) =>
  async (tenant: Tenant, sessionId: string): Promise<void> => {
    await cancel(tenant, sessionId);
    audit.record({ type: 'login.cancelled', outcome: 'info', tenantId: tenant.id });
  };
