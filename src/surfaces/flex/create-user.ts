import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { requireFlexScope, verifyBearer } from './caller.js';
import { currentUserResource } from './current-user.js';
import { sendWire } from './respond.js';
import { CreateUserBody, ExpandQuery } from './schemas.js';

/**
 * `POST /v1/api/current_user/create[?expand=true]` (anonymous token): email + password sign-up. The email is stored
 * unverified; an email that belongs to another user is `email-taken` (409). No tokens: the client logs in next.
 */
export const createUserRoute = (app: FastifyInstance, core: Core): void => {
  app.post<{ Body: CreateUserBody; Querystring: ExpandQuery }>(
    '/current_user/create',
    {
      schema: {
        tags: ['flex'],
        summary: 'Flex Marketplace API: sign up with email and password',
        consumes: ['application/transit+json', 'application/json'],
        security: [{ bearer: [] }],
        body: CreateUserBody,
        querystring: ExpandQuery,
      },
    },
    async (request, reply) => {
      const bearer = await verifyBearer(core, request);
      requireFlexScope(bearer);
      const { email, password, firstName, lastName, displayName, ...profile } = request.body;
      const user = await core.users.create(bearer.tenant.id, {
        email,
        password,
        firstName,
        lastName,
        ...(displayName === undefined ? {} : { displayName }),
        profile,
      });
      core.audit.record({
        type: 'user.created',
        outcome: 'success',
        tenantId: bearer.tenant.id,
        clientId: bearer.client.clientId,
        actor: `client:${bearer.client.clientId}`,
        userId: user.id,
        ip: request.ip,
        details: { method: 'password' },
      });
      return sendWire(request, reply, 200, currentUserResource(user, [], request.query.expand === 'true'));
    },
  );
};
