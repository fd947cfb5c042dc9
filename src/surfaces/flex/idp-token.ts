import type { PresentedToken } from '../../connectors/connector.js';
import type { AccountIntent } from '../../core/accounts/outcomes.js';
import type { WithinResolution } from '../../core/accounts/resolve-account.js';
import { GatehouseError, isGatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Tenant } from '../../core/tenants/tenant.js';

/**
 * Flex sends one `idpToken` whatever the provider: a Facebook access token (opaque) or an OpenID Connect ID token
 * (a JWS, three dot-separated parts). `idpClientId` is the provider app it was issued to; the connector checks that
 * it is the connection's client id or one of its audiences, and that the token names it as its `aud` or its `azp`
 * (Google's Android tokens name the web client in `aud` and the Android client in `azp`).
 */
export const presentedToken = (value: string, idpClientId: string): PresentedToken => ({
  kind: value.split('.').length === 3 ? 'id_token' : 'access_token',
  value,
  clientId: idpClientId,
});

export interface FlexIdpSignIn<T> {
  readonly tenant: Tenant;
  readonly clientId: string;
  readonly idpId: string;
  readonly idpClientId: string;
  readonly idpToken: string;
  readonly intent: AccountIntent;
  readonly within: WithinResolution<T>;
  readonly ip: string;
}

/**
 * `signInWithIdpToken` with Flex's names. An `idpId` that names no connection of the marketplace is the caller's
 * mistake, not a missing resource.
 * @throws GatehouseError `invalid_request` (unknown `idpId`), and what `signInWithIdpToken` throws.
 */
export const signInWithFlexIdp = async <T>(core: Core, input: FlexIdpSignIn<T>) => {
  try {
    return await core.login.signInWithIdpToken({
      tenant: input.tenant,
      connectionId: input.idpId,
      token: presentedToken(input.idpToken, input.idpClientId),
      intent: input.intent,
      within: input.within,
      clientId: input.clientId,
      ip: input.ip,
    });
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'not_found')
      throw new GatehouseError('invalid_request', `unknown identity provider ${JSON.stringify(input.idpId)}`);
    throw error;
  }
};
