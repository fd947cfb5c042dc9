import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../core/admin-tokens/admin-tokens.js';
import type { Core } from '../../core/index.js';
import { principalOf } from './auth.js';
import {
  AdminTokenCreatedView,
  AdminTokenInput,
  AdminTokenParams,
  AdminTokenView,
  ListOf,
  problemResponses,
} from './schemas.js';
import { adminTokenView } from './views.js';

const tags = ['admin: admin tokens'];

/** `/admin/admin-tokens`: tenant-bound, scoped admin tokens; the operator's token alone manages them. */
export const adminTokenRoutes = (app: FastifyInstance, core: Core): void => {
  app.post<{ Body: Static<typeof AdminTokenInput> }>(
    '/admin-tokens',
    {
      schema: {
        tags,
        summary: 'Create an admin token for one tenant (or every tenant) and a set of scopes; the token is shown once',
        body: AdminTokenInput,
        response: { 201: AdminTokenCreatedView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { token, adminToken } = await core.adminTokens.create(request.body, {
        actor: actorOf(principalOf(request)),
        ip: request.ip,
      });
      return reply.code(201).send({ ...adminTokenView(adminToken), token });
    },
  );

  app.get(
    '/admin-tokens',
    {
      schema: {
        tags,
        summary: 'List admin tokens (never a token or its digest)',
        response: { 200: ListOf(AdminTokenView), ...problemResponses },
      },
    },
    async () => ({ items: (await core.adminTokens.list()).map(adminTokenView) }),
  );

  app.delete<{ Params: Static<typeof AdminTokenParams> }>(
    '/admin-tokens/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an admin token; it stops working at once',
        params: AdminTokenParams,
        response: { 200: AdminTokenView, ...problemResponses },
      },
    },
    async (request) =>
      adminTokenView(
        await core.adminTokens.revoke(request.params.id, { actor: actorOf(principalOf(request)), ip: request.ip }),
      ),
  );
};
