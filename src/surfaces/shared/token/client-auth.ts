import type { FastifyRequest } from 'fastify';
import type { Client } from '../../../core/clients/client.js';
import type { ClientAuthentication } from '../../../core/clients/clients.js';
import { GatehouseError } from '../../../core/errors.js';
import type { Core } from '../../../core/index.js';
import type { Tenant } from '../../../core/tenants/tenant.js';

/** RFC 6749 §2.3.1 and Appendix B: each half of Basic credentials is form-urlencoded. */
const formDecode = (value: string): string =>
  // Most ids and secrets have nothing encoded: skip the decoder for them.
  value.includes('%') || value.includes('+') ? decodeURIComponent(value.replace(/\+/g, ' ')) : value;

const basicCredentials = (header: string): { clientId: string; clientSecret: string } => {
  const decoded = Buffer.from(header.slice('basic '.length).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new GatehouseError('invalid_client', 'malformed Basic credentials');
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new GatehouseError('invalid_client', 'malformed Basic credentials');
  }
};

/** How the request presents its client (RFC 6749 §2.3): Basic header, form secret, or a bare id (public clients). */
export const presentedClient = (
  request: FastifyRequest,
  body: { client_id?: string; client_secret?: string },
): ClientAuthentication => {
  const header = request.headers.authorization;
  if (header !== undefined && /^basic /i.test(header)) {
    // RFC 6749 §2.3: a client must not use more than one authentication method per request.
    if (body.client_secret !== undefined)
      throw new GatehouseError('invalid_request', 'more than one client authentication method was used');
    const credentials = basicCredentials(header);
    if (body.client_id !== undefined && body.client_id !== credentials.clientId)
      throw new GatehouseError('invalid_request', 'client_id does not match the Basic credentials');
    return { method: 'client_secret_basic', ...credentials };
  }
  if (header !== undefined) throw new GatehouseError('invalid_client', 'unsupported client authentication scheme');
  if (body.client_id === undefined) throw new GatehouseError('invalid_client', 'client authentication is required');
  if (body.client_secret !== undefined)
    return { method: 'client_secret_post', clientId: body.client_id, clientSecret: body.client_secret };
  return { method: 'none', clientId: body.client_id };
};

/**
 * Authenticates the calling client of this tenant.
 * @throws GatehouseError `invalid_client` (401), `invalid_request`, `rate_limited`
 */
export const authenticateClient = (
  core: Core,
  tenant: Tenant,
  request: FastifyRequest,
  body: { client_id?: string; client_secret?: string },
): Promise<Client> => core.clients.authenticate(presentedClient(request, body), tenant.id, { ip: request.ip });
