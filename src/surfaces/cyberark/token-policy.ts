import type { LoginTarget } from '../../core/flows/flow.js';

/** The scopes a Security API login's access token asks for; the client's allowed scopes narrow them. */
const securityApiScopes = ['openid', 'profile', 'email'];

/** The grant type a Security API login's tokens are recorded under in the audit trail. */
const securityApiGrantType = 'security_api';

/**
 * The target of a login the Security API starts: tokens for `clientId` at the end (an access token and ID token, no
 * refresh token), with this surface's scopes and grant label; `callbackUrl` where the browser returns after an IdP.
 */
export const securityApiTarget = (clientId: string, callbackUrl?: string): LoginTarget => ({
  kind: 'api',
  clientId,
  ...(callbackUrl === undefined ? {} : { callbackUrl }),
  scope: securityApiScopes,
  grantType: securityApiGrantType,
});
