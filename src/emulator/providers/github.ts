import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  authorize,
  bodyField,
  clientCredentials,
  type EmulatedProvider,
  type EmulatorContext,
  issueAccessToken,
  nowSeconds,
  redeemCode,
} from '../context.js';
import type { TokenGrant } from '../state.js';
import { displayNameOf, type TestUser } from '../users.js';

const docs = 'https://docs.github.com/rest';
const defaultScopes = ['read:user', 'user:email'];

const apiUser = (ctx: EmulatorContext, user: TestUser) => {
  const numeric = /^\d+$/.test(user.sub);
  const login = user.sub.replace(/[^A-Za-z0-9-]/g, '-');
  return {
    login: `user-${login}`,
    id: numeric ? Number(user.sub) : user.sub,
    node_id: `U_${Buffer.from(user.sub).toString('base64url')}`,
    avatar_url: user.picture ?? `${ctx.baseUrl()}/github/avatars/${login}`,
    type: 'User',
    name: displayNameOf(user) ?? null,
    // GitHub shows only a verified address as the public email.
    email: user.emailVerified ? (user.email ?? null) : null,
  };
};

const notFound = (reply: FastifyReply) =>
  reply.status(404).send({ message: 'Not Found', documentation_url: docs, status: '404' });

const bearer = (ctx: EmulatorContext, request: FastifyRequest): TokenGrant | undefined => {
  const match = /^(?:Bearer|token) (.+)$/i.exec(request.headers.authorization ?? '');
  const grant = match?.[1] === undefined ? undefined : ctx.state.tokens.get(match[1]);
  return grant?.provider === 'github' && grant.expiresAt > nowSeconds() ? grant : undefined;
};

const badCredentials = (reply: FastifyReply) =>
  reply.status(401).send({ message: 'Bad credentials', documentation_url: docs, status: '401' });

/** Answers in the format the client asked for: JSON with `Accept: application/json`, else form-encoded, as GitHub. */
const tokenAnswer = (request: FastifyRequest, reply: FastifyReply, fields: Record<string, string>) => {
  if ((request.headers.accept ?? '').includes('json')) return reply.send(fields);
  return reply.header('content-type', 'application/x-www-form-urlencoded').send(new URLSearchParams(fields).toString());
};

/**
 * GitHub OAuth apps: authorize, the code exchange (errors with HTTP 200, as GitHub does), the token check at
 * `/applications/{client_id}/token`, `/user` and `/user/emails`. The REST API lives under `/github/api`.
 */
export const githubEmulator: EmulatedProvider = {
  displayName: 'GitHub',

  routes(app: FastifyInstance, ctx: EmulatorContext) {
    app.get('/login/oauth/authorize', (request, reply) =>
      authorize(
        ctx,
        {
          provider: 'github',
          displayName: 'GitHub',
          responseTypeOptional: true,
          denial: {
            error: 'access_denied',
            error_description: 'The user has denied your application access.',
            error_uri:
              'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
          },
        },
        request,
        reply,
      ),
    );

    // https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
    app.post('/login/oauth/access_token', async (request, reply) => {
      const { clientId, clientSecret } = clientCredentials(request);
      if (
        clientId === undefined ||
        clientSecret === undefined ||
        clientSecret === '' ||
        ctx.state.checkApp('github', clientId, clientSecret) !== 'ok'
      ) {
        return tokenAnswer(request, reply, {
          error: 'incorrect_client_credentials',
          error_description: 'The client_id and/or client_secret passed are incorrect.',
        });
      }
      const grant = redeemCode(ctx, 'github', (name) => bodyField(request, name), clientId);
      if (grant === 'invalid_grant') {
        return tokenAnswer(request, reply, {
          error: 'bad_verification_code',
          error_description: 'The code passed is incorrect or expired.',
        });
      }
      const scopes = grant.scope === '' ? defaultScopes : grant.scope.split(/[ ,]/).filter(Boolean);
      const access = issueAccessToken(ctx, { provider: 'github', clientId, user: grant.user, scopes }, 'gho_');
      return tokenAnswer(request, reply, { access_token: access.token, token_type: 'bearer', scope: scopes.join(',') });
    });

    app.get('/api/user', async (request, reply) => {
      const grant = bearer(ctx, request);
      if (grant === undefined) return badCredentials(reply);
      return reply.send(apiUser(ctx, grant.user));
    });

    app.get('/api/user/emails', async (request, reply) => {
      const grant = bearer(ctx, request);
      if (grant === undefined) return badCredentials(reply);
      if (!grant.scopes.includes('user:email') && !grant.scopes.includes('user')) return notFound(reply);
      const { user } = grant;
      const noreply = {
        email: `${user.sub}+emulated@users.noreply.github.com`,
        primary: false,
        verified: true,
        visibility: null,
      };
      if (user.email === undefined) return reply.send([]);
      return reply.send([
        noreply,
        { email: user.email, primary: true, verified: user.emailVerified, visibility: 'private' },
      ]);
    });

    // https://docs.github.com/en/rest/apps/oauth-applications#check-a-token
    app.post('/api/applications/:clientId/token', async (request, reply) => {
      const { clientId } = request.params as { clientId: string };
      const { clientId: authId, clientSecret } = clientCredentials(request);
      if (
        !(request.headers.authorization ?? '').startsWith('Basic ') ||
        authId !== clientId ||
        !clientSecret ||
        ctx.state.checkApp('github', clientId, clientSecret) !== 'ok'
      ) {
        return reply.status(401).send({ message: 'Requires authentication', documentation_url: docs, status: '401' });
      }
      const token = bodyField(request, 'access_token');
      if (token === undefined) {
        return reply.status(422).send({ message: 'Validation Failed', documentation_url: docs, status: '422' });
      }
      const grant = ctx.state.tokens.get(token);
      // Another app's token is simply unknown here.
      if (grant?.provider !== 'github' || grant.clientId !== clientId || grant.expiresAt <= nowSeconds()) {
        return notFound(reply);
      }
      const created = new Date(grant.issuedAt * 1000).toISOString();
      return reply.send({
        id: grant.issuedAt,
        url: `${ctx.baseUrl()}/github/api/authorizations/${grant.issuedAt}`,
        app: { client_id: clientId, name: `Emulated app ${clientId}`, url: ctx.baseUrl() },
        token,
        hashed_token: createHash('sha256').update(token).digest('hex'),
        token_last_eight: token.slice(-8),
        note: null,
        note_url: null,
        scopes: grant.scopes,
        created_at: created,
        updated_at: created,
        expires_at: new Date(grant.expiresAt * 1000).toISOString(),
        fingerprint: null,
        user: apiUser(ctx, grant.user),
      });
    });
  },

  async mint(ctx, user, request) {
    const access = issueAccessToken(
      ctx,
      { provider: 'github', clientId: request.clientId, user, scopes: [...(request.scopes ?? defaultScopes)] },
      'gho_',
      request.expiresIn,
    );
    return { access_token: access.token };
  },
};
