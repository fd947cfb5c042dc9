import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { recordAdminEvent } from './context.js';
import {
  ClientInput,
  ClientParams,
  ClientPatch,
  ClientView,
  ClientWithSecretView,
  ListOf,
  problemResponses,
  TenantParams,
} from './schemas.js';
import { clientView, clientWithSecretView } from './views.js';

type Tenant = { Params: Static<typeof TenantParams> };
type One = { Params: Static<typeof ClientParams> };
const tags = ['admin: clients'];

/** `/admin/tenants/:tenant/clients`: a confidential client's secret is returned by create and rotate-secret only. */
export const clientRoutes = (app: FastifyInstance, core: Core): void => {
  app.post<Tenant & { Body: Static<typeof ClientInput> }>(
    '/tenants/:tenant/clients',
    {
      schema: {
        tags,
        summary: 'Create a client; a confidential client gets a generated secret, shown once',
        params: TenantParams,
        body: ClientInput,
        response: { 201: ClientWithSecretView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const created = await core.clients.create(tenant.id, request.body);
      recordAdminEvent(core, request, {
        type: 'client.created',
        tenantId: tenant.id,
        clientId: created.client.clientId,
      });
      return reply.code(201).send(clientWithSecretView(created));
    },
  );

  app.get<Tenant>(
    '/tenants/:tenant/clients',
    {
      schema: {
        tags,
        summary: 'List the clients of a tenant',
        params: TenantParams,
        response: { 200: ListOf(ClientView), ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      return { items: (await core.clients.list(tenant.id)).map(clientView) };
    },
  );

  app.get<One>(
    '/tenants/:tenant/clients/:clientId',
    {
      schema: {
        tags,
        summary: 'Show a client',
        params: ClientParams,
        response: { 200: ClientView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      return clientView(await core.clients.require(tenant.id, request.params.clientId));
    },
  );

  app.patch<One & { Body: Static<typeof ClientPatch> }>(
    '/tenants/:tenant/clients/:clientId',
    {
      schema: {
        tags,
        summary: 'Update a client (name, URIs, grants, settings)',
        params: ClientParams,
        body: ClientPatch,
        response: { 200: ClientView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const client = await core.clients.update(tenant.id, request.params.clientId, request.body);
      recordAdminEvent(core, request, {
        type: 'client.updated',
        tenantId: tenant.id,
        clientId: client.clientId,
        details: { fields: Object.keys(request.body) },
      });
      return clientView(client);
    },
  );

  app.post<One>(
    '/tenants/:tenant/clients/:clientId/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Replace the secret of a confidential client; the old one stops working at once',
        params: ClientParams,
        response: { 200: ClientWithSecretView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const rotated = await core.clients.rotateSecret(tenant.id, request.params.clientId);
      recordAdminEvent(core, request, {
        type: 'client.secret_rotated',
        tenantId: tenant.id,
        clientId: rotated.client.clientId,
      });
      return clientWithSecretView(rotated);
    },
  );

  app.delete<One>(
    '/tenants/:tenant/clients/:clientId',
    {
      schema: {
        tags,
        summary: 'Delete a client',
        params: ClientParams,
        response: { 204: { type: 'null' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenant = await core.tenants.require(request.params.tenant);
      await core.clients.remove(tenant.id, request.params.clientId);
      recordAdminEvent(core, request, {
        type: 'client.deleted',
        tenantId: tenant.id,
        clientId: request.params.clientId,
      });
      return reply.code(204).send();
    },
  );
};
