import type { FastifyInstance } from 'fastify';
import type { AccountResolution, SignupProfile } from '../../core/accounts/outcomes.js';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { Identity, User } from '../../core/users/user.js';
import { requireFlexScope, verifyBearer } from './caller.js';
import { currentUserResource } from './current-user.js';
import { signInWithFlexIdp } from './idp-token.js';
import { sendWire } from './respond.js';
import { CreateWithIdpBody, ExpandQuery } from './schemas.js';

const alreadyLinked = () =>
  new GatehouseError('identity_already_linked', 'the identity provider account is already linked to a user');
const emailTaken = () => new GatehouseError('email_taken', 'the email address belongs to another user');

/**
 * `create_with_idp` only ever creates. An identity that is already linked, or an email that belongs to another user
 * (even where the tenant would link it implicitly on `auth_with_idp`), is refused and nothing is written.
 */
const createdOrRefused = (resolution: AccountResolution): { user: User; identity: Identity } => {
  switch (resolution.kind) {
    case 'created':
      return resolution;
    case 'logged_in':
    case 'already_linked_elsewhere':
      throw alreadyLinked();
    case 'linked':
    case 'merge_needed':
      throw emailTaken();
    case 'email_missing':
      throw new GatehouseError('idp_email_missing', 'email: the identity provider returned none; send one');
    case 'new_user_required':
      throw new GatehouseError('server_error', 'a sign-up resolved to new_user_required');
  }
};

const signupProfile = (body: CreateWithIdpBody): SignupProfile => {
  const { idpId: _id, idpClientId: _clientId, idpToken: _token, ...profile } = body;
  return profile;
};

/**
 * `POST /v1/api/current_user/create_with_idp[?expand=true]` (anonymous token): verifies the IdP token and creates the
 * user with the identity linked, names and email defaulting to the IdP's claims (an email the IdP did not verify is
 * stored unverified). No tokens: the client logs in next with `auth_with_idp`.
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
      const { user, identity } = await core.limits.grant(
        { tenantId: bearer.tenant.id, clientId: bearer.client.clientId, ip: request.ip },
        async () => {
          const { resolution } = await signInWithFlexIdp(core, {
            tenant: bearer.tenant,
            clientId: bearer.client.clientId,
            idpId: body.idpId,
            idpClientId: body.idpClientId,
            idpToken: body.idpToken,
            intent: { kind: 'signup', profile: signupProfile(body) },
            ip: request.ip,
            // Runs inside the resolution's transaction: throwing here undoes a link or a login's bookkeeping.
            within: async (_trx, signedIn) => createdOrRefused(signedIn),
          });
          return createdOrRefused(resolution);
        },
      );
      return sendWire(request, reply, 200, currentUserResource(user, [identity], request.query.expand === 'true'));
    },
  );
};
