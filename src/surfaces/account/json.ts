import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import type { SessionSummary } from '../../core/sessions/sessions.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import type { User } from '../../core/users/user.js';
import { messagesFor } from '../../lib/i18n.js';
import { describeUserAgent } from '../../lib/user-agent.js';

type Caller = (
  core: Core,
  request: FastifyRequest<{ Params: { tenant: string } }>,
) => Promise<{ tenant: Tenant; user: User; authTime: Date | undefined; amr: readonly string[] }>;

const Params = Type.Object({ tenant: Type.String({ maxLength: 63 }) });
const SessionParams = Type.Object({
  tenant: Type.String({ maxLength: 63 }),
  sid: Type.String({ minLength: 1, maxLength: 64 }),
});
const Name = Type.Union([Type.String({ maxLength: 200 }), Type.Null()]);
const ProfileBody = Type.Object(
  { given_name: Type.Optional(Name), family_name: Type.Optional(Name), name: Type.Optional(Name) },
  { additionalProperties: false },
);
const PasswordBody = Type.Object(
  {
    current_password: Type.Optional(Type.String({ maxLength: 1024 })),
    new_password: Type.String({ minLength: 8, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
const EmailBody = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 320 }) },
  { additionalProperties: false },
);
const CodeBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 20 }) }, { additionalProperties: false });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const SessionView = Type.Object({
  sid: Type.String(),
  browser: Nullable(Type.String()),
  os: Nullable(Type.String()),
  mobile: Type.Boolean(),
  ip: Nullable(Type.String()),
  created_at: Type.String(),
  last_seen_at: Type.String(),
});

const sessionView = (session: SessionSummary) => {
  const device = describeUserAgent(session.userAgent);
  return {
    sid: session.sid,
    browser: device.browser ?? null,
    os: device.os ?? null,
    mobile: device.mobile,
    ip: session.ip,
    created_at: session.createdAt.toISOString(),
    last_seen_at: session.lastSeenAt.toISOString(),
  };
};

const tags = ['account'];
const security = [{ bearer: [] }];

/**
 * The signed-in user's changes with their access token: names, password (with the current one, or within five
 * minutes of the token's sign-in), email (a code mailed to the new address, then confirmed), and their browser
 * sessions (listed, ended one at a time; ending one revokes its refresh tokens).
 */
export const accountJsonRoutes = (app: FastifyInstance, core: Core, accountOf: Caller): void => {
  app.patch<{ Params: Static<typeof Params>; Body: Static<typeof ProfileBody> }>(
    '/',
    { schema: { tags, params: Params, body: ProfileBody, security } },
    async (request, reply) => {
      const { user } = await accountOf(core, request);
      const { given_name: firstName, family_name: lastName, name: displayName } = request.body;
      await core.account.updateProfile(
        user,
        {
          ...(firstName === undefined ? {} : { firstName }),
          ...(lastName === undefined ? {} : { lastName }),
          ...(displayName === undefined ? {} : { displayName }),
        },
        request.ip,
      );
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof Params>; Body: Static<typeof PasswordBody> }>(
    '/password',
    { schema: { tags, params: Params, body: PasswordBody, security } },
    async (request, reply) => {
      const { user, authTime } = await accountOf(core, request);
      const { current_password: current, new_password: password } = request.body;
      await core.account.changePassword(
        user,
        { newPassword: password, ...(current === undefined || current === '' ? {} : { currentPassword: current }) },
        { authTime },
        request.ip,
      );
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof Params>; Body: Static<typeof EmailBody> }>(
    '/email',
    { schema: { tags, params: Params, body: EmailBody, security } },
    async (request, reply) => {
      const { tenant, user } = await accountOf(core, request);
      const { t } = messagesFor({ acceptLanguage: request.headers['accept-language'] });
      await core.account.beginEmailChange(user, request.body.email, {
        subject: t('account.email.mail_subject', { tenant: tenant.name }),
        text: t('account.email.mail_text', { tenant: tenant.name }),
      });
      return reply.code(202).send();
    },
  );

  app.post<{ Params: Static<typeof Params>; Body: Static<typeof CodeBody> }>(
    '/email/confirm',
    { schema: { tags, params: Params, body: CodeBody, security } },
    async (request, reply) => {
      const { user } = await accountOf(core, request);
      await core.account.confirmEmailChange(user, request.body.code, request.ip);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof Params> }>(
    '/sessions',
    { schema: { tags, params: Params, response: { 200: Type.Object({ items: Type.Array(SessionView) }) }, security } },
    async (request) => {
      const { tenant, user } = await accountOf(core, request);
      const sessions = await core.sessions.listOfUser(tenant.id, user.id);
      return { items: sessions.map(sessionView) };
    },
  );

  app.delete<{ Params: Static<typeof SessionParams> }>(
    '/sessions/:sid',
    { schema: { tags, params: SessionParams, security } },
    async (request, reply) => {
      const { tenant, user } = await accountOf(core, request);
      if (!(await core.sessions.revoke(tenant.id, user.id, request.params.sid)))
        throw new GatehouseError('not_found', 'no such session');
      return reply.code(204).send();
    },
  );
};
