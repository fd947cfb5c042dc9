import { type Static, Type } from '@sinclair/typebox';
import type { KeyValueStore } from '../../kv/kv.js';
import { randomToken, sha256, verifySecretDigest } from '../../lib/crypto.js';
import { adminTokensRepo } from '../../store/repositories/admin-tokens.js';
import { tenantsRepo } from '../../store/repositories/tenants.js';
import type { AdminTokenRow } from '../../store/schema.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { admitUnlessSpent, auditRefusal } from '../rate-limit/guards.js';
import { rateLimitPolicies } from '../rate-limit/policies.js';
import type { RateLimit } from '../rate-limit/rate-limit.js';
import { TenantId } from '../tenants/tenant.js';
import { parseInput } from '../validation.js';

/**
 * What an admin token may do, `resource:read` or `resource:write` (write does not imply read). Each admin route needs
 * exactly one; the import and export of whole configuration documents need a token of every tenant.
 */
export const adminScopes = [
  'tenants:read',
  'tenants:write',
  'clients:read',
  'clients:write',
  'idps:read',
  'idps:write',
  'users:read',
  'users:write',
  'keys:read',
  'keys:write',
  'audit:read',
  'config:read',
  'config:write',
] as const;

export type AdminScope = (typeof adminScopes)[number];

/** Who calls the admin API: the operator (the configured admin token: everything) or a stored admin token. */
export type AdminPrincipal =
  | { readonly kind: 'operator' }
  | {
      readonly kind: 'token';
      readonly tokenId: string;
      /** The one tenant the token may see; null: every tenant. */
      readonly tenantId: string | null;
      readonly scopes: readonly AdminScope[];
    };

/** The audit actor of a principal: `admin` for the operator, `admin_token:{id}` for a stored token. */
export const actorOf = (principal: AdminPrincipal): string =>
  principal.kind === 'operator' ? 'admin' : `admin_token:${principal.tokenId}`;

/** A stored admin token as it is shown (never the token or its digest). */
export interface AdminToken {
  readonly id: string;
  readonly name: string;
  readonly tenantId: string | null;
  readonly scopes: readonly AdminScope[];
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export const AdminTokenInput = Type.Object(
  {
    tenant: Type.Optional(
      Type.Union([TenantId, Type.Null()], {
        description: 'The one tenant the token may see; absent or null: every tenant.',
      }),
    ),
    scopes: Type.Array(Type.Union(adminScopes.map((s) => Type.Literal(s))), {
      minItems: 1,
      uniqueItems: true,
      description: 'What the token may do.',
    }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'A label for the operator.' })),
  },
  { additionalProperties: false },
);
export type AdminTokenInput = Static<typeof AdminTokenInput>;

const tokenPrefix = 'gh_at_';

const toAdminToken = (row: AdminTokenRow): AdminToken => ({
  id: row.id,
  name: row.name,
  tenantId: row.tenant_id,
  scopes: row.scopes as AdminScope[],
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

export interface AdminTokenDeps {
  readonly rateLimit: RateLimit;
  readonly kv: KeyValueStore;
  readonly audit: AuditLog;
}

/** Who did it and from where, for the audit trail. */
export interface AdminActor {
  readonly actor: string;
  readonly ip?: string;
}

/**
 * Admin API tokens: created (shown once), listed and revoked by the operator; each bound to one tenant or all and a
 * set of {@link adminScopes}. Only SHA-256 digests are stored; a presented token is found by its digest.
 */
export const createAdminTokenUseCases = (deps: CoreDeps, parts: AdminTokenDeps) => {
  const guard = { rateLimit: parts.rateLimit, kv: parts.kv, audit: parts.audit };
  return {
    /**
     * Creates a token; `token` is returned once and never again.
     * @throws GatehouseError `invalid_request` (unknown scope, malformed tenant), `not_found` (no such tenant)
     */
    create: async (input: unknown, by: AdminActor): Promise<{ token: string; adminToken: AdminToken }> => {
      const parsed = parseInput(AdminTokenInput, input, 'body');
      const tenantId = parsed.tenant ?? null;
      if (tenantId !== null && (await tenantsRepo.find(deps.db, tenantId)) === undefined)
        throw new GatehouseError('not_found', `tenant ${JSON.stringify(tenantId)} does not exist`);
      const token = `${tokenPrefix}${randomToken(32)}`;
      const row = await adminTokensRepo.insert(deps.db, {
        id: `at_${randomToken(9)}`,
        tenant_id: tenantId,
        name: parsed.name ?? (tenantId === null ? 'all tenants' : tenantId),
        scopes: [...parsed.scopes],
        token_digest: sha256(token),
      });
      const adminToken = toAdminToken(row);
      parts.audit.record({
        type: 'admin_token.created',
        outcome: 'success',
        actor: by.actor,
        ...(tenantId === null ? {} : { tenantId }),
        ...(by.ip === undefined ? {} : { ip: by.ip }),
        details: { adminTokenId: adminToken.id, scopes: adminToken.scopes, allTenants: tenantId === null },
      });
      return { token, adminToken };
    },

    list: async (): Promise<AdminToken[]> => (await adminTokensRepo.list(deps.db)).map(toAdminToken),

    /**
     * Revokes a token: it stops working at once. Revoking a revoked token changes nothing.
     * @throws GatehouseError `not_found`
     */
    revoke: async (id: string, by: AdminActor): Promise<AdminToken> => {
      const row = await adminTokensRepo.revoke(deps.db, id, deps.clock.now());
      if (row === undefined) throw new GatehouseError('not_found', `admin token ${JSON.stringify(id)} does not exist`);
      parts.audit.record({
        type: 'admin_token.revoked',
        outcome: 'success',
        actor: by.actor,
        ...(row.tenant_id === null ? {} : { tenantId: row.tenant_id }),
        ...(by.ip === undefined ? {} : { ip: by.ip }),
        details: { adminTokenId: row.id },
      });
      return toAdminToken(row);
    },

    /**
     * Authenticates an admin API call: the operator's token (compared by digest in constant time) or a stored,
     * unrevoked token (found by its digest). Failures per address are limited (`admin_auth`: the point is consumed
     * before the check and given back on success) and audited as `admin.auth_failed`; each token's calls are limited
     * (`admin_token`).
     * @param operatorDigest SHA-256 of the configured admin token; without it the admin API is off.
     * @throws GatehouseError `unauthorized`, `rate_limited`
     */
    authenticate: async (
      presented: string | undefined,
      context: { readonly ip?: string; readonly operatorDigest: string },
    ): Promise<AdminPrincipal> => {
      const ip = context.ip;
      const addressKey = ip ?? '';
      const event = ip === undefined ? {} : { ip };
      await admitUnlessSpent(guard, `admin${addressKey}`, rateLimitPolicies.adminAuthFailures, event);
      let principal: AdminPrincipal | undefined;
      if (presented !== undefined && verifySecretDigest(presented, context.operatorDigest)) {
        principal = { kind: 'operator' };
      } else if (presented?.startsWith(tokenPrefix) === true) {
        const row = await adminTokensRepo.findByDigest(deps.db, sha256(presented));
        if (row !== undefined && row.revoked_at === null) {
          const token = toAdminToken(row);
          principal = { kind: 'token', tokenId: token.id, tenantId: token.tenantId, scopes: token.scopes };
        }
      }
      if (principal === undefined) {
        parts.audit.record({
          type: 'admin.auth_failed',
          outcome: 'failure',
          actor: 'anonymous',
          ...event,
          details: { reason: presented === undefined ? 'missing' : 'invalid' },
        });
        await parts.rateLimit.penalize(`admin${addressKey}`, rateLimitPolicies.adminAuthFailures);
        throw new GatehouseError('unauthorized', 'a valid admin bearer token is required');
      }
      const tokenKey = principal.kind === 'operator' ? 'operator' : principal.tokenId;
      try {
        await parts.rateLimit.consume(tokenKey, rateLimitPolicies.adminRequestsPerToken);
      } catch (error) {
        await auditRefusal(guard, error, `admin${tokenKey}`, {
          ...event,
          ...(principal.kind === 'token' && principal.tenantId !== null ? { tenantId: principal.tenantId } : {}),
        });
        throw error;
      }
      return principal;
    },
  };
};

export type AdminTokenUseCases = ReturnType<typeof createAdminTokenUseCases>;

/** What an admin route needs: a scope, on one tenant (from the path), or on every tenant; or the operator itself. */
export type AdminNeed =
  | { readonly operator: true }
  | { readonly scope: AdminScope; readonly tenantId?: string; readonly allTenants?: boolean };

/**
 * Decides whether `principal` may do what `need` says. A token bound to another tenant gets `not_found`, exactly as
 * an unknown tenant does, so it cannot learn which tenants exist; a missing scope is `forbidden`.
 * @throws GatehouseError `not_found`, `forbidden`
 */
export const authorizeAdmin = (principal: AdminPrincipal, need: AdminNeed): void => {
  if (principal.kind === 'operator') return;
  if ('operator' in need) throw new GatehouseError('forbidden', "only the operator's admin token may do this");
  if (need.tenantId !== undefined && principal.tenantId !== null && principal.tenantId !== need.tenantId)
    throw new GatehouseError('not_found', `tenant ${JSON.stringify(need.tenantId)} does not exist`);
  if (need.allTenants === true && principal.tenantId !== null)
    throw new GatehouseError('forbidden', 'this needs an admin token of every tenant');
  if (!principal.scopes.includes(need.scope))
    throw new GatehouseError('forbidden', `this admin token lacks the scope ${need.scope}`);
};
