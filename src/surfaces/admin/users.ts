import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { recordAdminEvent } from './context.js';
import {
  problemResponses,
  TenantParams,
  UserDetailView,
  UserIdentityParams,
  UserInput,
  UserListQuery,
  UserPage,
  UserParams,
  UserView,
} from './schemas.js';
import { identityView, userView } from './views.js';

type Tenant = { Params: Static<typeof TenantParams> };
type One = { Params: Static<typeof UserParams> };
const tags = ['admin: users'];

/** `/admin/tenants/:tenant/users`: create, page through, show (with identities), disable, enable, unlink. */
export const userRoutes = (app: FastifyInstance, core: Core): void => {
  app.post<Tenant & { Body: Static<typeof UserInput> }>(
    '/tenants/:tenant/users',
    {
      schema: {
        tags,
        summary: 'Create a user (a password is stored as its argon2id hash)',
        params: TenantParams,
        body: UserInput,
        response: { 201: UserView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const user = await core.users.create(tenant.id, request.body);
      recordAdminEvent(core, request, { type: 'user.created', tenantId: tenant.id, userId: user.id });
      return reply.code(201).send(userView(user));
    },
  );

  app.get<Tenant & { Querystring: Static<typeof UserListQuery> }>(
    '/tenants/:tenant/users',
    {
      schema: {
        tags,
        summary: 'A page of users in creation order, or the user with an email',
        params: TenantParams,
        querystring: UserListQuery,
        response: { 200: UserPage, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      if (request.query.email !== undefined) {
        const user = await core.users.findByEmail(tenant.id, request.query.email);
        return { items: user === undefined ? [] : [userView(user)], next: null };
      }
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      let after: Awaited<ReturnType<Core['users']['find']>>;
      if (request.query.after !== undefined) {
        after = await core.users.find(tenant.id, request.query.after);
        if (after === undefined) throw new GatehouseError('invalid_request', 'querystring.after: no such user');
      }
      const users = await core.users.list(tenant.id, { limit, ...(after === undefined ? {} : { after }) });
      const last = users.at(-1);
      return { items: users.map(userView), next: users.length === limit && last !== undefined ? last.id : null };
    },
  );

  app.get<One>(
    '/tenants/:tenant/users/:userId',
    {
      schema: {
        tags,
        summary: 'Show a user and their linked identities',
        params: UserParams,
        response: { 200: UserDetailView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const user = await core.users.require(tenant.id, request.params.userId);
      return { ...userView(user), identities: (await core.users.identities(user.id)).map(identityView) };
    },
  );

  for (const [action, status] of [
    ['disable', 'disabled'],
    ['enable', 'active'],
  ] as const) {
    app.post<One>(
      `/tenants/:tenant/users/:userId/${action}`,
      {
        schema: {
          tags,
          summary: action === 'disable' ? 'Disable a user (no further sign-ins)' : 'Enable a disabled user',
          params: UserParams,
          response: { 200: UserView, ...problemResponses },
        },
      },
      async (request) => {
        const tenant = await core.tenants.require(request.params.tenant);
        const user = await core.users.setStatus(tenant.id, request.params.userId, status);
        recordAdminEvent(core, request, {
          type: status === 'disabled' ? 'user.disabled' : 'user.enabled',
          tenantId: tenant.id,
          userId: user.id,
        });
        return userView(user);
      },
    );
  }

  app.delete<{ Params: Static<typeof UserIdentityParams> }>(
    '/tenants/:tenant/users/:userId/identities/:idp',
    {
      schema: {
        tags,
        summary: "Unlink an identity (409 last_login_method when it is the user's last way to sign in)",
        params: UserIdentityParams,
        response: { 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenant = await core.tenants.require(request.params.tenant);
      // Recorded as identity.unlinked by the core.
      await core.accounts.unlink(tenant.id, request.params.userId, request.params.idp, 'admin');
      return reply.code(204).send();
    },
  );
};
