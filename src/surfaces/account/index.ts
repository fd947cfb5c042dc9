import cookie from '@fastify/cookie';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { userIdOfToken } from '../../core/sign-in/new-user-token.js';
import { bearerTokenOf } from '../shared/bearer.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { sendOAuthError } from '../shared/oauth-errors.js';
import { accountJsonRoutes } from './json.js';
import { accountPage, showAccountPage } from './page.js';

const Params = Type.Object({ tenant: Type.String({ maxLength: 63 }) });
const IdentityParams = Type.Object({
  tenant: Type.String({ maxLength: 63 }),
  idp: Type.String({ minLength: 1, maxLength: 63 }),
});

const Account = Type.Object({
  id: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  email_verified: Type.Boolean(),
  given_name: Type.Union([Type.String(), Type.Null()]),
  family_name: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  has_password: Type.Boolean(),
  identities: Type.Array(
    Type.Object({
      idp: Type.String(),
      subject: Type.String(),
      email: Type.Union([Type.String(), Type.Null()]),
      linked_at: Type.String(),
    }),
  ),
});

/** The signed-in user, from an access token of this tenant issued to a user (RFC 6750 header). */
export const accountOf = async (core: Core, request: FastifyRequest<{ Params: { tenant: string } }>) => {
  const token = bearerTokenOf(request.headers.authorization);
  if (token === undefined) throw new GatehouseError('invalid_token', 'a Bearer access token is required');
  const tenant = await core.tenants.get(request.params.tenant);
  if (tenant === undefined) throw new GatehouseError('invalid_token', 'the access token is invalid');
  const claims = await core.tokens.verifyAccessToken(tenant.id, token);
  const userId = userIdOfToken(claims);
  if (userId === undefined) throw new GatehouseError('invalid_token', 'the access token does not belong to a user');
  // A token from a sign-in that no longer meets the tenant's second-factor policy (issued before it asked for more).
  if (!core.mfa.policyMet(tenant, claims.amr))
    throw new GatehouseError('step_up_required', 'this tenant now requires a second factor: sign in again');
  return { tenant, user: await core.users.require(tenant.id, userId), authTime: claims.authTime, amr: claims.amr };
};

/**
 * The user's own account. With their access token (JSON, RFC 6750 bearer errors): `GET /t/{tenant}/account` shows it
 * and its linked identities; `DELETE /t/{tenant}/account/identities/{idp}` unlinks one (refused when it is the last way
 * to sign in); the routes of `json.ts` change names, password and email and end sessions. In a browser signed in at the
 * hosted pages (no bearer token): the account page (`page.ts`), whose errors are pages.
 */
export const accountSurface: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  await app.register(cookie);
  app.setErrorHandler((error, request, reply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendOAuthError(reply, e, { bearer: true });
  });
  app.setNotFoundHandler((request, reply) =>
    sendOAuthError(reply, new GatehouseError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.get<{ Params: { tenant: string } }>(
    '/',
    { schema: { tags: ['account'], params: Params, response: { 200: Account }, security: [{ bearer: [] }] } },
    async (request, reply) => {
      // A browser (it asks for HTML) without a bearer token gets the account page, signed in by the hosted session
      // cookie; an API caller without one gets the bearer challenge.
      if (request.headers.authorization === undefined && (request.headers.accept ?? '').includes('text/html'))
        return showAccountPage(core, request, reply);
      const { user } = await accountOf(core, request);
      const identities = await core.users.identities(user.id);
      return {
        id: user.id,
        email: user.email,
        email_verified: user.emailVerified,
        given_name: user.firstName,
        family_name: user.lastName,
        name: user.displayName,
        has_password: user.hasPassword,
        identities: identities.map((i) => ({
          idp: i.idp,
          subject: i.subject,
          email: i.email,
          linked_at: i.createdAt.toISOString(),
        })),
      };
    },
  );

  app.delete<{ Params: { tenant: string; idp: string } }>(
    '/identities/:idp',
    { schema: { tags: ['account'], params: IdentityParams, security: [{ bearer: [] }] } },
    async (request, reply) => {
      const { tenant, user } = await accountOf(core, request);
      await core.accounts.unlink(tenant.id, user.id, request.params.idp, `user:${user.id}`);
      return reply.code(204).send();
    },
  );

  accountJsonRoutes(app, core, accountOf);
  await app.register(accountPage, { core });
};
