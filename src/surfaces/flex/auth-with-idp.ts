import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { IdpTokenSignIn } from '../../core/sign-in/sign-in-with-idp-token.js';
import type { IssuedTokens } from '../../core/tokens/tokens.js';
import { identifyClient, userScope } from './caller.js';
import { presentedToken, refusalError } from './idp-token.js';
import { sendTokens } from './respond.js';
import { AuthWithIdpRequest, OAuthError, TokenResponse } from './schemas.js';
import { refuseWhereSecondFactorRequired } from './sign-in-policy.js';

/** Flex logs in linked identities only (or links a verified email): every other outcome is an error. */
const tokensOf = (signIn: IdpTokenSignIn<IssuedTokens>, idpId: string): IssuedTokens => {
  switch (signIn.kind) {
    case 'issued':
      return signIn.tokens;
    case 'new_user':
      throw new GatehouseError(
        'invalid_grant',
        'no user has this identity; create one with current_user/create_with_idp',
      );
    case 'merge_needed':
      throw new GatehouseError('merge_needed', 'the email belongs to an existing user; the accounts are not linked');
    case 'refused':
      throw refusalError(signIn.reason, idpId, 'the identity provider returned no email');
  }
};

/**
 * `POST /v1/auth/auth_with_idp`: the client (with its secret) hands over an IdP token; a linked identity, or one
 * whose IdP-verified email is a verified user's under `auto_link_verified`, gets user tokens, issued with the
 * sign-in (an implicit link never commits without them).
 */
export const authWithIdpRoute = (app: FastifyInstance, core: Core): void => {
  app.post<{ Body: AuthWithIdpRequest }>(
    '/auth_with_idp',
    {
      schema: {
        tags: ['flex'],
        summary: 'Flex Auth API: log in with an identity provider token',
        consumes: ['application/x-www-form-urlencoded'],
        body: AuthWithIdpRequest,
        response: { 200: TokenResponse, '4xx': OAuthError },
      },
    },
    async (request, reply) => {
      const params = request.body;
      const { tenant, client } = await identifyClient(core, request, params.client_id, params.client_secret);
      refuseWhereSecondFactorRequired(tenant, 'social');
      // The IdP token is verified under the refused-grant limit of (tenant, client, address).
      const limit = { tenantId: tenant.id, clientId: client.clientId, ip: request.ip };
      const issued = await core.limits.grant(limit, async () => {
        const signIn = await core.login.signInWithIdpToken({
          tenant,
          client,
          ip: request.ip,
          connectionId: params.idp_id,
          token: presentedToken(params.idp_token, params.idp_client_id),
          intent: { kind: 'login' },
          issue: { scope: [userScope], amr: ['external'], grantType: 'auth_with_idp' },
        });
        return tokensOf(signIn, params.idp_id);
      });
      return sendTokens(reply, issued);
    },
  );
};
