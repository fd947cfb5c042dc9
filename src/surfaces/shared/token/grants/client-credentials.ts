import { GatehouseError } from '../../../../core/errors.js';
import { defineGrant, toTokenResponse } from './grant.js';

/** RFC 6749 §4.4: a confidential client acting for itself; an access token only (`sub` is the client id). */
export const clientCredentialsGrant = defineGrant(['scope'], async ({ core, tenant, client, params, ip }) => {
  // RFC 6749 §4.4: "MUST only be used by confidential clients".
  if (client.public) throw new GatehouseError('unauthorized_client', 'a public client cannot use client_credentials');
  const scope = core.tokens.scopes.parse(params.scope);
  if (scope.includes('openid'))
    throw new GatehouseError('invalid_scope', 'openid needs a signed-in user; client_credentials has none');
  core.tokens.scopes.requireAllowed(client, scope);
  const issued = await core.tokens.issueTokens({
    tenant,
    client,
    userId: undefined,
    scope,
    grantType: 'client_credentials',
    ip,
  });
  return toTokenResponse(issued);
});
