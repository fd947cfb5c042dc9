import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { type Tenant, tenantIdShape } from '../../core/tenants/tenant.js';

const kTenant = Symbol('gatehouse.tenant');

type WithTenant = FastifyRequest & { [kTenant]: Tenant | null };

const unknownTenant = (id: string) => new GatehouseError('not_found', `tenant ${JSON.stringify(id)} does not exist`);

/**
 * Resolves `/t/:tenant` in an `onRequest` hook, before anything else (body parsing, validation), so an unknown tenant
 * is a 404 whatever else is wrong with the request. Tenants are cached by the core for a few seconds; a cached one is
 * resolved without waiting for a promise.
 */
export const registerTenantHook = (app: FastifyInstance, core: Core): void => {
  app.decorateRequest(kTenant, null);
  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const { tenant: id } = (request.params ?? {}) as { tenant?: string };
    if (id === undefined) return done();
    if (!tenantIdShape.test(id)) return done(unknownTenant(id));
    const cached = core.tenants.cached(id);
    if (cached === null) return done(unknownTenant(id));
    if (cached !== undefined) {
      (request as WithTenant)[kTenant] = cached;
      return done();
    }
    core.tenants.get(id).then(
      (tenant) => {
        if (tenant === undefined) return done(unknownTenant(id));
        (request as WithTenant)[kTenant] = tenant;
        done();
      },
      (error: unknown) => done(error as Error),
    );
  });
};

/** The tenant `registerTenantHook` resolved for this request. */
export const tenantOf = (request: FastifyRequest): Tenant => {
  const tenant = (request as Partial<WithTenant>)[kTenant];
  if (tenant === undefined || tenant === null) throw new TypeError('tenantOf() on a route outside /t/:tenant');
  return tenant;
};
