import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  authorize,
  bodyField,
  defaultTokenTtlSeconds,
  type EmulatedProvider,
  type EmulatorContext,
  issueAccessToken,
  nowSeconds,
  queryOf,
  redeemCode,
  signToken,
} from '../context.js';
import type { TokenGrant } from '../state.js';
import { displayNameOf, type TestUser } from '../users.js';

/** A Graph API error, as Facebook sends it: `{"error": {"message", "type", "code", "fbtrace_id"}}`. */
const graphError = (reply: FastifyReply, code: number, message: string, status = 400) =>
  reply.status(status).send({
    error: { message, type: 'OAuthException', code, fbtrace_id: randomBytes(8).toString('base64url') },
  });

const defaultScopes = ['email', 'public_profile'];

const meFields = (user: TestUser): Record<string, unknown> => ({
  id: user.sub,
  name: displayNameOf(user),
  email: user.email,
  first_name: user.givenName,
  last_name: user.familyName,
  picture: user.picture === undefined ? undefined : { data: { url: user.picture, is_silhouette: false } },
});

/** A query parameter, or a form field for the POST forms Graph also accepts. */
const param = (request: FastifyRequest, name: string): string | undefined =>
  queryOf(request).get(name) ?? bodyField(request, name);

/** The token of an `Authorization: Bearer …` (or Graph's older `OAuth …`) header. */
const bearerOf = (request: FastifyRequest): string | undefined =>
  /^(?:Bearer|OAuth) (.+)$/.exec(request.headers.authorization ?? '')?.[1];

const liveToken = (ctx: EmulatorContext, token: string | undefined): TokenGrant | undefined => {
  const grant = token === undefined ? undefined : ctx.state.tokens.get(token);
  return grant?.provider === 'facebook' ? grant : undefined;
};

const sameHex = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Facebook: the Login dialog, the code exchange, `debug_token` (with an app access token `{app-id}|{app-secret}`),
 * `/me` (checking `appsecret_proof` with the registered app's secret) and Limited Login's JWKS. Routes are served both
 * with and without the Graph version prefix (`/facebook/v23.0/me` and `/facebook/me`).
 */
export const facebookEmulator: EmulatedProvider = {
  displayName: 'Facebook',

  routes(app: FastifyInstance, ctx: EmulatorContext) {
    const limitedLoginIssuer = () => `${ctx.baseUrl()}/facebook`;
    for (const version of ['', '/:version']) {
      app.get(`${version}/dialog/oauth`, (request, reply) =>
        authorize(
          ctx,
          {
            provider: 'facebook',
            displayName: 'Facebook',
            responseTypeOptional: true,
            denial: {
              error: 'access_denied',
              error_code: '200',
              error_description: 'Permissions error',
              error_reason: 'user_denied',
            },
          },
          request,
          reply,
        ),
      );

      const exchange = async (request: FastifyRequest, reply: FastifyReply) => {
        const clientId = param(request, 'client_id');
        const secret = param(request, 'client_secret');
        if (clientId === undefined || secret === undefined) {
          return graphError(reply, 101, 'Error validating application. Invalid application ID or secret.');
        }
        // Only a registered app with its own secret may exchange a code, as at Graph.
        const check = ctx.state.checkApp('facebook', clientId, secret);
        if (check === 'unknown_app')
          return graphError(reply, 101, 'Error validating application. Invalid application ID.');
        if (check === 'bad_secret') return graphError(reply, 1, 'Error validating client secret.');
        const grant = redeemCode(ctx, 'facebook', (name) => param(request, name), clientId);
        if (grant === 'invalid_grant') return graphError(reply, 100, 'Invalid verification code format.');
        const access = issueAccessToken(
          ctx,
          { provider: 'facebook', clientId, user: grant.user, scopes: grant.scope.split(/[ ,]/).filter(Boolean) },
          'EAAG',
        );
        return reply.send({ access_token: access.token, token_type: 'bearer', expires_in: defaultTokenTtlSeconds });
      };
      app.get(`${version}/oauth/access_token`, exchange);
      app.post(`${version}/oauth/access_token`, exchange);

      // The app access token may come as `access_token` or in the Authorization header; a junk input token is an
      // HTTP 400 with Graph error 190, as Graph answers it.
      app.get(`${version}/debug_token`, async (request, reply) => {
        const appToken = param(request, 'access_token') ?? bearerOf(request) ?? '';
        const [appId, appSecret] = appToken.split('|');
        if (appId === undefined || appId === '' || appSecret === undefined || appSecret === '') {
          return graphError(reply, 190, 'Invalid OAuth access token - Cannot parse access token');
        }
        const check = ctx.state.checkApp('facebook', appId, appSecret);
        if (check === 'unknown_app')
          return graphError(reply, 101, 'Error validating application. Invalid application ID.');
        if (check === 'bad_secret') return graphError(reply, 190, 'Invalid OAuth access token signature.');
        const proof = param(request, 'appsecret_proof');
        if (proof !== undefined && !sameHex(proof, createHmac('sha256', appSecret).update(appToken).digest('hex')))
          return graphError(reply, 100, 'Invalid appsecret_proof provided in the API argument');
        const input = param(request, 'input_token');
        const grant = liveToken(ctx, input);
        if (grant === undefined)
          return graphError(reply, 190, 'Invalid OAuth access token - Cannot parse access token');
        // A token of another app is described faithfully (its own `app_id`): the caller must compare.
        return reply.send({
          data: {
            app_id: grant.clientId,
            type: 'USER',
            application: `Emulated app ${grant.clientId}`,
            data_access_expires_at: grant.expiresAt + 90 * 86400,
            expires_at: grant.expiresAt,
            is_valid: grant.expiresAt > nowSeconds(),
            issued_at: grant.issuedAt,
            scopes: grant.scopes,
            user_id: grant.user.sub,
          },
        });
      });

      app.get(`${version}/me`, async (request, reply) => {
        const token = param(request, 'access_token') ?? bearerOf(request);
        const grant = liveToken(ctx, token);
        if (token === undefined || grant === undefined || grant.expiresAt <= nowSeconds()) {
          return graphError(reply, 190, 'Invalid OAuth access token data.');
        }
        const secret = ctx.state.app('facebook', grant.clientId)?.clientSecret;
        const proof = param(request, 'appsecret_proof');
        // https://developers.facebook.com/docs/graph-api/securing-requests#appsecret_proof
        if (secret !== undefined && proof !== undefined) {
          const expected = createHmac('sha256', secret).update(token).digest('hex');
          if (!sameHex(proof, expected))
            return graphError(reply, 100, 'Invalid appsecret_proof provided in the API argument');
        }
        const fields = (param(request, 'fields') ?? 'id,name').split(',');
        const all = meFields(grant.user);
        const picked = Object.fromEntries(fields.flatMap((f) => (all[f] === undefined ? [] : [[f, all[f]]])));
        return reply.send({ ...picked, id: grant.user.sub });
      });
    }

    // Limited Login: https://developers.facebook.com/docs/facebook-login/limited-login/token/validating
    app.get('/.well-known/oauth/openid/jwks/', async () => ctx.keys.jwks('facebook'));
    app.get('/.well-known/oauth/openid/jwks', async () => ctx.keys.jwks('facebook'));
    app.get('/.well-known/openid-configuration', async () => ({
      issuer: limitedLoginIssuer(),
      jwks_uri: `${limitedLoginIssuer()}/.well-known/oauth/openid/jwks/`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
    }));
  },

  async mint(ctx, user, request) {
    const ttlSeconds = request.expiresIn ?? defaultTokenTtlSeconds;
    const access = issueAccessToken(
      ctx,
      { provider: 'facebook', clientId: request.clientId, user, scopes: [...(request.scopes ?? defaultScopes)] },
      'EAAG',
      ttlSeconds,
    );
    const iat = nowSeconds();
    const claims = Object.fromEntries(
      Object.entries({
        iss: `${ctx.baseUrl()}/facebook`,
        aud: request.clientId,
        sub: user.sub,
        iat,
        exp: iat + ttlSeconds,
        jti: randomBytes(16).toString('hex'),
        nonce: request.nonce,
        email: user.email,
        name: displayNameOf(user),
        given_name: user.givenName,
        family_name: user.familyName,
        picture: user.picture,
        ...user.claims,
      }).filter(([, value]) => value !== undefined),
    );
    return { access_token: access.token, id_token: await signToken(ctx, 'facebook', claims) };
  },
};
