import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { requireUser, verifyBearer } from './caller.js';
import { currentUserResource } from './current-user.js';
import { sendWire } from './respond.js';

/**
 * `GET /v1/api/current_user/show`: the signed-in user (user token; an anonymous token is `forbidden`). A token whose
 * user has since been removed is refused like an invalid token, so the SDK's refresh fails and it starts over.
 */
export const showCurrentUserRoute = (app: FastifyInstance, core: Core): void => {
  app.get(
    '/current_user/show',
    {
      schema: {
        tags: ['flex'],
        summary: 'Flex Marketplace API: the current user',
        security: [{ bearer: [] }],
      },
    },
    async (request, reply) => {
      const bearer = await verifyBearer(core, request);
      const userId = requireUser(bearer);
      const user = await core.users.find(bearer.tenant.id, userId);
      if (user === undefined) throw new GatehouseError('invalid_token', 'the access token is invalid');
      const identities = await core.users.identities(user.id);
      return sendWire(request, reply, 200, currentUserResource(user, identities, true));
    },
  );
};
