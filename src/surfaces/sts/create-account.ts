import type { FastifyReply, FastifyRequest } from 'fastify';
import { assertNever, GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { shownEmail, type User } from '../../core/users/user.js';
import { toTokenResponse } from '../oauth/grants/grant.js';
import { bearerTokenOf } from '../shared/bearer.js';
import type { CreateAccountRequest } from './schemas.js';

const bearer = (request: FastifyRequest): string => {
  const token = bearerTokenOf(request.headers.authorization);
  if (token === undefined) throw new GatehouseError('invalid_token', 'a Bearer newuser token is required');
  return token;
};

const accountOf = (user: User) => ({
  id: user.id,
  email: shownEmail(user),
  email_verified: user.emailVerified,
  given_name: user.firstName,
  family_name: user.lastName,
  name: user.displayName,
});

/**
 * `POST /connect/accounts`: the one thing a `newuser` token can do. The client sends it as a Bearer token with the
 * profile fields it collected; Gatehouse creates the account from the provider's verified profile (the token's
 * claims), links the identity, and answers the account and full tokens (`amr: ["external", <provider>]`). The token is
 * single-use.
 */
export const createAccountEndpoint = (core: Core) => async (request: FastifyRequest, reply: FastifyReply) => {
  const token = bearer(request);
  const body = (request.body ?? {}) as CreateAccountRequest;
  // The tenant is the one of the client the token was issued to.
  const { tenant, client, claims } = await core.tokens.verifyAccessTokenOfClient(token);
  const scope = core.tokens.scopes.parse(body.scope);
  core.tokens.scopes.requireAllowed(client, scope);

  const { resolution, result, profile } = await core.login.completeNewUser(
    tenant,
    claims,
    {
      ...(body.email === undefined ? {} : { email: body.email }),
      ...(body.firstName === undefined ? {} : { firstName: body.firstName }),
      ...(body.lastName === undefined ? {} : { lastName: body.lastName }),
      ...(body.displayName === undefined ? {} : { displayName: body.displayName }),
    },
    (trx, r) =>
      core.tokens.issueTokens(
        {
          tenant,
          client,
          userId: r.user.id,
          user: r.user,
          scope,
          amr: ['external', r.identity.idp],
          identityId: r.identity.id,
          grantType: 'newuser',
          ip: request.ip,
        },
        trx,
      ),
    core.clock.now(),
  );
  switch (resolution.kind) {
    case 'created':
    case 'logged_in':
    case 'linked':
      if (result === undefined) throw new Error('tokens were not issued for a signed-in resolution');
      return reply
        .code(resolution.kind === 'created' ? 201 : 200)
        .header('cache-control', 'no-store')
        .send({
          account: accountOf(resolution.user),
          ...toTokenResponse(result),
        });
    case 'merge_needed':
      throw new GatehouseError('merge_needed', `Merge needed for email ${resolution.email}`);
    case 'email_missing':
      throw new GatehouseError('idp_email_missing', `No email returned from ${profile.kind}`);
    case 'already_linked_elsewhere':
    case 'new_user_required':
      throw new GatehouseError('invalid_grant', 'the account cannot be created');
    default:
      return assertNever(resolution);
  }
};
