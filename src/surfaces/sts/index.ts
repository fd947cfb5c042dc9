import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { sendOAuthError } from '../shared/oauth-errors.js';
import { tokenEndpoint } from '../shared/token/endpoint.js';
import { createAccountEndpoint } from './create-account.js';
import { stsGrantSet } from './grants.js';
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
    // The standard token endpoint, serving the provider grants too; the tenant is the client's.
    tokenEndpoint(core, { grants: stsGrantSet, tenantFrom: 'client' }),
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
