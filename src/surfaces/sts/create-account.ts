import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { IdpTokenSignIn } from '../../core/sign-in/sign-in-with-idp-token.js';
import type { IssuedTokens } from '../../core/tokens/tokens.js';
import { shownEmail, type User } from '../../core/users/user.js';
import { bearerTokenOf } from '../shared/bearer.js';
import { toTokenResponse } from '../shared/token/grants/grant.js';
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

const supplied = (body: CreateAccountRequest) => ({
  ...(body.email === undefined ? {} : { email: body.email }),
  ...(body.firstName === undefined ? {} : { firstName: body.firstName }),
  ...(body.lastName === undefined ? {} : { lastName: body.lastName }),
  ...(body.displayName === undefined ? {} : { displayName: body.displayName }),
});

const rendered = (reply: FastifyReply, signIn: IdpTokenSignIn<IssuedTokens>) => {
  switch (signIn.kind) {
    case 'issued':
      return reply
        .code(signIn.account === 'created' ? 201 : 200)
        .header('cache-control', 'no-store')
        .send({ account: accountOf(signIn.user), ...toTokenResponse(signIn.tokens) });
    case 'merge_needed':
      throw new GatehouseError('merge_needed', `Merge needed for email ${signIn.email}`);
    case 'refused':
      if (signIn.reason === 'email_missing' && signIn.profile !== undefined)
        throw new GatehouseError('idp_email_missing', `No email returned from ${signIn.profile.kind}`);
      throw new GatehouseError('invalid_grant', 'the account cannot be created');
    case 'new_user':
      throw new GatehouseError('invalid_grant', 'the account cannot be created');
  }
};

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
  const signIn = await core.login.signInWithIdpToken({
    tenant,
    client,
    ip: request.ip,
    newUserToken: claims,
    intent: { kind: 'signup', profile: supplied(body) },
    issue: { scope, grantType: 'newuser' },
  });
  return rendered(reply, signIn);
};
