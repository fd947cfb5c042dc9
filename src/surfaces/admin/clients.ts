import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../../core/index.js';
import { recordAdminEvent } from './context.js';
import {
  CallbackUrlInput,
  CallbackUrlQuery,
  ClientInput,
  ClientMergePatch,
  ClientParams,
  ClientView,
  ClientWithSecretView,
  ListOf,
  optionalBody,
  problemResponses,
  RedirectUriInput,
  RedirectUriQuery,
  RotateSecretInput,
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

  app.patch<One & { Body: Static<typeof ClientMergePatch> }>(
    '/tenants/:tenant/clients/:clientId',
    {
      schema: {
        tags,
        summary:
          'Change a client by an RFC 7396 merge patch: members left out are kept, null removes one, settings are merged member by member, a list given replaces the list (add or remove one URL with the redirect-uris and callback-urls routes)',
        params: ClientParams,
        body: ClientMergePatch,
        response: { 200: ClientView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const client = await core.clients.mergePatch(tenant.id, request.params.clientId, request.body);
      recordAdminEvent(core, request, {
        type: 'client.updated',
        tenantId: tenant.id,
        clientId: client.clientId,
        details: { fields: Object.keys(request.body) },
      });
      return clientView(client);
    },
  );

  app.post<One & { Body: Static<typeof RotateSecretInput> }>(
    '/tenants/:tenant/clients/:clientId/rotate-secret',
    {
      ...optionalBody,
      schema: {
        tags,
        summary:
          'Replace the secret of a confidential client; the old one keeps working for `graceSeconds` (default 0: it stops at once)',
        params: ClientParams,
        body: RotateSecretInput,
        response: { 200: ClientWithSecretView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const graceSeconds = request.body.graceSeconds ?? 0;
      const rotated = await core.clients.rotateSecret(tenant.id, request.params.clientId, graceSeconds);
      recordAdminEvent(core, request, {
        type: 'client.secret_rotated',
        tenantId: tenant.id,
        clientId: rotated.client.clientId,
        details: { graceSeconds },
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

  const urlRoutes = [
    { path: 'redirect-uris', list: 'redirectUris', member: 'uri', body: RedirectUriInput, query: RedirectUriQuery },
    { path: 'callback-urls', list: 'callbackUrls', member: 'url', body: CallbackUrlInput, query: CallbackUrlQuery },
  ] as const;
  for (const route of urlRoutes) {
    const what = route.list === 'redirectUris' ? 'OAuth redirect URI' : 'post-login callback URL';
    app.post<One & { Body: Record<string, string> }>(
      `/tenants/:tenant/clients/:clientId/${route.path}`,
      {
        schema: {
          tags,
          summary: `Add one ${what} (nothing changes when it is there already)`,
          params: ClientParams,
          body: route.body,
          response: { 200: ClientView, ...problemResponses },
        },
      },
      async (request) => {
        const tenant = await core.tenants.require(request.params.tenant);
        const url = request.body[route.member] ?? '';
        const client = await core.clients.changeUrl(tenant.id, request.params.clientId, route.list, 'add', url);
        recordAdminEvent(core, request, {
          type: 'client.updated',
          tenantId: tenant.id,
          clientId: client.clientId,
          details: { added: { [route.list]: url } },
        });
        return clientView(client);
      },
    );
    app.delete<One & { Querystring: Record<string, string> }>(
      `/tenants/:tenant/clients/:clientId/${route.path}`,
      {
        schema: {
          tags,
          summary: `Remove one ${what}, given as the \`${route.member}\` query parameter (404 when it is not there)`,
          params: ClientParams,
          querystring: route.query,
          response: { 200: ClientView, ...problemResponses },
        },
      },
      async (request) => {
        const tenant = await core.tenants.require(request.params.tenant);
        const url = request.query[route.member] ?? '';
        const client = await core.clients.changeUrl(tenant.id, request.params.clientId, route.list, 'remove', url);
        recordAdminEvent(core, request, {
          type: 'client.updated',
          tenantId: tenant.id,
          clientId: client.clientId,
          details: { removed: { [route.list]: url } },
        });
        return clientView(client);
      },
    );
  }
};
