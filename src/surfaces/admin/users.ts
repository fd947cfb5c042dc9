import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { recordAdminEvent } from './context.js';
import {
  ListOf,
  MfaResetView,
  optionalBody,
  PasswordInput,
  PasswordResetInput,
  problemResponses,
  SessionParams,
  SessionsEndedView,
  SessionView,
  TenantParams,
  UserDetailView,
  UserIdentityParams,
  UserInput,
  UserListQuery,
  UserPage,
  UserParams,
  UserPatch,
  UserView,
} from './schemas.js';
import { identityView, sessionView, userView } from './views.js';

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
        summary:
          'A page of users in creation order; the user with an `email`; or users whose email starts with `prefix`, or whose email or name contains `q`',
        params: TenantParams,
        querystring: UserListQuery,
        response: { 200: UserPage, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const { email, prefix, q, cursor } = request.query;
      const searches = [email, prefix, q].filter((v) => v !== undefined).length;
      if (
        searches > 1 ||
        (searches > 0 && request.query.after !== undefined) ||
        (cursor !== undefined && prefix === undefined && q === undefined)
      )
        throw new GatehouseError(
          'invalid_request',
          'querystring: give one of email, prefix or q; page a search with cursor, the whole list with after',
        );
      if (email !== undefined) {
        const user = await core.users.findByEmail(tenant.id, email);
        return { items: user === undefined ? [] : [userView(user)], next: null };
      }
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      if (prefix !== undefined || q !== undefined) {
        const page = await core.userCare.search(
          tenant.id,
          prefix !== undefined ? { kind: 'prefix', prefix } : { kind: 'contains', text: q ?? '' },
          { limit, ...(cursor === undefined ? {} : { cursor }) },
        );
        return { items: page.users.map(userView), next: page.next ?? null };
      }
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

  app.patch<One & { Body: Static<typeof UserPatch> }>(
    '/tenants/:tenant/users/:userId',
    {
      schema: {
        tags,
        summary:
          'Change a user by an RFC 7396 merge patch: members left out are kept, null clears one, profile is merged',
        params: UserParams,
        body: UserPatch,
        response: { 200: UserView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const user = await core.userCare.patch(tenant.id, request.params.userId, request.body);
      recordAdminEvent(core, request, {
        type: 'user.updated',
        tenantId: tenant.id,
        userId: user.id,
        details: { fields: Object.keys(request.body) },
      });
      return userView(user);
    },
  );

  app.post<One & { Body: Static<typeof PasswordInput> }>(
    '/tenants/:tenant/users/:userId/password',
    {
      schema: {
        tags,
        summary: 'Set a user’s password (argon2id); clears a required reset',
        params: UserParams,
        body: PasswordInput,
        response: { 200: UserView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const user = await core.userCare.setPassword(tenant.id, request.params.userId, request.body.password);
      recordAdminEvent(core, request, { type: 'user.password_set', tenantId: tenant.id, userId: user.id });
      return userView(user);
    },
  );

  app.post<One & { Body: Static<typeof PasswordResetInput> }>(
    '/tenants/:tenant/users/:userId/require-password-reset',
    {
      ...optionalBody,
      schema: {
        tags,
        summary:
          'Require a new password: a password sign-in answers password_reset_required until one is set (`required: false` lifts it)',
        params: UserParams,
        body: PasswordResetInput,
        response: { 200: UserView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const required = request.body.required ?? true;
      const user = await core.userCare.requirePasswordReset(tenant.id, request.params.userId, required);
      recordAdminEvent(core, request, {
        type: 'user.password_reset_required',
        tenantId: tenant.id,
        userId: user.id,
        details: { required },
      });
      return userView(user);
    },
  );

  app.post<One>(
    '/tenants/:tenant/users/:userId/reset-mfa',
    {
      schema: {
        tags,
        summary: 'Remove every second factor of a user (authenticator apps and recovery codes)',
        params: UserParams,
        response: { 200: MfaResetView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const removed = await core.userCare.resetMfa(tenant.id, request.params.userId);
      recordAdminEvent(core, request, {
        type: 'user.mfa_reset',
        tenantId: tenant.id,
        userId: request.params.userId,
        details: { removed },
      });
      return { removed };
    },
  );

  app.delete<One>(
    '/tenants/:tenant/users/:userId',
    {
      schema: {
        tags,
        summary:
          'Delete a user and everything that is theirs (identities, sessions, tokens, second factors), in one transaction',
        params: UserParams,
        response: { 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenant = await core.tenants.require(request.params.tenant);
      await core.userCare.remove(tenant.id, request.params.userId);
      // A tombstone: the id only, nothing that names the person.
      recordAdminEvent(core, request, { type: 'user.deleted', tenantId: tenant.id, userId: request.params.userId });
      return reply.code(204).send();
    },
  );

  app.get<One>(
    '/tenants/:tenant/users/:userId/sessions',
    {
      schema: {
        tags,
        summary: 'The user’s live browser sessions, newest first',
        params: UserParams,
        response: { 200: ListOf(SessionView), ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const user = await core.users.require(tenant.id, request.params.userId);
      return { items: (await core.sessions.listOfUser(tenant.id, user.id)).map(sessionView) };
    },
  );

  app.delete<{ Params: Static<typeof SessionParams> }>(
    '/tenants/:tenant/users/:userId/sessions/:sid',
    {
      schema: {
        tags,
        summary: 'End one session of the user and revoke the refresh tokens issued in it',
        params: SessionParams,
        response: { 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const user = await core.users.require(tenant.id, request.params.userId);
      if (!(await core.sessions.revoke(tenant.id, user.id, request.params.sid)))
        throw new GatehouseError('not_found', `session ${JSON.stringify(request.params.sid)} does not exist`);
      recordAdminEvent(core, request, {
        type: 'session.revoked',
        tenantId: tenant.id,
        userId: user.id,
        details: { sid: request.params.sid },
      });
      return reply.code(204).send();
    },
  );

  app.delete<One>(
    '/tenants/:tenant/users/:userId/sessions',
    {
      schema: {
        tags,
        summary: 'End every session of the user and revoke the refresh tokens issued in them',
        params: UserParams,
        response: { 200: SessionsEndedView, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = await core.tenants.require(request.params.tenant);
      const user = await core.users.require(tenant.id, request.params.userId);
      const ended = await core.sessions.revokeAll(tenant.id, user.id);
      recordAdminEvent(core, request, {
        type: 'session.revoked',
        tenantId: tenant.id,
        userId: user.id,
        details: { all: true, ended },
      });
      return { ended };
    },
  );
};
