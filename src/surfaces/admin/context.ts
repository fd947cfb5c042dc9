import type { FastifyRequest } from 'fastify';
import type { AuditEvent } from '../../core/audit/events.js';
import type { Core } from '../../core/index.js';

export interface AdminOptions {
  readonly core: Core;
  /** The bearer token; without one the admin API refuses every call. */
  readonly adminToken?: string;
}

/** Records an admin action in the audit trail, attributed to `admin` and the caller's address. */
export const recordAdminEvent = (
  core: Core,
  request: FastifyRequest,
  event: Omit<AuditEvent, 'actor' | 'ip' | 'outcome'>,
): void => core.audit.record({ ...event, outcome: 'success', actor: 'admin', ip: request.ip });
