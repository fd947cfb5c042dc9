import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { presentedClient } from '../oauth/client-auth.js';
import { sendOAuthError } from '../oauth/errors.js';
import { findGrant } from '../oauth/grants/index.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { createAccountEndpoint } from './create-account.js';
import { idpGrant } from './idp-grant.js';
import { isProviderGrant } from './provider-grants.js';
import { CreateAccountRequest, StsTokenRequest } from './schemas.js';

/**
 * The STS-compatible token service: `POST /connect/token` with the provider grants (`grant_type=Facebook`, …,
 * case-sensitive) and the standard ones (`password`, `refresh_token`, `client_credentials`), the tenant found from the
 * authenticated client; `POST /connect/accounts` redeems a `newuser` token. Errors are RFC 6749 JSON with the STS's
 * literal descriptions ("Merge needed for email …", "No email returned from facebook").
 */
export const stsSurface: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  app.removeAllContentTypeParsers();
  await app.register(formbody);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new GatehouseError('invalid_request', 'the body is not valid JSON'), undefined);
    }
  });
  app.setErrorHandler((error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendOAuthError(reply, e, { bearer: request.url.startsWith('/connect/accounts') });
  });
  app.setNotFoundHandler((request, reply) =>
    sendOAuthError(reply, new GatehouseError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.post(
    '/token',
    { schema: { tags: ['sts'], consumes: ['application/x-www-form-urlencoded'], body: StsTokenRequest } },
    async (request, reply) => {
      const params = request.body as StsTokenRequest;
      // The tenant is the client's.
      const presented = presentedClient(request, params);
      const known = await core.clients.find(presented.clientId);
      if (known === undefined) throw new GatehouseError('invalid_client', 'client authentication failed');
      const tenant = await core.tenants.require(known.tenantId);
      const client = await core.clients.authenticate(presented, tenant.id, { ip: request.ip });
      const grantType = params.grant_type;
      const standard = findGrant(grantType);
      const allowed = client.grantTypes as readonly string[];
      if (!isProviderGrant(grantType) && standard === undefined)
        throw new GatehouseError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported`);
      if (!allowed.includes(grantType))
        throw new GatehouseError('unauthorized_client', `the client may not use grant_type ${grantType}`);
      // Every grant runs under the refused-grant limit of (tenant, client, address).
      const response = await core.limits.grant(
        { tenantId: tenant.id, clientId: client.clientId, ip: request.ip },
        () =>
          isProviderGrant(grantType)
            ? idpGrant({ core, tenant, client, grant: grantType, params, ip: request.ip })
            : (standard as NonNullable<typeof standard>).handle({ core, tenant, client, params, ip: request.ip }),
      );
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
    },
  );

  app.post(
    '/accounts',
    {
      // Only the Bearer token is required: an empty body means "nothing to add to the verified profile".
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['sts'],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: CreateAccountRequest,
        security: [{ bearer: [] }],
      },
    },
    createAccountEndpoint(core),
  );
};
