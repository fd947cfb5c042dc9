import { defineGrant, required, toTokenResponse } from './grant.js';

/** RFC 6749 §6, rotating: every use returns a new refresh token; a used one presented again revokes the family. */
export const refreshTokenGrant = defineGrant(['refresh_token', 'scope'], async ({ core, tenant, client, params, ip }) =>
  toTokenResponse(
    await core.tokens.refreshTokens.exchange({
      tenant,
      client,
      refreshToken: required(params, 'refresh_token'),
      scope: core.tokens.scopes.parse(params.scope),
      ip,
    }),
  ),
);
