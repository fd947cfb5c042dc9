import type { FastifyInstance } from 'fastify';
import type { SignupProfile } from '../../core/accounts/outcomes.js';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { IdpTokenSignIn } from '../../core/sign-in/sign-in-with-idp-token.js';
import { requireFlexScope, verifyBearer } from './caller.js';
import { currentUserResource } from './current-user.js';
import { presentedToken, refusalError } from './idp-token.js';
import { sendWire } from './respond.js';
import { CreateWithIdpBody, ExpandQuery } from './schemas.js';

/** `create_with_idp` only ever creates: the use-case refuses (and writes nothing for) anything else. */
const createdOf = (signIn: IdpTokenSignIn<undefined>, idpId: string) => {
  switch (signIn.kind) {
    case 'issued':
      return signIn;
    case 'refused':
      throw refusalError(signIn.reason, idpId, 'email: the identity provider returned none; send one');
    case 'new_user':
    case 'merge_needed':
      throw new GatehouseError('server_error', `a create-only sign-up resolved to ${signIn.kind}`);
  }
};

const signupProfile = (body: CreateWithIdpBody): SignupProfile => {
  const { idpId: _id, idpClientId: _clientId, idpToken: _token, ...profile } = body;
  return profile;
};

/**
 * `POST /v1/api/current_user/create_with_idp[?expand=true]` (anonymous token): verifies the IdP token and creates the
 * user with the identity linked, names and email defaulting to the IdP's claims (an email the IdP did not verify is
 * stored unverified). An identity that is already linked, or an email that belongs to another user (even where the
 * tenant would link it implicitly on `auth_with_idp`), is refused and nothing is written. No tokens: the client logs
 * in next with `auth_with_idp`.
 */
export const createWithIdpRoute = (app: FastifyInstance, core: Core): void => {
  app.post<{ Body: CreateWithIdpBody; Querystring: ExpandQuery }>(
    '/current_user/create_with_idp',
    {
      schema: {
        tags: ['flex'],
        summary: 'Flex Marketplace API: create a user with an identity provider token',
        consumes: ['application/transit+json', 'application/json'],
        security: [{ bearer: [] }],
        body: CreateWithIdpBody,
        querystring: ExpandQuery,
      },
    },
    async (request, reply) => {
      const bearer = await verifyBearer(core, request);
      requireFlexScope(bearer);
      const body = request.body;
      const limit = { tenantId: bearer.tenant.id, clientId: bearer.client.clientId, ip: request.ip };
      const { user, identity } = await core.limits.grant(limit, async () => {
        const signIn = await core.login.signInWithIdpToken({
          tenant: bearer.tenant,
          client: bearer.client,
          ip: request.ip,
          connectionId: body.idpId,
          token: presentedToken(body.idpToken, body.idpClientId),
          intent: { kind: 'signup', profile: signupProfile(body), createOnly: true },
        });
        return createdOf(signIn, body.idpId);
      });
      return sendWire(request, reply, 200, currentUserResource(user, [identity], request.query.expand === 'true'));
    },
  );
};
