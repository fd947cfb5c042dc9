import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { messagesFor } from '../../lib/i18n.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { sendOAuthError } from '../shared/oauth-errors.js';
import { registerTenantHook, tenantOf } from '../shared/tenant.js';
import { authenticateClient } from '../shared/token/client-auth.js';
import { toTokenResponse } from '../shared/token/grants/grant.js';

const Email = Type.String({ minLength: 1, maxLength: 320 });
const Code = Type.String({ minLength: 1, maxLength: 20 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const Name = Type.String({ maxLength: 200 });

const SignUp = Type.Object(
  {
    email: Email,
    password: Password,
    given_name: Type.Optional(Name),
    family_name: Type.Optional(Name),
    name: Type.Optional(Name),
  },
  { additionalProperties: false },
);
const AddressOnly = Type.Object({ email: Email }, { additionalProperties: false });
const AddressAndCode = Type.Object({ email: Email, code: Code }, { additionalProperties: false });
const RecoveryComplete = Type.Union([
  Type.Object({ email: Email, code: Code, password: Password }, { additionalProperties: false }),
  Type.Object(
    { token: Type.String({ minLength: 1, maxLength: 200 }), password: Password },
    { additionalProperties: false },
  ),
]);
const CodeSignInComplete = Type.Object(
  {
    email: Email,
    code: Code,
    client_id: Type.String({ minLength: 1, maxLength: 200 }),
    client_secret: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    scope: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

/** The one answer of every request that mails something: it never says whether the address has an account. */
const CheckYourMail = Type.Object({ status: Type.Literal('check_your_mail') });
const checkYourMail = (reply: FastifyReply) =>
  reply
    .code(202)
    .header('cache-control', 'no-store')
    .send({ status: 'check_your_mail' as const });

const localeOf = (request: FastifyRequest) =>
  messagesFor({ acceptLanguage: request.headers['accept-language'] }).locale;

const tags = ['self-service'];

/**
 * The self-service JSON API of a tenant, under `/t/{tenant}/self-service` (docs/self-service.md): password sign-up,
 * address verification, password recovery and sign-in with a mailed code. Every request that mails something answers
 * `202 {"status":"check_your_mail"}`, whether or not the address has an account. Errors are RFC 6749 JSON
 * (`{"error","error_description"}`), `Retry-After` with 429.
 */
export const selfServiceSurface: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  registerTenantHook(app, core);
  app.setErrorHandler((error, request, reply) => {
    const e = toGatehouseError(error);
    logError(request, e);
    return sendOAuthError(reply, e);
  });
  app.setNotFoundHandler((request, reply) =>
    sendOAuthError(reply, new GatehouseError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.post<{ Body: Static<typeof SignUp> }>(
    '/sign-up',
    {
      schema: { tags, summary: 'Sign up with an email and a password', body: SignUp, response: { 202: CheckYourMail } },
    },
    async (request, reply) => {
      const { body } = request;
      await core.selfService.signUp({
        tenant: tenantOf(request),
        email: body.email,
        password: body.password,
        firstName: body.given_name,
        lastName: body.family_name,
        displayName: body.name,
        locale: localeOf(request),
        ip: request.ip,
      });
      return checkYourMail(reply);
    },
  );

  app.post<{ Body: Static<typeof AddressOnly> }>(
    '/verification/resend',
    { schema: { tags, summary: 'Mail a new verification code', body: AddressOnly, response: { 202: CheckYourMail } } },
    async (request, reply) => {
      await core.selfService.verification.resend({
        tenant: tenantOf(request),
        email: request.body.email,
        locale: localeOf(request),
        ip: request.ip,
      });
      return checkYourMail(reply);
    },
  );

  app.post<{ Body: Static<typeof AddressAndCode> }>(
    '/verification',
    { schema: { tags, summary: 'Verify an address with its mailed code', body: AddressAndCode } },
    async (request, reply) => {
      const user = await core.selfService.verification.withCode({
        tenant: tenantOf(request),
        email: request.body.email,
        code: request.body.code,
        ip: request.ip,
      });
      return reply.header('cache-control', 'no-store').send({ email: user.email, email_verified: user.emailVerified });
    },
  );

  app.post<{ Body: Static<typeof AddressOnly> }>(
    '/recovery',
    { schema: { tags, summary: 'Mail a password recovery code', body: AddressOnly, response: { 202: CheckYourMail } } },
    async (request, reply) => {
      await core.selfService.recovery.start({
        tenant: tenantOf(request),
        email: request.body.email,
        locale: localeOf(request),
        ip: request.ip,
      });
      return checkYourMail(reply);
    },
  );

  app.post<{ Body: Static<typeof RecoveryComplete> }>(
    '/recovery/complete',
    { schema: { tags, summary: 'Set a new password with the mailed code or link', body: RecoveryComplete } },
    async (request, reply) => {
      const { body } = request;
      await core.selfService.recovery.complete({
        tenant: tenantOf(request),
        proof: 'token' in body ? { token: body.token } : { email: body.email, code: body.code },
        password: body.password,
        ip: request.ip,
      });
      return reply.header('cache-control', 'no-store').send({ status: 'password_changed' });
    },
  );

  app.post<{ Body: Static<typeof AddressOnly> }>(
    '/code-sign-in',
    { schema: { tags, summary: 'Mail a sign-in code', body: AddressOnly, response: { 202: CheckYourMail } } },
    async (request, reply) => {
      await core.selfService.codeSignIn.start({
        tenant: tenantOf(request),
        email: request.body.email,
        locale: localeOf(request),
        ip: request.ip,
      });
      return checkYourMail(reply);
    },
  );

  app.post<{ Body: Static<typeof CodeSignInComplete> }>(
    '/code-sign-in/complete',
    { schema: { tags, summary: 'Sign in with the mailed code: tokens for a client', body: CodeSignInComplete } },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const { body } = request;
      // The client authenticates as at the token endpoint: a confidential client with its secret, a public one by its
      // id. Nobody gets a confidential client's tokens by naming it.
      const client = await authenticateClient(core, tenant, request, body);
      const scope = core.tokens.scopes.parse(body.scope ?? 'openid email profile');
      core.tokens.scopes.requireAllowed(client, scope);
      // A mailed code is one factor (`amr` otp): where the tenant asks for a second one, this API gives no tokens, and
      // says so before the code is spent.
      if (!core.mfa.policyMet(tenant, ['otp']))
        throw new GatehouseError(
          'mfa_required',
          'a second factor is required for this sign-in; sign in through the authorization endpoint, which asks for one',
        );
      const signedIn = await core.selfService.codeSignIn.complete({
        tenant,
        email: body.email,
        code: body.code,
        ip: request.ip,
      });
      const issued = await core.tokens.issueTokens({
        tenant,
        client,
        userId: signedIn.user.id,
        user: signedIn.user,
        scope,
        amr: signedIn.amr,
        authTime: signedIn.authTime,
        refreshToken: false,
        grantType: 'email_code',
        ip: request.ip,
      });
      return reply.header('cache-control', 'no-store').send(toTokenResponse(issued));
    },
  );
};
