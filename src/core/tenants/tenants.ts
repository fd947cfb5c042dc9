import { createReadCache } from '../../lib/read-cache.js';
import { isUniqueViolation } from '../../store/database.js';
import { tenantsRepo, toTenant } from '../../store/repositories/tenants.js';
import type { TenantPolicies } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { parseInput } from '../validation.js';
import { defaultPolicies, type Tenant, TenantInput, TenantPatch, TenantPoliciesSchema } from './tenant.js';

const mergePolicies = (base: TenantPolicies, patch: Partial<TenantPolicies> | undefined): TenantPolicies => {
  const merged = { ...base, ...patch };
  return parseInput(TenantPoliciesSchema, merged, 'policies');
};

/** Tenant administration. Every tenant gets its signing keys on first use (see keys). */
export const createTenantUseCases = (deps: CoreDeps) => {
  // Tenants are read on every request; a short per-instance cache keeps that off the database. Writes clear it here;
  // other instances see a change within two seconds.
  const cache = createReadCache<Tenant | undefined>({
    ttlMs: 2000,
    now: () => deps.clock.now().getTime(),
    load: async (id) => {
      const row = await tenantsRepo.find(deps.db, id);
      return row === undefined ? undefined : toTenant(row);
    },
  });

  /** The cached answer for `id` while it is fresh: the tenant, or `null` for one known not to exist. */
  const cached = (id: string): Tenant | null | undefined => {
    const hit = cache.peek(id);
    return hit === undefined ? undefined : (hit.value ?? null);
  };

  const get = async (id: string): Promise<Tenant | undefined> => cache.get(id);

  return {
    /** @throws GatehouseError `not_found` */
    require: async (id: string): Promise<Tenant> => {
      const tenant = await get(id);
      if (tenant === undefined) throw new GatehouseError('not_found', `tenant ${JSON.stringify(id)} does not exist`);
      return tenant;
    },
    get,
    /**
     * `get` without waiting, for hot paths that can skip a promise when the cache answers: the tenant, `null` when it
     * does not exist, `undefined` when the cache has no fresh answer (then call `get`).
     */
    cached,
    list: async (): Promise<Tenant[]> => (await tenantsRepo.list(deps.db)).map(toTenant),
    findByHostname: async (hostname: string): Promise<Tenant | undefined> => {
      const row = await tenantsRepo.findByHostname(deps.db, hostname.toLowerCase());
      return row === undefined ? undefined : toTenant(row);
    },
    /** @throws GatehouseError `invalid_request`, `conflict` (id taken) */
    create: async (input: unknown): Promise<Tenant> => {
      const parsed = parseInput(TenantInput, input, 'tenant');
      try {
        const row = await tenantsRepo.insert(deps.db, {
          id: parsed.id,
          name: parsed.name ?? parsed.id,
          policies: mergePolicies(defaultPolicies, parsed.policies),
          hostnames: parsed.hostnames ?? [],
        });
        cache.delete(parsed.id);
        return toTenant(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new GatehouseError('conflict', `tenant ${parsed.id} already exists`);
        throw error;
      }
    },
    /** @throws GatehouseError `invalid_request`, `not_found` */
    update: async (id: string, input: unknown): Promise<Tenant> => {
      const patch = parseInput(TenantPatch, input, 'tenant');
      const current = await tenantsRepo.find(deps.db, id);
      if (current === undefined) throw new GatehouseError('not_found', `tenant ${JSON.stringify(id)} does not exist`);
      const row = await tenantsRepo.update(deps.db, id, {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.policies === undefined ? {} : { policies: mergePolicies(current.policies, patch.policies) }),
        ...(patch.hostnames === undefined ? {} : { hostnames: patch.hostnames }),
      });
      cache.delete(id);
      if (row === undefined) throw new GatehouseError('not_found', `tenant ${JSON.stringify(id)} does not exist`);
      return toTenant(row);
    },
    /** Deletes the tenant and everything in it. @throws GatehouseError `not_found` */
    remove: async (id: string): Promise<void> => {
      const result = await tenantsRepo.delete(deps.db, id);
      cache.delete(id);
      if (result.numDeletedRows === 0n)
        throw new GatehouseError('not_found', `tenant ${JSON.stringify(id)} does not exist`);
    },
  };
};

export type TenantUseCases = ReturnType<typeof createTenantUseCases>;
