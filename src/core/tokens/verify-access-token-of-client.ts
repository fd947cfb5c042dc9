import { decodeJwt } from 'jose';
import type { Client } from '../clients/client.js';
import { GatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { AccessTokenClaims } from './verify-access-token.js';

export interface ClientTokenParts {
  findClient(clientId: string): Promise<Client | undefined>;
  findTenant(tenantId: string): Promise<Tenant | undefined>;
  verifyAccessToken(tenantId: string, token: string): Promise<AccessTokenClaims>;
}

/** The `client_id` claim, read without trusting it (only to choose whose keys then verify the token). */
const unverifiedClientId = (token: string): string | undefined => {
  try {
    const claim = decodeJwt(token).client_id;
    return typeof claim === 'string' ? claim : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Verifies an access token presented where no tenant is named (surfaces whose URLs carry none):
 * the token's unverified `client_id` names the client, its tenant's keys verify the token (signature, issuer, expiry,
 * revocation), and the verified `client_id` must be that client.
 * @throws GatehouseError `invalid_token`
 */
export const createVerifyAccessTokenOfClient =
  (parts: ClientTokenParts) =>
  async (token: string): Promise<{ tenant: Tenant; client: Client; claims: AccessTokenClaims }> => {
    const clientId = unverifiedClientId(token);
    const client = clientId === undefined ? undefined : await parts.findClient(clientId);
    const tenant = client === undefined ? undefined : await parts.findTenant(client.tenantId);
    if (client === undefined || tenant === undefined)
      throw new GatehouseError('invalid_token', 'the access token is invalid');
    const claims = await parts.verifyAccessToken(tenant.id, token);
    if (claims.clientId !== client.clientId) throw new GatehouseError('invalid_token', 'the access token is invalid');
    return { tenant, client, claims };
  };
