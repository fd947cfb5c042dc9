import { type GrantHandler, required, toTokenResponse } from './grant.js';

/** RFC 6749 §6, rotating: every use returns a new refresh token; a used one presented again revokes the family. */
export const refreshTokenGrant: GrantHandler = async ({ core, tenant, client, params, ip }) => {
  const grant = await core.tokens.refreshTokens.rotate({
    tenant,
    client,
    refreshToken: required(params, 'refresh_token'),
    scope: core.tokens.scopes.parse(params.scope),
    ip,
  });
  const issued = await core.tokens.issueTokens({
    tenant,
    client,
    userId: grant.userId,
    scope: grant.scope,
    amr: grant.amr,
    authTime: grant.authTime,
    ...(grant.sid === undefined ? {} : { sid: grant.sid }),
    familyId: grant.familyId,
    refreshToken: true,
    grantType: 'refresh_token',
    ip,
  });
  return toTokenResponse(issued);
};
