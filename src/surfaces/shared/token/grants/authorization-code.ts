import { defineGrant, required, toTokenResponse } from './grant.js';

/** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5): a code for tokens, once. */
export const authorizationCodeGrant = defineGrant(
  ['code', 'redirect_uri', 'code_verifier'],
  async ({ core, tenant, client, params, ip }) => {
    const grant = await core.tokens.authorizationCodes.redeem({
      tenant,
      client,
      code: required(params, 'code'),
      redirectUri: required(params, 'redirect_uri'),
      ...(params.code_verifier === undefined ? {} : { codeVerifier: params.code_verifier }),
      ip,
    });
    const issued = await core.tokens.issueTokens({
      tenant,
      client,
      userId: grant.userId,
      scope: grant.scope,
      amr: grant.amr,
      authTime: grant.authTime,
      ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
      ...(grant.sid === undefined ? {} : { sid: grant.sid }),
      familyId: grant.familyId,
      grantType: 'authorization_code',
      ip,
    });
    return toTokenResponse(issued);
  },
);
