import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { requireFlexScope, verifyBearer } from './caller.js';
import { currentUserResource } from './current-user.js';
import { sendWire } from './respond.js';
import { CreateUserBody, ExpandQuery } from './schemas.js';

/**
 * `POST /v1/api/current_user/create[?expand=true]` (anonymous token): email + password sign-up, through the core's
 * one password registration (the tenant's `signup` policy, the password rules). The email is stored unverified; an
 * email that belongs to another user is `email-taken` (409), as Flex answers. No tokens: the client logs in next.
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
      // The one password registration of every surface: the tenant's sign-up policy and the password rules apply.
      const registration = await core.selfService.registerWithPassword({
        tenant: bearer.tenant,
        email,
        password,
        firstName,
        lastName,
        displayName,
        profile,
        actor: `client:${bearer.client.clientId}`,
        clientId: bearer.client.clientId,
        ip: request.ip,
      });
      if (registration.kind === 'taken') throw new GatehouseError('email_taken', 'the email address is already in use');
      const { user } = registration;
      return sendWire(request, reply, 200, currentUserResource(user, [], request.query.expand === 'true'));
    },
  );
};
