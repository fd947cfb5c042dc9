import type { FastifyRequest, RouteOptions } from 'fastify';
import {
  type AdminNeed,
  type AdminPrincipal,
  type AdminScope,
  adminScopes,
  authorizeAdmin,
} from '../../core/admin-tokens/admin-tokens.js';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { sha256 } from '../../lib/crypto.js';

const principals = new WeakMap<FastifyRequest, AdminPrincipal>();

/** Who is calling: set by the authenticator for every request that reaches a handler. */
export const principalOf = (request: FastifyRequest): AdminPrincipal => {
  const principal = principals.get(request);
  if (principal === undefined) throw new GatehouseError('unauthorized', 'a valid admin bearer token is required');
  return principal;
};

type NeedOfRoute = { readonly operator: true } | { readonly scope: AdminScope; readonly allTenants?: boolean };

const isScope = (value: string): value is AdminScope => (adminScopes as readonly string[]).includes(value);

/**
 * What a route needs, read from its path (so a new route is covered the day it is added, and an unknown kind of
 * route is the operator's alone): `/tenants/:tenant/{resource}…` needs `{resource}:read` for GET and
 * `{resource}:write` otherwise; the tenant collection and import/export need a token of every tenant to write.
 */
export const needOfRoute = (method: string, path: string): NeedOfRoute => {
  const [first, , resource] = path.split('/').filter(Boolean);
  const access = method === 'GET' || method === 'HEAD' ? 'read' : 'write';
  if (first === 'export') return { scope: 'config:read', allTenants: true };
  if (first === 'import') return { scope: 'config:write', allTenants: true };
  if (first !== 'tenants') return { operator: true };
  const scope = `${resource ?? 'tenants'}:${access}`;
  if (!isScope(scope)) return { operator: true };
  // Creating a tenant is not an act on one tenant.
  return resource === undefined && path.split('/').filter(Boolean).length === 1 && access === 'write'
    ? { scope, allTenants: true }
    : { scope };
};

/**
 * The admin API's bearer check (RFC 6750 §2.1) and access rule, as one `onRequest` hook: authenticates the operator's
 * token or a stored admin token (`core.adminTokens.authenticate`: digests compared in constant time or looked up,
 * failures limited per address and audited), then applies the route's need (`authorizeAdmin`: another tenant is
 * 404, a missing scope 403). Without a configured token every call is refused.
 * @throws GatehouseError `unauthorized`, `rate_limited`, `not_found`, `forbidden`
 */
export const adminAuthenticator = (core: Core, adminToken: string | undefined) => {
  const operatorDigest = adminToken === undefined ? undefined : sha256(adminToken);
  const needs = new Map<string, NeedOfRoute>();
  return {
    /** `onRoute`: records what each route needs. */
    onRoute: (route: RouteOptions & { prefix?: string }): void => {
      const path = route.url.slice((route.prefix ?? '').length);
      for (const method of [route.method].flat()) needs.set(`${method} ${route.url}`, needOfRoute(method, path));
    },
    onRequest: async (request: FastifyRequest): Promise<void> => {
      if (operatorDigest === undefined)
        throw new GatehouseError('unauthorized', 'the admin API is disabled: no admin token is configured');
      const match = /^Bearer ([\x21-\x7e]+)$/i.exec(request.headers.authorization ?? '');
      const principal = await core.adminTokens.authenticate(match?.[1], { ip: request.ip, operatorDigest });
      principals.set(request, principal);
      const route = request.routeOptions;
      const need = route.url === undefined ? undefined : needs.get(`${route.method} ${route.url}`);
      // An unknown route: nothing to authorise, the 404 handler answers.
      if (need === undefined) return;
      const tenant = (request.params as { tenant?: unknown } | undefined)?.tenant;
      const full: AdminNeed =
        'operator' in need ? need : { ...need, ...(typeof tenant === 'string' ? { tenantId: tenant } : {}) };
      authorizeAdmin(principal, full);
    },
  };
};
