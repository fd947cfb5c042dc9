import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { verifyBearer } from './caller.js';
import { OAuthError, RevokeRequest } from './schemas.js';

/**
 * `POST /v1/auth/revoke` (`sdk.logout`): the access token authenticates (a 401 lets the SDK refresh and retry), the
 * form's `token` is the refresh token whose family ends, with every access token issued in it. A token that is not
 * the caller client's is ignored (RFC 7009 §2.2).
 */
export const revokeRoute = (app: FastifyInstance, core: Core): void => {
  app.post<{ Body: RevokeRequest }>(
    '/revoke',
    {
      schema: {
        tags: ['flex'],
        summary: 'Flex Auth API: revoke a refresh token (log out)',
        consumes: ['application/x-www-form-urlencoded'],
        security: [{ bearer: [] }],
        body: RevokeRequest,
        response: { 200: Type.Object({}), '4xx': OAuthError },
      },
    },
    async (request, reply) => {
      const { tenant, client } = await verifyBearer(core, request);
      await core.tokens.revokeToken({ tenant, client, token: request.body.token, ip: request.ip });
      return reply.code(200).send({});
    },
  );
};
