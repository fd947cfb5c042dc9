import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GrantType } from '../../core/clients/client.js';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { IssuedTokens } from '../../core/tokens/tokens.js';
import { anonymousScope, type FlexCaller, identifyClient, userScope } from './caller.js';
import { sendTokens } from './respond.js';
import { OAuthError, TokenRequest, TokenResponse } from './schemas.js';
import { refuseWhereSecondFactorRequired } from './sign-in-policy.js';

type Grant = (core: Core, caller: FlexCaller, params: TokenRequest, request: FastifyRequest) => Promise<IssuedTokens>;

/** Each grant asks for exactly one scope; an absent `scope` means that one. */
const requireScope = (params: TokenRequest, expected: string): void => {
  const requested = params.scope?.trim() ?? '';
  if (requested !== '' && requested !== expected)
    throw new GatehouseError('invalid_scope', `this grant issues exactly the scope ${JSON.stringify(expected)}`);
};

const required = (value: string | undefined, name: string): string => {
  if (value === undefined) throw new GatehouseError('invalid_request', `${name} is required`);
  return value;
};

/** An anonymous token: the client acts for itself, scope exactly `public-read`, no refresh token. */
const clientCredentials: Grant = (core, { tenant, client }, params, request) => {
  requireScope(params, anonymousScope);
  return core.tokens.issueTokens({
    tenant,
    client,
    userId: undefined,
    scope: [anonymousScope],
    grantType: 'client_credentials',
    ip: request.ip,
  });
};

const password: Grant = async (core, { tenant, client }, params, request) => {
  requireScope(params, userScope);
  const username = required(params.username, 'username');
  const secret = required(params.password, 'password');
  refuseWhereSecondFactorRequired(tenant, 'password');
  const signIn = await core.login.signInWithPassword({
    tenant,
    email: username,
    password: secret,
    clientId: client.clientId,
    ip: request.ip,
  });
  return core.tokens.issueTokens({
    tenant,
    client,
    userId: signIn.user.id,
    user: signIn.user,
    scope: [userScope],
    amr: signIn.amr,
    authTime: signIn.authTime,
    grantType: 'password',
    ip: request.ip,
  });
};

/** Rotation: the presented refresh token is spent, the next one continues its family (reuse revokes the family). */
const refreshToken: Grant = async (core, { tenant, client }, params, request) => {
  const presented = required(params.refresh_token, 'refresh_token');
  return core.tokens.refreshTokens.exchange({ tenant, client, refreshToken: presented, ip: request.ip });
};

const grants: Readonly<Record<string, { grant: Grant; allowedAs: GrantType }>> = {
  client_credentials: { grant: clientCredentials, allowedAs: 'client_credentials' },
  password: { grant: password, allowedAs: 'password' },
  refresh_token: { grant: refreshToken, allowedAs: 'refresh_token' },
};

/** `POST /v1/auth/token`: anonymous (`client_credentials`), `password` and `refresh_token` grants. */
export const tokenRoute = (app: FastifyInstance, core: Core): void => {
  app.post<{ Body: TokenRequest }>(
    '/token',
    {
      schema: {
        tags: ['flex'],
        summary: 'Flex Auth API token endpoint',
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenRequest,
        response: { 200: TokenResponse, '4xx': OAuthError },
      },
    },
    async (request, reply) => {
      const params = request.body;
      const entry = Object.hasOwn(grants, params.grant_type) ? grants[params.grant_type] : undefined;
      if (entry === undefined)
        throw new GatehouseError(
          'unsupported_grant_type',
          `grant_type ${JSON.stringify(params.grant_type)} is not supported`,
        );
      const caller = await identifyClient(core, request, params.client_id, params.client_secret);
      if (!caller.client.grantTypes.includes(entry.allowedAs))
        throw new GatehouseError('unauthorized_client', `the client may not use the ${params.grant_type} grant`);
      const issued = await core.limits.grant(
        { tenantId: caller.tenant.id, clientId: caller.client.clientId, ip: request.ip },
        () => entry.grant(core, caller, params, request),
      );
      return sendTokens(reply, issued);
    },
  );
};
