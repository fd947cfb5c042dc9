import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  authorize,
  bodyField,
  clientCredentials,
  defaultTokenTtlSeconds,
  type EmulatedProvider,
  type EmulatorContext,
  issueAccessToken,
  nowSeconds,
  redeemCode,
  signToken,
} from '../context.js';
import type { TokenGrant } from '../state.js';
import { consumerTenantId, displayNameOf, emulatedOrgTenantId, type ProviderKind, type TestUser } from '../users.js';

/** How one OpenID provider differs from the others. */
interface OidcFlavor {
  readonly kind: ProviderKind;
  readonly displayName: string;
  /** Route patterns under `/{kind}`. */
  readonly paths: {
    readonly discovery: string;
    readonly authorize: string;
    readonly token: string;
    readonly userinfo?: string;
    readonly jwks: string;
  };
  /** The issuer of a token for `user` (Microsoft: per tenant); `tenant` is the URL's tenant segment. */
  readonly issuer: (ctx: EmulatorContext, user: TestUser | undefined, tenant: string | undefined) => string;
  /** Provider-specific ID token claims. */
  readonly claims: (user: TestUser, clientId: string, tenant: string | undefined) => Record<string, unknown>;
  /** The `issuer` each published key names (Microsoft: `{tenantid}`-templated on the multi-tenant key sets). */
  readonly keyIssuer?: (ctx: EmulatorContext, tenant: string | undefined) => string;
  /** LinkedIn leaves `nonce` out of its ID tokens. */
  readonly echoNonce: boolean;
  /** Apple answers with `response_mode=form_post`. */
  readonly formPost: boolean;
  readonly checkClientSecret?: (secret: string, clientId: string, issuer: string) => boolean;
  readonly extraCallbackParams?: (
    ctx: EmulatorContext,
    user: TestUser,
    params: URLSearchParams,
  ) => Record<string, string>;
}

const standardClaims = (user: TestUser): Record<string, unknown> => ({
  email: user.email,
  email_verified: user.email === undefined ? undefined : user.emailVerified,
  name: displayNameOf(user),
  given_name: user.givenName,
  family_name: user.familyName,
  picture: user.picture,
});

const withoutUndefined = (claims: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));

const oauthError = (reply: FastifyReply, status: number, error: string, description?: string) =>
  reply
    .status(status)
    .header('cache-control', 'no-store')
    .send({ error, ...(description === undefined ? {} : { error_description: description }) });

const oidcProvider = (flavor: OidcFlavor): EmulatedProvider => {
  const { kind, paths } = flavor;
  const base = (ctx: EmulatorContext) => `${ctx.baseUrl()}/${kind}`;
  const fill = (path: string, tenant: string | undefined) => path.replace(':tenant', tenant ?? 'common');

  const idToken = (
    ctx: EmulatorContext,
    user: TestUser,
    clientId: string,
    options: {
      nonce?: string | undefined;
      tenant?: string | undefined;
      ttlSeconds?: number;
      authorizedParty?: string | undefined;
    },
  ) => {
    const iat = nowSeconds();
    const claims = withoutUndefined({
      iss: flavor.issuer(ctx, user, options.tenant),
      sub: user.sub,
      aud: clientId,
      iat,
      exp: iat + (options.ttlSeconds ?? defaultTokenTtlSeconds),
      auth_time: iat,
      // Each token its own, as the providers' are: two sign-ins in one second are two tokens, not a replay.
      jti: randomBytes(16).toString('hex'),
      nonce: flavor.echoNonce ? options.nonce : undefined,
      // Apple says whether the platform could carry a nonce; where it could not, the token has none.
      nonce_supported: kind === 'apple' ? options.nonce !== undefined : undefined,
      ...flavor.claims(user, clientId, options.tenant),
      ...(options.authorizedParty === undefined ? {} : { azp: options.authorizedParty }),
      ...user.claims,
    });
    return signToken(ctx, kind, claims);
  };

  const discovery = (ctx: EmulatorContext, tenant: string | undefined) => ({
    issuer: flavor.issuer(ctx, undefined, tenant),
    authorization_endpoint: `${base(ctx)}${fill(paths.authorize, tenant)}`,
    token_endpoint: `${base(ctx)}${fill(paths.token, tenant)}`,
    ...(paths.userinfo === undefined ? {} : { userinfo_endpoint: `${base(ctx)}${paths.userinfo}` }),
    jwks_uri: `${base(ctx)}${fill(paths.jwks, tenant)}`,
    response_types_supported: ['code'],
    response_modes_supported: flavor.formPost ? ['query', 'form_post'] : ['query'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'email', 'profile'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nonce',
      'email',
      'email_verified',
      'name',
      'given_name',
      'family_name',
    ],
  });

  const tenantOf = (request: FastifyRequest): string | undefined => (request.params as { tenant?: string }).tenant;

  const userinfo = async (ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const grant: TokenGrant | undefined = header.startsWith('Bearer ')
      ? ctx.state.tokens.get(header.slice(7))
      : undefined;
    if (grant === undefined || grant.provider !== kind || grant.expiresAt <= nowSeconds()) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer error="invalid_token"')
        .send({ error: 'invalid_token' });
    }
    return reply.send(withoutUndefined({ sub: grant.user.sub, ...standardClaims(grant.user) }));
  };

  return {
    displayName: flavor.displayName,

    routes(app: FastifyInstance, ctx: EmulatorContext) {
      app.get(paths.discovery, async (request) => discovery(ctx, tenantOf(request)));
      app.get(paths.jwks, async (request) => {
        const jwks = await ctx.keys.jwks(kind);
        const keyIssuer = flavor.keyIssuer?.(ctx, tenantOf(request));
        return keyIssuer === undefined ? jwks : { keys: jwks.keys.map((key) => ({ ...key, issuer: keyIssuer })) };
      });
      app.get(paths.authorize, async (request, reply) => {
        const tenant = tenantOf(request);
        return authorize(
          ctx,
          {
            provider: kind,
            displayName: flavor.displayName,
            denial:
              kind === 'apple'
                ? { error: 'user_cancelled_authorize' }
                : { error: 'access_denied', error_description: 'The user declined the sign-in.' },
            ...(flavor.formPost
              ? { formPost: (params: URLSearchParams) => params.get('response_mode') === 'form_post' }
              : {}),
            ...(flavor.extraCallbackParams === undefined
              ? {}
              : {
                  extraParams: (user: TestUser, params: URLSearchParams) =>
                    flavor.extraCallbackParams?.(ctx, user, params) ?? {},
                }),
            ...(tenant === undefined ? {} : { tenant }),
          },
          request,
          reply,
        );
      });
      app.post(paths.token, async (request, reply) => {
        if (bodyField(request, 'grant_type') !== 'authorization_code')
          return oauthError(reply, 400, 'unsupported_grant_type');
        const { clientId, clientSecret } = clientCredentials(request);
        if (clientId === undefined || clientSecret === undefined || clientSecret === '') {
          return oauthError(reply, 401, 'invalid_client', 'client authentication is required');
        }
        // Only a registered client with its own secret (RFC 6749 §5.2 invalid_client).
        const check = ctx.state.checkApp(kind, clientId, clientSecret);
        if (check !== 'ok') {
          return oauthError(
            reply,
            401,
            'invalid_client',
            check === 'unknown_app' ? 'the client is not registered' : 'client authentication failed',
          );
        }
        if (flavor.checkClientSecret?.(clientSecret, clientId, flavor.issuer(ctx, undefined, undefined)) === false) {
          return oauthError(reply, 401, 'invalid_client', 'the client secret is not acceptable');
        }
        const grant = redeemCode(ctx, kind, (name) => bodyField(request, name), clientId);
        if (grant === 'invalid_grant') return oauthError(reply, 400, 'invalid_grant');
        const access = issueAccessToken(
          ctx,
          {
            provider: kind,
            clientId,
            user: grant.user,
            scopes: grant.scope.split(' ').filter(Boolean),
            ...(grant.tenant === undefined ? {} : { tenant: grant.tenant }),
          },
          `${kind}-at-`,
        );
        return reply.header('cache-control', 'no-store').send({
          access_token: access.token,
          token_type: 'Bearer',
          expires_in: defaultTokenTtlSeconds,
          scope: grant.scope,
          id_token: await idToken(ctx, grant.user, clientId, { nonce: grant.nonce, tenant: grant.tenant }),
        });
      });
      if (paths.userinfo !== undefined) {
        app.get(paths.userinfo, (request, reply) => userinfo(ctx, request, reply));
        app.post(paths.userinfo, (request, reply) => userinfo(ctx, request, reply));
      }
    },

    async mint(ctx, user, request) {
      const ttlSeconds = request.expiresIn ?? defaultTokenTtlSeconds;
      const access = issueAccessToken(
        ctx,
        {
          provider: kind,
          clientId: request.clientId,
          user,
          scopes: [...(request.scopes ?? ['openid', 'email', 'profile'])],
        },
        `${kind}-at-`,
        ttlSeconds,
      );
      return {
        access_token: access.token,
        id_token: await idToken(ctx, user, request.clientId, {
          nonce: request.nonce,
          ttlSeconds,
          authorizedParty: request.authorizedParty,
        }),
      };
    },
  };
};

const uniformPaths = {
  discovery: '/.well-known/openid-configuration',
  authorize: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  jwks: '/jwks',
} as const;

/** Google: `iss` https://accounts.google.com, `azp`, boolean `email_verified`, `hd` for Workspace users. */
export const googleEmulator = oidcProvider({
  kind: 'google',
  displayName: 'Google',
  paths: uniformPaths,
  issuer: (ctx) => `${ctx.baseUrl()}/google`,
  claims: (user, clientId) => ({ azp: clientId, ...standardClaims(user) }),
  echoNonce: true,
  formPost: false,
});

/** LinkedIn: OIDC without `nonce` in the ID token, as the real one. */
export const linkedinEmulator = oidcProvider({
  kind: 'linkedin',
  displayName: 'LinkedIn',
  paths: uniformPaths,
  issuer: (ctx) => `${ctx.baseUrl()}/linkedin`,
  claims: (user) => standardClaims(user),
  echoNonce: false,
  formPost: false,
});

/** A plain OpenID provider, found by discovery at `/oidc/.well-known/openid-configuration`. */
export const genericOidcEmulator = oidcProvider({
  kind: 'oidc',
  displayName: 'OpenID Connect',
  paths: uniformPaths,
  issuer: (ctx) => `${ctx.baseUrl()}/oidc`,
  claims: (user) => standardClaims(user),
  echoNonce: true,
  formPost: false,
});

const isPrivateRelay = (email: string | undefined) => email?.endsWith('@privaterelay.appleid.com') === true;

/**
 * Apple: `form_post` callbacks with the `user` JSON on the first sign-in of a (client, user), string booleans in the
 * ID token, no names in it, no UserInfo endpoint, and a client secret that must be an ES256 JWT.
 */
export const appleEmulator = oidcProvider({
  kind: 'apple',
  displayName: 'Apple',
  paths: { discovery: uniformPaths.discovery, authorize: '/authorize', token: '/token', jwks: '/jwks' },
  issuer: (ctx) => `${ctx.baseUrl()}/apple`,
  claims: (user) => ({
    email: user.email,
    email_verified: user.email === undefined ? undefined : String(user.emailVerified),
    is_private_email: isPrivateRelay(user.email) ? 'true' : undefined,
  }),
  echoNonce: true,
  formPost: true,
  // The emulator cannot know the developer's public key, so it checks the JWT's shape and claims, not its signature.
  checkClientSecret: (secret, clientId, issuer) => {
    try {
      const header = decodeProtectedHeader(secret);
      const claims = decodeJwt(secret);
      return (
        header.alg === 'ES256' &&
        typeof header.kid === 'string' &&
        typeof claims.iss === 'string' &&
        claims.sub === clientId &&
        claims.aud === issuer &&
        typeof claims.exp === 'number' &&
        claims.exp > nowSeconds()
      );
    } catch {
      return false;
    }
  },
  extraCallbackParams: (ctx, user, params) => {
    const scopes = (params.get('scope') ?? '').split(' ');
    const key = `${params.get('client_id')}:${user.sub}`;
    if (!(scopes.includes('name') || scopes.includes('email')) || ctx.state.appleSeen.get(key) !== undefined) return {};
    ctx.state.appleSeen.set(key, true);
    const name = withoutUndefined({ firstName: user.givenName, lastName: user.familyName });
    return {
      user: JSON.stringify(
        withoutUndefined({ name: Object.keys(name).length > 0 ? name : undefined, email: user.email }),
      ),
    };
  },
});

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The directory a user's token comes from: their own `tid`, else the URL's tenant, else the emulated work tenant. */
const tenantIdFor = (user: TestUser | undefined, tenant: string | undefined): string => {
  const own = user?.claims?.tid;
  if (typeof own === 'string') return own;
  if (tenant !== undefined && guidPattern.test(tenant)) return tenant.toLowerCase();
  if (tenant === 'consumers') return consumerTenantId;
  return emulatedOrgTenantId;
};

/**
 * Microsoft Entra ID v2.0: tenant in the path, `iss` per tenant, `tid`/`oid`, and `xms_edov` only for emails the
 * domain owner verified: a work account with an unverified email is the "nOAuth" case.
 */
export const microsoftEmulator = oidcProvider({
  kind: 'microsoft',
  displayName: 'Microsoft',
  paths: {
    discovery: '/:tenant/v2.0/.well-known/openid-configuration',
    authorize: '/:tenant/oauth2/v2.0/authorize',
    token: '/:tenant/oauth2/v2.0/token',
    userinfo: '/oidc/userinfo',
    jwks: '/:tenant/discovery/v2.0/keys',
  },
  issuer: (ctx, user, tenant) => {
    const multi = user === undefined && (tenant === undefined || ['common', 'organizations'].includes(tenant));
    return `${ctx.baseUrl()}/microsoft/${multi ? '{tenantid}' : tenantIdFor(user, tenant)}/v2.0`;
  },
  // https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens#validate-the-issuer
  keyIssuer: (ctx, tenant) => {
    const multi = tenant === undefined || ['common', 'organizations'].includes(tenant);
    return `${ctx.baseUrl()}/microsoft/${multi ? '{tenantid}' : tenantIdFor(undefined, tenant)}/v2.0`;
  },
  claims: (user, _clientId, tenant) => {
    const tid = tenantIdFor(user, tenant);
    return {
      ...standardClaims(user),
      email_verified: undefined,
      tid,
      oid: objectIdOf(user.sub),
      ver: '2.0',
      preferred_username: user.email ?? `${user.sub}@emulated.example`,
      xms_edov: user.emailVerified && user.email !== undefined && tid !== consumerTenantId ? true : undefined,
    };
  },
  echoNonce: true,
  formPost: false,
});

/** A stable GUID-shaped object id per subject. */
export const objectIdOf = (sub: string): string => {
  const hex = createHash('sha256').update(sub).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};
