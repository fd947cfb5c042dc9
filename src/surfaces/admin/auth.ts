import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import { sha256, verifySecretDigest } from '../../lib/crypto.js';

/**
 * The admin API's bearer check (RFC 6750 §2.1). The presented token is hashed and compared with the configured one's
 * digest in constant time, so neither its content nor its length shows in the timing. Without a configured token
 * every call is refused.
 * @throws GatehouseError `unauthorized`
 */
export const adminAuthenticator = (adminToken: string | undefined) => {
  const digest = adminToken === undefined ? undefined : sha256(adminToken);
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header);
    const presented = match?.[1];
    if (digest === undefined)
      throw new GatehouseError('unauthorized', 'the admin API is disabled: no admin token is configured');
    if (presented === undefined || !verifySecretDigest(presented, digest))
      throw new GatehouseError('unauthorized', 'a valid admin bearer token is required');
  };
};
