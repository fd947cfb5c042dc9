import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { recordAdminEvent } from './context.js';
import {
  ConnectionMergePatch,
  IdpInput,
  IdpParams,
  IdpView,
  ListOf,
  problemResponses,
  TenantParams,
} from './schemas.js';
import { idpView } from './views.js';

type One = { Params: Static<typeof IdpParams> };
const tags = ['admin: identity providers'];

/** `/admin/tenants/:tenant/idps`: IdP connections. Secrets go in (sealed at rest) and never come out. */
export const idpRoutes = (app: FastifyInstance, core: Core): void => {
  app.put<One & { Body: Static<typeof IdpInput> }>(
    '/tenants/:tenant/idps/:idp',
    {
      schema: {
        tags,
        summary:
          'Create or replace an IdP connection whole: members left out go back to their defaults (trustEmail false, no settings); without a new clientSecret, the stored one is kept. To change some members only, use PATCH',
        params: IdpParams,
        body: IdpInput,
        response: { 200: IdpView, 201: IdpView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const existed = (await core.connections.get(tenant.id, request.params.idp)) !== undefined;
      const connection = await core.connections.set(tenant.id, { ...request.body, id: request.params.idp });
      recordAdminEvent(core, request, { type: 'connection.set', tenantId: tenant.id, idp: connection.id });
      return reply.code(existed ? 200 : 201).send(idpView(core.settings.publicUrl, tenant.id)(connection));
    },
  );

  app.patch<One & { Body: Static<typeof ConnectionMergePatch> }>(
    '/tenants/:tenant/idps/:idp',
    {
      schema: {
        tags,
        summary:
          'Change an IdP connection by an RFC 7396 merge patch: members left out are kept (trustEmail, settings, the secret), null removes one, settings and endpoints are merged member by member',
        params: IdpParams,
        body: ConnectionMergePatch,
        response: { 200: IdpView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const connection = await core.connections.mergePatch(tenant.id, request.params.idp, request.body);
      recordAdminEvent(core, request, {
        type: 'connection.set',
        tenantId: tenant.id,
        idp: connection.id,
        details: { fields: Object.keys(request.body) },
      });
      return idpView(core.settings.publicUrl, tenant.id)(connection);
    },
  );

  app.get<{ Params: Static<typeof TenantParams> }>(
    '/tenants/:tenant/idps',
    {
      schema: {
        tags,
        summary: 'List the IdP connections of a tenant',
        params: TenantParams,
        response: { 200: ListOf(IdpView), ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      return { items: (await core.connections.list(tenant.id)).map(idpView(core.settings.publicUrl, tenant.id)) };
    },
  );

  app.get<One>(
    '/tenants/:tenant/idps/:idp',
    {
      schema: {
        tags,
        summary: 'Show an IdP connection',
        params: IdpParams,
        response: { 200: IdpView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const connection = await core.connections.get(tenant.id, request.params.idp);
      if (connection === undefined)
        throw new GatehouseError('not_found', `identity provider ${JSON.stringify(request.params.idp)} does not exist`);
      return idpView(core.settings.publicUrl, tenant.id)(connection);
    },
  );

  app.delete<One>(
    '/tenants/:tenant/idps/:idp',
    {
      schema: {
        tags,
        summary: 'Remove an IdP connection',
        params: IdpParams,
        response: { 204: { type: 'null' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenant = await core.tenants.require(request.params.tenant);
      await core.connections.remove(tenant.id, request.params.idp);
      recordAdminEvent(core, request, { type: 'connection.removed', tenantId: tenant.id, idp: request.params.idp });
      return reply.code(204).send();
    },
  );
};
