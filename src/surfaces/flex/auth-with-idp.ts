import type { FastifyInstance } from 'fastify';
import type { AccountResolution } from '../../core/accounts/outcomes.js';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { IssuedTokens } from '../../core/tokens/tokens.js';
import { identifyClient, userScope } from './caller.js';
import { signInWithFlexIdp } from './idp-token.js';
import { sendTokens } from './respond.js';
import { AuthWithIdpRequest, OAuthError, TokenResponse } from './schemas.js';
import { refuseWhereSecondFactorRequired } from './sign-in-policy.js';

/** Why a verified identity gets no tokens: Flex logs in linked identities only (or links a verified email). */
const refusal = (resolution: AccountResolution): GatehouseError => {
  switch (resolution.kind) {
    case 'new_user_required':
      return new GatehouseError(
        'invalid_grant',
        'no user has this identity; create one with current_user/create_with_idp',
      );
    case 'merge_needed':
      return new GatehouseError('merge_needed', 'the email belongs to an existing user; the accounts are not linked');
    case 'email_missing':
      return new GatehouseError('idp_email_missing', 'the identity provider returned no email');
    case 'already_linked_elsewhere':
      return new GatehouseError('identity_already_linked', 'the identity belongs to another user');
    // Signed-in outcomes carry tokens; `created` cannot come from a login intent.
    case 'logged_in':
    case 'linked':
    case 'created':
      return new GatehouseError('server_error', `unexpected ${resolution.kind} without tokens`);
  }
};

/**
 * `POST /v1/auth/auth_with_idp`: the client (with its secret) hands over an IdP token; a linked identity, or one
 * whose IdP-verified email is a verified user's under `auto_link_verified`, gets user tokens. The tokens are issued
 * in the resolution's transaction, so an implicit link never commits without them.
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
      const issued = await core.limits.grant(
        { tenantId: tenant.id, clientId: client.clientId, ip: request.ip },
        async () => {
          const { resolution, result } = await signInWithFlexIdp<IssuedTokens>(core, {
            tenant,
            clientId: client.clientId,
            idpId: params.idp_id,
            idpClientId: params.idp_client_id,
            idpToken: params.idp_token,
            intent: { kind: 'login' },
            ip: request.ip,
            within: core.tokens.issueOnSignIn({
              tenant,
              client,
              scope: [userScope],
              amr: ['external'],
              grantType: 'auth_with_idp',
              ip: request.ip,
            }),
          });
          if (result === undefined) throw refusal(resolution);
          return result;
        },
      );
      return sendTokens(reply, issued);
    },
  );
};
