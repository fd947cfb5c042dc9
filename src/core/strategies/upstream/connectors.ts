import type { Connector, ConnectorDeps } from '../../../connectors/connector.js';
import { createConnector } from '../../../connectors/registry.js';
import type { ConnectionUseCases } from '../../connections/connections.js';
import type { CoreDeps } from '../../deps.js';
import { translated, translating } from './connector-errors.js';

/** How long one instance reuses a built connector; a changed connection is picked up within this. */
const cacheMs = 5000;

/**
 * The connectors of every tenant, built on demand from the stored (decrypted) connection and reused briefly.
 * Connectors keep no per-user state: JWKS and discovery documents are cached in the shared key-value store.
 */
export const createConnectorCache = (deps: CoreDeps, connections: ConnectionUseCases) => {
  const connectorDeps: ConnectorDeps = {
    fetch: deps.fetch,
    clock: deps.clock,
    cache: deps.kv,
    log: deps.log,
    timeoutMs: deps.settings.upstreamTimeoutMs,
    allowInsecureUpstreams: deps.settings.allowInsecureUpstreams,
  };
  const built = new Map<string, { connector: Connector; trustEmail: boolean; at: number }>();
  const entry = async (tenantId: string, connectionId: string) => {
    const key = `${tenantId}\u0000${connectionId}`;
    const now = deps.clock.now().getTime();
    const hit = built.get(key);
    if (hit !== undefined && now - hit.at < cacheMs) return hit;
    const config = await connections.config(tenantId, connectionId);
    const connector = translated(config.id, () => translating(createConnector(config, connectorDeps)));
    const fresh = { connector, trustEmail: config.trustEmail, at: now };
    if (built.size > 10_000) built.clear();
    built.set(key, fresh);
    return fresh;
  };
  return {
    /**
     * The connector of `connectionId` in `tenantId`.
     * @throws GatehouseError `not_found` (no such connection), `invalid_request` (unusable configuration)
     */
    get: async (tenantId: string, connectionId: string): Promise<Connector> =>
      (await entry(tenantId, connectionId)).connector,
    /** Whether the connection's emails may be used to link accounts (`trustEmail`); cached with the connector. */
    trusted: async (tenantId: string, connectionId: string): Promise<boolean> =>
      (await entry(tenantId, connectionId)).trustEmail,
  };
};

export type ConnectorCache = ReturnType<typeof createConnectorCache>;
