import type { PresentedToken } from '../../connectors/connector.js';
import { GatehouseError } from '../../core/errors.js';
import type { SignInRefusal } from '../../core/sign-in/sign-in-with-idp-token.js';
import { presentedTokenKind } from '../../core/sign-in/token-kind.js';

/**
 * Flex sends one `idpToken` whatever the provider: a Facebook access token (opaque) or an OpenID Connect ID token
 * (a JWS). `idpClientId` is the provider app it was issued to; the connector checks that
 * it is the connection's client id or one of its audiences, and that the token names it as its `aud` or its `azp`
 * (Google's Android tokens name the web client in `aud` and the Android client in `azp`).
 */
export const presentedToken = (value: string, idpClientId: string): PresentedToken => ({
  kind: presentedTokenKind(value),
  value,
  clientId: idpClientId,
});

/** Flex's words for a token-in sign-in that signs nobody in. An `idpId` the marketplace lacks is the caller's mistake. */
export const refusalError = (reason: SignInRefusal, idpId: string, emailMissing: string): GatehouseError => {
  switch (reason) {
    case 'unknown_connection':
      return new GatehouseError('invalid_request', `unknown identity provider ${JSON.stringify(idpId)}`);
    case 'email_missing':
      return new GatehouseError('idp_email_missing', emailMissing);
    case 'already_linked_elsewhere':
      return new GatehouseError('identity_already_linked', 'the identity belongs to another user');
    case 'identity_taken':
      return new GatehouseError('identity_already_linked', 'the identity provider account is already linked to a user');
    case 'email_taken':
      return new GatehouseError('email_taken', 'the email address belongs to another user');
  }
};
