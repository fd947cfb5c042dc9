import { Type } from '@sinclair/typebox';
import type { ConnectionConfig } from '../../connectors/connector.js';
import { needsInsecureUpstreams } from '../../connectors/registry.js';
import { mergePatch, mergePatchSchema } from '../../lib/merge-patch.js';
import { connectionsRepo } from '../../store/repositories/connections.js';
import type { IdpConnectionRow } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { connectorKinds } from '../strategies/upstream/connector-errors.js';
import { parseInput } from '../validation.js';
import { ConnectionInput, type ConnectionView } from './connection.js';

const toView = (row: IdpConnectionRow): ConnectionView => ({
  id: row.id,
  kind: row.kind,
  clientId: row.client_id,
  hasClientSecret: row.client_secret_enc !== null,
  ...(row.scopes === null ? {} : { scopes: row.scopes }),
  ...(row.endpoints === null ? {} : { endpoints: row.endpoints }),
  ...(row.emulator === null ? {} : { emulator: row.emulator }),
  trustEmail: row.trust_email,
  settings: row.settings,
});

/**
 * The body of a connection's merge patch (RFC 7396): what `ConnectionInput` allows but the id, each member nullable
 * (null removes it; `clientSecret` and `clientSecretEncrypted` cannot be removed, only replaced).
 */
export const ConnectionMergePatch = mergePatchSchema(Type.Omit(ConnectionInput, ['id']));

/** IdP connections of a tenant. Secrets are sealed with the master key before they reach the store. */
export const createConnectionUseCases = (deps: CoreDeps) => {
  const toConfig = (row: IdpConnectionRow): ConnectionConfig => ({
    id: row.id,
    kind: row.kind,
    clientId: row.client_id,
    ...(row.client_secret_enc === null ? {} : { clientSecret: deps.secretBox.open(row.client_secret_enc) }),
    ...(row.scopes === null ? {} : { scopes: row.scopes }),
    ...(row.endpoints === null ? {} : { endpoints: row.endpoints }),
    ...(row.emulator === null ? {} : { emulator: row.emulator }),
    trustEmail: row.trust_email,
    settings: row.settings,
  });

  /**
   * Creates or replaces a connection. Without a new secret, an existing one is kept.
   * @throws GatehouseError `invalid_request` (including an `emulator`/`endpoints` override where insecure upstreams
   *   are not allowed), `not_found` (tenant)
   */
  const set = async (tenantId: string, input: unknown): Promise<ConnectionView> => {
    const parsed = parseInput(ConnectionInput, input, 'connection');
    if (!deps.settings.allowInsecureUpstreams && needsInsecureUpstreams(parsed)) {
      throw new GatehouseError(
        'invalid_request',
        'connection.emulator and connection.endpoints are accepted only in development/test mode or with allowInsecureUpstreams',
      );
    }
    if (parsed.clientSecretEncrypted !== undefined) {
      try {
        deps.secretBox.open(parsed.clientSecretEncrypted);
      } catch {
        throw new GatehouseError(
          'invalid_request',
          'connection.clientSecretEncrypted: not sealed with this master key',
        );
      }
    }
    const settings = connectorKinds.validateSettings(parsed.kind, parsed.settings ?? {});
    const existing = await connectionsRepo.find(deps.db, tenantId, parsed.id);
    const sealed =
      parsed.clientSecret !== undefined
        ? deps.secretBox.seal(parsed.clientSecret)
        : (parsed.clientSecretEncrypted ?? existing?.client_secret_enc ?? null);
    try {
      const row = await connectionsRepo.upsert(deps.db, {
        tenant_id: tenantId,
        id: parsed.id,
        kind: parsed.kind,
        client_id: parsed.clientId,
        client_secret_enc: sealed,
        scopes: parsed.scopes ?? null,
        endpoints: parsed.endpoints ?? null,
        emulator: parsed.emulator ?? null,
        trust_email: parsed.trustEmail ?? false,
        settings: { ...settings },
      });
      return toView(row);
    } catch (error) {
      if ((error as { code?: string }).code === '23503')
        throw new GatehouseError('not_found', `tenant ${tenantId} does not exist`);
      throw error;
    }
  };

  return {
    list: async (tenantId: string): Promise<ConnectionView[]> =>
      (await connectionsRepo.listByTenant(deps.db, tenantId)).map(toView),
    get: async (tenantId: string, id: string): Promise<ConnectionView | undefined> => {
      const row = await connectionsRepo.find(deps.db, tenantId, id);
      return row === undefined ? undefined : toView(row);
    },
    set,
    /**
     * Changes a connection by an RFC 7396 merge patch: members absent are kept (the trust in its emails, its settings,
     * its secret), `null` removes one, `settings` and `endpoints` are merged member by member. The result is checked
     * as `set` checks a whole connection.
     * @throws GatehouseError `invalid_request`, `not_found`
     */
    mergePatch: async (tenantId: string, id: string, input: unknown): Promise<ConnectionView> => {
      const patch = parseInput(ConnectionMergePatch, input, 'connection');
      if (patch.clientSecret === null || patch.clientSecretEncrypted === null)
        throw new GatehouseError('invalid_request', 'connection.clientSecret: can be replaced, not removed');
      const row = await connectionsRepo.find(deps.db, tenantId, id);
      if (row === undefined)
        throw new GatehouseError('not_found', `identity provider ${JSON.stringify(id)} does not exist`);
      const { hasClientSecret: _, ...current } = toView(row);
      return set(tenantId, mergePatch(current, patch));
    },
    /** @throws GatehouseError `not_found` */
    remove: async (tenantId: string, id: string): Promise<void> => {
      const result = await connectionsRepo.delete(deps.db, tenantId, id);
      if (result.numDeletedRows === 0n)
        throw new GatehouseError('not_found', `connection ${JSON.stringify(id)} does not exist`);
    },
    /** The decrypted configuration a connector is built from. @throws GatehouseError `not_found` */
    config: async (tenantId: string, id: string): Promise<ConnectionConfig> => {
      const row = await connectionsRepo.find(deps.db, tenantId, id);
      if (row === undefined)
        throw new GatehouseError('not_found', `identity provider ${JSON.stringify(id)} is not configured`);
      return toConfig(row);
    },
    /** The sealed secret, for export. */
    sealedSecret: async (tenantId: string, id: string): Promise<string | null | undefined> =>
      (await connectionsRepo.find(deps.db, tenantId, id))?.client_secret_enc,
  };
};

export type ConnectionUseCases = ReturnType<typeof createConnectionUseCases>;
