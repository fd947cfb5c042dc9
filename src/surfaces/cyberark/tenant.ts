import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';

/** Which tenant a Security API call is for, and the URLs that follow from how it was named. */
export interface SecurityContext {
  readonly tenant: Tenant;
  /** Trusted base URL of the IdP callback: the tenant's own host name, or the public URL. */
  readonly callbackBase: string;
  /** `PodFqdn` of LoginSuccess: the host the tenant was reached at. */
  readonly podFqdn: string;
}

const sameTenant = (tenant: Tenant, named: string | undefined): boolean =>
  named === undefined || named === '' || named.toLowerCase() === tenant.id;

/**
 * The tenant of a call: a tenant that lists the request's host name wins; else the `/t/{tenant}` prefix; else the
 * body's `TenantId` (case-insensitive, as CyberArk tenant ids are upper case). A `TenantId` that names another
 * tenant than the host or path is refused.
 * @throws GatehouseError `invalid_request` (no tenant named, or two that disagree), `not_found` (unknown tenant)
 */
export const securityContext = async (
  core: Core,
  request: FastifyRequest,
  named: string | undefined,
): Promise<SecurityContext> => {
  const { publicUrl: base } = core.settings;
  const publicUrl = new URL(base);
  const basePath = publicUrl.pathname.replace(/\/+$/, '');
  const byHost =
    (await core.tenants.findByHostname(request.host)) ??
    (request.hostname === request.host ? undefined : await core.tenants.findByHostname(request.hostname));
  if (byHost !== undefined) {
    if (!sameTenant(byHost, named)) throw new GatehouseError('invalid_request', 'TenantId does not match the host');
    const host = byHost.hostnames.includes(request.host.toLowerCase()) ? request.host.toLowerCase() : request.hostname;
    return { tenant: byHost, callbackBase: `${publicUrl.protocol}//${host}${basePath}`, podFqdn: host };
  }
  const { tenant: pathTenant } = (request.params ?? {}) as { tenant?: string };
  if (pathTenant !== undefined) {
    const tenant = await core.tenants.require(pathTenant);
    if (!sameTenant(tenant, named)) throw new GatehouseError('invalid_request', 'TenantId does not match the path');
    return { tenant, callbackBase: `${base}/t/${tenant.id}`, podFqdn: publicUrl.host };
  }
  if (named === undefined || named === '') throw new GatehouseError('invalid_request', 'TenantId is required');
  const tenant = await core.tenants.require(named.toLowerCase());
  return { tenant, callbackBase: base, podFqdn: publicUrl.host };
};
