import type { FastifyRequest } from 'fastify';
import { actorOf } from '../../core/admin-tokens/admin-tokens.js';
import type { AuditEvent } from '../../core/audit/events.js';
import type { Core } from '../../core/index.js';
import { principalOf } from './auth.js';

export interface AdminOptions {
  readonly core: Core;
  /** The bearer token; without one the admin API refuses every call. */
  readonly adminToken?: string;
}

/**
 * Records an admin action in the audit trail, attributed to the caller (`admin` for the operator's token,
 * `admin_token:{id}` for a stored one) and its address.
 */
export const recordAdminEvent = (
  core: Core,
  request: FastifyRequest,
  event: Omit<AuditEvent, 'actor' | 'ip' | 'outcome'>,
): void => core.audit.record({ ...event, outcome: 'success', actor: actorOf(principalOf(request)), ip: request.ip });
